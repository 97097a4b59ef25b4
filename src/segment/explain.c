/*
 * explain.c - a parsed segment query in words (Russian, as the console speaks), for the preview's
 * `explanation`: what each condition means as compile.c runs it - windows, roubles, "given now"
 * consents, a saved segment as of its last refresh. The words are the query's own values and the
 * language's fixed vocabulary; nothing is read from the store.
 */
#include <string.h>

#include "base/buf.h"
#include "segment/segment.h"

static const char *const ops[] = {"=", "≠", "<", "≤", ">", "≥"};

static const char *field_word(const char *f)
{
    static const char *const names[][2] = {{"first_name", "имя"},
                                           {"last_name", "фамилия"},
                                           {"middle_name", "отчество"},
                                           {"gender", "пол"},
                                           {"birth_date", "дата рождения"},
                                           {"email", "e-mail"},
                                           {"phone", "телефон"},
                                           {"city", "город"},
                                           {"address", "адрес"}};
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        if (strcmp(names[i][0], f) == 0) {
            return names[i][1];
        }
    }
    return f;
}

static void value(struct buf *b, const struct seg_value *v)
{
    if (v->is_number) {
        buf_printf(b, "%lld", (long long)v->number);
    } else {
        buf_printf(b, "«%s»", v->text);
    }
}

static void window(struct buf *b, int64_t days)
{
    if (days) {
        buf_printf(b, " за последние %lld дн.", (long long)days);
    } else {
        buf_puts(b, " за всё время");
    }
}

static void cmp(struct buf *b, enum seg_op op, int64_t n, const char *unit)
{
    buf_printf(b, " %s %lld%s", ops[op], (long long)n, unit);
}

static void node(struct buf *b, const struct seg_node *n, enum seg_kind parent)
{
    switch (n->kind) {
    case SEG_AND:
    case SEG_OR: {
        bool wrap =
            parent != n->kind && (parent == SEG_AND || parent == SEG_OR || parent == SEG_NOT);
        buf_puts(b, wrap ? "(" : "");
        node(b, n->a, n->kind);
        buf_puts(b, n->kind == SEG_AND ? " и " : " или ");
        node(b, n->b, n->kind);
        buf_puts(b, wrap ? ")" : "");
        break;
    }
    case SEG_NOT:
        buf_puts(b, "не ");
        node(b, n->a, SEG_NOT);
        break;
    case SEG_HAS:
        buf_printf(b, "%s указан", field_word(n->field));
        break;
    case SEG_CMP:
        buf_printf(b, "%s %s ", field_word(n->field), ops[n->op]);
        value(b, &n->value);
        break;
    case SEG_IN:
        buf_printf(b, "%s одно из: ", field_word(n->field));
        for (size_t i = 0; i < n->n_values; i++) {
            buf_puts(b, i ? ", " : "");
            value(b, &n->values[i]);
        }
        break;
    case SEG_AGE:
        buf_puts(b, "возраст");
        cmp(b, n->op, n->value.number, " лет");
        break;
    case SEG_EVENTS:
        buf_printf(b, "событий «%s»", n->type);
        if (n->prop) {
            buf_printf(b, " с %s = ", n->prop);
            value(b, &n->prop_value);
        }
        window(b, n->days);
        cmp(b, n->op, n->value.number, "");
        break;
    case SEG_PURCHASES:
        buf_puts(b, n->agg == AGG_COUNT ? "число чеков"
                    : n->agg == AGG_SUM ? "сумма чеков"
                                        : "средний чек");
        window(b, n->days);
        cmp(b, n->op, n->value.number, n->agg == AGG_COUNT ? "" : " ₽");
        break;
    case SEG_SINCE:
        buf_puts(b, "дней с последней покупки");
        cmp(b, n->op, n->value.number, "");
        break;
    case SEG_POINTS:
        buf_puts(b, "баланс баллов");
        cmp(b, n->op, n->value.number, "");
        break;
    case SEG_BOUGHT:
        buf_printf(b, "покупал %s «%s»", strcmp(n->type, "sku") == 0 ? "товар" : "категорию",
                   n->value.text);
        window(b, n->days);
        break;
    case SEG_BIRTHDAY:
        buf_printf(b, "день рождения в ближайшие %lld дн.", (long long)n->days);
        break;
    case SEG_ATTR:
        buf_printf(b, "атрибут %s %s ", n->attr, ops[n->op]);
        value(b, &n->value);
        break;
    case SEG_CONTAINS:
        buf_printf(b, "в списке %s есть ", n->attr);
        value(b, &n->value);
        break;
    case SEG_SEGMENT:
        buf_printf(b, "в сегменте «%s» (на его последнее обновление)", n->value.text);
        break;
    case SEG_TRAIT:
        buf_printf(b, "признак %s %s ", n->attr, ops[n->op]);
        value(b, &n->value);
        break;
    case SEG_CONSENT:
        buf_printf(b, "согласие %s%s%s дано сейчас", n->type, n->attr[0] ? " по каналу " : "",
                   n->attr);
        break;
    case SEG_SUBSCRIBED:
        buf_printf(b, "подписан на «%s» по каналу %s сейчас", n->type, n->attr);
        break;
    case SEG_COMPLETE:
        buf_puts(b, "анкета полная (подтверждённый телефон, имя, дата рождения, согласие на "
                    "обработку ПДн)");
        break;
    }
}

const char *segment_explain(const struct seg_node *n, struct arena *a)
{
    struct buf b;
    buf_init(&b, 0);
    buf_puts(&b, "Покупатели, у которых ");
    node(&b, n, SEG_COMPLETE);
    const char *out = arena_strndup(a, b.p ? b.p : "", b.len);
    buf_release(&b);
    return out;
}
