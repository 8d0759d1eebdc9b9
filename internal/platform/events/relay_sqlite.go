package events

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/goodgo/goodgo/internal/platform/db"
	"github.com/goodgo/goodgo/internal/platform/events/eventsdb"
)

// sqliteBatches relays on SQLite, where one process owns the file and runs one relay. Pending rows are read
// from the read-only pool and marked in a short write transaction afterwards: the single writer connection
// is never held while the broker is being waited on.
//
// A batch is the contiguous run of the oldest pending rows (seq never goes back: AUTOINCREMENT, and a
// writer commits before the next begins), so marking the range [first, last published] marks exactly
// what was published.
type sqliteBatches struct{ d *db.DB }

func (b sqliteBatches) relayBatch(ctx context.Context, limit int, now time.Time, publish publishFunc) (int, error) {
	rows, err := eventsdb.New(b.d.Reader()).ListPendingOutbox(ctx, int32(limit))
	if err != nil {
		return 0, fmt.Errorf("read pending outbox: %w", err)
	}
	if len(rows) == 0 {
		return 0, nil
	}
	evs := make([]Event, len(rows))
	for i, row := range rows {
		evs[i] = fromRow(outboxRow(row))
	}
	n, pubErr := publish(ctx, evs)
	if n == 0 {
		return 0, noProgress(pubErr, len(evs))
	}
	err = b.d.WithSystemTx(ctx, "mark relayed outbox events published", func(tx *sql.Tx) error {
		_, err := eventsdb.New(tx).MarkOutboxPublishedRange(ctx, eventsdb.MarkOutboxPublishedRangeParams{
			PublishedAt: nullTime(now),
			FromSeq:     evs[0].Seq,
			ToSeq:       evs[n-1].Seq,
		})
		return err
	})
	if err != nil {
		// The events reached the broker; they will be published again and dropped there as duplicates.
		return 0, fmt.Errorf("mark %d outbox events published: %w", n, err)
	}
	if n < len(evs) {
		return n, noProgress(pubErr, len(evs))
	}
	return n, nil
}
