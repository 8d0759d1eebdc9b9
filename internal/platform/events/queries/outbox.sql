-- Queries both engines run (see sqlc.yaml): the outbox written by business transactions and read by the relay.

-- name: InsertOutboxEvent :exec
INSERT INTO outbox (id, merchant_id, shop_id, type, subject, occurred_at, data)
VALUES ($1, $2, $3, $4, $5, $6, $7);

-- name: ListPendingOutbox :many
-- Pending events in sequence order. The SQLite relay reads with it; PostgreSQL claims rows with
-- FOR UPDATE SKIP LOCKED instead (relay_postgres.go).
SELECT seq, id, merchant_id, shop_id, type, subject, occurred_at, data
FROM outbox
WHERE published_at IS NULL
ORDER BY seq
LIMIT $1;

-- name: MarkOutboxPublishedRange :execrows
-- Marks the pending rows with from_seq <= seq <= to_seq published. Only safe where one relay runs (SQLite),
-- where a contiguous batch of pending rows is read and published in order.
UPDATE outbox SET published_at = sqlc.arg(published_at)
WHERE seq >= sqlc.arg(from_seq) AND seq <= sqlc.arg(to_seq) AND published_at IS NULL;

-- name: CountPendingOutbox :one
SELECT count(*) FROM outbox WHERE published_at IS NULL;

-- name: DeletePublishedOutboxBefore :execrows
DELETE FROM outbox WHERE published_at IS NOT NULL AND published_at < $1;
