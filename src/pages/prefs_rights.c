/*
 * prefs_rights.c - the preferences page's rights (prefs.h): "what we hold about you", read from
 * the access request's own document (export_customer_doc) and made readable in Russian, its
 * contact identifiers masked; and the request for erasure, a privacy request registered by
 * privacy_request_open as the API registers one, one open at a time.
 */
#include <stdlib.h>
#include <string.h>

#include "consent/consent.h"
#include "export/export.h"
#include "pages/csrf.h"
#include "base/mask.h"
#include "pages/prefs.h"

#define LAST_PURCHASES 5 /* the receipts the page lists; the count says how many there are */

/* A word for a key, or the key itself. */
struct word {
    const char *key, *ru;
};

static const char *word(const struct word *w, size_t n, const char *key)
{
    for (size_t i = 0; key != NULL && i < n; i++) {
        if (strcmp(w[i].key, key) == 0) {
            return w[i].ru;
        }
    }
    return key != NULL ? key : "";
}
#define WORD(table, key) word(table, sizeof(table) / sizeof(table[0]), key)

static const struct word profile_words[] = {
    {"last_name", "Фамилия"},
    {"first_name", "Имя"},
    {"middle_name", "Отчество"},
    {"gender", "Пол"},
    {"birth_date", "Дата рождения"},
    {"email", "Электронная почта"},
    {"phone", "Телефон"},
    {"city", "Город"},
    {"address", "Адрес"},
};
static const struct word gender_words[] = {{"m", "мужской"}, {"f", "женский"}};
static const struct word kind_words[] = {
    {"phone", "Телефон"},
    {"email", "Электронная почта"},
    {"card", "Карта"},
    {"external", "Номер в другой системе"},
};
static const struct word purpose_words[] = {
    {"pd_processing", "Обработка персональных данных"},
    {"ads", "Реклама"},
    {"third_party_transfer", "Передача третьим лицам"},
    {"distribution", "Распространение"},
};
static const struct word state_words[] = {
    {"given", "дано"},
    {"not_given", "не давалось"},
    {"withdrawn", "отозвано"},
    {"expired", "истёк срок"},
    {"outdated", "нужна новая редакция"},
    {"pending", "ждёт подтверждения"},
};
static const struct word channel_words[] = {
    {"sms", "SMS"},           {"email", "эл. почта"}, {"push", "push"}, {"messenger", "мессенджер"},
    {"phone_call", "звонок"},
};
static const struct word card_words[] = {
    {"issued", "выпущена"},   {"active", "действует"}, {"blocked", "заблокирована"},
    {"replaced", "заменена"}, {"unbound", "отвязана"},
};

/* "03.12.2026" of "2026-12-03" or of an RFC 3339 time. */
static const char *ru_date(const char *s, struct arena *a)
{
    if (s == NULL || strlen(s) < 10) {
        return "";
    }
    return arena_printf(a, "%.2s.%.2s.%.4s", s + 8, s + 5, s);
}

static const char *str(const json_t *o, const char *key)
{
    return json_string_value(json_object_get(o, key));
}

/* The profile, its values readable; the contacts masked, the address not shown. */
static json_t *profile_rows(const json_t *profile, struct arena *a)
{
    json_t *rows = json_array();
    for (size_t i = 0; i < sizeof(profile_words) / sizeof(profile_words[0]); i++) {
        const char *key = profile_words[i].key, *v = str(profile, key);
        if (v == NULL) {
            continue;
        }
        if (strcmp(key, "phone") == 0 || strcmp(key, "email") == 0) {
            v = mask_value(key, v, MASK_PAGE, a);
        } else if (strcmp(key, "address") == 0) {
            v = "указан (по ссылке не показываем)";
        } else if (strcmp(key, "gender") == 0) {
            v = WORD(gender_words, v);
        } else if (strcmp(key, "birth_date") == 0) {
            v = ru_date(v, a);
        }
        json_array_append_new(rows,
                              json_pack("{s:s, s:s}", "label", profile_words[i].ru, "value", v));
    }
    return rows;
}

