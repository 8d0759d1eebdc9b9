package httpapitest_test

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/danielgtaylor/huma/v2"

	"github.com/goodgo/goodgo/internal/platform/clock"
	"github.com/goodgo/goodgo/internal/platform/db"
	"github.com/goodgo/goodgo/internal/platform/db/dbtest"
	"github.com/goodgo/goodgo/internal/platform/httpapi"
	"github.com/goodgo/goodgo/internal/platform/httpapi/httpapitest"
	"github.com/goodgo/goodgo/internal/platform/migrate"
	"github.com/goodgo/goodgo/internal/platform/rbac"
)

type echoInput struct {
	ShopID string `path:"shop_id"`
	Trace  string `header:"X-Trace"`
	Body   struct {
		Name string `json:"name" minLength:"1"`
	}
}

type echoOutput struct {
	Body struct {
		User  string `json:"user"`
		Shop  string `json:"shop"`
		Name  string `json:"name"`
		Trace string `json:"trace"`
	}
}

// world is a server with one operation on a shop that needs catalog.manage, and three principals: the
// shop's owner, a cashier there, and a cashier of another shop.
func world(t *testing.T, d *db.DB) http.Handler {
	srv := httpapitest.NewServer(t, httpapi.Config{}, d, clock.NewFake(time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)),
		httpapitest.Tokens{
			"owner":         {UserID: "o", MerchantID: "m", Roles: []string{"owner"}, Kind: "user"},
			"cashier":       {UserID: "c", MerchantID: "m", ShopRoles: map[string][]string{"s1": {"cashier"}}, Kind: "staff"},
			"cashier-other": {UserID: "x", MerchantID: "m", ShopRoles: map[string][]string{"s2": {"cashier"}}, Kind: "staff"},
		})
	op := rbac.Operation("echo", http.MethodPost, "/api/v1/shops/{shop_id}/echo", "Echo", nil, rbac.CatalogManage, http.StatusOK)
	huma.Register(srv.API, op, func(ctx context.Context, in *echoInput) (*echoOutput, error) {
		p, _ := httpapi.PrincipalFrom(ctx)
		out := &echoOutput{}
		out.Body.User, out.Body.Shop, out.Body.Name, out.Body.Trace = p.UserID, in.ShopID, in.Body.Name, in.Trace
		return out, nil
	})
	return srv.Handler()
}

func TestCallsAsNamedPrincipals(t *testing.T) {
	dbtest.Each(t, []migrate.Source{httpapi.Migrations}, func(t *testing.T, d *db.DB) {
		h := world(t, d)
		const path = "/api/v1/shops/s1/echo"
		tests := []struct {
			name, token string
			body        any
			header      []string
			want        int
		}{
			{"owner, encoded body", "owner", map[string]any{"name": "Phở"}, nil, http.StatusOK},
			{"owner, raw JSON body", "owner", `{"name":"Phở"}`, nil, http.StatusOK},
			{"owner, raw bytes", "owner", []byte(`{"name":"Phở"}`), nil, http.StatusOK},
			{"cashier without the permission", "cashier", map[string]any{"name": "Phở"}, nil, http.StatusForbidden},
			{"cashier of another shop", "cashier-other", map[string]any{"name": "Phở"}, nil, http.StatusNotFound},
			{"anonymous", "", map[string]any{"name": "Phở"}, nil, http.StatusUnauthorized},
			{"unknown token", "nobody", map[string]any{"name": "Phở"}, nil, http.StatusUnauthorized},
			{"another scheme is anonymous", "", map[string]any{"name": "Phở"}, []string{"Authorization", "Apikey k"}, http.StatusUnauthorized},
			{"invalid body", "owner", map[string]any{"name": ""}, nil, http.StatusUnprocessableEntity},
		}
		for _, tt := range tests {
			code, body := httpapitest.Call(t, h, tt.token, http.MethodPost, path, tt.body, tt.header...)
			if code != tt.want {
				t.Errorf("%s: %d %v, want %d", tt.name, code, body, tt.want)
			}
			if code == http.StatusOK && (body["user"] != "o" || body["shop"] != "s1" || body["name"] != "Phở") {
				t.Errorf("%s: answer %v", tt.name, body)
			}
			if code >= 400 && body["status"] != float64(code) {
				t.Errorf("%s: problem %v", tt.name, body)
			}
		}
		rec := httpapitest.Do(t, h, "owner", http.MethodPost, path, map[string]any{"name": "Bún"}, "X-Trace", "t-1")
		if rec.Code != http.StatusOK || rec.Header().Get("Content-Type") != "application/json" ||
			!strings.Contains(rec.Body.String(), `"trace":"t-1"`) {
			t.Errorf("header pairs: %d %q %s", rec.Code, rec.Header().Get("Content-Type"), rec.Body)
		}
	})
}
