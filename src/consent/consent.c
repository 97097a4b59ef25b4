/*
 * consent.c - purposes, the retailer's settings, consent documents, and consent events: decoding
 * a request's consents, recording them with their evidence, deriving the state.
 */
#include "consent/consent.h"

#include <arpa/inet.h>
#include <sodium.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "base/clock.h"
#include "base/jsonx.h"
#include "base/num.h"

#define DAY_MS         (86400LL * 1000)
#define EVIDENCE_MAX   256
#define USER_AGENT_MAX 512
#define CONSENTS_MAX   16

const char *const consent_purposes[CONSENT_PURPOSES + 1] = {
    "pd_processing", "ads", "third_party_transfer", "distribution", NULL};
const char *const ads_channels[ADS_CHANNELS + 1] = {"sms",       "email",      "push",
                                                    "messenger", "phone_call", NULL};

static bool in(const char *s, const char *const *set, size_t n)
{
    for (size_t i = 0; s != NULL && i < n; i++) {
        if (strcmp(s, set[i]) == 0) {
            return true;
        }
    }
    return false;
}

bool consent_purpose_valid(const char *p)
{
    return in(p, consent_purposes, CONSENT_PURPOSES);
}

bool ads_channel_valid(const char *c)
{
    return in(c, ads_channels, ADS_CHANNELS);
}

bool consent_key_valid(const char *k)
{
    size_t n = k ? strlen(k) : 0;
    if (n == 0 || n > 40) {
        return false;
    }
    for (size_t i = 0; i < n; i++) {
        char c = k[i];
        if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-')) {
            return false;
        }
    }
    return true;
}

/* ---- settings ----------------------------------------------------------------------------- */

static enum kt_rc meta_int(struct store_conn *c, const char *key, int64_t def, int64_t *out,
                           struct arena *a, struct kt_err *err)
{
    const char *v;
    bool set;
    enum kt_rc rc = store_meta_get(c, key, a, &v, &set, err);
    if (rc == KT_OK && (!set || !num_parse_cstr(v, INT32_MIN, INT32_MAX, out))) {
        *out = def;
    }
    return rc;
}

/* The settings that are texts, by their key in meta; "" stored is not set (NULL). */
static const struct {
    const char *key;
    size_t off; /* of the `const char *` in struct privacy_settings */
} setting_texts[] = {
    {"privacy.public_url", offsetof(struct privacy_settings, public_url)},
    {"privacy.operator_name", offsetof(struct privacy_settings, operator_name)},
    {"privacy.operator_address", offsetof(struct privacy_settings, operator_address)},
    {"privacy.operator_inn", offsetof(struct privacy_settings, operator_inn)},
    {"privacy.operator_ogrn", offsetof(struct privacy_settings, operator_ogrn)},
    {"privacy.processor_name", offsetof(struct privacy_settings, processor_name)},
    {"privacy.processor_address", offsetof(struct privacy_settings, processor_address)},
    {"privacy.information_system", offsetof(struct privacy_settings, information_system)},
    {"privacy.responsible_name", offsetof(struct privacy_settings, responsible_name)},
    {"privacy.responsible_position", offsetof(struct privacy_settings, responsible_position)},
};
#define SETTING_TEXT(s, i) ((const char **)((char *)(s) + setting_texts[i].off))

enum kt_rc privacy_settings_get(struct store_conn *c, struct arena *a, struct privacy_settings *s,
                                struct kt_err *err)
{
    int64_t strict = 1, delay = 30, years = 0;
    enum kt_rc rc = meta_int(c, "privacy.strict", 1, &strict, a, err);
    if (rc == KT_OK) {
        rc = meta_int(c, "privacy.erase_delay_days", 30, &delay, a, err);
    }
    if (rc == KT_OK) {
        rc = meta_int(c, "privacy.retention_years", 0, &years, a, err);
    }
    memset(s, 0, sizeof(*s));
    for (size_t i = 0; rc == KT_OK && i < sizeof(setting_texts) / sizeof(setting_texts[0]); i++) {
        const char *v = NULL;
        bool set = false;
        rc = store_meta_get(c, setting_texts[i].key, a, &v, &set, err);
        *SETTING_TEXT(s, i) = set && v[0] ? v : NULL;
    }
    s->strict = strict != 0;
    s->erase_delay_days = (int)delay;
    s->retention_years = (int)years;
    return rc;
}

