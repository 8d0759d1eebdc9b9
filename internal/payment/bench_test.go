package payment_test

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/goodgo/goodgo/internal/payment"
	"github.com/goodgo/goodgo/internal/platform/db"
	"github.com/goodgo/goodgo/internal/platform/db/dbtest"
	"github.com/goodgo/goodgo/internal/platform/migrate"
)

// benchDBs runs fn on SQLite and, when GOODGO_TEST_DATABASE_URL is set, PostgreSQL.
func benchDBs(b *testing.B, fn func(b *testing.B, d *db.DB)) {
	for _, dialect := range dbtest.Dialects() {
		b.Run(string(dialect), func(b *testing.B) {
			d := dbtest.New(b, dialect)
			if err := migrate.Up(context.Background(), d, slog.New(slog.NewTextHandler(io.Discard, nil)), sources...); err != nil {
				b.Fatal(err)
			}
			fn(b, d)
		})
	}
}

// BenchmarkVNPayIPN measures valid IPNs through the HTTP API, each settling a new payment of its own order
// (verify, find, lock, apply to the order, record, outbox, commit).
func BenchmarkVNPayIPN(b *testing.B) {
	benchDBs(b, func(b *testing.B, d *db.DB) {
		e := newEnv(b, d)
		queries := make([]string, b.N)
		for i := range queries {
			order := e.order(b, 100000)
			p := e.pay(b, order, payment.PayRequest{Method: payment.MethodVNPay, Amount: 100000}).Payment
			queries[i] = vnpayQuery(p, vnpSecret, func(v url.Values) { v.Set("vnp_TransactionNo", strconv.Itoa(15000000+i)) })
		}
		b.ResetTimer()
		start := time.Now()
		for _, q := range queries {
			req := httptest.NewRequest(http.MethodGet, payment.PathVNPayIPN+"?"+q, nil)
			rec := httptest.NewRecorder()
			e.handler.ServeHTTP(rec, req)
			if rec.Code != http.StatusOK || strings.TrimSpace(rec.Body.String()) != `{"RspCode":"00","Message":"Confirm Success"}` {
				b.Fatalf("IPN: %d %s", rec.Code, rec.Body)
			}
		}
		b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "ipn/s")
	})
}

// BenchmarkPaymentWrite measures cash payments (order, drawer, payment row and outbox in one transaction),
// from 4 goroutines at once, and reports the p50 and p99 latency of one write.
func BenchmarkPaymentWrite(b *testing.B) {
	benchDBs(b, func(b *testing.B, d *db.DB) {
		e := newEnv(b, d)
		orders := make(chan string, b.N)
		for range b.N {
			orders <- e.order(b, 50000)
		}
		close(orders)
		var (
			mu   sync.Mutex
			lats = make([]time.Duration, 0, b.N)
		)
		b.ResetTimer()
		var wg sync.WaitGroup
		for range 4 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for order := range orders {
					t := time.Now()
					_, err := e.svc.Pay(context.Background(), e.m, order, payment.PayRequest{Method: payment.MethodCash, Amount: 50000,
						Tendered: 100000}, "cashier-1", ok)
					if err != nil {
						b.Error(err)
						return
					}
					mu.Lock()
					lats = append(lats, time.Since(t))
					mu.Unlock()
				}
			}()
		}
		wg.Wait()
		b.StopTimer()
		slices.Sort(lats)
		if len(lats) > 0 {
			b.ReportMetric(float64(lats[len(lats)/2].Microseconds())/1000, "p50-ms")
			b.ReportMetric(float64(lats[len(lats)*99/100].Microseconds())/1000, "p99-ms")
		}
	})
}
