/*
 * prefs.c - the preferences page's topics and its one-click (prefs.h): a table of the topics and
 * the channels each is sent by, a box per subscription, saved through subs_set as the API saves
 * them; "unsubscribe from all" also withdraws each channel's advertising consent through
 * consent_record (docs/pages-plan.md, "Part 6 (decisions)"). "What we hold" and the erasure
 * request are prefs_rights.c's.
 */
#include "pages/prefs.h"

#include <string.h>

#include "consent/consent.h"
#include "pages/csrf.h"

#define VIA "unsubscribe_page" /* the subscription events' `via`, as before the page kit */

/* The channels as the page names them. */
static const struct {
    const char *key, *label;
} channel_labels[] = {
    {"sms", "SMS"},           {"email", "Эл. почта"}, {"push", "Push"}, {"messenger", "Мессенджер"},
    {"phone_call", "Звонок"},
};

static const char *channel_label(const char *key)
{
    for (size_t i = 0; i < sizeof(channel_labels) / sizeof(channel_labels[0]); i++) {
        if (strcmp(channel_labels[i].key, key) == 0) {
            return channel_labels[i].label;
        }
    }
    return key;
}

enum kt_rc pages_prefs_customer(struct store_conn *c, const char *customer_id, struct arena *a,
                                struct customer *cu, bool *gone, struct kt_err *err)
{
    bool found = false;
    if (store_customer_get_by_id(c, customer_id, a, cu, &found, err) != KT_OK) {
        return err->rc;
    }
    *gone = !found || cu->erased_at != 0;
    return KT_OK;
}

static const char *topic_title(const struct topic *t, size_t n, const char *key)
{
    for (size_t i = 0; i < n; i++) {
        if (strcmp(t[i].key, key) == 0) {
            return t[i].title;
        }
    }
    return key;
}

/* Whether the advertising consent of `channel` is given. */
static bool ads_given(const struct consent_state *cs, size_t n, const char *channel)
{
    const struct consent_state *s = consent_find(cs, n, "ads", channel);
    return s != NULL && strcmp(s->state, "given") == 0;
}

enum kt_rc pages_prefs_view(struct store_conn *c, const struct key_secret *k,
                            const struct customer *cu, const char *base, const char *done,
                            int64_t now, struct arena *a, json_t **ctx, struct kt_err *err)
{
    struct sub_state *s;
    struct topic *t;
    struct consent_state *cs;
    size_t n, n_t, n_cs;
    *ctx = NULL;
    if (subs_states(c, cu->ck, now, a, &s, &n, err) != KT_OK ||
        store_topic_list(c, a, &t, &n_t, err) != KT_OK ||
        consent_states(c, cu->ck, now, a, &cs, &n_cs, err) != KT_OK) {
        return err->rc;
    }
    bool used[ADS_CHANNELS] = {false};
    for (size_t i = 0; i < n; i++) {
        for (size_t ch = 0; ch < ADS_CHANNELS; ch++) {
            used[ch] = used[ch] || strcmp(s[i].channel, ads_channels[ch]) == 0;
        }
    }
    json_t *channels = json_array(), *topics = json_array(), *no_consent = json_array();
    for (size_t ch = 0; ch < ADS_CHANNELS; ch++) {
        if (used[ch]) {
            json_array_append_new(channels,
                                  json_pack("{s:s}", "label", channel_label(ads_channels[ch])));
            if (!ads_given(cs, n_cs, ads_channels[ch])) {
                json_array_append_new(no_consent,
                                      json_pack("{s:s}", "label", channel_label(ads_channels[ch])));
            }
        }
    }
    bool any = false; /* anything for "all" to stop: a subscription or an ads consent */
    for (size_t ch = 0; ch < ADS_CHANNELS; ch++) {
        any = any || ads_given(cs, n_cs, ads_channels[ch]);
    }
    struct buf shown;
    buf_init(&shown, PAGES_FORM_VALUE_MAX); /* it comes back as one value of the form */
    for (size_t i = 0; i < n;) { /* subs_states: a topic's channels together, in ads order */
        const char *key = s[i].topic, *title = topic_title(t, n_t, key);
        json_t *cells = json_array();
        for (size_t ch = 0; ch < ADS_CHANNELS; ch++) {
            if (!used[ch]) {
                continue;
            }
            bool has = i < n && strcmp(s[i].topic, key) == 0 &&
                       strcmp(s[i].channel, ads_channels[ch]) == 0;
            json_t *cell = json_pack("{s:b}", "has", has);
            if (has) {
                const char *v = arena_printf(a, "%s:%s", key, s[i].channel);
                bool open = s[i].subscribed || ads_given(cs, n_cs, s[i].channel);
                json_object_set_new(cell, "value", json_string(v));
                json_object_set_new(cell, "checked", json_boolean(s[i].subscribed));
                json_object_set_new(cell, "disabled", json_boolean(!open));
                json_object_set_new(
                    cell, "label",
                    json_string(arena_printf(a, "%s: %s", title, channel_label(s[i].channel))));
                if (open) { /* a box she cannot change is not hers to save */
                    buf_printf(&shown, "%s%s=%d", shown.len ? " " : "", v, s[i].subscribed);
                }
                any = any || s[i].subscribed;
                i++;
            }
            json_array_append_new(cells, cell);
        }
        json_array_append_new(topics, json_pack("{s:s, s:o}", "title", title, "cells", cells));
    }
    *ctx = json_pack("{s:s, s:s, s:s, s:s, s:o, s:o, s:o, s:b, s:b, s:b, s:b}", "base", base,
                     "csrf", pages_csrf_token(k, PAGES_PREFS_FORM, now, a), "csrf_all",
                     pages_csrf_token(k, PAGES_PREFS_FORM, now, a), "shown", buf_cstr(&shown),
                     "channels", channels, "topics", topics, "no_consent", no_consent, "any", any,
                     "has_topics", n > 0, "saved", done != NULL && strcmp(done, "saved") == 0,
                     "all", done != NULL && strcmp(done, "all") == 0);
    buf_release(&shown);
    return KT_OK;
}