enum kt_rc privacy_settings_put(struct store_conn *w, const struct privacy_settings *s,
                                struct kt_err *err)
{
    char v[32];
    kt_snprintf(v, sizeof(v), "%d", s->strict ? 1 : 0);
    enum kt_rc rc = store_meta_put(w, "privacy.strict", v, err);
    kt_snprintf(v, sizeof(v), "%d", s->erase_delay_days);
    if (rc == KT_OK) {
        rc = store_meta_put(w, "privacy.erase_delay_days", v, err);
    }
    kt_snprintf(v, sizeof(v), "%d", s->retention_years);
    if (rc == KT_OK) {
        rc = store_meta_put(w, "privacy.retention_years", v, err);
    }
    for (size_t i = 0; rc == KT_OK && i < sizeof(setting_texts) / sizeof(setting_texts[0]); i++) {
        const char *t = *SETTING_TEXT((struct privacy_settings *)s, i);
        rc = store_meta_put(w, setting_texts[i].key, t ? t : "", err);
    }
    return rc;
}

/* ---- documents ---------------------------------------------------------------------------- */

enum kt_rc consent_doc_publish(struct store_conn *w, struct consent_doc *d, int64_t now,
                               struct arena *out, struct kt_err *err)
{
    struct arena a;
    arena_init(&a, 0);
    struct consent_doc last;
    bool published;
    enum kt_rc rc = store_doc_get(w, d->key, 0, &a, &last, &published, err);
    if (rc == KT_OK && published && strcmp(last.purpose, d->purpose) != 0) {
        rc = kt_err_set(err, KT_ECONFLICT, "purpose_changed", "purpose",
                        "a new version of a document keeps its purpose ('%s'); publish a new "
                        "document for another purpose",
                        last.purpose);
    }
    if (rc != KT_OK) {
        arena_release(&a);
        return rc;
    }
    d->version = published ? last.version + 1 : 1;
    arena_release(&a);
    unsigned char h[crypto_hash_sha256_BYTES];
    crypto_hash_sha256(h, (const unsigned char *)d->body, strlen(d->body));
    char *x = arena_alloc(out, 2 * sizeof(h) + 1);
    sodium_bin2hex(x, 2 * sizeof(h) + 1, h, sizeof(h));
    d->sha256 = x;
    d->published_at = now;
    rc = store_doc_put(w, d, err);
    return rc;
}

/* ---- decoding ----------------------------------------------------------------------------- */

static enum kt_rc bad(struct kt_err *err, struct arena *a, size_t i, const char *member,
                      const char *code, const char *msg)
{
    const char *field = member ? arena_printf(a, "consents[%zu].%s", i, member)
                               : arena_printf(a, "consents[%zu]", i);
    return kt_err_set(err, KT_EINVAL, code, field, "%s", msg);
}

static bool web_like(const char *source)
{
    static const char *const s[] = {"web", "app", "qr_form", "tablet"};
    return in(source, s, 4);
}

static bool desk_like(const char *source)
{
    static const char *const s[] = {"pos", "call_center"};
    return in(source, s, 2);
}

