package booking_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/goodgo/goodgo/internal/booking"
	"github.com/goodgo/goodgo/internal/platform/clock"
	"github.com/goodgo/goodgo/internal/platform/db"
	"github.com/goodgo/goodgo/internal/platform/db/dbtest"
	"github.com/goodgo/goodgo/internal/platform/migrate"
	"github.com/goodgo/goodgo/internal/platform/tenant"
)

const benchTables = 50

// benchEach runs fn per engine on a migrated database with one shop of 50 tables.
func benchEach(b *testing.B, fn func(b *testing.B, svc *booking.Service, m tenant.ID, shop string, tables []booking.Resource)) {
	for _, dialect := range dbtest.Dialects() {
		b.Run(string(dialect), func(b *testing.B) {
			d := dbtest.New(b, dialect)
			if err := migrate.Up(context.Background(), d, slog.New(slog.NewTextHandler(io.Discard, nil)), sources...); err != nil {
				b.Fatal(err)
			}
			m, shop := tenant.ID(db.NewID()), db.NewID()
			floor := newFakeFloor()
			floor.addShop(m, shop)
			var tables []booking.Resource
			for i := range benchTables {
				tables = append(tables, floor.add(shop, booking.Resource{ID: db.NewID(), Kind: booking.KindTable,
					Name: fmt.Sprint("B", i), Seats: 2 + i%6}))
			}
			svc := booking.New(d, clock.NewFake(t0), booking.Options{Floor: floor})
			b.ResetTimer()
			fn(b, svc, m, shop, tables)
		})
	}
}

// slot is the i-th free one-hour slot of the 50 tables: table i mod 50, hour i / 50 after t0.
func slot(tables []booking.Resource, i int) booking.Input {
	start := t0.Add(time.Duration(i/len(tables)) * time.Hour)
	return input(tables[i%len(tables)], start, start.Add(time.Hour))
}

// BenchmarkCreateBooking measures a booking: the floor check, the resource lock, the overlap check, the
// insert and its two events, in one write transaction.
func BenchmarkCreateBooking(b *testing.B) {
	benchEach(b, func(b *testing.B, svc *booking.Service, m tenant.ID, shop string, tables []booking.Resource) {
		ctx := context.Background()
		i := 0
		for b.Loop() {
			if _, err := svc.Create(ctx, m, shop, slot(tables, i)); err != nil {
				b.Fatal(err)
			}
			i++
		}
		b.ReportMetric(float64(i)/b.Elapsed().Seconds(), "bookings/s")
	})
}

// BenchmarkAvailability measures the availability search of a 50-table shop with 2,000 bookings.
func BenchmarkAvailability(b *testing.B) {
	benchEach(b, func(b *testing.B, svc *booking.Service, m tenant.ID, shop string, tables []booking.Resource) {
		ctx := context.Background()
		for i := range 2000 {
			if _, err := svc.Create(ctx, m, shop, slot(tables, i)); err != nil {
				b.Fatal(err)
			}
		}
		q := booking.AvailabilityQuery{StartsAt: t0.Add(10 * time.Hour), EndsAt: t0.Add(12 * time.Hour), PartySize: 4}
		b.ResetTimer()
		for b.Loop() {
			if _, err := svc.Availability(ctx, m, shop, q); err != nil {
				b.Fatal(err)
			}
		}
	})
}
