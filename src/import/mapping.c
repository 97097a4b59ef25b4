/*
 * mapping.c - which column of a CSV file goes where: the header names people use (synonyms),
 * the operator's --map ("Header=target,Header=target"), and the targets they resolve to (a
 * profile field, an identifier, an attribute, consent evidence). The first row of a file is
 * mapped once, before any row is read; a file with no identifier column is refused here.
 */
#include <string.h>

#include "base/buf.h"
#include "clean/clean.h"
#include "identity/attrs.h"
#include "import/import_int.h"

/* Header names people use, by target (matched folded, without spaces and punctuation). */
static const struct {
    const char *header;
    const char *target;
} synonyms[] = {
    {"телефон", "phone"},
    {"тел", "phone"},
    {"мобильный", "phone"},
    {"мобильныйтелефон", "phone"},
    {"номертелефона", "phone"},
    {"сотовый", "phone"},
    {"phone", "phone"},
    {"mobile", "phone"},
    {"phonenumber", "phone"},
    {"email", "email"},
    {"емейл", "email"},
    {"имейл", "email"},
    {"почта", "email"},
    {"электроннаяпочта", "email"},
    {"элпочта", "email"},
    {"mail", "email"},
    {"фио", "full_name"},
    {"fullname", "full_name"},
    {"name", "full_name"},
    {"клиент", "full_name"},
    {"покупатель", "full_name"},
    {"фамилия", "last_name"},
    {"lastname", "last_name"},
    {"surname", "last_name"},
    {"имя", "first_name"},
    {"firstname", "first_name"},
    {"givenname", "first_name"},
    {"отчество", "middle_name"},
    {"middlename", "middle_name"},
    {"patronymic", "middle_name"},
    {"пол", "gender"},
    {"gender", "gender"},
    {"sex", "gender"},
    {"датарождения", "birth_date"},
    {"др", "birth_date"},
    {"деньрождения", "birth_date"},
    {"birthday", "birth_date"},
    {"birthdate", "birth_date"},
    {"dateofbirth", "birth_date"},
    {"dob", "birth_date"},
    {"город", "city"},
    {"city", "city"},
    {"населенныйпункт", "city"},
    {"адрес", "address"},
    {"address", "address"},
    {"карта", "card"},
    {"номеркарты", "card"},
    {"карталояльности", "card"},
    {"дисконтнаякарта", "card"},
    {"бонуснаякарта", "card"},
    {"card", "card"},
    {"cardnumber", "card"},
    {"cookie", "cookie"},
    {"device", "device"},
    {"paperform", "paper_form"},
    {"анкета", "paper_form"},
    {"номеранкеты", "paper_form"},
    {"согласие", "consent_document"},
    {"consentdocument", "consent_document"},
};

/* The header folded, without spaces, dots, dashes, underscores and a trailing "*". */
static char *header_key(const char *h, struct arena *a)
{
    char *k = clean_fold(h, a);
    size_t j = 0;
    for (size_t i = 0; k[i] != '\0'; i++) {
        char c = k[i];
        if (c != ' ' && c != '.' && c != '-' && c != '_' && c != '*' && c != ':' && c != '/') {
            k[j++] = c;
        }
    }
    k[j] = '\0';
    return k;
}

/* Resolves a target written by the operator or found by synonym; false when unknown. */
static bool resolve(const char *target, const struct attr_def *defs, size_t n_defs,
                    struct column *c)
{
    memset(c, 0, sizeof(*c));
    if (strncmp(target, "profile.", 8) == 0) {
        target += 8;
    }
    if (strcmp(target, "-") == 0 || strcmp(target, "ignore") == 0) {
        c->t = T_IGNORE;
        return true;
    }
    if (strcmp(target, "full_name") == 0) {
        c->t = T_FULL_NAME;
        return true;
    }
    if (strcmp(target, "paper_form") == 0 || strcmp(target, "consent_document") == 0) {
        c->t = target[0] == 'p' ? T_PAPER : T_DOC;
        return true;
    }
    int pf = pf_lookup(target);
    if (pf >= 0) {
        c->t = T_PROFILE;
        c->pf = pf;
        return true;
    }
    if (strcmp(target, "card") == 0 || strcmp(target, "cookie") == 0 ||
        strcmp(target, "device") == 0 || ident_social_valid(target)) {
        c->t = T_IDENT;
        c->name = target;
        return true;
    }
    if (strncmp(target, "external:", 9) == 0 && ident_system_valid(target + 9)) {
        c->t = T_EXTERNAL;
        c->name = target + 9;
        return true;
    }
    const char *attr = strncmp(target, "attr:", 5) == 0          ? target + 5
                       : strncmp(target, "attributes.", 11) == 0 ? target + 11
                                                                 : target;
    c->attr = attr_find(defs, n_defs, attr);
    c->t = T_ATTR;
    c->name = attr;
    return c->attr != NULL;
}

