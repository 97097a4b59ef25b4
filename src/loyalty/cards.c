/*
 * cards.c - loyalty cards and one-time codes (see cards.h).
 */
#include <jansson.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "auth/links.h"
#include "base/buf.h"
#include "base/clock.h"
#include "base/id.h"
#include "base/log.h"
#include "base/num.h"
#include "base/str.h"
#include "consent/consent.h"
#include "loyalty/cards.h"
#include "loyalty/program.h"

/* The last sequence number of the programme's range consumed, issued or skipped (meta). */
static enum kt_rc seq_get(struct store_conn *w, struct arena *a, int64_t *last, struct kt_err *err)
{
    const char *v = NULL;
    bool set = false;
    enum kt_rc rc = store_meta_get(w, "card_seq", a, &v, &set, err);
    *last = 0;
    if (rc == KT_OK && set && !num_parse_cstr(v, 0, INT64_MAX, last)) {
        return kt_err_set(err, KT_EINTERNAL, "bad_meta", NULL, "card_seq is not a number");
    }
    return rc;
}

/*
 * The next `count` numbers of the programme's range that nobody holds, into `out`. A number is
 * skipped when a card has it, a customer holds it as a card identifier (an older programme's
 * card typed in at a till or imported, in the same range by chance), or it is on the suppression
 * list (an erased person's card, whose identifier row is gone). The counter only goes forward,
 * past the skipped numbers too, and survives erasure: a number is issued at most once, and no
 * stored row can make issuing fail.
 */
static enum kt_rc next_numbers(struct store_conn *w, const struct key_secret *k,
                               const struct loyalty_rules *r, int64_t count, const char *field,
                               struct arena *a, char (*out)[14], struct kt_err *err)
{
    int64_t seq, skipped = 0;
    enum kt_rc rc = seq_get(w, a, &seq, err);
    for (int64_t i = 0; rc == KT_OK && i < count;) {
        if (seq == INT64_MAX || !ean13_card(r->card_prefix, ++seq, out[i])) {
            return kt_err_set(err, KT_ECONFLICT, "card_range_exhausted", field,
                              "the card range of prefix %s has no room for %lld more card%s; "
                              "publish a new prefix",
                              r->card_prefix, (long long)(count - i), count - i == 1 ? "" : "s");
        }
        unsigned char h[32];
        suppress_hash(k, "card", out[i], h);
        bool held = false;
        rc = store_card_number_held(w, out[i], h, &held, err);
        skipped += held;
        i += !held;
    }
    if (rc == KT_OK && skipped > 0) {
        log_info("card_numbers_skipped", "count=%lld", (long long)skipped);
    }
    return rc == KT_OK ? store_meta_put(w, "card_seq", arena_printf(a, "%lld", (long long)seq), err)
                       : rc;
}

static enum kt_rc active_cards(struct store_conn *w, int64_t ck, struct arena *a, int64_t *n_active,
                               const char **one, struct kt_err *err)
{
    struct card *cs;
    size_t n;
    enum kt_rc rc = store_card_list(w, ck, a, &cs, &n, err);
    *n_active = 0;
    *one = NULL;
    for (size_t i = 0; rc == KT_OK && i < n; i++) {
        if (strcmp(cs[i].state, "active") == 0) {
            (*n_active)++;
            *one = arena_strdup(a, cs[i].number);
        }
    }
    return rc;
}

static enum kt_rc limit_check(struct store_conn *w, const struct loyalty_rules *r, int64_t ck,
                              struct arena *a, struct kt_err *err)
{
    int64_t n;
    const char *one;
    enum kt_rc rc = active_cards(w, ck, a, &n, &one, err);
    if (rc == KT_OK && n >= r->max_cards) {
        return kt_err_set(err, KT_ECONFLICT, "card_limit", "card",
                          "the customer has %lld active card%s already; a second card for one "
                          "person is how duplicates start",
                          (long long)n, n == 1 ? "" : "s");
    }
    return rc;
}

/* Makes the card the customer's "card" identifier. The customer may hold it already (typed in
 * from the plastic card before a till bound it); another customer may not. */
