-- 0039_name_search.sql - the console's search by name (issue 15, GET /v1/customers?name=): the
-- live customers of one name key (its blind index) in `ck` order, with or without a birth date.
-- customers_dup (0002) holds only the customers with a birth date; this one holds them all. The
-- row id closes each entry, so "ORDER BY ck LIMIT n" stops after n entries.
CREATE INDEX customers_name ON customers (name_key) WHERE name_key IS NOT NULL AND merged_into IS NULL;
