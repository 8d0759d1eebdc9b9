//go:build faults

package faults

import (
	"context"
	"net/http"
	"os"
	"strings"
	"sync"
	"testing"
	"time"
)

// kill -9 of GoodGo (embedded SQLite and NATS, the shop deployment) while terminals take orders and cash,
// VNPay and VietQR payments and the providers deliver their IPNs and webhooks; then the same binary is
// started again in the same place. Every write a terminal saw acknowledged is there; every request whose
// answer was lost, retried with its Idempotency-Key, takes effect exactly once; the providers' retries
// apply each payment once; every paid line is deducted from stock once.
func TestKillDuringOrderAndPaymentTraffic(t *testing.T) {
	knownBug(t, errCommitBeforeRecord)
	t.Parallel() // most of its time is spent waiting out the idempotency lease of requests cut off by the kill
	ctx := scenario(t, 5*time.Minute)
	srv := NewServer(t, goodgoBin, nil)
	// The providers reach GoodGo through a proxy, so that their callbacks can be held in flight over the kill.
	callbacks, err := NewProxy(strings.TrimPrefix(srv.URL(), "http://"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { callbacks.Close() })
	prov := newProviders(t, "http://"+callbacks.Addr())
	srv.Setenv(prov.env)
	srv.Start(ctx, 60*time.Second)
	shop := SetUpShop(ctx, t, srv.URL(), "kill@faults.vn")

	tr := &traffic{shop: shop, prov: prov, close: true}
	tctx, stop := context.WithCancel(ctx)
	var wg sync.WaitGroup
	for _, m := range []method{cash, cash, vnpay, vietqr} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			tr.terminal(tctx, NewAPI(srv.URL(), 10*time.Second).With(shop.API.Token), m, true)
		}()
	}
	err = Poll(ctx, 90*time.Second, 10*time.Millisecond, func(context.Context) (bool, string) {
		return tr.acks.Load() >= 40 && tr.providers.Load() >= 4, "traffic warming up"
	})
	if err == nil {
		// Hold the providers' next callbacks on the wire, then kill GoodGo with them in flight.
		callbacks.Stall()
		held := tr.providers.Load() + 2
		err = Poll(ctx, 60*time.Second, 10*time.Millisecond, func(context.Context) (bool, string) {
			return tr.providers.Load() >= held, "waiting for callbacks in flight"
		})
	}
	if err != nil {
		stop()
		wg.Wait()
		t.Fatalf("traffic never got going: %v (acks %d, provider payments %d, failures %d)", err, tr.acks.Load(),
			tr.providers.Load(), tr.failures.Load())
	}
	killedAt := time.Now()
	srv.Kill()
	callbacks.Flow()
	t.Logf("killed GoodGo after %d acknowledged writes and %d provider payments", tr.acks.Load(), tr.providers.Load())
	stop()
	wg.Wait()

	srv.Start(ctx, 60*time.Second)
	t.Logf("restarted in %s", time.Since(killedAt).Round(time.Millisecond))
	retryStart := time.Now()
	tr.retryDoubts(ctx, t, shop.API)
	t.Logf("in-doubt requests retried in %s", time.Since(retryStart).Round(time.Millisecond))
	tr.waitProviders(ctx, t)
	paid := tr.verify(ctx, t)
	checkStock(ctx, t, shop, paid)
	var doubts int
	for _, f := range tr.snapshot() {
		for _, s := range f.steps {
			if s.doubt {
				doubts++
			}
		}
	}
	retried := tr.callbackRetries()
	t.Logf("%d flows, %d paid orders, %d requests in doubt at the kill, %d provider callbacks failed and were retried",
		len(tr.snapshot()), len(paid), doubts, retried)
	if retried == 0 {
		t.Error("no provider callback was cut off by the kill: the scenario did not test their retries")
	}
}