static enum kt_rc decode_evidence(const json_t *ev, size_t i, struct consent_input *c,
                                  struct arena *a, struct kt_err *err)
{
    if (ev == NULL) {
        return KT_OK;
    }
    if (!json_is_object(ev)) {
        const char *field = arena_printf(a, "consents[%zu].evidence", i);
        return kt_err_set(err, KT_EINVAL, "wrong_type", field, "'%s' must be an object", field);
    }
    const char *key;
    const json_t *v;
    json_object_foreach((json_t *)ev, key, v)
    {
        static const char *const known[] = {"form_id",     "otp_id", "paper_form",
                                            "legal_basis", "ip",     "user_agent"};
        const char **slot[] = {&c->form_id,     &c->otp_id, &c->paper_form,
                               &c->legal_basis, &c->ip,     &c->user_agent};
        size_t k = 0;
        while (k < 6 && strcmp(key, known[k]) != 0) {
            k++;
        }
        const char *member = arena_printf(a, "evidence.%s", key);
        if (k == 6) {
            return bad(err, a, i, member, "unknown_field", "unknown member of the evidence");
        }
        size_t max = k == 5 ? USER_AGENT_MAX : EVIDENCE_MAX;
        const char *field = arena_printf(a, "consents[%zu].%s", i, member);
        if (jsonx_str_at(v, field, max, JSONX_REQUIRED, a, slot[k], err) != KT_OK) {
            return err->rc;
        }
    }
    if (c->ip != NULL) {
        unsigned char buf[16];
        if (inet_pton(AF_INET, c->ip, buf) != 1 && inet_pton(AF_INET6, c->ip, buf) != 1) {
            return bad(err, a, i, "evidence.ip", "invalid_ip",
                       "evidence.ip must be an IPv4 or IPv6 address");
        }
    }
    return KT_OK;
}

/* What a grant through `source` must prove. */
static enum kt_rc check_evidence(const struct consent_input *c, const char *source, size_t i,
                                 struct arena *a, struct kt_err *err)
{
    if (web_like(source)) {
        if (c->form_id == NULL) {
            return bad(err, a, i, "evidence.form_id", "evidence_required",
                       "a consent given through a web page, app, QR form or tablet names the "
                       "form it was given on (evidence.form_id)");
        }
        if (c->legal_basis != NULL) {
            return bad(err, a, i, "evidence.legal_basis", "evidence_not_allowed",
                       "a legal basis is stated by imports and administrators, not by forms");
        }
        return KT_OK;
    }
    if (desk_like(source)) {
        if (c->otp_id == NULL && c->paper_form == NULL) {
            return bad(err, a, i, "evidence", "evidence_required",
                       "at the cash desk or the call centre a consent is proven by the SMS code "
                       "confirmation (evidence.otp_id) or a signed paper form "
                       "(evidence.paper_form)");
        }
        return KT_OK;
    }
    if (c->paper_form == NULL && c->legal_basis == NULL && c->otp_id == NULL &&
        c->form_id == NULL) {
        return bad(err, a, i, "evidence", "evidence_required",
                   "a consent needs its evidence: a paper form number, a form id, an SMS code "
                   "confirmation or a stated legal basis");
    }
    return KT_OK;
}

