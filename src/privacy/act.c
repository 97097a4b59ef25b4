/*
 * act.c - the act of destruction as Roskomnadzor Order No. 179 (28.10.2022) wants it, and the
 * extract of the event log that goes with it: what an act says, its canonical document to sign
 * outside with a qualified electronic signature, its printable form to sign by hand, and the
 * completion of drafts. The purge after 3 years and the signature are in act_keep.c.
 *
 * An act records what the erasure did and whom the retailer names for it; nothing in it is the
 * destroyed data (the subject is named by the customer's public id and the privacy request it
 * answers). A draft - the settings lacked the operator, or nobody was named - is completed once
 * from the settings; then its document is made, and its bytes never change: the SHA-256 a DPO
 * signs today is the one an inspector checks in three years, whatever this code becomes. So the
 * titles and texts below may be improved freely; acts already complete keep theirs.
 */
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "base/clock.h"
#include "consent/consent.h"
#include "privacy/privacy.h"

#define ORDER_179                                                                                                                                                               \
    "Требования к документальному подтверждению уничтожения персональных данных, утверждённые " \
    "приказом Роскомнадзора от 28.10.2022 № 179"
#define DEFAULT_SYSTEM "Kartoteka"

/* ---- words --------------------------------------------------------------------------------- */

struct word {
    const char *code, *title;
};

static const struct word categories[] = {
    {"profile.last_name", "фамилия"},
    {"profile.first_name", "имя"},
    {"profile.middle_name", "отчество"},
    {"profile.gender", "пол"},
    {"profile.birth_date", "дата рождения"},
    {"profile.email", "адрес электронной почты"},
    {"profile.phone", "номер телефона"},
    {"profile.city", "город"},
    {"profile.address", "адрес"},
    {"attributes", "дополнительные сведения анкеты"},
    {"identifiers.phone", "номер телефона (идентификатор)"},
    {"identifiers.email", "адрес электронной почты (идентификатор)"},
    {"identifiers.card", "номер карты лояльности"},
    {"identifiers.cookie", "идентификатор браузера (cookie)"},
    {"identifiers.device", "идентификатор устройства"},
    {"identifiers.external", "идентификатор во внешней системе"},
    {"merged_profiles", "сведения объединённых с клиентом профилей"},
    {"data_key", "ключ шифрования персональных данных субъекта (уничтожение делает нечитаемыми "
                 "его данные во всех копиях, сделанных ранее)"},
    {"history.values", "прежние значения сведений в истории изменений"},
    {"consents.ip_user_agent", "IP-адрес и сведения о браузере в подтверждениях согласий"},
    {"events.properties", "содержание событий поведения и анонимные идентификаторы"},
    {"traits", "вычисленные признаки (сегменты RFM, кластеры)"},
    {"segment_members", "членство в сегментах"},
    {"sms_outbox", "неотправленные SMS-сообщения"}, /* acts made before the SMS joined messages */
    {"messages", "адреса и содержание сообщений клиенту (e-mail, SMS, push)"},
    {"stored_replies", "сохранённые ответы на повторные запросы"},
    {"wallet_pass", "карта в электронном кошельке телефона и регистрации устройств для её "
                    "обновления"},
    {"import_rejects", "строки файлов отказов импорта"},
};

static const struct word reasons[] = {
    {"request", "требование субъекта персональных данных (ч. 1 ст. 14, ч. 3 ст. 20 "
                "Федерального закона № 152-ФЗ)"},
    {"withdrawal", "отзыв субъектом согласия на обработку персональных данных (ч. 5 ст. 21 "
                   "Федерального закона № 152-ФЗ)"},
    {"retention", "достижение цели обработки, истечение срока хранения (ч. 7 ст. 5, ч. 4 ст. 21 "
                  "Федерального закона № 152-ФЗ)"},
    {"unlawful", "выявление неправомерной обработки персональных данных (ч. 3 ст. 20, ч. 3 ст. 21 "
                 "Федерального закона № 152-ФЗ)"},
};