/* The operator's --map: "Header=target,Header=target". */
static const char *map_lookup(const char *map, const char *header, struct arena *a)
{
    if (map == NULL) {
        return NULL;
    }
    const char *p = map;
    while (*p != '\0') {
        size_t n = strcspn(p, ",");
        const char *eq = memchr(p, '=', n);
        if (eq != NULL && (size_t)(eq - p) == strlen(header) &&
            memcmp(p, header, (size_t)(eq - p)) == 0) {
            return arena_strndup(a, eq + 1, n - (size_t)(eq - p) - 1);
        }
        p += n;
        while (*p == ',') {
            p++;
        }
    }
    return NULL;
}

/* The first header the operator's --map names that the file does not have, or NULL. */
static const char *map_missing(const char *map, const char **header, size_t n, struct arena *a)
{
    const char *p = map ? map : "";
    while (*p != '\0') {
        size_t len = strcspn(p, ",");
        const char *eq = memchr(p, '=', len);
        size_t hl = eq ? (size_t)(eq - p) : len;
        bool found = false;
        for (size_t i = 0; i < n && !found; i++) {
            found = strlen(header[i]) == hl && memcmp(header[i], p, hl) == 0;
        }
        if (!found) {
            return arena_strndup(a, p, hl);
        }
        p += len;
        while (*p == ',') {
            p++;
        }
    }
    return NULL;
}

/* The identifier kind a column holds, for the keys of reject lines; NULL for the others. */
static const char *column_kind(const struct column *c)
{
    if (c->t == T_PROFILE && (c->pf == PF_PHONE || c->pf == PF_EMAIL)) {
        return c->pf == PF_PHONE ? "phone" : "email";
    }
    return c->t == T_IDENT && strcmp(c->name, "card") == 0 ? "card" : NULL;
}

enum kt_rc import_map_header(struct job *j, const char **fields, size_t n, struct kt_err *err)
{
    struct arena *a = &j->map_arena;
    j->n_cols = n;
    j->cols = arena_zalloc(a, sizeof(*j->cols) * n);
    j->header = arena_alloc(a, sizeof(*j->header) * n);
    j->kinds = arena_zalloc(a, sizeof(*j->kinds) * n);
    struct buf used, ignored;
    buf_init(&used, sizeof(j->st->mapping) - 1);
    buf_init(&ignored, sizeof(j->st->ignored) - 1);
    bool any_ident = false;
    for (size_t i = 0; i < n; i++) {
        /* A UTF-8 BOM that survived in the first header name is not part of it. */
        const char *h =
            i == 0 && strncmp(fields[0], "\xEF\xBB\xBF", 3) == 0 ? fields[0] + 3 : fields[0 + i];
        j->header[i] = arena_strdup(a, h);
        const char *target = map_lookup(j->o->map, h, a);
        if (target != NULL && !resolve(target, j->defs, j->n_defs, &j->cols[i])) {
            buf_release(&used);
            buf_release(&ignored);
            return kt_err_set(err, KT_EINVAL, "bad_mapping", "map",
                              "the mapping names an unknown target '%s'", target);
        }
        if (target == NULL && j->o->map == NULL) {
            const char *key = header_key(h, a);
            for (size_t k = 0; k < sizeof(synonyms) / sizeof(synonyms[0]) && !target; k++) {
                target = strcmp(key, synonyms[k].header) == 0 ? synonyms[k].target : NULL;
            }
            if (target == NULL && (attr_find(j->defs, j->n_defs, h) || ident_social_valid(h))) {
                target = h;
            }
            if (target != NULL) {
                resolve(target, j->defs, j->n_defs, &j->cols[i]);
            }
        }
        if (target == NULL || j->cols[i].t == T_IGNORE) {
            j->cols[i].t = T_IGNORE;
            buf_printf(&ignored, "%s%s", ignored.len ? ", " : "", h);
            continue;
        }
        buf_printf(&used, "%s%s=%s", used.len ? ", " : "", h, target);
        j->kinds[i] = column_kind(&j->cols[i]);
        any_ident =
            any_ident || j->cols[i].t == T_IDENT || j->cols[i].t == T_EXTERNAL ||
            (j->cols[i].t == T_PROFILE && (j->cols[i].pf == PF_PHONE || j->cols[i].pf == PF_EMAIL));
    }
    const char *missing = map_missing(j->o->map, j->header, n, a);
    if (missing != NULL) {
        buf_release(&used);
        buf_release(&ignored);
        return kt_err_set(err, KT_EINVAL, "bad_mapping", "map",
                          "the mapping names a column '%s' the file does not have (is the "
                          "delimiter right?)",
                          missing);
    }
    kt_strlcpy(j->st->mapping, buf_cstr(&used), sizeof(j->st->mapping));
    kt_strlcpy(j->st->ignored, buf_cstr(&ignored), sizeof(j->st->ignored));
    buf_release(&used);
    buf_release(&ignored);
    if (!any_ident) {
        return kt_err_set(err, KT_EINVAL, "no_identifier_column", "map",
                          "no column holds a phone, an e-mail, a card or another identifier; "
                          "name one with --map \"Header=phone\"");
    }
    import_reject_header(j);
    return KT_OK;
}
