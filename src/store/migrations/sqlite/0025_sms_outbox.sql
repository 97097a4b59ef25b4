-- The SMS outbox folds into the outbox (issue 12, docs/messages.md "SMS"): one-time codes are
-- messages of the outbox like any other - channel sms, transactional, topic 'otp', the highest
-- priority - sent by its one sender. A code not sent within its life is not sent at all: a row
-- may carry the moment it expires, after which the sender records it failed, 'expired'.
--
-- The data half is C (store/sqlite/sms_fold.c), run once the key store is attached: the queued
-- messages of sms_outbox are opened and sealed again for their new columns (a sealed value is
-- bound to its column), moved, and sms_outbox is dropped.
ALTER TABLE outbox ADD COLUMN expires_at INTEGER; -- NULL: never
