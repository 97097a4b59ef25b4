/*
 * template_store.c - stored message templates: decoding and compiling a version, saving it as the
 * next version only when it changed, the variables no context holds (warned at save time, never
 * refused: a template may be saved before the attribute it names is declared), the context a
 * template renders against, and a render of every part for the preview.
 *
 * The context is built here once (msg_context_json) so that the preview and the outbox show the
 * same values. Not here: sending (smtp.c, webhook.c, sms.c) and who may be sent to (the policy).
 */
#include <string.h>

#include "auth/links.h"
#include "base/clock.h"
#include "base/jsonx.h"
#include "base/tz.h"
#include "deliver/sms.h"
#include "deliver/template_store.h"
#include "identity/identity.h"
#include "loyalty/ledger.h"

const char *const msg_channels[] = {"email", "sms", "push", NULL};

static void decref(void *p)
{
    json_decref(p);
}

/* `v` freed with the arena. */
static json_t *own(struct arena *a, json_t *v)
{
    if (v != NULL) {
        arena_defer(a, decref, v);
    }
    return v;
}

struct channel_parts {
    const char *channel;
    const char *part[MSG_TPL_PARTS_MAX + 1]; /* NULL-terminated */
    enum template_kind kind[MSG_TPL_PARTS_MAX];
    unsigned required; /* bit i: part[i] must be given */
};

static const struct channel_parts channels[] = {
    {"email", {"subject", "html", "text", NULL}, {TEMPLATE_TEXT, TEMPLATE_HTML, TEMPLATE_TEXT}, 1},
    {"sms", {"text", NULL, NULL, NULL}, {TEMPLATE_TEXT}, 1},
    {"push", {"title", "body", NULL, NULL}, {TEMPLATE_TEXT, TEMPLATE_TEXT}, 3},
};

static const struct channel_parts *channel_of(const char *channel)
{
    for (size_t i = 0; i < sizeof(channels) / sizeof(channels[0]); i++) {
        if (strcmp(channels[i].channel, channel) == 0) {
            return &channels[i];
        }
    }
    return NULL;
}

bool msg_tpl_name_valid(const char *name)
{
    size_t n = name ? strlen(name) : 0;
    if (n == 0 || n > MSG_TPL_NAME_MAX) {
        return false;
    }
    for (size_t i = 0; i < n; i++) {
        char c = name[i];
        if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-')) {
            return false;
        }
    }
    return true;
}

void msg_tpl_release(struct msg_tpl *t)
{
    for (size_t i = 0; i < t->n; i++) {
        template_free(t->t[i]);
        t->t[i] = NULL;
    }
    t->n = 0;
}

/* Compiles the parts present in `parts` (an object of strings) into `out`. */
static enum kt_rc compile_parts(const struct channel_parts *cp, const json_t *parts,
                                struct msg_tpl *out, struct template_pos *pos, struct kt_err *err)
{
    for (size_t i = 0; cp->part[i] != NULL; i++) {
        const json_t *v = json_object_get(parts, cp->part[i]);
        if (v == NULL) {
            continue;
        }
        struct template *t;
        if (template_compile(json_string_value(v), json_string_length(v), cp->kind[i], &t, pos,
                             err) != KT_OK) {
            snprintf(err->field, sizeof(err->field), "%s", cp->part[i]);
            msg_tpl_release(out);
            return err->rc;
        }
        out->part[out->n] = cp->part[i];
        out->t[out->n++] = t;
    }
    return KT_OK;
}

