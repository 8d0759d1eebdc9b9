package faults

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"
)

// API is a small JSON client of GoodGo's HTTP API for the scenarios. It keeps connections short-lived
// enough to survive a server restart on the same port (a stale keep-alive connection fails once and the
// request is reported as a transport error, which is what a POS terminal sees too).
type API struct {
	Base   string
	Token  string
	Client *http.Client
}

// NewAPI returns a client of base with a per-request timeout.
func NewAPI(base string, timeout time.Duration) *API {
	tr := &http.Transport{MaxIdleConnsPerHost: 64, IdleConnTimeout: 30 * time.Second}
	return &API{Base: base, Client: &http.Client{Timeout: timeout, Transport: tr}}
}

// With returns a copy of a that sends token.
func (a *API) With(token string) *API {
	c := *a
	c.Token = token
	return &c
}

// Reply is an answer of the API.
type Reply struct {
	Status int
	Header http.Header
	Body   []byte
}

// JSON decodes the body as an object (nil when it is not one).
func (r Reply) JSON() map[string]any {
	var m map[string]any
	_ = json.Unmarshal(r.Body, &m)
	return m
}

// String is the status and the start of the body, for messages.
func (r Reply) String() string {
	b := r.Body
	if len(b) > 300 {
		b = b[:300]
	}
	return strconv.Itoa(r.Status) + " " + string(b)
}

// Problem reports whether the reply is an RFC 9457 problem document with the reply's status.
func (r Reply) Problem() bool {
	if r.Header.Get("Content-Type") != "application/problem+json" {
		return false
	}
	var p struct {
		Status int `json:"status"`
	}
	return json.Unmarshal(r.Body, &p) == nil && p.Status == r.Status
}

