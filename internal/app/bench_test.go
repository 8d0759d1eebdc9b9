package app

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/goodgo/goodgo/internal/platform/db"
	"github.com/goodgo/goodgo/internal/platform/db/dbtest"
)

// BenchmarkOrderWrites drives the real server with 100 concurrent terminals, each on its own table: four
// of five writes add a line (with an Idempotency-Key), the fifth sends the new lines to the kitchen. An
// order write is one such call, committed with its outbox rows. It reports writes/s and the latency
// percentiles; compare writes/s with pgbench's TPC-B TPS measured in the same run (docs/en/performance.md).
//
//	GOODGO_TEST_DATABASE_URL=… go test -run '^$' -bench OrderWrites -benchtime 3000x ./internal/app/
func BenchmarkOrderWrites(b *testing.B) {
	for _, dialect := range dbtest.Dialects() {
		b.Run(string(dialect), func(b *testing.B) {
			cfg := testConfig(b)
			cfg.RateLimitExemptCIDRs = []string{"127.0.0.1/32"}
			if dialect == db.Postgres {
				cfg.DatabaseURL = dbtest.URL(b, db.Postgres)
			}
			base, _ := start(b, cfg, modules())
			w := &isolationWorld{base: base}
			owner := w.must(b, "POST", "/api/v1/auth/register", "", map[string]string{"email": "bench@quan.vn",
				"password": "Đo hiệu năng 2026", "full_name": "Chủ quán", "merchant_name": "Quán Đo"}, 201)["access_token"].(string)
			shopID := w.must(b, "POST", "/api/v1/shops", owner, map[string]any{"name": "Quán", "business_type": "restaurant",
				"vat_rate_percent": 8}, 201)["id"].(string)
			sp := "/api/v1/shops/" + shopID
			area := w.must(b, "POST", sp+"/areas", owner, map[string]any{"name": "Tầng 1"}, 201)["id"].(string)
			cat := w.must(b, "POST", "/api/v1/categories", owner, map[string]any{"name": "Món", "station": "kitchen"}, 201)["id"].(string)
			product := w.must(b, "POST", "/api/v1/products", owner, map[string]any{"name": "Cơm rang", "category_id": cat, "price": 45000}, 201)["id"].(string)
			const terminals = 100
			orders := make([]string, terminals)
			for i := range terminals {
				table := w.must(b, "POST", sp+"/tables", owner, map[string]any{"area_id": area, "name": fmt.Sprint("B", i), "seats": 4}, 201)["id"].(string)
				orders[i] = w.must(b, "POST", sp+"/orders", owner, map[string]any{"type": "dine_in", "table_id": table}, 201)["id"].(string)
			}
			client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 2 * terminals, MaxConnsPerHost: 2 * terminals}}
			lineBody, _ := json.Marshal(map[string]any{"product_id": product, "quantity": 1})
			send := func(method, url string, body []byte, key string) error {
				req, _ := http.NewRequest(method, url, bytes.NewReader(body))
				req.Header.Set("Content-Type", "application/json")
				req.Header.Set("Authorization", "Bearer "+owner)
				if key != "" {
					req.Header.Set("Idempotency-Key", key)
				}
				res, err := client.Do(req)
				if err != nil {
					return err
				}
				_, _ = io.Copy(io.Discard, res.Body)
				res.Body.Close()
				if res.StatusCode >= 300 {
					return fmt.Errorf("%s %s: %d", method, url, res.StatusCode)
				}
				return nil
			}
			var next atomic.Int64
			var mu sync.Mutex
			var latencies []time.Duration
			var failures atomic.Int64
			b.ResetTimer()
			began := time.Now()
			var wg sync.WaitGroup
			for i := range terminals {
				wg.Add(1)
				go func() {
					defer wg.Done()
					var mine []time.Duration
					for n := 0; ; n++ {
						k := next.Add(1)
						if k > int64(b.N) {
							break
						}
						t0 := time.Now()
						var err error
						if n%5 == 4 {
							err = send("POST", base+"/api/v1/orders/"+orders[i]+"/submit", nil, "")
						} else {
							err = send("POST", base+"/api/v1/orders/"+orders[i]+"/lines", lineBody, fmt.Sprintf("bench-%d-%d", i, n))
						}
						if err != nil {
							failures.Add(1)
							b.Log(err)
						}
						mine = append(mine, time.Since(t0))
					}
					mu.Lock()
					latencies = append(latencies, mine...)
					mu.Unlock()
				}()
			}
			wg.Wait()
			elapsed := time.Since(began)
			b.StopTimer()
			if f := failures.Load(); f > 0 {
				b.Fatalf("%d of %d writes failed", f, b.N)
			}
			slices.Sort(latencies)
			pct := func(p float64) float64 {
				return float64(latencies[min(len(latencies)-1, int(p*float64(len(latencies))))].Microseconds()) / 1000
			}
			b.ReportMetric(float64(b.N)/elapsed.Seconds(), "writes/s")
			b.ReportMetric(pct(0.50), "p50_ms")
			b.ReportMetric(pct(0.99), "p99_ms")
		})
	}
}

