package rbac

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/danielgtaylor/huma/v2"
	"github.com/go-chi/chi/v5"

	"github.com/goodgo/goodgo/internal/platform/apperr"
	"github.com/goodgo/goodgo/internal/platform/httpapi"
)

func requestOn(pattern, path string) *http.Request {
	var got *http.Request
	r := chi.NewRouter()
	r.Get(pattern, func(w http.ResponseWriter, req *http.Request) { got = req })
	r.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(http.MethodGet, path, nil))
	return got
}

func TestGuard(t *testing.T) {
	shopOp := &huma.Operation{OperationID: "update-shop", Path: "/api/v1/shops/{shop_id}"}
	Require(shopOp, ShopManage)
	merchantOp := &huma.Operation{OperationID: "archive-merchant", Path: "/api/v1/merchant"}
	Require(merchantOp, MerchantManage)
	publicOp := &huma.Operation{OperationID: "login", Path: "/api/v1/auth/login"}
	Public(publicOp, "login")
	undeclared := &huma.Operation{OperationID: "forgot", Path: "/api/v1/forgot"}

	owner := &httpapi.Principal{UserID: "u1", MerchantID: "m", Roles: []string{"owner"}}
	manager := &httpapi.Principal{UserID: "u2", MerchantID: "m", Roles: []string{"manager"}}
	cashierA := &httpapi.Principal{UserID: "u3", MerchantID: "m", ShopRoles: map[string][]string{"A": {"cashier"}}}
	managerPinA := &httpapi.Principal{UserID: "u4", MerchantID: "m", Kind: "staff", ShopRoles: map[string][]string{"A": {"manager"}}}

	shopA := requestOn("/api/v1/shops/{shop_id}", "/api/v1/shops/A")
	shopB := requestOn("/api/v1/shops/{shop_id}", "/api/v1/shops/B")
	plain := requestOn("/api/v1/merchant", "/api/v1/merchant")

	tests := []struct {
		name string
		r    *http.Request
		op   *huma.Operation
		p    *httpapi.Principal
		want apperr.Kind // Unknown means allowed
	}{
		{"owner manages any shop", shopB, shopOp, owner, apperr.Unknown},
		{"manager manages any shop", shopA, shopOp, manager, apperr.Unknown},
		{"cashier may not manage her shop", shopA, shopOp, cashierA, apperr.Forbidden},
		{"cashier cannot see another shop", shopB, shopOp, cashierA, apperr.NotFound},
		{"PIN manager manages his shop", shopA, shopOp, managerPinA, apperr.Unknown},
		{"PIN manager cannot reach another shop", shopB, shopOp, managerPinA, apperr.NotFound},
		{"PIN manager holds no merchant-wide role", plain, merchantOp, managerPinA, apperr.Forbidden},
		{"manager may not archive the merchant", plain, merchantOp, manager, apperr.Forbidden},
		{"owner archives the merchant", plain, merchantOp, owner, apperr.Unknown},
		{"anonymous is unauthenticated", plain, merchantOp, nil, apperr.Unauthenticated},
		{"public needs nobody", plain, publicOp, nil, apperr.Unknown},
		{"undeclared is refused even to the owner", plain, undeclared, owner, apperr.Forbidden},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := Guard{}.Authorize(tt.r, tt.op, tt.p)
			if tt.want == apperr.Unknown {
				if err != nil {
					t.Fatalf("refused: %v", err)
				}
				return
			}
			if got := apperr.KindOf(err); got != tt.want {
				t.Fatalf("kind = %v (%v), want %v", got, err, tt.want)
			}
		})
	}
}

func TestEveryPermissionHasARoleAndRequireSetsSecurity(t *testing.T) {
	for _, p := range Permissions() {
		if len(table[p]) == 0 {
			t.Errorf("permission %s has no role", p)
		}
	}
	op := &huma.Operation{}
	Require(op, ShopRead)
	if got, _ := Declaration(op); got != ShopRead || len(op.Security) == 0 {
		t.Fatalf("declaration %q, security %v", got, op.Security)
	}
	defer func() {
		if recover() == nil {
			t.Error("Require accepted a permission missing from the table")
		}
	}()
	Require(&huma.Operation{}, Permission("made.up"))
}

func TestParseStaffRole(t *testing.T) {
	for _, ok := range []string{"manager", "cashier", "waiter", "kitchen"} {
		if _, err := ParseStaffRole(ok); err != nil {
			t.Errorf("%s refused: %v", ok, err)
		}
	}
	for _, bad := range []string{"owner", "admin", "chef", ""} {
		if _, err := ParseStaffRole(bad); !apperr.Is(err, apperr.Invalid) || len(apperr.Fields(err)) != 1 {
			t.Errorf("%q: err = %v, want invalid with a field error", bad, err)
		}
	}
}

func TestCheckShop(t *testing.T) {
	waiter := &httpapi.Principal{ShopRoles: map[string][]string{"A": {"waiter"}}}
	if err := CheckShop(waiter, "A", FloorRead); err != nil {
		t.Errorf("waiter reading her floor: %v", err)
	}
	if err := CheckShop(waiter, "B", FloorRead); !apperr.Is(err, apperr.NotFound) {
		t.Errorf("other shop: %v", err)
	}
	if err := CheckShop(waiter, "A", FloorManage); !apperr.Is(err, apperr.Forbidden) {
		t.Errorf("waiter editing the floor: %v", err)
	}
}