/* Whether the form's boxes include `value` ("topic:channel"). */
static bool ticked(const struct pages_form *f, const char *value)
{
    for (size_t i = 0; i < f->n; i++) {
        if (strcmp(f->name[i], "s") == 0 && strcmp(f->value[i], value) == 0) {
            return true;
        }
    }
    return false;
}

int pages_prefs_shown_as(const char *shown, const char *value)
{
    size_t vl = strlen(value);
    for (const char *p = shown; p != NULL && *p != '\0';) {
        const char *end = strchr(p, ' ');
        size_t len = end ? (size_t)(end - p) : strlen(p);
        if (len == vl + 2 && strncmp(p, value, vl) == 0 && p[vl] == '=' &&
            (p[vl + 1] == '0' || p[vl + 1] == '1')) {
            return p[vl + 1] - '0';
        }
        p = end ? end + 1 : NULL;
    }
    return -1;
}

static enum kt_rc unsub_audit(struct store_conn *w, const char *how, const char *customer_id,
                              const char *topic, const char *channel, const char *request_id,
                              int64_t now, struct arena *a, struct kt_err *err)
{
    return audit_write(
        w, NULL, "unsubscribe", customer_id, NULL,
        arena_printf(a, "%s %s:%s", how, topic ? topic : "*", channel ? channel : "*"), request_id,
        now, err);
}

/* The boxes she changed, each set so unless it is so already. */
static enum kt_rc save(struct store_conn *w, const struct customer *cu,
                       const struct pages_form *form, const struct consent_actor *who, int64_t now,
                       struct arena *a, struct pages_prefs_result *out, struct kt_err *err)
{
    struct sub_state *s;
    size_t n;
    const char *shown = pages_form_get(form, "shown");
    if (subs_states(w, cu->ck, now, a, &s, &n, err) != KT_OK) {
        return err->rc;
    }
    for (size_t i = 0; i < n; i++) {
        const char *v = arena_printf(a, "%s:%s", s[i].topic, s[i].channel);
        int was = pages_prefs_shown_as(shown, v);
        bool want = ticked(form, v);
        if (was < 0 || want == (was == 1) || want == s[i].subscribed) {
            continue; /* not on her page, not changed by her, or so already */
        }
        int changed = 0;
        if (subs_set(w, cu->ck, s[i].topic, s[i].channel, want, VIA, who, now, &changed, err) !=
            KT_OK) {
            return err->rc;
        }
        if (want) {
            out->subscribed += changed;
        } else {
            out->unsubscribed += changed;
            if (unsub_audit(w, "page", cu->id, s[i].topic, s[i].channel, who->request_id, now, a,
                            err) != KT_OK) {
                return err->rc;
            }
        }
    }
    return KT_OK;
}