// The narrowest window of a crash: the business transaction has committed and the process dies before the
// Idempotency-Key's response is stored. The terminal never got an answer and retries with the same key; the
// line must be added once. (GoodGo on PostgreSQL through a proxy that freezes the connection carrying the
// statement that stores the response, and GoodGo is killed right then.)
func TestKillAfterCommitBeforeTheIdempotencyRecord(t *testing.T) {
	knownBug(t, errCommitBeforeRecord)
	t.Parallel()
	ctx := scenario(t, 4*time.Minute)
	pg := StartPostgres(ctx, t)
	proxy, err := NewProxy(pg.addr())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { proxy.Close() })
	srv := NewServer(t, goodgoBin, map[string]string{
		"GOODGO_DATABASE_URL": strings.Replace(pg.URL(), pg.addr(), proxy.Addr(), 1),
		"GOODGO_SECRET_KEY":   secretKey,
	})
	srv.Start(ctx, 90*time.Second)
	shop := SetUpShop(ctx, t, srv.URL(), "commit@faults.vn")
	orderID := shop.API.Must(ctx, t, "POST", "/api/v1/shops/"+shop.ShopID+"/orders", map[string]any{"type": "takeaway"}, 201)["id"].(string)

	// sqlc's CompleteKey: "UPDATE idempotency_keys SET state = 'done', ..." travels in the Parse message the
	// first time a pooled connection runs it; nothing ran it before this request.
	held := proxy.HoldFirst([]byte("SET state = 'done'"))
	line := map[string]any{"product_id": shop.ProductID, "quantity": 1, "note": "once"}
	answered := make(chan error, 1)
	go func() {
		r, err := shop.API.Do(ctx, "POST", "/api/v1/orders/"+orderID+"/lines", line, "add-once")
		if err == nil {
			err = &unexpectedAnswer{r}
		}
		answered <- err
	}()
	select {
	case <-held:
	case err := <-answered:
		t.Fatalf("the request finished before its response was stored: %v", err)
	case <-ctx.Done():
		t.Fatal("the statement storing the idempotent response never reached the database link")
	}
	srv.Kill()
	<-answered

	srv.Start(ctx, 90*time.Second)
	var last Reply
	started := time.Now()
	err = Poll(ctx, 150*time.Second, 500*time.Millisecond, func(ctx context.Context) (bool, string) {
		r, err := shop.API.Do(ctx, "POST", "/api/v1/orders/"+orderID+"/lines", line, "add-once")
		if err != nil {
			return false, err.Error()
		}
		last = r
		return r.Status != http.StatusConflict && r.Status < 500, r.String()
	})
	if err != nil {
		t.Fatalf("the retry never completed: %v", err)
	}
	t.Logf("the retry answered %d after %s", last.Status, time.Since(started).Round(time.Millisecond))
	o, err := shop.Order(ctx, orderID)
	if err != nil {
		t.Fatal(err)
	}
	var n int
	for _, l := range o.Lines {
		if l.Note == "once" {
			n++
		}
	}
	if last.Status != http.StatusCreated || n != 1 {
		t.Fatalf("one add, cut off after its commit and retried with its key: retry answered %s, the order has %d such lines, want 201 and 1",
			last, n)
	}
}

// unexpectedAnswer is an answer that came back although the test killed the server before it could.
type unexpectedAnswer struct{ r Reply }

func (e *unexpectedAnswer) Error() string { return "answered " + e.r.String() }

// errCommitBeforeRecord is the open fault these tests found: the idempotency claim, the handler's write and the
// stored response are three transactions, so a process killed after the write commits and before the response
// is stored leaves a claim whose retry, once its lease runs out, runs the operation again.
const errCommitBeforeRecord = "known bug: a kill between the write's commit and the stored response lets a retry run it again"

// knownBug skips a test that reproduces an open bug, unless GOODGO_FAULTS_KNOWN_BUGS=1 asks to see it fail.
func knownBug(t *testing.T, what string) {
	t.Helper()
	if os.Getenv("GOODGO_FAULTS_KNOWN_BUGS") != "1" {
		t.Skip(what + " (set GOODGO_FAULTS_KNOWN_BUGS=1 to run it)")
	}
}
