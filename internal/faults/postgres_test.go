//go:build faults

package faults

import (
	"context"
	"net/http"
	"sync"
	"testing"
	"time"
)

// PostgreSQL killed with -9 (postmaster and every backend) and started again while terminals take cash,
// VNPay and VietQR payments and the providers deliver callbacks. During the outage GoodGo answers 503 with
// Retry-After (never another 5xx, and no 5xx outside the outage); it serves again within 5 s of the database
// accepting connections; every payment a terminal saw acknowledged (201) or a provider saw recorded (IPN
// 00, webhook 2xx) is in the database afterwards, and none twice.
func TestPostgresKilledUnderPaymentTraffic(t *testing.T) {
	ctx := scenario(t, 4*time.Minute)
	pg := StartPostgres(ctx, t)
	srv := NewServer(t, goodgoBin, map[string]string{"GOODGO_DATABASE_URL": pg.URL(), "GOODGO_SECRET_KEY": secretKey})
	prov := newProviders(t, srv.URL())
	srv.Setenv(prov.env)
	srv.Start(ctx, 90*time.Second)
	shop := SetUpShop(ctx, t, srv.URL(), "pgkill@faults.vn")

	tr := &traffic{shop: shop, prov: prov}
	tctx, stop := context.WithCancel(ctx)
	var wg sync.WaitGroup
	for _, m := range []method{cash, cash, vnpay, vietqr} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			tr.terminal(tctx, NewAPI(srv.URL(), 10*time.Second).With(shop.API.Token), m, false)
		}()
	}
	defer func() {
		stop()
		wg.Wait()
	}()
	if err := Poll(ctx, 90*time.Second, 10*time.Millisecond, func(context.Context) (bool, string) {
		return tr.acks.Load() >= 30 && tr.providers.Load() >= 4, "traffic warming up"
	}); err != nil {
		t.Fatalf("traffic never got going: %v (failures %d)", err, tr.failures.Load())
	}

	killedAt := time.Now()
	pg.Kill()
	// The outage lasts until the terminals have seen it: some requests answered without the database.
	failed := tr.failures.Load()
	if err := Poll(ctx, 30*time.Second, 10*time.Millisecond, func(context.Context) (bool, string) {
		return tr.failures.Load() >= failed+8, "no failures seen yet"
	}); err != nil {
		t.Fatalf("the terminals never noticed the database was gone: %v", err)
	}
	pg.Start(ctx) // returns once the database accepts connections
	upAt := time.Now()
	probe := NewAPI(srv.URL(), 5*time.Second).With(shop.API.Token)
	if err := Poll(ctx, 60*time.Second, 20*time.Millisecond, func(ctx context.Context) (bool, string) {
		r, err := probe.Do(ctx, "GET", "/api/v1/shops/"+shop.ShopID+"/orders", nil, "")
		if err != nil {
			return false, err.Error()
		}
		return r.Status == http.StatusOK, r.String()
	}); err != nil {
		t.Fatalf("GoodGo did not recover: %v", err)
	}
	recovered := time.Since(upAt)
	t.Logf("outage %s; GoodGo served again %s after PostgreSQL accepted connections",
		upAt.Sub(killedAt).Round(time.Millisecond), recovered.Round(time.Millisecond))
	if recovered > 5*time.Second {
		t.Errorf("recovery took %s after the database was back, want ≤ 5 s", recovered.Round(time.Millisecond))
	}
	// More traffic after the recovery, then the terminals stop.
	acks := tr.acks.Load()
	if err := Poll(ctx, 60*time.Second, 10*time.Millisecond, func(context.Context) (bool, string) {
		return tr.acks.Load() >= acks+20, "traffic after the recovery"
	}); err != nil {
		t.Errorf("traffic did not resume: %v", err)
	}
	stop()
	wg.Wait()
	recoveredBy := upAt.Add(5 * time.Second)

	flows := tr.snapshot()
	if bad := errorsIn(flows, func(s *step) bool {
		return s.err == nil && s.reply.Status >= 500 && (s.got.Before(killedAt) || s.sent.After(recoveredBy))
	}); len(bad) > 0 {
		t.Errorf("%d kinds of server errors outside the outage (%s – %s):\n%s", len(bad), killedAt.Format("15:04:05.000"),
			recoveredBy.Format("15:04:05.000"), join(bad))
	}
	if bad := errorsIn(flows, func(s *step) bool {
		return s.err == nil && s.reply.Status >= 500 &&
			(s.reply.Status != http.StatusServiceUnavailable || s.reply.Header.Get("Retry-After") == "" || !s.reply.Problem())
	}); len(bad) > 0 {
		t.Errorf("%d kinds of answers during the outage were not a 503 problem with Retry-After:\n%s\nthe causes GoodGo logged:\n%s",
			len(bad), join(bad), join(srv.LogLines(`"request failed"`, 3)))
	}
	tr.waitProviders(ctx, t)
	paid := tr.verify(ctx, t)
	t.Logf("%d flows, %d paid orders, %d failed requests, %d provider callbacks retried", len(flows), len(paid),
		tr.failures.Load(), tr.callbackRetries())
}

// join lists at most 15 lines.
func join(lines []string) string {
	out := ""
	for i, l := range lines {
		if i == 15 {
			return out + "…\n"
		}
		out += "  " + l + "\n"
	}
	return out
}