enum kt_rc msg_tpl_decode(const char *name, const json_t *body, struct arena *a,
                          struct msg_tpl *out, struct template_pos *pos, struct kt_err *err)
{
    memset(out, 0, sizeof(*out));
    *pos = (struct template_pos){0, 0};
    if (!msg_tpl_name_valid(name)) {
        return kt_err_set(err, KT_EINVAL, "invalid_value", "name",
                          "a template's name is 1-64 of a-z, 0-9, '_' and '-'");
    }
    const char *channel;
    if (jsonx_enum(body, "", "channel", msg_channels, JSONX_REQUIRED, &channel, err) != KT_OK) {
        return err->rc;
    }
    const struct channel_parts *cp = channel_of(channel);
    const char *known[MSG_TPL_PARTS_MAX + 2] = {"channel"};
    json_t *parts = own(a, json_object());
    for (size_t i = 0; cp->part[i] != NULL; i++) {
        known[i + 1] = cp->part[i];
    }
    if (json_only_members(body, known, "", a, err) != KT_OK) {
        return err->rc;
    }
    for (size_t i = 0; cp->part[i] != NULL; i++) {
        const char *text = NULL;
        unsigned flags = (cp->required & (1u << i)) ? JSONX_REQUIRED : 0;
        if (jsonx_str(body, "", cp->part[i], TEMPLATE_TEXT_MAX, flags, a, &text, err) != KT_OK) {
            return err->rc;
        }
        if (text != NULL) {
            json_object_set_new(parts, cp->part[i], json_string(text));
        }
    }
    if (strcmp(channel, "email") == 0 && json_object_get(parts, "html") == NULL &&
        json_object_get(parts, "text") == NULL) {
        return kt_err_set(err, KT_EINVAL, "missing_field", "text",
                          "an e-mail template needs 'html', 'text' or both");
    }
    char *dump = json_dumps(parts, JSON_COMPACT | JSON_SORT_KEYS);
    out->row =
        (struct msg_template){.name = name, .channel = channel, .parts = arena_strdup(a, dump)};
    free(dump);
    return compile_parts(cp, parts, out, pos, err);
}

enum kt_rc msg_tpl_compile(const struct msg_template *row, struct msg_tpl *out, struct kt_err *err)
{
    memset(out, 0, sizeof(*out));
    out->row = *row;
    const struct channel_parts *cp = channel_of(row->channel);
    json_t *parts = json_loads(row->parts, 0, NULL);
    struct template_pos pos;
    enum kt_rc rc = cp == NULL || !json_is_object(parts)
                        ? kt_err_set(err, KT_EINTERNAL, "internal", NULL,
                                     "stored template '%s' is not readable", row->name)
                        : compile_parts(cp, parts, out, &pos, err);
    json_decref(parts);
    return rc;
}

enum kt_rc msg_tpl_save(struct store_conn *w, struct msg_template *row, struct arena *a,
                        bool *added, struct kt_err *err)
{
    struct msg_template last;
    bool found = false;
    *added = false;
    if (store_template_get(w, row->name, 0, a, &last, &found, err) != KT_OK) {
        return err->rc;
    }
    if (found && strcmp(last.channel, row->channel) == 0 && strcmp(last.parts, row->parts) == 0) {
        *row = last; /* the same body again: that version, nothing written */
        return KT_OK;
    }
    row->version = found ? last.version + 1 : 1;
    *added = true;
    return store_template_put(w, row, err);
}

/* ---- the variables a template names -----------------------------------------------------------
 */

static const char *const points_names[] = {"points",
                                           "points.balance",
                                           "points.pending",
                                           "points.next_expiry",
                                           "points.next_expiry.date",
                                           "points.next_expiry.points",
                                           NULL};
static const char *const store_names[] = {"store",      "store.code",      "store.title",
                                          "store.city", "store.time_zone", NULL};

static bool in_list(const char *const *list, const char *name)
{
    for (size_t i = 0; list[i] != NULL; i++) {
        if (strcmp(list[i], name) == 0) {
            return true;
        }
    }
    return false;
}

static bool has_prefix(const char *name, const char *prefix)
{
    size_t n = strlen(prefix);
    return strncmp(name, prefix, n) == 0 && (name[n] == '\0' || name[n] == '.');
}

/* Whether a context holds `name` (from the top). */
static bool known_name(const char *name, const struct attr_def *attrs, size_t n_attrs)
{
    if (has_prefix(name, "context") || has_prefix(name, "traits") || has_prefix(name, "wallet") ||
        strcmp(name, "customer_id") == 0 || in_list(points_names, name) ||
        in_list(store_names, name) || strcmp(name, "attributes") == 0) {
        return true;
    }
    for (int f = 0; f < PF_COUNT; f++) {
        if (strcmp(name, pf_names[f]) == 0) {
            return true;
        }
    }
    if (strncmp(name, "attributes.", 11) == 0) {
        for (size_t i = 0; i < n_attrs; i++) {
            if (has_prefix(name + 11, attrs[i].name)) {
                return true;
            }
        }
    }
    return false;
}