// Do sends one request. body is JSON-encoded unless it is a []byte or a string (sent as is); key, when
// not empty, is sent as Idempotency-Key. An error means no answer came (connection refused or cut, timeout):
// the outcome of a mutation is then unknown.
func (a *API) Do(ctx context.Context, method, path string, body any, key string) (Reply, error) {
	var r io.Reader
	switch b := body.(type) {
	case nil:
	case []byte:
		r = bytes.NewReader(b)
	case string:
		r = strings.NewReader(b)
	default:
		raw, err := json.Marshal(b)
		if err != nil {
			return Reply{}, err
		}
		r = bytes.NewReader(raw)
	}
	req, err := http.NewRequestWithContext(ctx, method, a.Base+path, r)
	if err != nil {
		return Reply{}, err
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if a.Token != "" {
		req.Header.Set("Authorization", "Bearer "+a.Token)
	}
	if key != "" {
		req.Header.Set("Idempotency-Key", key)
	}
	res, err := a.Client.Do(req)
	if err != nil {
		return Reply{}, err
	}
	defer res.Body.Close()
	raw, err := io.ReadAll(res.Body)
	if err != nil {
		return Reply{}, err
	}
	return Reply{Status: res.StatusCode, Header: res.Header, Body: raw}, nil
}

// Must sends a request that must answer want; it fails the test otherwise and returns the decoded body.
func (a *API) Must(ctx context.Context, t testing.TB, method, path string, body any, want int) map[string]any {
	t.Helper()
	r, err := a.Do(ctx, method, path, body, "")
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	if r.Status != want {
		t.Fatalf("%s %s: %s, want %d", method, path, r, want)
	}
	return r.JSON()
}

// Shop is a merchant set up for a scenario: its owner's token, one shop with a bank account (VietQR), one
// product priced Price whose recipe takes RecipeGrams of a stock item that starts at StockGrams.
type Shop struct {
	API         *API // signed in as the owner
	ShopID      string
	CategoryID  string
	ProductID   string
	StockItemID string
	Price       int64
	RecipeGrams int64
	StockGrams  int64
}

// BankBIN and BankAccount are the shop's bank account (Vietcombank), as the bank simulator reports it.
const (
	BankBIN     = "970436"
	BankAccount = "0011009950446"
)

// SetUpShop registers a merchant through the API and sets up its shop, product, stock and recipe.
func SetUpShop(ctx context.Context, t testing.TB, base, email string) *Shop {
	t.Helper()
	anon := NewAPI(base, 30*time.Second)
	reg := anon.Must(ctx, t, "POST", "/api/v1/auth/register", map[string]string{"email": email,
		"password": "Lỗi là chuyện thường 2026", "full_name": "Chủ quán", "merchant_name": "Quán Thử Lỗi"}, 201)
	api := anon.With(reg["access_token"].(string))
	s := &Shop{API: api, Price: 35000, RecipeGrams: 150, StockGrams: 1_000_000}
	s.ShopID = api.Must(ctx, t, "POST", "/api/v1/shops", map[string]any{"name": "Bún bò", "business_type": "restaurant",
		"vat_rate_percent": 0}, 201)["id"].(string)
	api.Must(ctx, t, "PATCH", "/api/v1/shops/"+s.ShopID, map[string]any{"bank_bin": BankBIN,
		"bank_account_number": BankAccount, "bank_account_name": "QUAN THU LOI"}, 200)
	s.CategoryID = api.Must(ctx, t, "POST", "/api/v1/categories", map[string]any{"name": "Món", "station": "kitchen"}, 201)["id"].(string)
	s.ProductID = api.Must(ctx, t, "POST", "/api/v1/products", map[string]any{"name": "Bún bò Huế", "category_id": s.CategoryID,
		"price": s.Price}, 201)["id"].(string)
	s.StockItemID = api.Must(ctx, t, "POST", "/api/v1/shops/"+s.ShopID+"/stock-items", map[string]any{"name": "Bún",
		"unit": "g"}, 201)["stock_item_id"].(string)
	api.Must(ctx, t, "POST", "/api/v1/shops/"+s.ShopID+"/stock-movements", map[string]any{"stock_item_id": s.StockItemID,
		"kind": "receipt", "quantity": s.StockGrams, "unit": "g", "unit_cost": 1}, 201)
	api.Must(ctx, t, "PUT", "/api/v1/products/"+s.ProductID+"/recipe", map[string]any{"ingredients": []map[string]any{
		{"stock_item_id": s.StockItemID, "quantity": s.RecipeGrams}}}, 200)
	return s
}

// Stock reads the stock item's level in grams.
func (s *Shop) Stock(ctx context.Context) (float64, error) {
	r, err := s.API.Do(ctx, "GET", "/api/v1/shops/"+s.ShopID+"/stock", nil, "")
	if err != nil {
		return 0, err
	}
	if r.Status != http.StatusOK {
		return 0, fmt.Errorf("stock: %s", r)
	}
	var body struct {
		Items []struct {
			ID       string  `json:"stock_item_id"`
			Quantity float64 `json:"quantity"`
		} `json:"items"`
	}
	if err := json.Unmarshal(r.Body, &body); err != nil {
		return 0, err
	}
	for _, it := range body.Items {
		if it.ID == s.StockItemID {
			return it.Quantity, nil
		}
	}
	return 0, fmt.Errorf("stock item %s not listed", s.StockItemID)
}

// SaleMovements counts the stock item's sale movements by order line (the movement's reference): a line
// deducted twice shows up with a count of 2.
func (s *Shop) SaleMovements(ctx context.Context) (map[string]int, error) {
	out := map[string]int{}
	cursor := ""
	for range 1000 {
		path := "/api/v1/shops/" + s.ShopID + "/stock-movements?limit=200&stock_item_id=" + s.StockItemID
		if cursor != "" {
			path += "&cursor=" + url.QueryEscape(cursor)
		}
		r, err := s.API.Do(ctx, "GET", path, nil, "")
		if err != nil {
			return nil, err
		}
		if r.Status != http.StatusOK {
			return nil, fmt.Errorf("stock movements: %s", r)
		}
		var page struct {
			Items []struct {
				Kind      string `json:"kind"`
				Reference string `json:"reference"`
			} `json:"items"`
			NextCursor string `json:"next_cursor"`
		}
		if err := json.Unmarshal(r.Body, &page); err != nil {
			return nil, err
		}
		for _, m := range page.Items {
			if m.Kind == "sale" {
				out[m.Reference]++
			}
		}
		if page.NextCursor == "" {
			return out, nil
		}
		cursor = page.NextCursor
	}
	return nil, fmt.Errorf("stock movements: too many pages")
}

// Order is what the scenarios read back of an order.
type Order struct {
	ID     string `json:"id"`
	Status string `json:"status"`
	Lines  []struct {
		ID       string `json:"id"`
		Quantity int64  `json:"quantity"`
		Note     string `json:"note"`
	} `json:"lines"`
	Totals struct {
		Total     int64 `json:"total"`
		Paid      int64 `json:"paid"`
		AmountDue int64 `json:"amount_due"`
	} `json:"totals"`
	Payments []struct {
		ID     string `json:"id"`
		Method string `json:"method"`
		Amount int64  `json:"amount"`
		Status string `json:"status"`
	} `json:"payments"`
}

// Order reads an order.
func (s *Shop) Order(ctx context.Context, id string) (Order, error) {
	var o Order
	r, err := s.API.Do(ctx, "GET", "/api/v1/orders/"+id, nil, "")
	if err != nil {
		return o, err
	}
	if r.Status != http.StatusOK {
		return o, fmt.Errorf("order %s: %s", id, r)
	}
	return o, json.Unmarshal(r.Body, &o)
}

// Metric reads one unlabelled sample of the server's /metrics (e.g. "go_goroutines").
func Metric(ctx context.Context, base, name string) (float64, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, base+"/metrics", nil)
	if err != nil {
		return 0, err
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, err
	}
	defer res.Body.Close()
	raw, err := io.ReadAll(res.Body)
	if err != nil {
		return 0, err
	}
	for line := range strings.SplitSeq(string(raw), "\n") {
		if v, ok := strings.CutPrefix(line, name+" "); ok {
			return strconv.ParseFloat(strings.TrimSpace(v), 64)
		}
	}
	return 0, fmt.Errorf("metric %s not found", name)
}