static enum kt_rc decode_one(const json_t *o, size_t i, const char *source, int64_t now,
                             struct arena *a, struct consent_input *c, struct kt_err *err)
{
    memset(c, 0, sizeof(*c));
    if (!json_is_object(o)) {
        return bad(err, a, i, NULL, "wrong_type", "each consent is an object");
    }
    const char *key;
    const json_t *v;
    json_object_foreach((json_t *)o, key, v)
    {
        static const char *const known[] = {"purpose", "channel", "document",
                                            "granted", "at",      "evidence"};
        if (!in(key, known, 6)) {
            return bad(err, a, i, arena_strdup(a, key), "unknown_field", "unknown member");
        }
    }
    const char *path = arena_printf(a, "consents[%zu]", i);
    if (jsonx_enum(o, path, "purpose", consent_purposes, JSONX_REQUIRED, &c->purpose, err) !=
        KT_OK) {
        return err->rc;
    }
    const json_t *ch = json_object_get(o, "channel");
    if (strcmp(c->purpose, "ads") == 0) {
        if (jsonx_enum(o, path, "channel", ads_channels, JSONX_REQUIRED, &c->channel, err) !=
            KT_OK) {
            return err->rc;
        }
    } else if (ch != NULL) {
        return bad(err, a, i, "channel", "unexpected_field", "only ads consents have a channel");
    } else {
        c->channel = "";
    }
    c->at = now;
    const char *s = NULL;
    if (jsonx_bool(o, path, "granted", JSONX_REQUIRED, &c->granted, err) != KT_OK ||
        jsonx_time(o, path, "at", now, 0, &c->at, err) != KT_OK ||
        jsonx_str(o, path, "document", EVIDENCE_MAX, 0, a, &s, err) != KT_OK) {
        return err->rc;
    }
    if (s != NULL) {
        const char *at_sign = strchr(s, '@');
        char *k = arena_strndup(a, s, at_sign ? (size_t)(at_sign - s) : strlen(s));
        if (!consent_key_valid(k) ||
            (at_sign && !num_parse_cstr(at_sign + 1, 1, INT32_MAX, &c->doc_version))) {
            return bad(err, a, i, "document", "invalid_document",
                       "document is written name@version (or name for the latest), e.g. "
                       "loyalty-pd@3");
        }
        c->doc_key = k;
    }
    enum kt_rc rc = decode_evidence(json_object_get(o, "evidence"), i, c, a, err);
    if (rc != KT_OK || !c->granted) {
        return rc;
    }
    if (c->doc_key == NULL) {
        return bad(err, a, i, "document", "missing_field",
                   "a consent is given to a published document: name it as name@version");
    }
    return check_evidence(c, source, i, a, err);
}

enum kt_rc consent_decode(const json_t *arr, const char *source, int64_t now, struct arena *a,
                          struct consent_input **out, size_t *n, struct kt_err *err)
{
    *out = NULL;
    *n = 0;
    if (arr == NULL) {
        return KT_OK;
    }
    if (!json_is_array(arr)) {
        return kt_err_set(err, KT_EINVAL, "wrong_type", "consents",
                          "'consents' must be an array of consent decisions");
    }
    if (json_array_size(arr) > CONSENTS_MAX) {
        return kt_err_set(err, KT_EINVAL, "too_many", "consents",
                          "'consents' holds more than %d decisions", CONSENTS_MAX);
    }
    size_t cnt = json_array_size(arr);
    struct consent_input *c = arena_alloc(a, (cnt ? cnt : 1) * sizeof(*c));
    for (size_t i = 0; i < cnt; i++) {
        enum kt_rc rc = decode_one(json_array_get(arr, i), i, source, now, a, &c[i], err);
        if (rc != KT_OK) {
            return rc;
        }
        for (size_t j = 0; j < i; j++) {
            if (strcmp(c[j].purpose, c[i].purpose) == 0 &&
                strcmp(c[j].channel, c[i].channel) == 0) {
                return bad(err, a, i, "purpose", "duplicate_consent",
                           "one decision per purpose and channel in a request");
            }
        }
    }
    *out = c;
    *n = cnt;
    return KT_OK;
}

bool consent_grants_pd(const struct consent_input *in_, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (in_[i].granted && strcmp(in_[i].purpose, "pd_processing") == 0) {
            return true;
        }
    }
    return false;
}

/* ---- recording ---------------------------------------------------------------------------- */

static void fill_actor(struct consent_event *e, const struct consent_actor *who, int64_t now)
{
    e->recorded_at = now;
    e->source = who->source;
    e->store_id = who->store_id;
    e->operator_id = who->operator_id;
    e->key_id = who->key_id;
    e->request_id = who->request_id;
}

static enum kt_rc schedule_erase(struct store_conn *w, int64_t ck, int64_t now, int64_t *due,
                                 struct kt_err *err)
{
    struct arena a;
    arena_init(&a, 0);
    struct privacy_settings s;
    enum kt_rc rc = privacy_settings_get(w, &a, &s, err);
    arena_release(&a);
    int64_t pending;
    bool scheduled;
    if (rc == KT_OK) {
        rc = store_due_pending(w, ck, "erase", &pending, &scheduled, err);
        if (rc != KT_OK) {
            return rc;
        }
        if (scheduled) { /* the earlier date stands */
            if (due) {
                *due = pending;
            }
            return KT_OK;
        }
        struct due_item d = {0, "erase", ck, now + s.erase_delay_days * DAY_MS, "withdrawal", now};
        rc = store_due_add(w, &d, err);
        if (rc == KT_OK && due) {
            *due = d.due_at;
        }
    }
    return rc;
}

