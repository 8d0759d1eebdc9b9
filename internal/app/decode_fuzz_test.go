package app

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"sort"
	"strings"
	"testing"

	"github.com/danielgtaylor/huma/v2"
)

// fuzzOp is one operation of the API that takes a JSON body.
type fuzzOp struct {
	id, method, path string
}

// FuzzRequestBodies sends arbitrary bodies to every operation of the whole application that reads a JSON
// body (its request decoder and validation, then the handler), as a signed-in owner, on real path ids.
// Whatever the body, the answer is never a server error, and every error is a problem document (API.md: a
// 5xx is a bug; bad input is the client's). Operations that end the caller's session or the merchant, and
// the multipart upload, are left out so the run keeps its footing.
func FuzzRequestBodies(f *testing.F) {
	ctx := context.Background()
	cfg := testConfig(f)
	cfg.RateLimitExemptCIDRs = []string{"0.0.0.0/0"}
	a, err := build(ctx, cfg, quietLog(), modules())
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() { _ = a.Close(ctx) })
	h := a.Handler()
	call := func(method, path, token string, body []byte) *httptest.ResponseRecorder {
		req := httptest.NewRequest(method, path, bytes.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		return rec
	}
	must := func(method, path, token string, body any, want int) map[string]any {
		b, _ := json.Marshal(body)
		rec := call(method, path, token, b)
		var out map[string]any
		_ = json.Unmarshal(rec.Body.Bytes(), &out)
		if rec.Code != want {
			f.Fatalf("%s %s: %d %s, want %d", method, path, rec.Code, rec.Body, want)
		}
		return out
	}
	owner := must("POST", "/api/v1/auth/register", "", map[string]string{"email": "fuzz@quan.vn", "password": "Thử đủ kiểu 2026",
		"full_name": "Chủ quán", "merchant_name": "Quán Fuzz"}, 201)["access_token"].(string)
	ids := map[string]string{}
	ids["shop_id"] = must("POST", "/api/v1/shops", owner, map[string]any{"name": "Quán", "business_type": "restaurant",
		"vat_rate_percent": 8}, 201)["id"].(string)
	ids["category_id"] = must("POST", "/api/v1/categories", owner, map[string]any{"name": "Món", "station": "kitchen"}, 201)["id"].(string)
	ids["product_id"] = must("POST", "/api/v1/products", owner, map[string]any{"name": "Phở", "category_id": ids["category_id"],
		"price": 50000}, 201)["id"].(string)
	ids["order_id"] = must("POST", "/api/v1/shops/"+ids["shop_id"]+"/orders", owner, map[string]any{"type": "takeaway"}, 201)["id"].(string)
	order := must("POST", "/api/v1/orders/"+ids["order_id"]+"/lines", owner, map[string]any{"product_id": ids["product_id"], "quantity": 2}, 201)
	if lines, _ := order["lines"].([]any); len(lines) > 0 {
		ids["line_id"], _ = lines[0].(map[string]any)["id"].(string)
	}

	skip := map[string]bool{"auth-logout": true, "sessions-revoke-others": true, "mfa-totp-enroll": true, "mfa-totp-confirm": true,
		"mfa-disable": true, "archive-merchant": true, "transfer-shop": true, "upload-file": true, "archive-shop": true,
		"remove-staff": true, "change-staff-role": true}
	var ops []fuzzOp
	doc := a.http.API.OpenAPI()
	for path, item := range doc.Paths {
		for method, op := range map[string]*huma.Operation{"POST": item.Post, "PUT": item.Put, "PATCH": item.Patch, "DELETE": item.Delete} {
			if op == nil || op.RequestBody == nil || skip[op.OperationID] {
				continue
			}
			ops = append(ops, fuzzOp{id: op.OperationID, method: method, path: path})
		}
	}
	sort.Slice(ops, func(i, j int) bool { return ops[i].id < ops[j].id })
	if len(ops) < 40 {
		f.Fatalf("only %d operations with a body: the OpenAPI walk is broken", len(ops))
	}
	for i := range ops {
		for _, seed := range []string{`{}`, `{"name":"x","quantity":-1,"amount":1000.5,"price":"1000","a":[[[[[[[[]]]]]]]]}`} {
			f.Add(uint16(i), []byte(seed))
		}
	}
	f.Fuzz(func(t *testing.T, which uint16, body []byte) {
		op := ops[int(which)%len(ops)]
		path := op.path
		for {
			open := strings.IndexByte(path, '{')
			if open < 0 {
				break
			}
			end := strings.IndexByte(path[open:], '}')
			name := path[open+1 : open+end]
			v := ids[name]
			if v == "" {
				v = "01a00000-0000-7000-8000-000000000000"
			}
			path = path[:open] + v + path[open+end+1:]
		}
		rec := call(op.method, path, owner, body)
		if rec.Code >= 500 {
			t.Fatalf("%s (%s %s) with body %q: %d %s", op.id, op.method, path, body, rec.Code, rec.Body)
		}
		if rec.Code >= 400 && rec.Header().Get("Content-Type") != "application/problem+json" {
			t.Fatalf("%s with body %q: %d without a problem document (%s)", op.id, body, rec.Code, rec.Header().Get("Content-Type"))
		}
		if rec.Code == http.StatusUnauthorized { // a provider callback's signature, or the session gone?
			if me := call("GET", "/api/v1/me", owner, nil); me.Code != http.StatusOK {
				t.Fatalf("%s with body %q ended the owner's session: %d %s", op.id, body, me.Code, me.Body)
			}
		}
	})
}