/* The method of each erasure so far: since part A (encryption at rest) an erasure also destroys
 * the customer's data key, a method of its own, so older acts keep saying what was done then. */
static const struct word methods[] = {
    {"secure_delete_wal",
     "удаление записей из базы данных информационной системы с перезаписью освобождённого места "
     "нулями (SQLite secure_delete) и усечением журнала упреждающей записи (WAL) после "
     "фиксации; записи, сохраняемые для учёта (покупки, события, журнал согласий), "
     "обезличены - значения персональных данных в них уничтожены"},
    {"secure_delete_wal_key_shred",
     "удаление записей из базы данных информационной системы с перезаписью освобождённого места "
     "нулями (SQLite secure_delete) и усечением журнала упреждающей записи (WAL) после "
     "фиксации; записи, сохраняемые для учёта (покупки, события, журнал согласий), "
     "обезличены - значения персональных данных в них уничтожены; ключ шифрования данных "
     "субъекта уничтожен, поэтому его данные в резервных и иных копиях, сделанных ранее, "
     "прочитать нельзя"},
};

static const char *title_of(const struct word *w, size_t n, const char *code)
{
    for (size_t i = 0; i < n; i++) {
        if (strcmp(w[i].code, code) == 0) {
            return w[i].title;
        }
    }
    return NULL;
}
#define TITLE(list, code) title_of(list, sizeof(list) / sizeof(list[0]), code)

/* The title of a category: the table's, or "идентификатор (vk)" for an identifier of a social
 * network or messenger, or the code itself. */
static const char *category_title(const char *code, struct arena *a)
{
    const char *t = TITLE(categories, code);
    if (t != NULL) {
        return t;
    }
    if (strncmp(code, "identifiers.", 12) == 0) {
        return arena_printf(a, "идентификатор в социальной сети или мессенджере (%s)", code + 12);
    }
    return code;
}

static json_t *word_json(const char *code, const char *title)
{
    return json_pack("{s:s, s:s}", "code", code, "title", title ? title : code);
}

/* ---- the term ------------------------------------------------------------------------------ */

int64_t privacy_act_expiry(int64_t at)
{
    const int64_t day_ms = 86400000;
    int64_t day = at >= 0 ? at / day_ms : (at - day_ms + 1) / day_ms;
    int64_t y;
    unsigned m, d;
    civil_from_days(day, &y, &m, &d);
    if (!date_valid(y + 3, m, d)) { /* 29 February into a common year */
        m = 3;
        d = 1;
    }
    return days_from_civil(y + 3, m, d) * day_ms + (at - day * day_ms);
}

/* ---- settling an act from the settings ------------------------------------------------------ */

static const char *json_text(json_t *v, struct arena *a)
{
    char *s = json_dumps(v, JSON_COMPACT | JSON_SORT_KEYS);
    const char *out = arena_strdup(a, s);
    free(s);
    json_decref(v);
    return out;
}

/* {name, address, inn?, ogrn?} when name and address are set, else NULL. */
static const char *party(const char *name, const char *address, const char *inn, const char *ogrn,
                         struct arena *a)
{
    if (name == NULL || address == NULL) {
        return NULL;
    }
    json_t *o = json_pack("{s:s, s:s}", "name", name, "address", address);
    if (inn) {
        json_object_set_new(o, "inn", json_string(inn));
    }
    if (ogrn) {
        json_object_set_new(o, "ogrn", json_string(ogrn));
    }
    return json_text(o, a);
}

static const char *persons_text(const struct act_person *p, size_t n,
                                const struct privacy_settings *ps, struct arena *a)
{
    json_t *arr = json_array();
    for (size_t i = 0; i < n; i++) {
        json_array_append_new(
            arr, json_pack("{s:s, s:s}", "name", p[i].name, "position", p[i].position));
    }
    if (n == 0 && ps->responsible_name != NULL && ps->responsible_position != NULL) {
        json_array_append_new(arr, json_pack("{s:s, s:s}", "name", ps->responsible_name, "position",
                                             ps->responsible_position));
    }
    if (json_array_size(arr) == 0) {
        json_decref(arr);
        return NULL;
    }
    return json_text(arr, a);
}