/* A name inside a section may be a member of the section's value (a list's items): known when
 * the section is the message's context (its shape is the caller's) or section.name is known. */
static bool known_var(const struct template_var *v, const struct attr_def *attrs, size_t n,
                      struct arena *a)
{
    if (known_name(v->name, attrs, n)) {
        return true;
    }
    if (v->section == NULL) {
        return false;
    }
    return has_prefix(v->section, "context") ||
           known_name(arena_printf(a, "%s.%s", v->section, v->name), attrs, n);
}

enum kt_rc msg_tpl_unknown_vars(struct store_conn *c, const struct msg_tpl *t, struct arena *a,
                                json_t **out, struct kt_err *err)
{
    struct attr_def *attrs;
    size_t n_attrs;
    if (store_attr_list(c, a, &attrs, &n_attrs, err) != KT_OK) {
        return err->rc;
    }
    json_t *list = json_array();
    for (size_t p = 0; p < t->n; p++) {
        const struct template_var *vars;
        size_t nv = template_vars(t->t[p], &vars);
        for (size_t i = 0; i < nv; i++) {
            if (!known_var(&vars[i], attrs, n_attrs, a)) {
                json_array_append_new(list, json_pack("{s:s, s:s, s:i, s:i}", "field", t->part[p],
                                                      "name", vars[i].name, "line", vars[i].line,
                                                      "column", vars[i].column));
            }
        }
    }
    *out = list;
    return KT_OK;
}

/* ---- the context --------------------------------------------------------------------------------
 */

/* {balance, pending, next_expiry: {date, points}}: the date is the customer's local day. */
static enum kt_rc points_json(struct store_conn *c, int64_t ck, int64_t now, struct arena *a,
                              json_t *ctx, struct kt_err *err)
{
    struct ledger_entry *e;
    size_t n;
    if (store_ledger_list(c, ck, a, &e, &n, err) != KT_OK) {
        return err->rc;
    }
    struct points_balance b;
    loyalty_balance(e, n, now, &b);
    json_t *p = json_pack("{s:I, s:I}", "balance", (json_int_t)b.available, "pending",
                          (json_int_t)b.pending);
    json_object_set_new(ctx, "points", p);
    if (b.next_expiry_at == 0) {
        return KT_OK;
    }
    struct ident_zone z;
    if (ident_time_zone(c, ck, a, &z, err) != KT_OK) {
        return err->rc;
    }
    struct tz_local l;
    tz_local(z.zone, b.next_expiry_at, &l);
    json_object_set_new(
        p, "next_expiry",
        json_pack("{s:s, s:I}", "date",
                  arena_printf(a, "%04lld-%02u-%02u", (long long)l.year, l.month, l.day), "points",
                  (json_int_t)b.next_expiry_points));
    return KT_OK;
}

static enum kt_rc store_and_traits(struct store_conn *c, int64_t ck, struct arena *a, json_t *ctx,
                                   struct kt_err *err)
{
    struct trait *tr;
    size_t n;
    struct shop sh;
    bool found = false;
    if (store_traits_list(c, ck, a, &tr, &n, err) != KT_OK ||
        store_shop_of_customer(c, ck, a, &sh, &found, err) != KT_OK) {
        return err->rc;
    }
    json_t *traits = json_object();
    for (size_t i = 0; i < n; i++) {
        json_object_set_new(traits, tr[i].name, json_string(tr[i].value ? tr[i].value : ""));
    }
    json_object_set_new(ctx, "traits", traits);
    if (found) {
        json_t *s = json_pack("{s:s, s:s}", "code", sh.code, "time_zone", sh.time_zone);
        if (sh.title != NULL) {
            json_object_set_new(s, "title", json_string(sh.title));
        }
        if (sh.city != NULL) {
            json_object_set_new(s, "city", json_string(sh.city));
        }
        json_object_set_new(ctx, "store", s);
    }
    return KT_OK;
}

