package printq_test

import (
	"context"
	"encoding/json"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/danielgtaylor/huma/v2"

	"github.com/goodgo/goodgo/internal/kitchen/printq"
	"github.com/goodgo/goodgo/internal/platform/db"
	"github.com/goodgo/goodgo/internal/platform/db/dbtest"
	"github.com/goodgo/goodgo/internal/platform/httpapi"
	"github.com/goodgo/goodgo/internal/platform/httpapi/httpapitest"
	"github.com/goodgo/goodgo/internal/platform/rbac"
)

// world is the queue over HTTP: merchant A's shop with a receipt printer and a printed job, and principals
// for A's owner, A's cashier in shopA, and B's owner.
type world struct {
	*env
	api     huma.API
	handler http.Handler
	printer printq.Printer
	job     printq.PrintJob
	tokens  httpapitest.Tokens
}

func newWorld(t *testing.T, d *db.DB) *world {
	t.Helper()
	e := newEnv(t, d, nil)
	w := &world{env: e}
	w.printer = e.printer(t, e.a, e.shopA, printq.PrinterInput{Name: "Thu ngân", Kind: printq.Receipt, Address: e.fp.Addr()})
	w.job = e.enqueue(t, e.a, printq.JobInput{ShopID: e.shopA, Kind: printq.Receipt, Document: ticket("Bàn 2"), Reference: "order-9"})
	e.runOnce(t, e.svc)
	w.tokens = httpapitest.Tokens{
		"owner-a":   {UserID: "oa", MerchantID: e.a, Roles: []string{"owner"}, Kind: "user"},
		"owner-b":   {UserID: "ob", MerchantID: e.b, Roles: []string{"owner"}, Kind: "user"},
		"cashier-a": {UserID: "ca", MerchantID: e.a, ShopRoles: map[string][]string{e.shopA: {"cashier"}}, Kind: "staff"},
	}
	srv := httpapitest.NewServer(t, httpapi.Config{}, d, e.clk, w.tokens)
	e.svc.Routes(srv.API)
	w.api, w.handler = srv.API, srv.Handler()
	return w
}

func (w *world) call(t *testing.T, token, method, path string, body any) (int, map[string]any) {
	t.Helper()
	return httpapitest.Call(t, w.handler, token, method, path, body)
}

type operation struct {
	id, method, path string
	perm             rbac.Permission
}

func operations(t *testing.T, api huma.API) []operation {
	t.Helper()
	var ops []operation
	for path, item := range api.OpenAPI().Paths {
		for method, op := range map[string]*huma.Operation{http.MethodGet: item.Get, http.MethodPost: item.Post,
			http.MethodPatch: item.Patch, http.MethodDelete: item.Delete, http.MethodPut: item.Put} {
			if op == nil || op.OperationID == "" {
				continue
			}
			perm, public := rbac.Declaration(op)
			if perm == "" || public != "" {
				t.Errorf("operation %s declares no permission", op.OperationID)
			}
			ops = append(ops, operation{id: op.OperationID, method: method, path: path, perm: perm})
		}
	}
	// Deleting goes last so the other operations find the printer.
	slices.SortFunc(ops, func(a, b operation) int {
		return strings.Compare(strings.Replace(a.id, "delete", "~", 1), strings.Replace(b.id, "delete", "~", 1))
	})
	return ops
}

func (w *world) url(path string) string {
	return strings.NewReplacer("{shop_id}", w.shopA, "{printer_id}", w.printer.ID, "{job_id}", w.job.ID).Replace(path)
}

func validBody(opID string) any {
	switch opID {
	case "create-printer":
		return map[string]any{"name": "Bếp nóng", "kind": "kitchen", "station": "kitchen", "address": "192.168.1.51:9100"}
	case "update-printer":
		return map[string]any{"paper_width_mm": 58}
	}
	return nil
}

// Every operation answers 404 to another merchant's owner, and works for the shop's own owner.
func TestEveryRouteIsNotFoundForAnotherMerchant(t *testing.T) {
	dbtest.Each(t, sources, func(t *testing.T, d *db.DB) {
		w := newWorld(t, d)
		ops := operations(t, w.api)
		if len(ops) != 8 {
			t.Fatalf("%d operations, want 8", len(ops))
		}
		for _, op := range ops {
			if code, body := w.call(t, "owner-b", op.method, w.url(op.path), validBody(op.id)); code != http.StatusNotFound {
				t.Errorf("%s %s as merchant B's owner: %d %v, want 404", op.method, op.path, code, body)
			}
		}
		if ps, _ := w.svc.Printers(context.Background(), w.a, w.shopA); len(ps) != 1 || ps[0] != w.printer {
			t.Fatalf("merchant A's printers after B's attempts: %+v", ps)
		}
		for _, op := range ops {
			if code, body := w.call(t, "owner-a", op.method, w.url(op.path), validBody(op.id)); code >= 300 {
				t.Errorf("%s %s as merchant A's owner: %d %v", op.method, op.path, code, body)
			}
		}
	})
}

