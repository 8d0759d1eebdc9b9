package app

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/goodgo/goodgo/internal/platform/db"
	"github.com/goodgo/goodgo/internal/platform/db/dbtest"
)

// TestMoneyIsConservedThroughTheServer is the bank-test style checker of the payment issue, run against the
// real order and payment modules through HTTP: bills (orders, and checks split from them by items) are paid by
// two terminals at once in random cash amounts, some requests retried with their Idempotency-Key, while a
// manager refunds parts of payments; each bill closes once nothing is due (checks before their order). Then,
// for every bill: it is closed, Σ (payment − refunded) equals its total, and the payments on it are exactly
// those some terminal saw acknowledged — none lost, none twice. GOODGO_CONSERVATION_SEED replays a run.
func TestMoneyIsConservedThroughTheServer(t *testing.T) {
	seed := uint64(time.Now().UnixNano())
	if s, err := strconv.ParseUint(os.Getenv("GOODGO_CONSERVATION_SEED"), 10, 64); err == nil {
		seed = s
	}
	t.Logf("seed %d (GOODGO_CONSERVATION_SEED)", seed)
	for _, dialect := range dbtest.Dialects() {
		t.Run(string(dialect), func(t *testing.T) {
			cfg := testConfig(t)
			cfg.RateLimitExemptCIDRs = []string{"127.0.0.1/32"}
			if dialect == db.Postgres {
				cfg.DatabaseURL = dbtest.URL(t, db.Postgres)
			}
			base, _ := start(t, cfg, modules())
			w := &isolationWorld{base: base}
			owner := w.must(t, "POST", "/api/v1/auth/register", "", map[string]string{"email": "bank@quan.vn",
				"password": "Tiền không mất 2026", "full_name": "Chủ quán", "merchant_name": "Quán Kiểm"}, 201)["access_token"].(string)
			shopID := w.must(t, "POST", "/api/v1/shops", owner, map[string]any{"name": "Quán", "business_type": "restaurant",
				"vat_rate_percent": 8}, 201)["id"].(string)
			sp := "/api/v1/shops/" + shopID
			w.must(t, "PATCH", sp, owner, map[string]any{"service_charge_percent": 5}, 200)
			area := w.must(t, "POST", sp+"/areas", owner, map[string]any{"name": "Tầng 1"}, 201)["id"].(string)
			cat := w.must(t, "POST", "/api/v1/categories", owner, map[string]any{"name": "Món", "station": "kitchen"}, 201)["id"].(string)
			var products []string
			for i, price := range []int{35000, 48000, 17000, 125000} {
				products = append(products, w.must(t, "POST", "/api/v1/products", owner, map[string]any{"name": fmt.Sprint("Món ", i),
					"category_id": cat, "price": price}, 201)["id"].(string))
			}
			rng := rand.New(rand.NewPCG(seed, uint64(len(dialect))))

			// Bills: 6 orders with 2–5 lines; every other one splits two of its lines into a check.
			type bill struct {
				id     string
				parent string // a check's order
			}
			var bills []bill
			for i := range 6 {
				table := w.must(t, "POST", sp+"/tables", owner, map[string]any{"area_id": area, "name": fmt.Sprint("B", i), "seats": 4}, 201)["id"].(string)
				id := w.must(t, "POST", sp+"/orders", owner, map[string]any{"type": "dine_in", "table_id": table}, 201)["id"].(string)
				var lines []string
				for range 2 + rng.IntN(4) {
					o := w.must(t, "POST", "/api/v1/orders/"+id+"/lines", owner, map[string]any{"product_id": products[rng.IntN(len(products))],
						"quantity": 1 + rng.IntN(3)}, 201)
					ls := o["lines"].([]any)
					lines = append(lines, ls[len(ls)-1].(map[string]any)["id"].(string))
				}
				if i%2 == 1 && len(lines) >= 3 {
					split := w.must(t, "POST", "/api/v1/orders/"+id+"/split", owner, map[string]any{"groups": [][]string{lines[:2]}}, 200)
					check := split["checks"].([]any)[0].(map[string]any)["id"].(string)
					bills = append(bills, bill{id: check, parent: id})
				}
				bills = append(bills, bill{id: id})
			}

			// Two terminals pay each bill at once; a manager refunds on the side; the bill closes when settled.
			var mu sync.Mutex
			var refunds, retries, conflicts atomic.Int64
			acknowledged := map[string]map[string]bool{} // bill → payment ids some 201 returned
			ack := func(billID, paymentID string) {
				mu.Lock()
				defer mu.Unlock()
				if acknowledged[billID] == nil {
					acknowledged[billID] = map[string]bool{}
				}
				acknowledged[billID][paymentID] = true
			}
			due := func(id string) (float64, string) {
				var o map[string]any
				if code := call(t, "GET", base+"/api/v1/orders/"+id, owner, nil, &o); code != 200 {
					t.Errorf("read %s: %d", id, code)
					return 0, "?"
				}
				return o["totals"].(map[string]any)["amount_due"].(float64), o["status"].(string)
			}
			settle := func(b bill, terminal int, r *rand.Rand) {
				for attempt := 0; attempt < 200; attempt++ {
					left, status := due(b.id)
					if status == "closed" || left == 0 {
						return
					}
					amount := max(1000, float64(int(left*r.Float64()/1000))*1000)
					amount = min(amount, left)
					key := fmt.Sprintf("pay-%s-%d-%d", b.id, terminal, attempt)
					for try := range 1 + r.IntN(2) { // sometimes the same request twice: one payment
						if try > 0 {
							retries.Add(1)
						}
						var res map[string]any
						code, body := request(t, "POST", base+"/api/v1/orders/"+b.id+"/payments", owner,
							map[string]string{"Idempotency-Key": key}, map[string]any{"method": "cash", "amount": amount})
						switch code {
						case 201:
							if err := json.Unmarshal(body, &res); err == nil {
								ack(b.id, res["payment"].(map[string]any)["id"].(string))
							}
						case 409: // the other terminal paid first: read again
							conflicts.Add(1)
						default:
							t.Errorf("pay %s: %d %s", b.id, code, body)
							return
						}
					}
					if r.IntN(4) == 0 { // the manager gives back part of a payment on this bill
						var list map[string]any
						if call(t, "GET", base+"/api/v1/orders/"+b.id+"/payments", owner, nil, &list) == 200 {
							for _, p := range list["items"].([]any) {
								p := p.(map[string]any)
								left := p["amount"].(float64) - p["refunded"].(float64)
								if p["status"] == "succeeded" && left >= 1000 {
									code, body := request(t, "POST", base+"/api/v1/payments/"+p["id"].(string)+"/refunds", owner,
										map[string]string{"Idempotency-Key": key + "-refund"}, map[string]any{"amount": 1000, "reason": "khách đổi ý"})
									if code == 201 {
										refunds.Add(1)
									} else if code != 409 {
										t.Errorf("refund: %d %s", code, body)
									}
									break
								}
							}
						}
					}
				}
				t.Errorf("bill %s never settled", b.id)
			}
			var wg sync.WaitGroup
			for i, b := range bills {
				for terminal := range 2 {
					r := rand.New(rand.NewPCG(seed, uint64(i*2+terminal+1)))
					wg.Add(1)
					go func() {
						defer wg.Done()
						settle(b, terminal, r)
					}()
				}
			}
			wg.Wait()
			t.Logf("%d bills, %d refunds, %d retried requests, %d conflicts between terminals", len(bills), refunds.Load(),
				retries.Load(), conflicts.Load())
			if refunds.Load() == 0 || retries.Load() == 0 {
				t.Fatal("the run exercised no refund or no retry: change the seed")
			}
			for _, b := range bills { // checks were listed before their orders
				if code, body := request(t, "POST", base+"/api/v1/orders/"+b.id+"/close", owner, nil, nil); code != 200 && code != 409 {
					t.Fatalf("close %s: %d %s", b.id, code, body)
				}
			}

			for _, b := range bills {
				var o map[string]any
				call(t, "GET", base+"/api/v1/orders/"+b.id, owner, nil, &o)
				total := o["totals"].(map[string]any)["total"].(float64)
				var net float64
				seen := map[string]bool{}
				for _, p := range o["payments"].([]any) {
					p := p.(map[string]any)
					refunded, _ := p["refunded"].(float64)
					net += p["amount"].(float64) - refunded
					seen[p["id"].(string)] = true
				}
				if o["status"] != "closed" || net != total {
					t.Errorf("bill %s: status %v, payments − refunds = %.0f, total %.0f", b.id, o["status"], net, total)
				}
				mu.Lock()
				for id := range acknowledged[b.id] {
					if !seen[id] {
						t.Errorf("bill %s: acknowledged payment %s is missing", b.id, id)
					}
				}
				if len(seen) != len(acknowledged[b.id]) {
					t.Errorf("bill %s: %d payments on the order, %d acknowledged", b.id, len(seen), len(acknowledged[b.id]))
				}
				mu.Unlock()
				var list map[string]any // the payment module agrees with the order
				call(t, "GET", base+"/api/v1/orders/"+b.id+"/payments", owner, nil, &list)
				var modNet float64
				for _, p := range list["items"].([]any) {
					p := p.(map[string]any)
					if p["status"] == "succeeded" || p["status"] == "refunded" {
						modNet += p["amount"].(float64) - p["refunded"].(float64)
					}
				}
				if modNet != total {
					t.Errorf("bill %s: the payment module counts %.0f, the order's total is %.0f", b.id, modNet, total)
				}
			}
		})
	}
}
