/*
 * subs.c - topics, subscriptions per customer, topic and channel, whether a message may go, and
 * the signed unsubscribe tokens of the public page.
 *
 * A subscription is the customer's choice, kept as events; whether it is active is derived at
 * the moment asked from that choice and the ads consent of the channel. So a withdrawal of the
 * consent stops every topic of the channel at once, for everything not yet sent.
 */
#include <sodium.h>
#include <string.h>

#include "consent/consent.h"

/* ---- topics and states -------------------------------------------------------------------- */

static bool topic_has_channel(const struct topic *t, const char *channel)
{
    json_t *arr = json_loads(t->channels, 0, NULL);
    bool found = false;
    size_t i;
    json_t *v;
    json_array_foreach(arr, i, v)
    {
        found = found || (json_is_string(v) && strcmp(json_string_value(v), channel) == 0);
    }
    json_decref(arr);
    return found;
}

static const struct sub_event *last_choice(const struct sub_event *ev, size_t n, int64_t ck,
                                           const char *topic, const char *channel)
{
    const struct sub_event *last = NULL;
    for (size_t i = 0; i < n; i++) {
        if (strcmp(ev[i].topic, topic) == 0 && strcmp(ev[i].channel, channel) == 0) {
            last = &ev[i];
        }
    }
    (void)ck;
    return last;
}

enum kt_rc subs_states(struct store_conn *c, int64_t ck, int64_t now, struct arena *a,
                       struct sub_state **out, size_t *n, struct kt_err *err)
{
    struct topic *tp;
    struct sub_event *ev;
    struct consent_state *cs;
    size_t n_tp, n_ev, n_cs;
    enum kt_rc rc = store_topic_list(c, a, &tp, &n_tp, err);
    if (rc == KT_OK) {
        rc = store_sub_list(c, ck, a, &ev, &n_ev, err);
    }
    if (rc == KT_OK) {
        rc = consent_states(c, ck, now, a, &cs, &n_cs, err);
    }
    if (rc != KT_OK) {
        return rc;
    }
    size_t cap = 0;
    *out = NULL;
    *n = 0;
    const struct consent_state *pd = consent_find(cs, n_cs, "pd_processing", "");
    for (size_t t = 0; t < n_tp; t++) {
        for (size_t ch = 0; ch < ADS_CHANNELS; ch++) {
            if (!topic_has_channel(&tp[t], ads_channels[ch])) {
                continue;
            }
            struct sub_state *s = arena_push(a, out, n, &cap, sizeof(*s));
            const struct sub_event *e = last_choice(ev, n_ev, ck, tp[t].key, ads_channels[ch]);
            const struct consent_state *ads = consent_find(cs, n_cs, "ads", ads_channels[ch]);
            s->topic = tp[t].key;
            s->channel = ads_channels[ch];
            s->subscribed = e != NULL && e->subscribed;
            s->at = e ? e->at : 0;
            s->inactive = !s->subscribed                     ? "not_subscribed"
                          : strcmp(pd->state, "given") != 0  ? "no_pd_consent"
                          : strcmp(ads->state, "given") != 0 ? "no_ads_consent"
                                                             : NULL;
            s->active = s->inactive == NULL;
        }
    }
    return KT_OK;
}

enum kt_rc subs_set(struct store_conn *w, int64_t ck, const char *topic, const char *channel,
                    bool subscribe, const char *via, const struct consent_actor *who, int64_t now,
                    int *changed, struct kt_err *err)
{
    struct arena a;
    arena_init(&a, 0);
    *changed = 0;
    struct topic *tp;
    struct sub_event *ev;
    struct consent_state *cs = NULL;
    size_t n_tp, n_ev, n_cs = 0;
    enum kt_rc rc = store_topic_list(w, &a, &tp, &n_tp, err);
    if (rc == KT_OK) {
        rc = store_sub_list(w, ck, &a, &ev, &n_ev, err);
    }
    if (rc == KT_OK && subscribe) {
        rc = consent_states(w, ck, now, &a, &cs, &n_cs, err);
    }
    bool topic_found = topic == NULL;
    bool channel_found = channel == NULL;
    for (size_t t = 0; rc == KT_OK && t < n_tp; t++) {
        if (topic != NULL && strcmp(tp[t].key, topic) != 0) {
            continue;
        }
        topic_found = true;
        for (size_t ch = 0; rc == KT_OK && ch < ADS_CHANNELS; ch++) {
            const char *chn = ads_channels[ch];
            if ((channel != NULL && strcmp(chn, channel) != 0) || !topic_has_channel(&tp[t], chn)) {
                continue;
            }
            channel_found = true;
            if (subscribe) {
                const struct consent_state *ads = consent_find(cs, n_cs, "ads", chn);
                if (strcmp(ads->state, "given") != 0) {
                    rc = kt_err_set(err, KT_EINVAL, "ads_consent_required", "channel",
                                    "subscribing by %s needs the customer's ads consent for %s "
                                    "first (it is %s)",
                                    chn, chn, ads->state);
                    break;
                }
            }
            const struct sub_event *e = last_choice(ev, n_ev, ck, tp[t].key, chn);
            bool now_on = e != NULL && e->subscribed;
            if (now_on == subscribe) {
                continue;
            }
            struct sub_event ne = {0,   ck,  tp[t].key,   chn,         subscribe,
                                   now, via, who->source, who->key_id, who->request_id};
            rc = store_sub_add(w, &ne, err);
            *changed += rc == KT_OK;
        }
    }
    if (rc == KT_OK && !topic_found) {
        rc = kt_err_set(err, KT_EINVAL, "unknown_topic", "topic", "no topic '%s' is declared",
                        topic);
    } else if (rc == KT_OK && !channel_found && topic != NULL) {
        rc = kt_err_set(err, KT_EINVAL, "channel_not_in_topic", "channel",
                        "the topic is not sent by that channel");
    }
    arena_release(&a);
    return rc;
}