/* RFC 8785 (JCS) wants \u escapes in lower-case hex; Jansson writes upper case. The document
 * holds no control characters in practice (texts are cleaned), so this is a guarantee, not a
 * path that runs. */
static void jcs_hex_lower(char *s)
{
    for (char *p = s; *p; p++) {
        if (*p != '\\') {
            continue;
        }
        p++;
        if (*p == 'u') {
            for (int i = 1; i <= 4 && p[i]; i++) {
                p[i] = p[i] >= 'A' && p[i] <= 'F' ? (char)(p[i] - 'A' + 'a') : p[i];
            }
        }
    }
}

static json_t *subject_json(const struct destruction_act *x, const struct privacy_request *req)
{
    json_t *o = json_pack("{s:s}", "customer_id", x->customer_id);
    if (x->request_id) {
        json_object_set_new(o, "privacy_request_id", json_string(x->request_id));
    }
    if (req != NULL) {
        json_object_set_new(o, "request_received_on", json_string(req->received_on));
        json_object_set_new(o, "request_channel", json_string(req->channel));
    }
    return o;
}

/* The extract of the event log as Order 179 (p. 4) wants it: the subject, the categories, the
 * information system, the reason and the date, with the entries. */
static json_t *extract_json(const struct destruction_act *x, json_t *codes, struct arena *a)
{
    return json_pack("{s:s, s:s, s:O, s:s, s:s, s:o}", "data_subject", x->customer_id,
                     "information_system", x->information_system, "categories", codes, "reason",
                     x->reason, "at", time_rfc3339(a, x->at), "entries",
                     json_loads(x->log_extract, 0, NULL));
}

/* The document's content: everything the act says, with titles, and nothing that changes after
 * it is made (no state, no signature). */
static json_t *document_json(const struct destruction_act *x, const struct privacy_request *req,
                             struct arena *a)
{
    json_t *codes = json_loads(x->categories, 0, NULL), *cats = json_array();
    size_t i;
    json_t *v;
    json_array_foreach(codes, i, v)
    {
        const char *c = json_string_value(v);
        json_array_append_new(cats, word_json(c, category_title(c, a)));
    }
    json_t *o = json_pack(
        "{s:s, s:s, s:i, s:s, s:o, s:o, s:o, s:s, s:s, s:o, s:o, s:o, s:s, s:s, s:o}", "id", x->id,
        "type", "destruction_act", "version", 1, "legal_basis", ORDER_179, "data_operator",
        json_loads(x->data_operator, 0, NULL), "data_subject", subject_json(x, req), "destroyed_by",
        json_loads(x->destroyed_by, 0, NULL), "information_system", x->information_system,
        "controller_system", x->system, "categories", cats, "method",
        word_json(x->method, TITLE(methods, x->method)), "reason",
        word_json(x->reason, TITLE(reasons, x->reason)), "at", time_rfc3339(a, x->at), "expires_at",
        time_rfc3339(a, x->expires_at), "log_extract", extract_json(x, codes, a));
    json_decref(codes);
    const char *opt[][2] = {{"key_id", x->key_id}, {"operator", x->operator_id}};
    for (size_t j = 0; j < 2; j++) {
        if (opt[j][1] != NULL) {
            json_object_set_new(o, opt[j][0], json_string(opt[j][1]));
        }
    }
    if (x->data_processor) {
        json_object_set_new(o, "data_processor", json_loads(x->data_processor, 0, NULL));
    }
    if (x->completed_at) {
        json_object_set_new(o, "completed_at", json_string(time_rfc3339(a, x->completed_at)));
    }
    return o;
}