static enum kt_rc attach(struct store_conn *w, const struct card *cd, int64_t now, struct arena *a,
                         struct kt_err *err)
{
    struct ident id = {"card", cd->number, cd->ck, true, now, "pos"}, had;
    bool held;
    enum kt_rc rc = store_ident_find(w, "card", cd->number, a, &had, &held, err);
    if (rc != KT_OK) {
        return rc;
    }
    if (!held) {
        return store_ident_insert(w, &id, err);
    }
    if (had.ck != cd->ck) {
        return kt_err_set(err, KT_ECONFLICT, "card_held", "card",
                          "another customer holds this card number as an identifier; bind "
                          "another card, or merge the two customers if they are one person");
    }
    return had.verified ? KT_OK : store_ident_set_verified(w, "card", cd->number, err);
}

enum kt_rc card_issue_virtual(struct store_conn *w, const struct key_secret *k,
                              const struct loyalty_rules *r, int64_t ck, int64_t now,
                              struct arena *a, struct card *out, struct kt_err *err)
{
    memset(out, 0, sizeof(*out));
    enum kt_rc rc = limit_check(w, r, ck, a, err);
    if (rc == KT_OK) {
        rc = next_numbers(w, k, r, 1, "cards.prefix", a, &out->number, err);
    }
    if (rc != KT_OK) {
        return rc;
    }
    out->ck = ck;
    out->kind = "virtual";
    out->state = "active";
    out->issued_at = out->bound_at = out->state_at = now;
    rc = store_card_insert(w, out, err);
    return rc == KT_OK ? attach(w, out, now, a, err) : rc;
}

enum kt_rc card_issue_batch(struct store_conn *w, const struct key_secret *k,
                            const struct loyalty_rules *r, const char *batch, int64_t count,
                            int64_t now, struct arena *a, struct card **out, struct kt_err *err)
{
    *out = arena_zalloc(a, (size_t)count * sizeof(**out));
    char(*nums)[14] = arena_zalloc(a, (size_t)count * sizeof(*nums));
    enum kt_rc rc = next_numbers(w, k, r, count, "count", a, nums, err);
    for (int64_t i = 0; rc == KT_OK && i < count; i++) {
        struct card *cd = &(*out)[i];
        memcpy(cd->number, nums[i], sizeof(cd->number));
        cd->kind = "physical";
        cd->state = "issued";
        cd->batch = batch;
        cd->issued_at = cd->state_at = now;
        rc = store_card_insert(w, cd, err);
    }
    return rc;
}

static enum kt_rc find(struct store_conn *c, const char *number, struct arena *a, struct card *out,
                       struct kt_err *err)
{
    if (!ean13_valid(number)) {
        return kt_err_set(err, KT_EINVAL, "card_invalid", "card",
                          "a card number is 13 digits with a valid EAN-13 check digit");
    }
    bool found;
    enum kt_rc rc = store_card_get(c, number, a, out, &found, err);
    if (rc == KT_OK && !found) {
        return kt_err_set(err, KT_EINVAL, "card_unknown", "card",
                          "the programme never issued this card");
    }
    return rc;
}

enum kt_rc card_bind(struct store_conn *w, const struct loyalty_rules *r, const char *number,
                     int64_t ck, int64_t now, struct arena *a, struct card *out, struct kt_err *err)
{
    enum kt_rc rc = find(w, number, a, out, err);
    if (rc != KT_OK) {
        return rc;
    }
    if (strcmp(out->state, "issued") != 0) {
        return kt_err_set(err, KT_ECONFLICT, "card_not_bindable", "card",
                          "the card is %s; only a new card from a batch can be bound", out->state);
    }
    if ((rc = limit_check(w, r, ck, a, err)) != KT_OK) {
        return rc;
    }
    out->ck = ck;
    out->state = "active";
    out->bound_at = out->state_at = now;
    rc = store_card_update(w, out, err);
    return rc == KT_OK ? attach(w, out, now, a, err) : rc;
}

enum kt_rc card_set_state(struct store_conn *w, const char *number, const char *state,
                          const char *reason, int64_t now, struct arena *a, struct card *out,
                          struct kt_err *err)
{
    enum kt_rc rc = find(w, number, a, out, err);
    if (rc != KT_OK) {
        return rc;
    }
    bool ok = strcmp(state, "blocked") == 0
                  ? strcmp(out->state, "active") == 0
                  : strcmp(out->state, "active") == 0 || strcmp(out->state, "blocked") == 0;
    if (!ok) {
        return kt_err_set(err, KT_ECONFLICT, "card_state", "card", "the card is %s", out->state);
    }
    out->state = state;
    out->state_at = now;
    out->reason = reason;
    return store_card_update(w, out, err);
}

