/*
 * outbox.c - the outbox's finished messages past their term (--messages-days): sent, failed,
 * suppressed... (one-time codes and every other message alike) are deleted whole - their sealed
 * address and reply with them - once their last change is older than the term; nothing reads
 * them again (the limits of codes count otp_codes, not the outbox). Queued and sending rows stay
 * whatever their age. Each run that deletes is audited (audit_expiry_run).
 */
#include "consent/consent.h"
#include "deliver/outbox.h"

#define DAY_MS       (86400LL * 1000)
#define EXPIRE_BATCH 1000 /* messages per transaction */

enum kt_rc outbox_expire(struct store *s, int64_t now, int64_t days, int64_t *removed,
                         struct kt_err *err)
{
    return audit_expiry_run(s, "messages", now - days * DAY_MS, EXPIRE_BATCH, store_outbox_expire,
                            removed, err);
}
