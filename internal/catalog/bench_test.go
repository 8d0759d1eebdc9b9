package catalog_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/danielgtaylor/huma/v2"

	"github.com/goodgo/goodgo/internal/catalog"
	"github.com/goodgo/goodgo/internal/platform/clock"
	"github.com/goodgo/goodgo/internal/platform/db"
	"github.com/goodgo/goodgo/internal/platform/db/dbtest"
	"github.com/goodgo/goodgo/internal/platform/httpapi"
	"github.com/goodgo/goodgo/internal/platform/httpapi/httpapitest"
	"github.com/goodgo/goodgo/internal/platform/migrate"
	"github.com/goodgo/goodgo/internal/platform/money"
	"github.com/goodgo/goodgo/internal/platform/rbac"
)

// benchServer is the full HTTP stack (as the app assembles it, with the rate limiter in the path but
// limits it never reaches) over a SQLite catalog of the café template applied twice over: about 30
// products with groups and variants, the size of a real café's menu.
func benchServer(b *testing.B) (http.Handler, string) {
	b.Helper()
	ctx := context.Background()
	d := dbtest.New(b, db.SQLite)
	if err := migrate.Up(ctx, d, slog.New(slog.NewTextHandler(io.Discard, nil)), sources...); err != nil {
		b.Fatal(err)
	}
	e := newEnv(b, d)
	e.svc = catalog.New(d, clock.System{}, catalog.Options{Shops: e.shops, Images: e.images})
	m, shop := e.merchant("Bench")
	for _, tpl := range []string{"cafe", "restaurant", "karaoke"} {
		if _, err := e.svc.ApplyTemplate(ctx, m, tpl); err != nil {
			b.Fatal(err)
		}
	}
	huge := httpapi.Limit{Count: 1 << 30, Per: time.Minute}
	srv := httpapitest.NewServer(b, httpapi.Config{Limits: map[httpapi.Class]httpapi.Limit{httpapi.ClassPublic: huge, httpapi.ClassRead: huge}},
		d, nil, httpapitest.Tokens{})
	e.svc.Routes(srv.API)
	bare := huma.Operation{OperationID: "bench-bare", Method: http.MethodGet, Path: "/api/v1/public/bench-bare"}
	rbac.Public(&bare, "benchmark")
	huma.Register(srv.API, bare, func(ctx context.Context, _ *struct{}) (*struct {
		Body struct {
			OK   bool   `json:"ok"`
			Name string `json:"name"`
		}
	}, error) {
		out := &struct {
			Body struct {
				OK   bool   `json:"ok"`
				Name string `json:"name"`
			}
		}{}
		out.Body.OK, out.Body.Name = true, "Cà phê"
		return out, nil
	})
	return srv.Handler(), shop
}

// discardWriter is a ResponseWriter that keeps the status and drops the body, as a server writing to a
// socket does (httptest.ResponseRecorder would grow a buffer to hold the body: a cost of the test only).
type discardWriter struct {
	header http.Header
	status int
}

func (w *discardWriter) Header() http.Header         { return w.header }
func (w *discardWriter) WriteHeader(code int)        { w.status = code }
func (w *discardWriter) Write(b []byte) (int, error) { return len(b), nil }

func benchGet(b *testing.B, h http.Handler, path string) {
	req := httptest.NewRequest(http.MethodGet, path, nil)
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		w := &discardWriter{header: http.Header{}, status: http.StatusOK}
		h.ServeHTTP(w, req)
		if w.status != http.StatusOK {
			b.Fatalf("status %d", w.status)
		}
	}
}

// BenchmarkPublicMenuCached measures a QR-menu request answered from the cache through the whole stack
// (about 30 KB of menu JSON).
func BenchmarkPublicMenuCached(b *testing.B) {
	h, shop := benchServer(b)
	path := "/api/v1/public/shops/" + shop + "/menu"
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, path, nil)) // warm the cache
	b.SetBytes(int64(rec.Body.Len()))
	benchGet(b, h, path)
}

// BenchmarkBareJSONHandler is the yardstick: a trivial public huma handler behind the same stack.
func BenchmarkBareJSONHandler(b *testing.B) {
	h, _ := benchServer(b)
	benchGet(b, h, "/api/v1/public/bench-bare")
}

// BenchmarkPriceLines prices a 10-line order (variants, options, a combo) per engine.
func BenchmarkPriceLines(b *testing.B) {
	for _, dialect := range dbtest.Dialects() {
		b.Run(string(dialect), func(b *testing.B) {
			ctx := context.Background()
			d := dbtest.New(b, dialect)
			if err := migrate.Up(ctx, d, slog.New(slog.NewTextHandler(io.Discard, nil)), sources...); err != nil {
				b.Fatal(err)
			}
			e := newEnv(b, d)
			c := newCafe(b, e)
			var extra []catalog.CatalogProduct
			for i := range 6 {
				p, err := e.svc.CreateProduct(ctx, c.m, catalog.ProductInput{CategoryID: c.food.ID, Name: fmt.Sprint("Món ", i),
					Price: money.VND(30000 + 1000*i)})
				if err != nil {
					b.Fatal(err)
				}
				extra = append(extra, p)
			}
			lines := []catalog.LineRequest{
				{ProductID: c.coffee.ID, VariantID: c.coffee.Variants[1].ID, Quantity: 2, ModifierOptionIDs: []string{c.lessSugar, c.pearl}},
				{ProductID: c.coffee.ID, VariantID: c.coffee.Variants[0].ID, Quantity: 1, ModifierOptionIDs: []string{c.sugar.Options[0].ID}},
				{ProductID: c.tea.ID, Quantity: 3},
				{ProductID: c.combo.ID, Quantity: 1},
			}
			for _, p := range extra {
				lines = append(lines, catalog.LineRequest{ProductID: p.ID, Quantity: 1})
			}
			b.ReportAllocs()
			b.ResetTimer()
			for b.Loop() {
				if _, err := e.svc.PriceLines(ctx, c.m, c.shop, lines); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