enum kt_rc card_replace(struct store_conn *w, const struct key_secret *k,
                        const struct loyalty_rules *r, const char *number, const char *with,
                        const char *reason, int64_t now, struct arena *a, struct card *old,
                        struct card *now_card, struct kt_err *err)
{
    enum kt_rc rc = card_set_state(w, number, "replaced", reason, now, a, old, err);
    if (rc != KT_OK) {
        return rc;
    }
    /* The old card no longer counts towards the limit: it is replaced. */
    if (with != NULL) {
        rc = card_bind(w, r, with, old->ck, now, a, now_card, err);
        if (rc != KT_OK && strcmp(err->field, "card") == 0) {
            kt_strlcpy(err->field, "with", sizeof(err->field));
        }
    } else {
        rc = card_issue_virtual(w, k, r, old->ck, now, a, now_card, err);
    }
    if (rc == KT_OK) {
        old->replaced_by = arena_strdup(a, now_card->number);
        rc = store_card_update(w, old, err);
    }
    return rc;
}

enum kt_rc card_check(struct store_conn *c, const char *number, struct arena *a, struct kt_err *err)
{
    struct card cd;
    bool ours;
    enum kt_rc rc = store_card_get(c, number, a, &cd, &ours, err);
    if (rc != KT_OK || !ours) {
        return rc; /* not one of ours: the identifier decides */
    }
    if (strcmp(cd.state, "active") == 0) {
        return KT_OK;
    }
    if (strcmp(cd.state, "blocked") == 0) {
        return kt_err_set(err, KT_EINVAL, "card_blocked", "customer.card",
                          "the card is blocked; ask for the phone instead");
    }
    return kt_err_set(err, KT_EINVAL, "card_inactive", "customer.card",
                      "the card is %s and no longer in use", cd.state);
}

json_t *card_json(struct arena *a, const struct card *cd, const char *customer_id)
{
    char t1[32], t2[32];
    (void)a;
    json_t *o =
        json_pack("{s:s, s:s, s:s, s:s, s:s}", "number", cd->number, "kind", cd->kind, "state",
                  cd->state, "issued_at", time_format_rfc3339(cd->issued_at, t1, sizeof(t1)),
                  "since", time_format_rfc3339(cd->state_at, t2, sizeof(t2)));
    json_object_set_new(o, "customer_id", customer_id ? json_string(customer_id) : json_null());
    const char *names[] = {"batch", "replaced_by", "reason"};
    const char *vals[] = {cd->batch, cd->replaced_by, cd->reason};
    for (size_t i = 0; i < 3; i++) {
        if (vals[i] != NULL) {
            json_object_set_new(o, names[i], json_string(vals[i]));
        }
    }
    return o;
}

/* ---- enrolment limits -------------------------------------------------------------------- */

/* Whether one more enrolment fits `limit` in the hour before `now` for a key or a store. */
static enum kt_rc enrol_fits(struct store_conn *w, int64_t limit, const char *key_id,
                             const char *store, int64_t now, struct kt_err *err)
{
    int64_t n = 0, oldest = 0;
    if (limit <= 0 || (key_id == NULL && store == NULL)) {
        return KT_OK;
    }
    enum kt_rc rc =
        store_enrol_count(w, key_id, store, now - ENROL_WINDOW_MS + 1, &n, &oldest, err);
    if (rc != KT_OK || n < limit) {
        return rc;
    }
    int64_t wait_ms = oldest + ENROL_WINDOW_MS - now;
    const char *per = store != NULL ? "store" : "key";
    return kt_err_limit(
        err, (int)((wait_ms + 999) / 1000), "enrol_rate_limited", store != NULL ? "store" : NULL,
        "at most %lld enrolments per %s in an hour; the operator can raise the limit",
        (long long)limit, per);
}

enum kt_rc enrol_admit(struct store_conn *w, const struct enrol_limits *l, const char *key_id,
                       const char *store, int64_t now, struct kt_err *err)
{
    enum kt_rc rc = enrol_fits(w, l->per_key, key_id, NULL, now, err);
    if (rc == KT_OK) {
        rc = enrol_fits(w, l->per_store, NULL, store, now, err);
    }
    return rc == KT_OK ? store_enrol_add(w, key_id, store, now, now - ENROL_WINDOW_MS, err) : rc;
}

/* ---- one-time codes -------------------------------------------------------------------------- */

void otp_phone_tag(const struct key_secret *k, const char *phone, unsigned char out[32])
{
    keys_tag(k, "otp-phone:", phone, out);
}

