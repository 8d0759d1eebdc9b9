package events_test

import (
	"context"
	"database/sql"
	"log/slog"
	"path/filepath"
	"time"

	"github.com/goodgo/goodgo/internal/platform/db"
	"github.com/goodgo/goodgo/internal/platform/events"
	"github.com/goodgo/goodgo/internal/platform/events/natsbus"
	"github.com/goodgo/goodgo/internal/platform/migrate"
)

// Example shows the wiring of the composition root: the embedded broker, the relay, a durable consumer
// with an inbox, a service adding an event in its transaction, and the shutdown order.
func Example() {
	ctx, stop := context.WithCancel(context.Background())
	log := slog.Default()
	dataDir := "./data"

	d, err := db.Open(ctx, db.Config{SQLitePath: filepath.Join(dataDir, "goodgo.db")})
	if err != nil {
		panic(err)
	}
	if err := migrate.Up(ctx, d, log, events.Migrations); err != nil {
		panic(err)
	}
	srv, err := natsbus.StartEmbedded(dataDir, log) // or natsbus.Connect(ctx, url, …) / amqpbus.Dial(ctx, url, …)
	if err != nil {
		panic(err)
	}
	bus, err := srv.Connect(ctx, log, natsbus.Options{})
	if err != nil {
		panic(err)
	}
	relay := events.NewRelay(d, bus, log, events.RelayOptions{})
	relayDone := make(chan error, 1)
	go func() { relayDone <- relay.Run(ctx) }()

	// A module reacting to orders: its effect and the inbox row commit together.
	sub, err := bus.Subscribe(ctx, "reports", []string{"shop.*.orders"},
		events.Consume(d, "reports", func(ctx context.Context, tx *sql.Tx, ev events.Event) error {
			_, err := tx.ExecContext(ctx, "UPDATE …", ev.ID) // the projection's writes
			return err
		}))
	if err != nil {
		panic(err)
	}

	// A service: the event is part of the business transaction, then the relay is nudged.
	err = d.WithTx(ctx, "merchant-id", func(tx *sql.Tx) error {
		// … the order's own writes …
		return events.Add(ctx, tx, events.Event{
			Type: "order.updated", Subject: "shop.shop-id.orders", MerchantID: "merchant-id", ShopID: "shop-id",
			Data: []byte(`{"id":"order-id","status":"open"}`),
		})
	})
	if err == nil {
		relay.Nudge()
	}

	// Shutdown: stop relaying, publish what is left, stop consumers, close the bus, then the server.
	stop()
	<-relayDone
	flushCtx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_ = relay.Flush(flushCtx)
	_ = sub.Close()
	_ = bus.Close()
	srv.Stop()
	_ = d.Close()
}