/* Makes the document (canonical JSON: keys sorted, no spaces, UTF-8 as it is) and its hash. */
static void make_document(struct destruction_act *x, const struct privacy_request *req,
                          struct arena *a)
{
    json_t *o = document_json(x, req, a);
    char *s = json_dumps(o, JSON_COMPACT | JSON_SORT_KEYS);
    json_decref(o);
    jcs_hex_lower(s);
    unsigned char h[crypto_hash_sha256_BYTES];
    crypto_hash_sha256(h, (const unsigned char *)s, strlen(s));
    char *hex = arena_alloc(a, sizeof(h) * 2 + 1);
    sodium_bin2hex(hex, sizeof(h) * 2 + 1, h, sizeof(h));
    x->document = arena_strdup(a, s);
    x->document_sha256 = hex;
    free(s);
}

void privacy_act_settle(struct destruction_act *x, const struct privacy_settings *ps,
                        const struct act_person *persons, size_t n,
                        const struct privacy_request *req, struct arena *a)
{
    if (x->information_system == NULL) {
        x->information_system = ps->information_system ? ps->information_system : DEFAULT_SYSTEM;
    }
    if (x->data_operator == NULL) {
        x->data_operator =
            party(ps->operator_name, ps->operator_address, ps->operator_inn, ps->operator_ogrn, a);
        x->data_processor = party(ps->processor_name, ps->processor_address, NULL, NULL, a);
    }
    if (x->destroyed_by == NULL) {
        x->destroyed_by = persons_text(persons, n, ps, a);
    }
    if (x->data_operator != NULL && x->destroyed_by != NULL) {
        make_document(x, req, a);
    }
}

enum kt_rc privacy_act_ready(const struct destruction_act *x, const struct privacy_settings *ps,
                             struct kt_err *err)
{
    if (x->document != NULL) {
        return KT_OK;
    }
    if (x->data_operator == NULL && (ps->operator_name == NULL || ps->operator_address == NULL)) {
        const char *f = ps->operator_name == NULL ? "data_operator.name" : "data_operator.address";
        return kt_err_set(err, KT_ECONFLICT, "operator_unknown", f,
                          "act '%s' is a draft: the operator of personal data is not known; set "
                          "'%s' in the privacy settings and the act is completed",
                          x->id, f);
    }
    if (x->destroyed_by == NULL &&
        (ps->responsible_name == NULL || ps->responsible_position == NULL)) {
        const char *f = ps->responsible_name == NULL ? "responsible_person.name"
                                                     : "responsible_person.position";
        return kt_err_set(err, KT_ECONFLICT, "responsible_unknown", f,
                          "act '%s' is a draft: nobody is named as having destroyed the data; "
                          "set '%s' in the privacy settings and the act is completed",
                          x->id, f);
    }
    /* The settings could complete it, but it has not been since (an act older than them): a
     * PUT of the settings does. */
    return kt_err_set(err, KT_ECONFLICT, "operator_unknown", "data_operator",
                      "act '%s' is a draft: save the privacy settings to complete it", x->id);
}

/* ---- completing drafts ------------------------------------------------------------------- */

static enum kt_rc complete_one(struct store_conn *w, struct destruction_act *x,
                               const struct privacy_settings *ps, const char *key_id, int64_t now,
                               struct arena *a, bool *done, struct kt_err *err)
{
    struct privacy_request req;
    bool found = false;
    enum kt_rc rc = KT_OK;
    if (x->request_id != NULL) {
        rc = store_preq_get(w, x->request_id, a, &req, &found, err);
    }
    x->completed_at = now;
    privacy_act_settle(x, ps, NULL, 0, found ? &req : NULL, a);
    *done = rc == KT_OK && x->document != NULL;
    if (*done) {
        rc = store_act_complete(w, x, err);
    }
    if (*done && rc == KT_OK) {
        rc = audit_write(w, key_id, "act", x->customer_id, NULL,
                         arena_printf(a, "act %s completed from the settings", x->id), NULL, now,
                         err);
    }
    return rc;
}

enum kt_rc privacy_acts_complete(struct store_conn *w, const struct privacy_settings *ps,
                                 const char *key_id, int64_t now, struct arena *a,
                                 int64_t *completed, struct kt_err *err)
{
    *completed = 0;
    const char *after = NULL;
    enum kt_rc rc = KT_OK;
    for (size_t n = 100; rc == KT_OK && n == 100;) {
        struct destruction_act *x;
        rc = store_act_drafts(w, after, 100, a, &x, &n, err);
        for (size_t i = 0; rc == KT_OK && i < n; i++) {
            bool done;
            rc = complete_one(w, &x[i], ps, key_id, now, a, &done, err);
            *completed += done;
            after = x[i].id;
        }
    }
    return rc;
}