enum kt_rc consent_record(struct store_conn *w, int64_t ck, const struct consent_input *inp,
                          size_t n, const struct consent_actor *who, int64_t now,
                          int64_t *erase_due, struct kt_err *err)
{
    struct arena a;
    arena_init(&a, 0);
    enum kt_rc rc = KT_OK;
    if (erase_due) {
        *erase_due = 0;
    }
    for (size_t i = 0; i < n && rc == KT_OK; i++) {
        const struct consent_input *c = &inp[i];
        struct consent_event e;
        memset(&e, 0, sizeof(e));
        e.ck = ck;
        e.purpose = c->purpose;
        e.channel = c->channel;
        e.action = c->granted ? "grant" : "withdraw";
        e.at = c->at;
        e.form_id = c->form_id;
        e.otp_id = c->otp_id;
        if (c->otp_id != NULL) { /* a code this customer's phone confirmed, not any text */
            struct otp_code code;
            bool sent;
            rc = store_otp_get(w, c->otp_id, &a, &code, &sent, err);
            if (rc == KT_OK && (!sent || code.ck != ck || code.verified_at == 0)) {
                rc = kt_err_set(err, KT_EINVAL, "otp_not_verified",
                                arena_printf(&a, "consents[%zu].evidence.otp_id", i),
                                "the code was not confirmed by this customer's phone");
            }
            if (rc != KT_OK) {
                break;
            }
        }
        e.paper_form = c->paper_form;
        e.legal_basis = c->legal_basis;
        e.message_id = c->message_id;
        e.ip = c->ip;
        e.user_agent = c->user_agent;
        fill_actor(&e, who, now);
        if (c->doc_key != NULL) {
            struct consent_doc d;
            bool published;
            rc = store_doc_get(w, c->doc_key, c->doc_version, &a, &d, &published, err);
            if (rc == KT_OK && !published) {
                rc = kt_err_set(err, KT_EINVAL, "document_not_found",
                                arena_printf(&a, "consents[%zu].document", i),
                                "no consent document '%s'%s is published", c->doc_key,
                                c->doc_version ? " in that version" : "");
            }
            if (rc != KT_OK) {
                break;
            }
            if (strcmp(d.purpose, c->purpose) != 0) {
                rc =
                    kt_err_set(err, KT_EINVAL, "document_purpose_mismatch",
                               arena_printf(&a, "consents[%zu].document", i),
                               "the document is for purpose '%s', not '%s'", d.purpose, c->purpose);
                break;
            }
            e.doc_key = d.key;
            e.doc_version = d.version;
            e.doc_sha256 = d.sha256;
            e.expires_at = c->granted && d.term_days > 0 ? c->at + d.term_days * DAY_MS : 0;
        }
        rc = store_consent_add(w, &e, err);
        if (rc == KT_OK && strcmp(c->purpose, "pd_processing") == 0) {
            rc = c->granted ? store_due_cancel(w, ck, "erase", now, err)
                            : schedule_erase(w, ck, now, erase_due, err);
        }
        if (rc == KT_OK && strcmp(c->purpose, "ads") == 0 && !c->granted) {
            /* The topics of the channel stop at once (subs_states derives it too; the events
             * make the history say so). */
            int changed;
            rc = subs_set(w, ck, NULL, c->channel, false, "consent_withdrawn", who, now, &changed,
                          err);
        }
        if (rc == KT_OK && !who->bulk) {
            rc = audit_write(w, who->key_id, "consent", who->subject, c->purpose,
                             arena_printf(&a, "%s %s%s%s", e.action, c->purpose,
                                          c->channel[0] ? ":" : "", c->channel),
                             who->request_id, now, err);
        }
    }
    arena_release(&a);
    return rc;
}

