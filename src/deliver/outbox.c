/*
 * outbox.c - the outbox's finished messages past their term (--messages-days). A sent or dead
 * message keeps the phone it went to (its text is blanked when it finishes, sms.c); nothing
 * reads those rows again - the limits of codes count otp_codes, not the outbox - so they are
 * deleted whole, with no aggregate to keep. The same run deletes the finished rows of the outbox
 * of issue 12 (sent, failed, suppressed...): their sealed address and reply are kept as long.
 */
#include "consent/consent.h"
#include "deliver/sms.h"

#define DAY_MS       (86400LL * 1000)
#define EXPIRE_BATCH 1000 /* messages per transaction */

enum kt_rc sms_expire(struct store *s, int64_t now, int64_t days, int64_t *removed,
                      struct kt_err *err)
{
    return audit_expiry_run(s, "messages", now - days * DAY_MS, EXPIRE_BATCH, store_sms_expire,
                            removed, err);
}