enum kt_rc consent_may_send(struct store_conn *c, const struct customer *cu, const char *channel,
                            const char *topic, int64_t now, struct arena *a, const char **reason,
                            struct kt_err *err)
{
    *reason = NULL;
    if (cu->erased_at != 0) {
        *reason = "erased";
        return KT_OK;
    }
    bool blocked = false;
    enum kt_rc rc = store_block_in_force(c, cu->ck, &blocked, err);
    if (rc != KT_OK || blocked) { /* 152-FZ art. 21: the data serve nothing but storage */
        *reason = blocked ? "blocked" : NULL;
        return rc;
    }
    struct sub_state *ss;
    size_t n;
    rc = subs_states(c, cu->ck, now, a, &ss, &n, err);
    if (rc != KT_OK) {
        return rc;
    }
    for (size_t i = 0; i < n; i++) {
        if (strcmp(ss[i].topic, topic) == 0 && strcmp(ss[i].channel, channel) == 0) {
            *reason = ss[i].inactive;
            return KT_OK;
        }
    }
    *reason = "not_subscribed"; /* the topic is not sent by that channel */
    return KT_OK;
}

/* ---- tokens ------------------------------------------------------------------------------- */

#define TAG_BYTES   16
#define PAYLOAD_MAX 160
#define B64_VARIANT sodium_base64_VARIANT_URLSAFE_NO_PADDING

static void token_key(const struct key_secret *k, unsigned char out[32])
{
    static const char ctx[] = "kartoteka/unsubscribe/v1";
    crypto_generichash(out, 32, (const unsigned char *)ctx, sizeof(ctx) - 1, k->k, sizeof(k->k));
}

static void tag_of(const struct key_secret *k, const unsigned char *p, size_t n,
                   unsigned char tag[TAG_BYTES])
{
    unsigned char key[32];
    token_key(k, key);
    crypto_generichash(tag, TAG_BYTES, p, n, key, sizeof(key));
    sodium_memzero(key, sizeof(key));
}

const char *subs_token(const struct key_secret *k, const char *customer_id, const char *topic,
                       const char *channel, struct arena *a)
{
    unsigned char buf[PAYLOAD_MAX + TAG_BYTES];
    int len = (int)kt_snprintf((char *)buf, PAYLOAD_MAX, "%s.%s.%s", customer_id,
                               topic ? topic : "", channel ? channel : "");
    tag_of(k, buf, (size_t)len, buf + len);
    size_t total = (size_t)len + TAG_BYTES;
    size_t out_len = sodium_base64_ENCODED_LEN(total, B64_VARIANT);
    char *out = arena_alloc(a, out_len);
    sodium_bin2base64(out, out_len, buf, total, B64_VARIANT);
    return out;
}

bool subs_token_check(const struct key_secret *k, const char *token, struct arena *a,
                      const char **customer_id, const char **topic, const char **channel)
{
    unsigned char buf[PAYLOAD_MAX + TAG_BYTES];
    size_t n = 0;
    size_t tl = strlen(token);
    if (tl > sodium_base64_ENCODED_LEN(sizeof(buf), B64_VARIANT) ||
        sodium_base642bin(buf, sizeof(buf), token, tl, NULL, &n, NULL, B64_VARIANT) != 0 ||
        n <= TAG_BYTES) {
        return false;
    }
    unsigned char tag[TAG_BYTES];
    size_t len = n - TAG_BYTES;
    tag_of(k, buf, len, tag);
    if (sodium_memcmp(tag, buf + len, TAG_BYTES) != 0) {
        return false;
    }
    char *p = arena_strndup(a, (const char *)buf, len);
    char *d1 = strchr(p, '.');
    char *d2 = d1 ? strchr(d1 + 1, '.') : NULL;
    if (d2 == NULL || memchr(p, '\0', len) != NULL) {
        return false;
    }
    *d1 = '\0';
    *d2 = '\0';
    *customer_id = p;
    *topic = d1[1] ? d1 + 1 : NULL;
    *channel = d2[1] ? d2 + 1 : NULL;
    return true;
}