enum kt_rc msg_context_json(struct store_conn *c, const struct customer *cu, const json_t *context,
                            const struct msg_links *links, int64_t now, struct arena *a,
                            json_t **out, struct kt_err *err)
{
    json_t *ctx = json_pack("{s:s}", "customer_id", cu->id);
    if (links != NULL && links->k != NULL && links->public_url != NULL) {
        const char *token = links_w_token(links->k, cu->id, now, a);
        json_object_set_new(ctx, "wallet",
                            json_pack("{s:s, s:s}", "apple",
                                      arena_printf(a, "%s/w/%s/apple", links->public_url, token),
                                      "google",
                                      arena_printf(a, "%s/w/%s/google", links->public_url, token)));
    }
    for (int f = 0; f < PF_COUNT; f++) {
        if (cu->val[f] != NULL) {
            json_object_set_new(ctx, pf_names[f], json_string(cu->val[f]));
        }
    }
    json_t *attrs = json_loads(cu->attrs ? cu->attrs : "{}", 0, NULL);
    json_object_set_new(ctx, "attributes", attrs ? attrs : json_object());
    json_object_set_new(ctx, "context", context ? json_deep_copy(context) : json_object());
    if (points_json(c, cu->ck, now, a, ctx, err) != KT_OK ||
        store_and_traits(c, cu->ck, a, ctx, err) != KT_OK) {
        json_decref(ctx);
        return err->rc;
    }
    *out = ctx;
    return KT_OK;
}

/* ---- a render of every part --------------------------------------------------------------------
 */

static void add_warnings(json_t *list, const char *part, const struct template_warnings *w)
{
    for (size_t i = 0; i < w->n; i++) {
        json_array_append_new(list, json_pack("{s:s, s:s, s:s, s:i, s:i}", "field", part, "code",
                                              w->w[i].code, "name", w->w[i].name, "line",
                                              w->w[i].line, "column", w->w[i].column));
    }
}

enum kt_rc msg_tpl_render_json(const struct msg_tpl *t, const json_t *ctx, struct arena *a,
                               json_t **out, struct kt_err *err)
{
    json_t *parts = json_object(), *warnings = json_array();
    enum kt_rc rc = KT_OK;
    struct buf b;
    buf_init(&b, TEMPLATE_OUTPUT_MAX + 1);
    for (size_t i = 0; i < t->n && rc == KT_OK; i++) {
        struct template_warnings w;
        buf_reset(&b);
        rc = template_render(t->t[i], ctx, &b, &w, err);
        if (rc == KT_OK) {
            json_object_set_new(parts, t->part[i], json_stringn(b.p ? b.p : "", b.len));
            add_warnings(warnings, t->part[i], &w);
        } else {
            snprintf(err->field, sizeof(err->field), "%s", t->part[i]);
        }
    }
    buf_release(&b);
    if (rc != KT_OK) {
        json_decref(parts);
        json_decref(warnings);
        return rc;
    }
    json_t *o = json_pack("{s:o, s:o}", "parts", parts, "warnings", warnings);
    if (strcmp(t->row.channel, "sms") == 0) {
        json_object_set_new(o, "sms",
                            msg_sms_json(json_string_value(json_object_get(parts, "text"))));
    }
    (void)a;
    *out = o;
    return KT_OK;
}

json_t *msg_sms_json(const char *text)
{
    int chars, n;
    enum sms_encoding enc;
    sms_parts(text, &chars, &n, &enc);
    return json_pack("{s:i, s:i, s:s}", "length", chars, "parts", n, "encoding",
                     sms_encoding_name(enc));
}

json_t *msg_template_json(struct arena *a, const struct msg_template *row, bool with_parts)
{
    json_t *o =
        json_pack("{s:s, s:I, s:s, s:s}", "name", row->name, "version", (json_int_t)row->version,
                  "channel", row->channel, "created_at", time_rfc3339(a, row->created_at));
    if (with_parts) {
        json_t *p = json_loads(row->parts, 0, NULL);
        json_object_update(o, p ? p : json_object());
        json_decref(p);
    }
    return o;
}
