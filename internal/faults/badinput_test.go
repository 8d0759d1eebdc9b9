//go:build faults

package faults

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"
)

// Hostile input through the real server: each request is refused with a 4xx problem document and changes
// nothing (the shop's orders, the order's lines and payments, the catalog stay as they were).
func TestBadInputThroughTheServer(t *testing.T) {
	ctx := scenario(t, 3*time.Minute)
	srv := NewServer(t, goodgoBin, nil)
	srv.Start(ctx, 60*time.Second)
	shop := SetUpShop(ctx, t, srv.URL(), "bad@faults.vn")
	orderID := shop.API.Must(ctx, t, "POST", "/api/v1/shops/"+shop.ShopID+"/orders", map[string]any{"type": "takeaway"}, 201)["id"].(string)
	shop.API.Must(ctx, t, "POST", "/api/v1/orders/"+orderID+"/lines", map[string]any{"product_id": shop.ProductID, "quantity": 2}, 201)
	orders := "/api/v1/shops/" + shop.ShopID + "/orders"
	lines := "/api/v1/orders/" + orderID + "/lines"
	payments := "/api/v1/orders/" + orderID + "/payments"
	product := func(price string) string {
		return `{"name":"Trà đá","category_id":"` + shop.CategoryID + `","price":` + price + `}`
	}
	deep := func(n int) string { return strings.Repeat("[", n) + strings.Repeat("]", n) }

	// snapshot is the state no bad request may change.
	snapshot := func() string {
		t.Helper()
		o, err := shop.Order(ctx, orderID)
		if err != nil {
			t.Fatal(err)
		}
		list := shop.API.Must(ctx, t, "GET", orders, nil, 200)
		products := shop.API.Must(ctx, t, "GET", "/api/v1/products", nil, 200)
		stock, err := shop.Stock(ctx)
		if err != nil {
			t.Fatal(err)
		}
		return fmt.Sprintf("order %s %d lines total %d paid %d payments %d | open orders %d | products %d | stock %v",
			o.Status, len(o.Lines), o.Totals.Total, o.Totals.Paid, len(o.Payments), count(list["items"]), count(products["items"]), stock)
	}

	for _, tc := range []struct {
		name, method, path, body string
		want                     int // 0: any 4xx
	}{
		{name: "oversized body", method: "POST", path: orders,
			body: `{"type":"takeaway","note":"` + strings.Repeat("x", 2<<20) + `"}`, want: 413},
		{name: "oversized body of a payment", method: "POST", path: payments,
			body: `{"method":"cash","amount":70000,"tendered":70000,"x":"` + strings.Repeat("y", 3<<20) + `"}`, want: 413},
		{name: "deep JSON array", method: "POST", path: lines, body: deep(100_000)},
		{name: "deep JSON in a field", method: "POST", path: lines,
			body: `{"product_id":"` + shop.ProductID + `","quantity":1,"modifiers":` + deep(50_000) + `}`},
		{name: "deep JSON objects", method: "POST", path: orders, body: strings.Repeat(`{"a":`, 50_000) + "1" + strings.Repeat("}", 50_000)},
		{name: "invalid UTF-8 in a name", method: "POST", path: "/api/v1/products", body: "{\"name\":\"Tr\xe0 \xff\xfe\",\"category_id\":\"" + shop.CategoryID + "\",\"price\":1000}"},
		{name: "invalid UTF-8 in a note", method: "POST", path: lines,
			body: "{\"product_id\":\"" + shop.ProductID + "\",\"quantity\":1,\"note\":\"\xc3\x28\"}"},
		{name: "float price", method: "POST", path: "/api/v1/products", body: product("1000.5"), want: 422},
		{name: "float payment amount", method: "POST", path: payments, body: `{"method":"cash","amount":69999.99,"tendered":70000}`, want: 422},
		{name: "exponent payment amount", method: "POST", path: payments, body: `{"method":"cash","amount":7e4,"tendered":7e4}`},
		{name: "money beyond int64", method: "POST", path: payments, body: `{"method":"cash","amount":92233720368547758070,"tendered":1}`, want: 422},
		{name: "money as a string", method: "POST", path: payments, body: `{"method":"cash","amount":"70000"}`, want: 422},
		{name: "negative payment", method: "POST", path: payments, body: `{"method":"cash","amount":-70000,"tendered":0}`, want: 422},
		{name: "negative price", method: "POST", path: "/api/v1/products", body: product("-1000"), want: 422},
		{name: "negative quantity", method: "POST", path: lines, body: `{"product_id":"` + shop.ProductID + `","quantity":-2}`, want: 422},
		{name: "zero quantity", method: "POST", path: lines, body: `{"product_id":"` + shop.ProductID + `","quantity":0}`, want: 422},
		{name: "float quantity", method: "POST", path: lines, body: `{"product_id":"` + shop.ProductID + `","quantity":1.5}`, want: 422},
		{name: "huge quantity", method: "POST", path: lines, body: `{"product_id":"` + shop.ProductID + `","quantity":1000000000000}`},
		{name: "negative stock receipt", method: "POST", path: "/api/v1/shops/" + shop.ShopID + "/stock-movements",
			body: `{"stock_item_id":"` + shop.StockItemID + `","kind":"receipt","quantity":-5,"unit":"g","unit_cost":1}`},
		{name: "trailing data", method: "POST", path: payments, body: `{"method":"cash","amount":70000,"tendered":70000}{"method":"cash"}`},
		{name: "not JSON", method: "POST", path: payments, body: "method=cash&amount=70000"},
		{name: "NUL bytes", method: "POST", path: lines, body: "{\"product_id\":\"\x00\",\"quantity\":1}"},
		{name: "bank webhook without key", method: "POST", path: "/api/v1/payments/bank-transfer/webhook",
			body: `{"id":1,"gateway":"VCB","transferType":"in","transferAmount":70000,"content":"CK"}`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			before := snapshot()
			r, err := shop.API.Do(ctx, tc.method, tc.path, tc.body, "")
			if err != nil {
				t.Fatalf("no answer: %v", err)
			}
			if r.Status < 400 || r.Status >= 500 || (tc.want != 0 && r.Status != tc.want) || !r.Problem() {
				want := "a 4xx"
				if tc.want != 0 {
					want = fmt.Sprint(tc.want)
				}
				t.Errorf("%s, want %s problem document (Content-Type %q)", r, want, r.Header.Get("Content-Type"))
			}
			if after := snapshot(); after != before {
				t.Errorf("state changed:\n  before %s\n  after  %s", before, after)
			}
		})
	}

	t.Run("oversized headers", func(t *testing.T) {
		before := snapshot()
		req, _ := http.NewRequestWithContext(ctx, "POST", srv.URL()+orders, strings.NewReader(`{"type":"takeaway"}`))
		req.Header.Set("Authorization", "Bearer "+shop.API.Token)
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("X-Padding", strings.Repeat("a", 64<<10))
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(res.Body)
		res.Body.Close()
		if r := (Reply{Status: res.StatusCode, Header: res.Header, Body: b}); r.Status != 431 || !r.Problem() {
			t.Errorf("%s, want a 431 problem document", r)
		}
		if after := snapshot(); after != before {
			t.Errorf("state changed:\n  before %s\n  after  %s", before, after)
		}
	})

	// Slowloris: a client trickles its headers (or its body) and never finishes. The server must not hold
	// the connection open for it: it answers a 4xx, or closes the connection, within its read timeouts
	// (10 s for headers, 5 s for a body), and the request changes nothing.
	for _, tc := range []struct {
		name  string
		head  string // sent at once
		drip  string // then one byte at a time, 4 per second, never finished
		limit time.Duration
	}{
		{name: "slowloris headers", head: "POST " + orders + " HTTP/1.1\r\nHost: x\r\n", drip: "X-Slow: " + strings.Repeat("a", 200), limit: 25 * time.Second},
		{name: "slowloris body", head: "POST " + orders + " HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + shop.API.Token +
			"\r\nContent-Type: application/json\r\nContent-Length: 400\r\n\r\n", drip: `{"type":"takeaway","note":"` + strings.Repeat("b", 300), limit: 20 * time.Second},
	} {
		t.Run(tc.name, func(t *testing.T) {
			before := snapshot()
			conn, err := net.Dial("tcp", strings.TrimPrefix(srv.URL(), "http://"))
			if err != nil {
				t.Fatal(err)
			}
			defer conn.Close()
			started := time.Now()
			if _, err := io.WriteString(conn, tc.head); err != nil {
				t.Fatal(err)
			}
			answer := make(chan string, 1)
			var reply Reply
			go func() {
				_ = conn.SetReadDeadline(time.Now().Add(tc.limit))
				br := bufio.NewReader(conn)
				if _, err := br.Peek(1); err != nil {
					var ne net.Error
					if errors.As(err, &ne) && ne.Timeout() {
						answer <- "still open"
					} else {
						answer <- "closed"
					}
					return
				}
				res, err := http.ReadResponse(br, nil)
				if err != nil {
					answer <- "unreadable answer: " + err.Error()
					return
				}
				b, _ := io.ReadAll(res.Body)
				res.Body.Close()
				reply = Reply{Status: res.StatusCode, Header: res.Header, Body: b}
				answer <- reply.String()
			}()
			tick := time.NewTicker(250 * time.Millisecond) // the attack's own pace
			defer tick.Stop()
			var got string
			for i := 0; got == ""; {
				select {
				case got = <-answer:
				case <-tick.C:
					if i < len(tc.drip) {
						_, _ = conn.Write([]byte{tc.drip[i]})
						i++
					}
				case <-ctx.Done():
					t.Fatal(ctx.Err())
				}
			}
			took := time.Since(started).Round(time.Millisecond)
			t.Logf("the server's answer to a trickling client after %s: %s", took, got)
			switch {
			case got == "still open":
				t.Errorf("the connection is still open after %s", tc.limit)
			case got == "closed":
				t.Logf("closed without a response (net/http sends none when the header timeout fires)")
			case reply.Status < 400 || reply.Status >= 500 || !reply.Problem():
				t.Errorf("answered %q, want a 4xx problem document", got)
			}
			if after := snapshot(); after != before {
				t.Errorf("state changed:\n  before %s\n  after  %s", before, after)
			}
		})
	}
}

// count is the length of a JSON array (0 for null).
func count(v any) int {
	a, _ := v.([]any)
	return len(a)
}