static json_t *attribute_rows(const json_t *attrs)
{
    json_t *rows = json_array(), *v;
    const char *key;
    json_object_foreach((json_t *)attrs, key, v)
    {
        char *text = json_is_string(v) ? NULL : json_dumps(v, JSON_ENCODE_ANY | JSON_COMPACT);
        json_array_append_new(rows, json_pack("{s:s, s:s}", "label", key, "value",
                                              text ? text : json_string_value(v)));
        free(text);
    }
    return rows;
}

static json_t *identifier_rows(const json_t *ids, struct arena *a)
{
    json_t *rows = json_array(), *id;
    size_t i;
    json_array_foreach(ids, i, id)
    {
        const char *kind = str(id, "kind");
        json_array_append_new(rows,
                              json_pack("{s:s, s:s, s:b, s:s}", "label", WORD(kind_words, kind),
                                        "value", mask_value(kind, str(id, "value"), MASK_PAGE, a),
                                        "verified", json_is_true(json_object_get(id, "verified")),
                                        "since", ru_date(str(id, "added_at"), a)));
    }
    return rows;
}

static json_t *consent_rows(const json_t *consents, struct arena *a)
{
    json_t *rows = json_array(), *c;
    size_t i;
    json_array_foreach(json_object_get(consents, "items"), i, c)
    {
        const char *ch = str(c, "channel"), *purpose = WORD(purpose_words, str(c, "purpose"));
        json_t *o =
            json_pack("{s:s, s:s}", "label",
                      ch ? arena_printf(a, "%s (%s)", purpose, WORD(channel_words, ch)) : purpose,
                      "state", WORD(state_words, str(c, "state")));
        if (str(c, "since") != NULL) {
            json_object_set_new(o, "since", json_string(ru_date(str(c, "since"), a)));
        }
        if (str(c, "document") != NULL) {
            json_object_set_new(o, "document", json_string(str(c, "document")));
        }
        json_array_append_new(rows, o);
    }
    return rows;
}

static json_t *subscription_rows(const json_t *subs, const struct topic *t, size_t n_t)
{
    json_t *rows = json_array(), *s;
    size_t i;
    json_array_foreach(json_object_get(subs, "items"), i, s)
    {
        if (!json_is_true(json_object_get(s, "subscribed"))) {
            continue;
        }
        const char *key = str(s, "topic"), *title = key;
        for (size_t j = 0; j < n_t; j++) {
            title = strcmp(t[j].key, key) == 0 ? t[j].title : title;
        }
        json_array_append_new(rows, json_pack("{s:s, s:s}", "label", title, "channel",
                                              WORD(channel_words, str(s, "channel"))));
    }
    return rows;
}

static json_t *card_rows(const json_t *cards, struct arena *a)
{
    json_t *rows = json_array(), *c;
    size_t i;
    json_array_foreach(cards, i, c)
    {
        json_array_append_new(rows, json_pack("{s:s, s:s}", "number",
                                              mask_value("card", str(c, "number"), MASK_PAGE, a),
                                              "state", WORD(card_words, str(c, "state"))));
    }
    return rows;
}

/* Kopecks as roubles: "1 234,50 ₽" without the thousands' space (a cheap phone's font). */
static const char *roubles(json_int_t k, struct arena *a)
{
    return arena_printf(a, "%s%lld,%02lld ₽", k < 0 ? "−" : "", (long long)(k < 0 ? -k : k) / 100,
                        (long long)(k < 0 ? -k : k) % 100);
}

static json_t *purchase_rows(const json_t *purchases, struct arena *a)
{
    json_t *rows = json_array(), *p;
    size_t i;
    json_array_foreach(purchases, i, p)
    {
        if (i == LAST_PURCHASES) {
            break;
        }
        json_array_append_new(
            rows, json_pack("{s:s, s:s, s:s}", "date", ru_date(str(p, "at"), a), "store",
                            str(p, "store") ? str(p, "store") : "", "total",
                            roubles(json_integer_value(json_object_get(p, "total")), a)));
    }
    return rows;
}