// BenchmarkCommitToSSE measures realtime latency through the real server: one terminal adds lines to an
// order one at a time while a second terminal listens to the shop's order stream over SSE; each sample is the
// time from sending the write until the listener has read the order.updated event carrying its version. That
// bounds commit → SSE from above (the commit happens inside the request). Reports p50 and p99.
//
//	GOODGO_TEST_DATABASE_URL=… go test -run '^$' -bench CommitToSSE -benchtime 300x ./internal/app/
func BenchmarkCommitToSSE(b *testing.B) {
	for _, dialect := range dbtest.Dialects() {
		b.Run(string(dialect), func(b *testing.B) {
			cfg := testConfig(b)
			cfg.RateLimitExemptCIDRs = []string{"127.0.0.1/32"}
			if dialect == db.Postgres {
				cfg.DatabaseURL = dbtest.URL(b, db.Postgres)
			}
			base, _ := start(b, cfg, modules())
			w := &isolationWorld{base: base}
			owner := w.must(b, "POST", "/api/v1/auth/register", "", map[string]string{"email": "sse@quan.vn",
				"password": "Đo độ trễ 2026", "full_name": "Chủ quán", "merchant_name": "Quán Trễ"}, 201)["access_token"].(string)
			shopID := w.must(b, "POST", "/api/v1/shops", owner, map[string]any{"name": "Quán", "business_type": "cafe",
				"vat_rate_percent": 8}, 201)["id"].(string)
			sp := "/api/v1/shops/" + shopID
			cat := w.must(b, "POST", "/api/v1/categories", owner, map[string]any{"name": "Món", "station": "bar"}, 201)["id"].(string)
			product := w.must(b, "POST", "/api/v1/products", owner, map[string]any{"name": "Trà đá", "category_id": cat, "price": 5000}, 201)["id"].(string)
			orderID := w.must(b, "POST", sp+"/orders", owner, map[string]any{"type": "takeaway"}, 201)["id"].(string)

			req, _ := http.NewRequest("GET", base+sp+"/events?topics=orders", nil)
			req.Header.Set("Authorization", "Bearer "+owner)
			res, err := http.DefaultClient.Do(req)
			if err != nil || res.StatusCode != 200 {
				b.Fatalf("SSE stream: %v %v", res, err)
			}
			defer res.Body.Close()
			versions := make(chan int64, 64)
			go func() {
				sc := bufio.NewScanner(res.Body)
				sc.Buffer(make([]byte, 1<<20), 1<<22)
				event := ""
				for sc.Scan() {
					line := sc.Text()
					switch {
					case strings.HasPrefix(line, "event: "):
						event = strings.TrimPrefix(line, "event: ")
					case strings.HasPrefix(line, "data: ") && event == "order.updated":
						var o struct {
							ID      string `json:"id"`
							Version int64  `json:"version"`
						}
						if json.Unmarshal([]byte(strings.TrimPrefix(line, "data: ")), &o) == nil && o.ID == orderID {
							versions <- o.Version
						}
					}
				}
				close(versions)
			}()
			body, _ := json.Marshal(map[string]any{"product_id": product, "quantity": 1})
			latencies := make([]time.Duration, 0, b.N)
			b.ResetTimer()
			for range b.N {
				t0 := time.Now()
				var o struct {
					Version int64 `json:"version"`
				}
				if code := call(b, "POST", base+"/api/v1/orders/"+orderID+"/lines", owner, json.RawMessage(body), &o); code != 201 {
					b.Fatalf("add line: %d", code)
				}
				t1 := time.Now()
				for v := range versions {
					if v >= o.Version {
						break
					}
				}
				latencies = append(latencies, time.Since(t0))
				if d := time.Since(t0); d > 200*time.Millisecond && os.Getenv("GOODGO_BENCH_TRACE") != "" {
					b.Logf("slow #%d: request %v, then event %v", len(latencies), t1.Sub(t0), time.Since(t1))
				}
			}
			b.StopTimer()
			slices.Sort(latencies)
			pct := func(p float64) float64 {
				return float64(latencies[min(len(latencies)-1, int(p*float64(len(latencies))))].Microseconds()) / 1000
			}
			b.ReportMetric(pct(0.50), "p50_ms")
			b.ReportMetric(pct(0.99), "p99_ms")
		})
	}
}