/* Every topic off, and each channel's advertising consent withdrawn where it is given. */
static enum kt_rc all(struct store_conn *w, const struct customer *cu, const char *ip,
                      const struct consent_actor *who, int64_t now, struct arena *a,
                      struct pages_prefs_result *out, struct kt_err *err)
{
    struct consent_state *cs;
    size_t n_cs;
    if (subs_set(w, cu->ck, NULL, NULL, false, VIA, who, now, &out->unsubscribed, err) != KT_OK ||
        unsub_audit(w, "page", cu->id, NULL, NULL, who->request_id, now, a, err) != KT_OK ||
        consent_states(w, cu->ck, now, a, &cs, &n_cs, err) != KT_OK) {
        return err->rc;
    }
    for (size_t ch = 0; ch < ADS_CHANNELS; ch++) {
        if (!ads_given(cs, n_cs, ads_channels[ch])) {
            continue;
        }
        struct consent_input in = {.purpose = "ads",
                                   .channel = ads_channels[ch],
                                   .granted = false,
                                   .at = now,
                                   .form_id = PAGES_PREFS_FORM,
                                   .ip = ip};
        if (consent_record(w, cu->ck, &in, 1, who, now, NULL, err) != KT_OK) {
            return err->rc;
        }
        out->withdrawn++;
    }
    return KT_OK;
}

enum kt_rc pages_prefs_begin(struct store *s, const struct key_secret *k, const char *form_name,
                             const char *customer_id, const struct pages_form *form, int64_t now,
                             struct arena *a, struct store_conn **w, struct customer *cu,
                             bool *robot, struct kt_err *err)
{
    bool gone = false;
    *robot = false;
    if (store_write_begin(s, w, err) != KT_OK) {
        return err->rc;
    }
    enum kt_rc rc = pages_prefs_customer(*w, customer_id, a, cu, &gone, err);
    if (rc == KT_OK && gone) {
        rc = kt_err_set(err, KT_ENOTFOUND, "customer_not_found", NULL, "customer not found");
    }
    rc = rc == KT_OK ? pages_csrf_spend(*w, k, form_name, pages_form_get(form, "csrf"), now, err)
                     : rc;
    const char *honey = pages_form_get(form, "website");
    *robot = rc == KT_OK && honey != NULL && honey[0] != '\0'; /* thanked, nothing kept */
    if (rc != KT_OK || *robot) {
        rc = store_write_end(*w, rc, err);
        *w = NULL;
    }
    return rc;
}

enum kt_rc pages_prefs_submit(struct store *s, const struct key_secret *k, const char *customer_id,
                              const struct pages_form *form, const char *ip, const char *request_id,
                              int64_t now, struct arena *a, struct pages_prefs_result *out,
                              struct kt_err *err)
{
    struct store_conn *w;
    struct customer cu;
    bool robot = false;
    *out = (struct pages_prefs_result){0};
    if (pages_prefs_begin(s, k, PAGES_PREFS_FORM, customer_id, form, now, a, &w, &cu, &robot,
                          err) != KT_OK) {
        return err->rc;
    }
    if (robot) {
        out->done = "saved";
        return KT_OK;
    }
    const char *action = pages_form_get(form, "action");
    struct consent_actor who = {"web", NULL, NULL, NULL, request_id, cu.id, false};
    enum kt_rc rc = KT_OK;
    if (action != NULL && strcmp(action, "save") == 0) {
        rc = save(w, &cu, form, &who, now, a, out, err);
        out->done = "saved";
    } else if (action != NULL && strcmp(action, "all") == 0) {
        rc = all(w, &cu, ip, &who, now, a, out, err);
        out->done = "all";
    }
    return store_write_end(w, rc, err);
}

enum kt_rc pages_prefs_one_click(struct store *s, const char *customer_id, const char *topic,
                                 const char *channel, const char *request_id, int64_t now,
                                 struct kt_err *err)
{
    struct store_conn *w;
    struct customer cu;
    struct arena a;
    bool gone = false;
    int changed = 0;
    if (store_write_begin(s, &w, err) != KT_OK) {
        return err->rc;
    }
    arena_init(&a, 0);
    enum kt_rc rc = pages_prefs_customer(w, customer_id, &a, &cu, &gone, err);
    struct consent_actor who = {"web", NULL, NULL, NULL, request_id, cu.id, false};
    if (rc == KT_OK && !gone) {
        rc = subs_set(w, cu.ck, topic, channel, false, "one_click", &who, now, &changed, err);
        if (rc == KT_EINVAL) { /* the token's topic or channel is gone: nothing left to stop */
            kt_err_reset(err);
            rc = KT_OK;
        }
    }
    if (rc == KT_OK && !gone) {
        rc = unsub_audit(w, "one_click", cu.id, topic, channel, request_id, now, &a, err);
    }
    rc = store_write_end(w, rc, err);
    arena_release(&a);
    return rc;
}