static void code_hash(const struct key_secret *k, const char *id, const char *code,
                      unsigned char out[32])
{
    crypto_generichash_state st;
    crypto_generichash_init(&st, k->k, sizeof(k->k), 32);
    crypto_generichash_update(&st, (const unsigned char *)id, strlen(id));
    crypto_generichash_update(&st, (const unsigned char *)":", 1);
    crypto_generichash_update(&st, (const unsigned char *)code, strlen(code));
    crypto_generichash_final(&st, out, 32);
}

/* `text` with {{code}}, {{card}} and {{link}} (the questionnaire's link, or "") replaced. */
static const char *fill(struct arena *a, const char *text, const char *code, const char *card,
                        const char *link)
{
    struct buf b;
    buf_init(&b, 4096);
    for (const char *p = text; *p;) {
        if (strncmp(p, "{{code}}", 8) == 0) {
            buf_puts(&b, code);
            p += 8;
        } else if (strncmp(p, "{{card}}", 8) == 0) {
            buf_puts(&b, card ? card : "");
            p += 8;
        } else if (strncmp(p, "{{link}}", 8) == 0) {
            buf_puts(&b, link ? link : "");
            p += 8;
        } else {
            buf_putc(&b, *p++);
        }
    }
    const char *out = arena_strndup(a, b.p ? b.p : "", b.len);
    buf_release(&b);
    return out;
}

/* The questionnaire's link of customer `ck` (docs/pages.md) under the privacy settings'
 * public_url; NULL when public_url is unset (the SMS then goes without it). */
static enum kt_rc questionnaire_link(struct store_conn *w, const struct key_secret *k, int64_t ck,
                                     int64_t now, struct arena *a, const char **link,
                                     struct kt_err *err)
{
    struct privacy_settings ps;
    struct customer cu;
    *link = NULL;
    if (privacy_settings_get(w, a, &ps, err) != KT_OK ||
        store_customer_get(w, ck, a, &cu, NULL, err) != KT_OK) {
        return err->rc;
    }
    if (ps.public_url != NULL && ps.public_url[0] != '\0') {
        *link = arena_printf(a, "%s/q/%s", ps.public_url, links_q_token(k, cu.id, now, a));
    }
    return KT_OK;
}

/* The code's SMS into the outbox (docs/messages.md, "SMS"): origin "otp:<code id>",
 * transactional, before anything else queued, and not sent at all once the code has expired. */
static enum kt_rc code_enqueue(struct store_conn *w, const struct key_secret *k,
                               const struct otp_code *o, const char *phone, const char *text,
                               struct arena *a, struct kt_err *err)
{
    json_t *doc = json_pack("{s:s}", "text", text);
    char *content = json_dumps(doc, JSON_COMPACT);
    struct outbox_msg m = outbox_code_msg(keys_outbox_id(k, arena_printf(a, "otp:%s", o->id), a),
                                          o->ck, phone, content, o->created_at, o->expires_at);
    bool created = false;
    enum kt_rc rc = store_outbox_add(w, &m, &created, err);
    sodium_memzero(content, strlen(content)); /* it holds the code */
    free(content);
    json_decref(doc);
    return rc;
}

