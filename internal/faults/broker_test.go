//go:build faults

package faults

import (
	"context"
	"fmt"
	"testing"
	"time"
)

// The event broker goes away for a while — a private nats-server killed with -9 and started again on its
// store, or RabbitMQ cut off behind a proxy — while the shop keeps selling. Orders and payments are still
// accepted (the outbox keeps their events); once the broker is back the outbox drains, and the inventory
// consumer deducts each paid line exactly once.
func TestBrokerDown(t *testing.T) {
	t.Run("nats", func(t *testing.T) {
		ctx := scenario(t, 3*time.Minute)
		n := StartNATS(ctx, t, natsServer(t))
		srv := NewServer(t, goodgoBin, map[string]string{"GOODGO_NATS_URL": n.URL()})
		srv.Start(ctx, 60*time.Second)
		brokerOutage(ctx, t, srv, n.Kill, func() { n.Start(ctx) })
	})
	t.Run("rabbitmq", func(t *testing.T) {
		ctx := scenario(t, 3*time.Minute)
		broker, urlVia := RabbitVHost(ctx, t)
		proxy, err := NewProxy(broker)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { proxy.Close() })
		srv := NewServer(t, goodgoBin, map[string]string{"GOODGO_AMQP_URL": urlVia(proxy.Addr())})
		srv.Start(ctx, 60*time.Second)
		brokerOutage(ctx, t, srv, proxy.Cut, proxy.Restore)
	})
}

// brokerOutage sells through an outage of the broker that down and up cause.
func brokerOutage(ctx context.Context, t *testing.T, srv *Server, down, up func()) {
	t.Helper()
	shop := SetUpShop(ctx, t, srv.URL(), "broker@faults.vn")
	sell := func(n int, what string) {
		t.Helper()
		for i := range n {
			id := fmt.Sprintf("%s-%d", what, i)
			o := shop.API.Must(ctx, t, "POST", "/api/v1/shops/"+shop.ShopID+"/orders", map[string]any{"type": "takeaway", "note": id}, 201)
			op := "/api/v1/orders/" + o["id"].(string)
			shop.API.Must(ctx, t, "POST", op+"/lines", map[string]any{"product_id": shop.ProductID, "quantity": 2, "note": id}, 201)
			shop.API.Must(ctx, t, "POST", op+"/payments", map[string]any{"method": "cash", "amount": 2 * shop.Price,
				"tendered": 2 * shop.Price}, 201)
			shop.API.Must(ctx, t, "POST", op+"/close", nil, 200)
		}
	}
	wantStock := func(orders int) {
		t.Helper()
		want := float64(shop.StockGrams - int64(orders)*2*shop.RecipeGrams)
		if err := Poll(ctx, 60*time.Second, 50*time.Millisecond, func(ctx context.Context) (bool, string) {
			got, err := shop.Stock(ctx)
			if err != nil {
				return false, err.Error()
			}
			return got == want, fmt.Sprint(got)
		}); err != nil {
			t.Fatalf("stock after %d orders of 2, want %v: %v", orders, want, err)
		}
	}
	failures := func(ctx context.Context) float64 {
		v, _ := Metric(ctx, srv.URL(), "goodgo_outbox_consecutive_failures")
		return v
	}

	sell(3, "before")
	wantStock(3)

	down()
	downAt := time.Now()
	sell(8, "during") // every request above must answer as usual: the broker is not on the request path
	if err := Poll(ctx, 60*time.Second, 50*time.Millisecond, func(ctx context.Context) (bool, string) {
		v := failures(ctx)
		return v >= 3, fmt.Sprint(v, " consecutive failures") // a few rounds of backoff: down for a while
	}); err != nil {
		t.Fatalf("the relay never noticed the broker was down: %v", err)
	}
	stock, err := shop.Stock(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if want := float64(shop.StockGrams - 3*2*shop.RecipeGrams); stock != want {
		t.Fatalf("stock moved while the broker was down: %v, want %v (the events cannot have been delivered)", stock, want)
	}
	up()
	upAt := time.Now()
	wantStock(11)
	t.Logf("broker down for %s; the outbox drained %s after it came back",
		upAt.Sub(downAt).Round(time.Millisecond), time.Since(upAt).Round(time.Millisecond))
	if err := Poll(ctx, 30*time.Second, 50*time.Millisecond, func(ctx context.Context) (bool, string) {
		v := failures(ctx)
		return v == 0, fmt.Sprint(v, " consecutive failures")
	}); err != nil {
		t.Errorf("the relay did not recover: %v", err)
	}
	sell(2, "after")
	wantStock(13)
	moves, err := shop.SaleMovements(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(moves) != 13 {
		t.Errorf("%d lines deducted, want 13", len(moves))
	}
	for line, n := range moves {
		if n != 1 {
			t.Errorf("line %s deducted %d times", line, n)
		}
	}
}
