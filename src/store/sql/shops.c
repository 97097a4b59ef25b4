/*
 * shops.c - the SQL side of the retailer's stores ("shops", so as not to be read as the
 * storage layer) and their time zones, in table stores (0024_stores.sql); and the home store a
 * customer's local time is taken from (docs/messages.md, "Local time"). No personal data.
 *
 * Statements are cached per connection in their slots of enum sql_slot; every value is bound.
 */
#include <string.h>

#include "store/sql/sql_int.h"

#define SHOP_COLS "code, title, city, time_zone, created_at, updated_at"

static const char *const sql[SQL_STATEMENTS] = {
    [SQL_SHOP_PUT] =
        "INSERT INTO stores (" SHOP_COLS ") VALUES (?1, ?2, ?3, ?4, ?5, ?5) "
        "ON CONFLICT (code) DO UPDATE SET title = excluded.title, city = excluded.city, "
        "time_zone = excluded.time_zone, updated_at = excluded.updated_at",
    [SQL_SHOP_GET] = "SELECT " SHOP_COLS " FROM stores WHERE code = ?1",
    [SQL_SHOP_LIST] = "SELECT " SHOP_COLS " FROM stores WHERE code > ?1 ORDER BY code LIMIT ?2",
    /* The first store the customer's history names (the till that enrolled them), else their
     * first receipt's; only stores listed, so a code nobody described yet is passed over. */
    [SQL_SHOP_OF_CUSTOMER] = "SELECT " SHOP_COLS " FROM stores JOIN ("
                             "  SELECT 0 AS k, h.seq AS o, h.store_id AS sid FROM history h "
                             "   WHERE h.ck = ?1 AND h.store_id IN (SELECT code FROM stores) "
                             "  UNION ALL "
                             "  SELECT 1, p.at, p.store_id FROM purchases p "
                             "   WHERE p.ck = ?1 AND p.store_id IN (SELECT code FROM stores)"
                             ") AS x ON code = sid ORDER BY k, o LIMIT 1",
};

static struct sql_stmt *get(struct store_conn *base, enum sql_slot slot, struct kt_err *err)
{
    return sql_stmt((struct sql_conn *)base, slot, sql[slot], err);
}

#define TEXT(i) sql_col_text(st, (i), a)
#define I64(i)  sql_col_i64(st, (i))

static void read_shop(struct sql_stmt *st, struct arena *a, void *out)
{
    struct shop *s = out;
    *s = (struct shop){TEXT(0), TEXT(1), TEXT(2), TEXT(3), I64(4), I64(5)};
}

enum kt_rc sql_shop_put(struct store_conn *base, const struct shop *s, struct kt_err *err)
{
    struct sql_stmt *st = get(base, SQL_SHOP_PUT, err);
    if (st == NULL) {
        return KT_ESTORE;
    }
    sql_bind_text(st, 1, s->code);
    sql_bind_text(st, 2, s->title);
    sql_bind_text(st, 3, s->city);
    sql_bind_text(st, 4, s->time_zone);
    sql_bind_i64(st, 5, s->updated_at);
    return sql_run((struct sql_conn *)base, st, NULL, err);
}

enum kt_rc sql_shop_get(struct store_conn *base, const char *code, struct arena *a,
                        struct shop *out, bool *found, struct kt_err *err)
{
    struct sql_stmt *st = get(base, SQL_SHOP_GET, err);
    if (st == NULL) {
        return KT_ESTORE;
    }
    sql_bind_text(st, 1, code);
    return sql_one((struct sql_conn *)base, st, read_shop, a, out, found, "store_not_found",
                   "store not found", err);
}

enum kt_rc sql_shop_list(struct store_conn *base, const char *after, size_t limit, struct arena *a,
                         struct shop **out, size_t *n, struct kt_err *err)
{
    struct sql_stmt *st = get(base, SQL_SHOP_LIST, err);
    if (st == NULL) {
        return KT_ESTORE;
    }
    sql_bind_text(st, 1, after ? after : "");
    sql_bind_i64(st, 2, (int64_t)limit);
    return sql_rows((struct sql_conn *)base, st, read_shop, sizeof(**out), a, out, n, "stores",
                    err);
}

enum kt_rc sql_shop_of_customer(struct store_conn *base, int64_t ck, struct arena *a,
                                struct shop *out, bool *found, struct kt_err *err)
{
    struct sql_stmt *st = get(base, SQL_SHOP_OF_CUSTOMER, err);
    if (st == NULL) {
        return KT_ESTORE;
    }
    sql_bind_i64(st, 1, ck);
    return sql_one((struct sql_conn *)base, st, read_shop, a, out, found, "store_not_found",
                   "the customer has no home store", err);
}