/* ---- the act shown ------------------------------------------------------------------------ */

static json_t *json_or_null(const char *text)
{
    json_t *v = text ? json_loads(text, 0, NULL) : NULL;
    return v ? v : json_null();
}

static json_t *time_or_null(struct arena *a, int64_t ms)
{
    return ms ? json_string(time_rfc3339(a, ms)) : json_null();
}

static json_t *str_or_null(const char *s)
{
    return s ? json_string(s) : json_null();
}

json_t *privacy_act_json(const struct destruction_act *x, struct arena *a)
{
    json_t *missing = json_array();
    if (x->document == NULL && x->data_operator == NULL) {
        json_array_append_new(missing, json_string("data_operator"));
    }
    if (x->document == NULL && x->destroyed_by == NULL) {
        json_array_append_new(missing, json_string("destroyed_by"));
    }
    const char *state = x->document == NULL ? "draft" : x->signed_at ? "signed" : "complete";
    json_t *o = json_pack(
        "{s:s, s:s, s:s, s:s, s:s, s:o, s:s, s:o, s:s, s:o, s:s, s:o, s:o, s:o, s:o, s:o}", "id",
        x->id, "state", state, "customer_id", x->customer_id, "at", time_rfc3339(a, x->at),
        "reason", x->reason, "categories", json_or_null(x->categories), "controller_system",
        x->system, "information_system", str_or_null(x->information_system), "method",
        x->method ? x->method : "secure_delete_wal", "data_operator",
        json_or_null(x->data_operator), "expires_at", time_rfc3339(a, x->expires_at),
        "data_processor", json_or_null(x->data_processor), "destroyed_by",
        json_or_null(x->destroyed_by), "log_extract", json_or_null(x->log_extract), "missing",
        missing, "document_sha256", str_or_null(x->document_sha256));
    json_object_set_new(o, "completed_at", time_or_null(a, x->completed_at));
    json_object_set_new(o, "signed_at", time_or_null(a, x->signed_at));
    json_object_set_new(o, "key_id", str_or_null(x->key_id));
    json_object_set_new(o, "operator", str_or_null(x->operator_id));
    json_object_set_new(o, "privacy_request_id", str_or_null(x->request_id));
    return o;
}

/* ---- the printable act ------------------------------------------------------------------- */

/* "2026-03-01 12:00 МСК (2026-03-01T09:00:00.000Z)": the Moscow date is the act's date. */
static const char *when(int64_t ms, struct arena *a)
{
    int64_t msk = ms + 3 * 3600 * 1000LL;
    int64_t day = msk >= 0 ? msk / 86400000 : (msk - 86399999) / 86400000;
    int64_t minute = (msk - day * 86400000) / 60000;
    return arena_printf(a, "%s %02d:%02d МСК (%s)", cal_format(cal_day_of(ms), a),
                        (int)(minute / 60), (int)(minute % 60), time_rfc3339(a, ms));
}

static void text_party(struct buf *b, const char *label, json_t *p)
{
    const char *inn = json_string_value(json_object_get(p, "inn"));
    const char *ogrn = json_string_value(json_object_get(p, "ogrn"));
    buf_printf(b, "%s: %s\n   адрес: %s\n", label, json_string_value(json_object_get(p, "name")),
               json_string_value(json_object_get(p, "address")));
    if (inn || ogrn) {
        buf_printf(b, "   %s%s%s%s\n", inn ? "ИНН " : "", inn ? inn : "",
                   inn && ogrn ? ", ОГРН " : (ogrn ? "ОГРН " : ""), ogrn ? ogrn : "");
    }
}