enum kt_rc pages_prefs_held(struct store_conn *c, const struct customer *cu, const char *base,
                            int64_t now, struct arena *a, json_t **ctx, struct kt_err *err)
{
    struct topic *t;
    size_t n_t;
    *ctx = NULL;
    if (store_topic_list(c, a, &t, &n_t, err) != KT_OK) {
        return err->rc;
    }
    json_t *doc = export_customer_doc(c, cu, now, a, err);
    if (doc == NULL) {
        return err->rc;
    }
    const json_t *who = json_object_get(doc, "customer"), *pts = json_object_get(doc, "points");
    const json_t *purchases = json_object_get(doc, "purchases");
    json_t *attrs = attribute_rows(json_object_get(who, "attributes"));
    *ctx =
        json_pack("{s:s, s:s, s:o, s:o, s:b, s:o, s:o, s:o, s:o, s:I, s:I, s:I, s:o, s:I, s:I}",
                  "base", base, "generated", ru_date(str(doc, "generated_at"), a), "profile",
                  profile_rows(json_object_get(who, "profile"), a), "attributes", attrs,
                  "has_attributes", json_array_size(attrs) > 0, "identifiers",
                  identifier_rows(json_object_get(who, "identifiers"), a), "consents",
                  consent_rows(json_object_get(doc, "consents"), a), "subscriptions",
                  subscription_rows(json_object_get(doc, "subscriptions"), t, n_t), "cards",
                  card_rows(json_object_get(doc, "cards"), a), "available",
                  json_integer_value(json_object_get(pts, "available")), "pending",
                  json_integer_value(json_object_get(pts, "pending")), "purchase_count",
                  (json_int_t)json_array_size(purchases), "purchases", purchase_rows(purchases, a),
                  "history_count", (json_int_t)json_array_size(json_object_get(doc, "history")),
                  "event_count", (json_int_t)json_array_size(json_object_get(doc, "events")));
    json_decref(doc);
    return KT_OK;
}

enum kt_rc pages_erase_view(struct store_conn *c, const struct key_secret *k,
                            const struct customer *cu, const char *base, const char *error,
                            bool done, bool already, int64_t now, struct arena *a, json_t **ctx,
                            struct kt_err *err)
{
    struct privacy_request p;
    bool open = false;
    *ctx = NULL;
    if (store_preq_open_of(c, cu->id, "erasure", a, &p, &open, err) != KT_OK) {
        return err->rc;
    }
    *ctx = json_pack("{s:s, s:b, s:b}", "base", base, "done", done && open, "already",
                     already && open);
    if (open) {
        json_object_set_new(*ctx, "request",
                            json_pack("{s:s, s:s, s:s}", "id", p.id, "received",
                                      ru_date(p.received_on, a), "due", ru_date(p.deadline, a)));
    } else {
        json_t *form = json_pack("{s:s}", "csrf", pages_csrf_token(k, PAGES_ERASE_FORM, now, a));
        if (error != NULL) {
            json_object_set_new(form, "error", json_string(error));
        }
        json_object_set_new(*ctx, "form", form);
    }
    return KT_OK;
}

enum kt_rc pages_erase_submit(struct store *s, const struct key_secret *k, const char *customer_id,
                              const struct pages_form *form, const char *request_id, int64_t now,
                              struct arena *a, struct pages_erase_result *out, struct kt_err *err)
{
    struct store_conn *w;
    struct customer cu;
    struct privacy_request p;
    bool robot = false;
    *out = (struct pages_erase_result){0};
    if (pages_prefs_begin(s, k, PAGES_ERASE_FORM, customer_id, form, now, a, &w, &cu, &robot,
                          err) != KT_OK ||
        robot) {
        return robot ? KT_OK : err->rc;
    }
    if (pages_form_get(form, "confirm") == NULL) { /* nothing registered, the token not spent */
        out->error = "Отметьте, что вы понимаете, что будет удалено: без этого запрос не "
                     "отправляется";
        store_write_rollback(w);
        return KT_OK;
    }
    enum kt_rc rc = store_preq_open_of(w, cu.id, "erasure", a, &p, &out->already, err);
    if (rc == KT_OK && out->already) { /* one open at a time: the form's token is spent anyway */
        kt_strlcpy(out->id, p.id, sizeof(out->id));
        return store_write_end(w, KT_OK, err);
    }
    if (rc == KT_OK) {
        p = (struct privacy_request){.kind = "erasure",
                                     .customer_id = cu.id,
                                     .channel = "web",
                                     .note = "Запрос со страницы настроек по ссылке из сообщения"};
        rc = privacy_request_open(w, &p, cal_day_of(now), request_id, now, a, err);
        kt_strlcpy(out->id, p.id, sizeof(out->id));
    }
    return store_write_end(w, rc, err);
}
