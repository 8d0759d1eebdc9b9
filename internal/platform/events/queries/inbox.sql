-- Queries both engines run: the inbox of handled events per consumer.

-- name: InsertInbox :execrows
-- Records that consumer handled event_id; affects no row when it already had (a redelivery).
INSERT INTO inbox (consumer, event_id, merchant_id, processed_at)
VALUES ($1, $2, $3, $4)
ON CONFLICT (consumer, event_id) DO NOTHING;

-- name: DeleteInboxBefore :execrows
DELETE FROM inbox WHERE processed_at < $1;