static void text_extract(struct buf *b, json_t *extract)
{
    size_t i;
    json_t *v;
    json_array_foreach(json_object_get(extract, "entries"), i, v)
    {
        const char *k = json_string_value(json_object_get(v, "key"));
        const char *d = json_string_value(json_object_get(v, "detail"));
        const char *f = json_string_value(json_object_get(v, "fields"));
        buf_printf(b, "  %s  %-18s %-16s %s%s%s\n", json_string_value(json_object_get(v, "at")),
                   json_string_value(json_object_get(v, "action")), k ? k : "-", f ? f : "",
                   f && d ? " " : "", d ? d : "");
    }
}

/* The act's title, the operator (and processor), the subject and the information system. */
static void text_head(struct buf *b, const struct destruction_act *x, json_t *doc)
{
    json_t *subj = json_object_get(doc, "data_subject");
    buf_printf(b, "АКТ ОБ УНИЧТОЖЕНИИ ПЕРСОНАЛЬНЫХ ДАННЫХ № %s\n(%s)\n\n", x->id, ORDER_179);
    text_party(b, "1. Оператор", json_object_get(doc, "data_operator"));
    if (json_object_get(doc, "data_processor")) {
        text_party(b, "   Лицо, осуществляющее обработку по поручению оператора",
                   json_object_get(doc, "data_processor"));
    }
    buf_printf(b, "2. Субъект персональных данных: клиент %s", x->customer_id);
    if (json_object_get(subj, "privacy_request_id")) {
        const char *on = json_string_value(json_object_get(subj, "request_received_on"));
        buf_printf(b, "; обращение № %s%s%s", x->request_id, on ? " от " : "", on ? on : "");
    }
    buf_printf(b, "\n3. Информационная система персональных данных: %s\n", x->information_system);
}

void privacy_act_text(struct buf *out, const struct destruction_act *x, struct arena *a)
{
    json_t *doc = json_loads(x->document ? x->document : "{}", 0, NULL);
    struct buf b = *out;
    text_head(&b, x, doc);
    buf_puts(&b, "4. Перечень категорий уничтоженных персональных данных:\n");
    size_t i;
    json_t *v;
    json_array_foreach(json_object_get(doc, "categories"), i, v)
    {
        buf_printf(&b, "   - %s (%s)\n", json_string_value(json_object_get(v, "title")),
                   json_string_value(json_object_get(v, "code")));
    }
    buf_printf(&b, "5. Способ уничтожения: %s\n",
               json_string_value(json_object_get(json_object_get(doc, "method"), "title")));
    buf_printf(&b, "6. Причина уничтожения: %s\n",
               json_string_value(json_object_get(json_object_get(doc, "reason"), "title")));
    buf_printf(&b, "7. Дата уничтожения: %s\n", when(x->at, a));
    buf_printf(&b, "8. Уничтожено средствами: %s%s%s%s%s\n", x->system,
               x->key_id ? ", ключ API " : " (фоновая задача или командная строка)",
               x->key_id ? x->key_id : "", x->operator_id ? ", сотрудник " : "",
               x->operator_id ? x->operator_id : "");
    buf_puts(&b, "9. Лица, уничтожившие персональные данные:\n");
    json_array_foreach(json_object_get(doc, "destroyed_by"), i, v)
    {
        buf_printf(&b, "   %s, %s\n   подпись ____________________\n",
                   json_string_value(json_object_get(v, "name")),
                   json_string_value(json_object_get(v, "position")));
    }
    buf_puts(&b, "\nВыгрузка из журнала регистрации событий информационной системы (без "
                 "персональных данных):\n");
    text_extract(&b, json_object_get(doc, "log_extract"));
    buf_printf(&b, "\nАкт и выгрузка хранятся до: %s\n", when(x->expires_at, a));
    buf_printf(&b, "Электронный документ акта (JSON, RFC 8785), SHA-256: %s\n",
               x->document_sha256 ? x->document_sha256 : "-");
    if (x->completed_at) {
        buf_printf(&b, "Сведения об операторе и лицах внесены в проект акта: %s\n",
                   when(x->completed_at, a));
    }
    json_decref(doc);
    *out = b;
}