enum kt_rc consent_mark_pending(struct store_conn *w, int64_t ck, const struct consent_actor *who,
                                int64_t now, struct kt_err *err)
{
    struct arena a;
    arena_init(&a, 0);
    struct consent_event *ev;
    size_t n;
    enum kt_rc rc = store_consent_list(w, ck, &a, &ev, &n, err);
    bool any = false;
    for (size_t i = 0; rc == KT_OK && i < n; i++) {
        any = any || strcmp(ev[i].purpose, "pd_processing") == 0;
    }
    if (rc == KT_OK && !any) {
        struct consent_event e;
        memset(&e, 0, sizeof(e));
        e.ck = ck;
        e.purpose = "pd_processing";
        e.channel = "";
        e.action = "pending";
        e.at = now;
        fill_actor(&e, who, now);
        rc = store_consent_add(w, &e, err);
    }
    arena_release(&a);
    return rc;
}

/* ---- state -------------------------------------------------------------------------------- */

/* True when a version after `version` of document `key` asks for re-consent. */
static bool outdated(const struct consent_doc *docs, size_t n, const char *key, int64_t version)
{
    for (size_t i = 0; key != NULL && i < n; i++) {
        if (docs[i].reconsent && docs[i].version > version && strcmp(docs[i].key, key) == 0) {
            return true;
        }
    }
    return false;
}

enum kt_rc consent_states(struct store_conn *c, int64_t ck, int64_t now, struct arena *a,
                          struct consent_state **out, size_t *n, struct kt_err *err)
{
    struct consent_event *ev;
    struct consent_doc *docs;
    size_t n_ev, n_docs;
    enum kt_rc rc = store_consent_list(c, ck, a, &ev, &n_ev, err);
    if (rc == KT_OK) {
        rc = store_doc_list(c, a, &docs, &n_docs, err);
    }
    if (rc != KT_OK) {
        return rc;
    }
    size_t cnt = CONSENT_PURPOSES - 1 + ADS_CHANNELS;
    struct consent_state *s = arena_alloc(a, cnt * sizeof(*s));
    size_t k = 0;
    for (size_t p = 0; p < CONSENT_PURPOSES; p++) {
        bool ads = strcmp(consent_purposes[p], "ads") == 0;
        for (size_t ch = 0; ch < (ads ? ADS_CHANNELS : 1); ch++) {
            struct consent_state *st = &s[k++];
            st->purpose = consent_purposes[p];
            st->channel = ads ? ads_channels[ch] : "";
            st->state = "not_given";
            st->last = NULL;
            st->expires_at = 0;
            for (size_t i = 0; i < n_ev; i++) { /* oldest first: the last one wins */
                if (strcmp(ev[i].purpose, st->purpose) == 0 &&
                    strcmp(ev[i].channel, st->channel) == 0) {
                    st->last = &ev[i];
                }
            }
            const struct consent_event *e = st->last;
            if (e == NULL) {
                continue;
            }
            if (strcmp(e->action, "withdraw") == 0) {
                st->state = "withdrawn";
            } else if (strcmp(e->action, "pending") == 0) {
                st->state = "pending";
            } else if (e->expires_at != 0 && e->expires_at <= now) {
                st->state = "expired";
                st->expires_at = e->expires_at;
            } else if (outdated(docs, n_docs, e->doc_key, e->doc_version)) {
                st->state = "outdated";
            } else {
                st->state = "given";
                st->expires_at = e->expires_at;
            }
        }
    }
    *out = s;
    *n = k;
    return KT_OK;
}

const struct consent_state *consent_find(const struct consent_state *s, size_t n,
                                         const char *purpose, const char *channel)
{
    for (size_t i = 0; i < n; i++) {
        if (strcmp(s[i].purpose, purpose) == 0 &&
            strcmp(s[i].channel, channel ? channel : "") == 0) {
            return &s[i];
        }
    }
    return NULL;
}
