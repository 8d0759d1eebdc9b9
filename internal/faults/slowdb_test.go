//go:build faults

package faults

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// A bad link between GoodGo and PostgreSQL, through a proxy: first slow (latency on every packet), then
// black-holed (bytes stop, connections stay open), then resetting connections under writes. Requests on a
// slow link still succeed; on a black hole the callers' deadlines fire and the readiness probe answers in
// its own bound; resets fail the requests they hit without hanging and the service serves again at once;
// afterwards no goroutine and no database connection is left behind.
func TestSlowDatabaseLink(t *testing.T) {
	ctx := scenario(t, 3*time.Minute)
	pg := StartPostgres(ctx, t)
	proxy, err := NewProxy(pg.addr())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { proxy.Close() })
	const maxConns = 8
	srv := NewServer(t, goodgoBin, map[string]string{
		"GOODGO_DATABASE_URL": strings.Replace(pg.URL(), pg.addr(), proxy.Addr(), 1),
		"GOODGO_SECRET_KEY":   secretKey,
		"GOODGO_DB_MAX_CONNS": fmt.Sprint(maxConns),
	})
	srv.Start(ctx, 90*time.Second)
	shop := SetUpShop(ctx, t, srv.URL(), "slowdb@faults.vn")
	orderID := shop.API.Must(ctx, t, "POST", "/api/v1/shops/"+shop.ShopID+"/orders", map[string]any{"type": "takeaway"}, 201)["id"].(string)
	readOrder := func(api *API) func(ctx context.Context) (Reply, error) {
		return func(ctx context.Context) (Reply, error) {
			return api.Do(ctx, "GET", "/api/v1/orders/"+orderID, nil, "")
		}
	}
	addLineKeyed := func(api *API, note string, keyed bool) func(ctx context.Context) (Reply, error) {
		return func(ctx context.Context) (Reply, error) {
			key := ""
			if keyed {
				key = "key-" + note
			}
			return api.Do(ctx, "POST", "/api/v1/orders/"+orderID+"/lines", map[string]any{"product_id": shop.ProductID,
				"quantity": 1, "note": note}, key)
		}
	}
	addLine := func(api *API, note string) func(ctx context.Context) (Reply, error) {
		return addLineKeyed(api, note, true)
	}
	goroutines := func(ctx context.Context) float64 {
		v, err := Metric(ctx, srv.URL(), "go_goroutines")
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	// Baseline: the pool warmed up by a burst, the test's idle keep-alive connections closed.
	burst(ctx, 16, func(i int) func(ctx context.Context) (Reply, error) { return readOrder(shop.API) })
	shop.API.Client.CloseIdleConnections()
	baseline := goroutines(ctx)

	t.Run("latency", func(t *testing.T) {
		proxy.SetLatency(100 * time.Millisecond)
		defer proxy.SetLatency(0)
		api := NewAPI(srv.URL(), 30*time.Second).With(shop.API.Token)
		kinds := []string{"keyed write", "write", "read"}
		started := time.Now()
		results := burst(ctx, 18, func(i int) func(ctx context.Context) (Reply, error) {
			switch i % 3 {
			case 0:
				return addLineKeyed(api, fmt.Sprintf("slow-%d", i), true)
			case 1:
				return addLineKeyed(api, fmt.Sprintf("slow-%d", i), false)
			}
			return readOrder(api)
		})
		t.Logf("18 requests on a slow link answered within %s", time.Since(started).Round(time.Millisecond))
		for i, r := range results {
			if r.err != nil || r.reply.Status/100 != 2 {
				t.Errorf("%s %d on a slow link (the client waits up to 30 s): %v %s", kinds[i%3], i, r.err, r.reply)
			}
		}
		api.Client.CloseIdleConnections()
	})

	t.Run("black hole", func(t *testing.T) {
		proxy.Stall()
		defer proxy.Flow()
		api := NewAPI(srv.URL(), time.Second).With(shop.API.Token)
		results := burst(ctx, 10, func(i int) func(ctx context.Context) (Reply, error) {
			if i%2 == 0 {
				return addLine(api, fmt.Sprintf("hole-%d", i))
			}
			return readOrder(api)
		})
		for i, r := range results {
			var ne net.Error
			if !errors.As(r.err, &ne) || !ne.Timeout() {
				t.Errorf("request %d on a black-holed link: %v %s, want the caller's 1 s deadline to fire", i, r.err, r.reply)
			}
		}
		probe := NewAPI(srv.URL(), 10*time.Second)
		started := time.Now()
		r, err := probe.Do(ctx, "GET", "/health/ready", nil, "")
		took := time.Since(started)
		checks, _ := r.JSON()["checks"].(map[string]any)
		if err != nil || r.Status != http.StatusServiceUnavailable || checks["database"] != "timeout" {
			t.Errorf("readiness on a black-holed database link: %v %s (after %s), want 503 with database: timeout",
				err, r, took.Round(time.Millisecond))
		}
		t.Logf("readiness answered %d in %s", r.Status, took.Round(time.Millisecond))
		api.Client.CloseIdleConnections()
	})

	t.Run("resets", func(t *testing.T) {
		api := NewAPI(srv.URL(), 30*time.Second).With(shop.API.Token)
		for round := range 3 {
			proxy.Stall()
			var results []result
			done := make(chan struct{})
			go func() {
				defer close(done)
				results = burst(ctx, 6, func(i int) func(ctx context.Context) (Reply, error) {
					return addLine(api, fmt.Sprintf("reset-%d-%d", round, i))
				})
			}()
			// Reset the link once writes are stuck on it, mid-statement.
			if err := Poll(ctx, 20*time.Second, 5*time.Millisecond, func(context.Context) (bool, string) {
				return proxy.Held() >= 1, "no statement on the link yet"
			}); err != nil {
				proxy.Flow()
				<-done
				t.Fatal(err)
			}
			reset := proxy.ResetAll()
			proxy.Flow()
			<-done
			var created, failed int
			for i, r := range results {
				switch {
				case r.err != nil:
					t.Errorf("round %d write %d: no answer (%v): a reset link must fail the request, not hang it", round, i, r.err)
				case r.reply.Status == http.StatusCreated:
					created++
				case r.reply.Status >= 500:
					failed++
				default:
					t.Errorf("round %d write %d: %s", round, i, r.reply)
				}
			}
			t.Logf("round %d: reset %d connections; %d writes went through, %d failed", round, reset, created, failed)
			// Serving again at once, and what was acknowledged is there once.
			if err := Poll(ctx, 5*time.Second, 20*time.Millisecond, func(ctx context.Context) (bool, string) {
				r, err := readOrder(api)(ctx)
				if err != nil {
					return false, err.Error()
				}
				return r.Status == http.StatusOK, r.String()
			}); err != nil {
				t.Errorf("round %d: not serving within 5 s of the resets: %v", round, err)
			}
			o, err := shop.Order(ctx, orderID)
			if err != nil {
				t.Fatal(err)
			}
			for i, r := range results {
				note := fmt.Sprintf("reset-%d-%d", round, i)
				var n int
				for _, l := range o.Lines {
					if l.Note == note {
						n++
					}
				}
				if (r.reply.Status == http.StatusCreated && n != 1) || n > 1 {
					t.Errorf("write %s answered %d and left %d lines", note, r.reply.Status, n)
				}
			}
		}
		api.Client.CloseIdleConnections()
	})

	// Nothing left behind: the server's goroutines back near the baseline, at most the pool's connections
	// open on the link and in PostgreSQL.
	shop.API.Client.CloseIdleConnections()
	admin, err := pgx.Connect(ctx, pg.AdminURL())
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close(ctx)
	err = Poll(ctx, 60*time.Second, 100*time.Millisecond, func(ctx context.Context) (bool, string) {
		var backends int
		if err := admin.QueryRow(ctx, "SELECT count(*) FROM pg_stat_activity WHERE usename = 'goodgo'").Scan(&backends); err != nil {
			return false, err.Error()
		}
		g := goroutines(ctx)
		return g <= baseline+10 && proxy.Open() <= maxConns && backends <= maxConns,
			fmt.Sprintf("%v goroutines (baseline %v), %d connections on the link, %d backends (pool %d)", g, baseline,
				proxy.Open(), backends, maxConns)
	})
	if err != nil {
		t.Errorf("leak after the faults: %v", err)
	}
}

// result is the outcome of one request of a burst.
type result struct {
	reply Reply
	err   error
}

// burst sends n requests at once (request(i) makes the i-th) and returns their outcomes in order.
func burst(ctx context.Context, n int, request func(i int) func(ctx context.Context) (Reply, error)) []result {
	out := make([]result, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			out[i].reply, out[i].err = request(i)(ctx)
		}()
	}
	wg.Wait()
	return out
}
