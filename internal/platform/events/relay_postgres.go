package events

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/goodgo/goodgo/internal/platform/db"
)

// postgresBatches relays on PostgreSQL, where several replicas may relay at once. A batch is claimed with
// FOR UPDATE SKIP LOCKED inside a system transaction that stays open while it is published, so another
// replica skips those rows; the published ones are marked before commit. If the replica dies mid-batch
// the locks go with its connection and another replica republishes (the broker drops the duplicates).
type postgresBatches struct{ d *db.DB }

// These statements are PostgreSQL-only (row locks, arrays) and so are not in queries/.
const (
	claimPendingOutbox = `SELECT seq, id, merchant_id, shop_id, type, subject, occurred_at, data
FROM outbox
WHERE published_at IS NULL
ORDER BY seq
LIMIT $1
FOR UPDATE SKIP LOCKED`
	markOutboxPublished = `UPDATE outbox SET published_at = $1 WHERE seq = ANY($2)`
)

func (b postgresBatches) relayBatch(ctx context.Context, limit int, now time.Time, publish publishFunc) (int, error) {
	var (
		n      int
		pubErr error
	)
	err := b.d.WithSystemTx(ctx, "outbox relay: claim and publish pending events", func(tx *sql.Tx) error {
		evs, err := claimOutbox(ctx, tx, limit)
		if err != nil || len(evs) == 0 {
			return err
		}
		n, pubErr = publish(ctx, evs)
		if n == 0 {
			return nil // nothing to mark; the rows unlock at commit
		}
		seqs := make([]int64, n)
		for i := range seqs {
			seqs[i] = evs[i].Seq
		}
		if _, err := tx.ExecContext(ctx, markOutboxPublished, now.UTC(), seqs); err != nil {
			return fmt.Errorf("mark %d outbox events published: %w", n, err)
		}
		if n < len(evs) {
			pubErr = noProgress(pubErr, len(evs))
		}
		return nil
	})
	if err != nil {
		// Whatever was published will be published again and dropped by the broker as duplicates.
		return 0, fmt.Errorf("relay outbox batch: %w", err)
	}
	if n == 0 && pubErr != nil {
		return 0, pubErr
	}
	return n, pubErr
}

func claimOutbox(ctx context.Context, tx *sql.Tx, limit int) ([]Event, error) {
	rows, err := tx.QueryContext(ctx, claimPendingOutbox, limit)
	if err != nil {
		return nil, fmt.Errorf("claim pending outbox: %w", err)
	}
	defer rows.Close()
	var evs []Event
	for rows.Next() {
		var r outboxRow
		if err := rows.Scan(&r.Seq, &r.ID, &r.MerchantID, &r.ShopID, &r.Type, &r.Subject, &r.OccurredAt, &r.Data); err != nil {
			return nil, fmt.Errorf("claim pending outbox: %w", err)
		}
		evs = append(evs, fromRow(r))
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("claim pending outbox: %w", err)
	}
	return evs, nil
}