enum kt_rc otp_send(struct store_conn *w, const struct key_secret *k, const struct loyalty_rules *r,
                    int64_t ck, const char *phone, const char *card, const char *text,
                    const char *key_id, int64_t now, struct arena *a, char otp_id[ID_MAX],
                    struct kt_err *err)
{
    struct otp_code o;
    memset(&o, 0, sizeof(o));
    otp_phone_tag(k, phone, o.phone_tag);
    int64_t n_phone = 0, n_key = 0;
    bool blocked = false; /* every SMS goes through here: none to a blocked customer */
    enum kt_rc rc = ck != 0 ? store_block_in_force(w, ck, &blocked, err) : KT_OK;
    if (rc == KT_OK && blocked) {
        return kt_err_set(err, KT_ELOCKED, "customer_blocked", "phone",
                          "the customer's data is blocked while a dispute is checked (152-FZ art. "
                          "21); no message is sent");
    }
    if (rc == KT_OK) {
        rc = store_otp_count(w, o.phone_tag, NULL, now - 3600 * 1000, &n_phone, err);
    }
    if (rc == KT_OK && key_id != NULL) {
        rc = store_otp_count(w, NULL, key_id, now - 60 * 1000, &n_key, err);
    }
    if (rc != KT_OK) {
        return rc;
    }
    if (n_phone >= r->otp_per_phone_hour || n_key >= r->otp_per_key_minute) {
        bool phone_hit = n_phone >= r->otp_per_phone_hour;
        return kt_err_limit(err, phone_hit ? 3600 : 60, "otp_rate_limited",
                            phone_hit ? "phone" : NULL,
                            phone_hit ? "at most %lld codes per phone per hour"
                                      : "at most %lld codes per key per minute",
                            (long long)(phone_hit ? r->otp_per_phone_hour : r->otp_per_key_minute));
    }
    char code[8];
    snprintf(code, sizeof(code), "%06u", (unsigned)randombytes_uniform(1000000));
    id_new(o.id, sizeof(o.id), "o_");
    code_hash(k, o.id, code, o.code_hash);
    o.ck = ck;
    o.created_at = now;
    o.expires_at = now + OTP_TTL_MS;
    o.key_id = key_id;
    rc = store_otp_insert(w, &o, err);
    const char *link = NULL;
    if (rc == KT_OK && ck != 0 && strstr(text, "{{link}}") != NULL) {
        rc = questionnaire_link(w, k, ck, now, a, &link, err);
    }
    if (rc == KT_OK) {
        rc = code_enqueue(w, k, &o, phone, fill(a, text, code, card, link), a, err);
    }
    sodium_memzero(code, sizeof(code));
    kt_strlcpy(otp_id, o.id, ID_MAX);
    return rc;
}

enum kt_rc otp_verify(struct store_conn *w, const struct key_secret *k, const char *phone,
                      const char *code, int64_t now, struct arena *a, struct otp_code *out,
                      bool *count, struct kt_err *err)
{
    unsigned char tag[32], h[32];
    *count = false;
    otp_phone_tag(k, phone, tag);
    bool sent;
    enum kt_rc rc = store_otp_latest(w, tag, a, out, &sent, err);
    if (rc != KT_OK) {
        return rc;
    }
    if (!sent) {
        return kt_err_set(err, KT_EINVAL, "no_code", "phone", "no code was sent to this phone");
    }
    if (out->verified_at != 0) {
        return kt_err_set(err, KT_EINVAL, "code_used", "code",
                          "the last code was used already; ask for a new one");
    }
    if (out->attempts >= OTP_ATTEMPTS) {
        /* The code stays locked for the rest of its life; a new one may be asked at once. */
        int64_t left_ms = out->expires_at > now ? out->expires_at - now : 0;
        return kt_err_limit(err, (int)((left_ms + 999) / 1000), "code_attempts_exceeded", "code",
                            "the code was guessed wrong %d times; ask for a new one", OTP_ATTEMPTS);
    }
    if (now >= out->expires_at) {
        return kt_err_set(err, KT_EINVAL, "code_expired", "code",
                          "the code lived 5 minutes; ask for a new one");
    }
    code_hash(k, out->id, code, h);
    if (sodium_memcmp(h, out->code_hash, 32) != 0) {
        out->attempts++;
        *count = true;
        rc = store_otp_update(w, out, err);
        if (rc != KT_OK) {
            return rc;
        }
        return kt_err_set(err, KT_EINVAL, "code_wrong", "code", "wrong code; %lld tries left",
                          (long long)(OTP_ATTEMPTS - out->attempts));
    }
    out->verified_at = now;
    return store_otp_update(w, out, err);
}

enum kt_rc card_batch_print(struct store *s, const struct key_secret *k, const char *batch,
                            int64_t count, const char *key_id, const char *request_id,
                            const char *via, int64_t now, struct arena *a, struct card **out,
                            struct kt_err *err)
{
    struct store_conn *w;
    struct loyalty_rules rules;
    int64_t at;
    enum kt_rc rc = store_write_begin(s, &w, err);
    if (rc != KT_OK) {
        return rc;
    }
    rc = loyalty_program_get(w, a, &rules, &at, err);
    if (rc == KT_OK) {
        rc = card_issue_batch(w, k, &rules, batch, count, now, a, out, err);
    }
    if (rc == KT_OK) {
        rc = audit_write(w, key_id, "cards", NULL, NULL,
                         arena_printf(a, "batch %lld cards%s%s%s", (long long)count,
                                      via ? " (" : "", via ? via : "", via ? ")" : ""),
                         request_id, now, err);
    }
    return store_write_end(w, rc, err);
}