// A cashier reads printers and jobs and reprints receipts, but does not manage printers.
func TestCashierReprintsButDoesNotManagePrinters(t *testing.T) {
	dbtest.Each(t, sources, func(t *testing.T, d *db.DB) {
		w := newWorld(t, d)
		for _, op := range operations(t, w.api) {
			code, body := w.call(t, "cashier-a", op.method, w.url(op.path), validBody(op.id))
			if allowed := rbac.Allows([]string{string(rbac.Cashier)}, op.perm); allowed != (code < 300) || !allowed && code != http.StatusForbidden {
				t.Errorf("cashier: %s %s: %d %v (permission %s allowed: %v)", op.method, op.path, code, body, op.perm, allowed)
			}
		}
		code, body := w.call(t, "cashier-a", http.MethodPost, "/api/v1/shops/"+w.shopA+"/print-jobs/"+w.job.ID+"/reprint", nil)
		if code != http.StatusCreated || body["reprint_of"] != w.job.ID || body["status"] != "pending" {
			t.Fatalf("reprint: %d %v", code, body)
		}
		code, page := w.call(t, "cashier-a", http.MethodGet, "/api/v1/shops/"+w.shopA+"/print-jobs?status=printed", nil)
		items, _ := page["items"].([]any)
		if code != 200 || len(items) != 1 || items[0].(map[string]any)["id"] != w.job.ID {
			t.Errorf("printed jobs: %d %v", code, page)
		}
		if code, _ := w.call(t, "", http.MethodGet, "/api/v1/shops/"+w.shopA+"/printers", nil); code != http.StatusUnauthorized {
			t.Errorf("anonymous: %d, want 401", code)
		}
	})
}

func TestPrinterLifecycleOverHTTP(t *testing.T) {
	dbtest.Each(t, sources, func(t *testing.T, d *db.DB) {
		w := newWorld(t, d)
		base := "/api/v1/shops/" + w.shopA + "/printers"
		code, p := w.call(t, "owner-a", http.MethodPost, base, map[string]any{"name": "Bếp", "kind": "kitchen",
			"station": "kitchen", "address": "192.168.1.52:9100"})
		if code != http.StatusCreated || p["paper_width_mm"] != 80.0 || p["enabled"] != true || p["station"] != "kitchen" {
			t.Fatalf("create: %d %v", code, p)
		}
		id, _ := p["id"].(string)
		code, body := w.call(t, "owner-a", http.MethodPost, base, map[string]any{"name": "Bếp", "kind": "kitchen",
			"address": "printer.local"})
		if code != http.StatusUnprocessableEntity || !strings.Contains(func() string { b, _ := json.Marshal(body); return string(b) }(), "body.address") {
			t.Errorf("invalid create: %d %v, want 422 naming body.address and body.station", code, body)
		}
		code, p = w.call(t, "owner-a", http.MethodPatch, base+"/"+id, map[string]any{"enabled": false, "paper_width_mm": 58})
		if code != 200 || p["enabled"] != false || p["paper_width_mm"] != 58.0 || p["name"] != "Bếp" {
			t.Fatalf("patch: %d %v", code, p)
		}
		code, list := w.call(t, "owner-a", http.MethodGet, base, nil)
		if items, _ := list["items"].([]any); code != 200 || len(items) != 2 {
			t.Fatalf("list: %d %v", code, list)
		}
		if code, _ := w.call(t, "owner-a", http.MethodDelete, base+"/"+id, nil); code != http.StatusNoContent {
			t.Fatalf("delete: %d", code)
		}
		if code, _ := w.call(t, "owner-a", http.MethodGet, base+"/"+id, nil); code != http.StatusNotFound {
			t.Fatalf("get after delete: %d", code)
		}
		code, job := w.call(t, "owner-a", http.MethodGet, "/api/v1/shops/"+w.shopA+"/print-jobs/"+w.job.ID, nil)
		if code != 200 || job["status"] != "printed" || job["attempts"] != 1.0 || job["printed_at"] == nil {
			t.Fatalf("job: %d %v", code, job)
		}
		if _, err := time.Parse(time.RFC3339, job["expires_at"].(string)); err != nil {
			t.Errorf("expires_at: %v", err)
		}
	})
}
