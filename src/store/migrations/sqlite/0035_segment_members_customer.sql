-- The segments a customer is in now, found by the customer (the console's customer page,
-- GET /v1/customers/{id}/segments): segment_members is keyed by the segment first.
CREATE INDEX segment_members_customer ON segment_members (ck) WHERE left_at IS NULL;
