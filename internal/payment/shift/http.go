package shift

import (
	"context"
	"net/http"

	"github.com/danielgtaylor/huma/v2"

	"github.com/goodgo/goodgo/internal/platform/httpapi"
	"github.com/goodgo/goodgo/internal/platform/money"
	"github.com/goodgo/goodgo/internal/platform/rbac"
)

// Routes registers the shift operations on api. Every operation needs rbac.ShiftWork; rbac.Guard checks it
// (in the shop of a {shop_id} path), and operations on a shift check it in the shift's shop once the shift
// is loaded. A cashier works on their own shifts; rbac.ShiftManage (owner, manager) reaches every shift of
// the shop. Types that appear in the API are named Shift… because huma names schemas by Go type name across
// the whole API.
func (s *Service) Routes(api huma.API) {
	huma.Register(api, op("open-shift", http.MethodPost, "/api/v1/shops/{shop_id}/shifts",
		"Open your shift at the shop's till with the opening float (one open shift per cashier and per terminal)",
		http.StatusCreated),
		func(ctx context.Context, in *openInput) (*shiftOutput, error) {
			p, m, err := httpapi.Caller(ctx)
			if err != nil {
				return nil, err
			}
			sh, err := s.Open(ctx, m, in.ShopID, p.UserID, in.Body.DeviceID, in.Body.OpeningCash)
			return &shiftOutput{Body: sh}, err
		})
	huma.Register(api, op("list-shifts", http.MethodGet, "/api/v1/shops/{shop_id}/shifts",
		"The shop's shifts, newest first (a cashier sees their own)", 0),
		func(ctx context.Context, in *listInput) (*pageOutput, error) {
			p, m, err := httpapi.Caller(ctx)
			if err != nil {
				return nil, err
			}
			f := Filter{Status: in.Status, CashierID: in.CashierID}
			if !rbac.Allows(p.RolesIn(in.ShopID), rbac.ShiftManage) {
				f.CashierID = p.UserID
			}
			page, err := s.List(ctx, m, in.ShopID, f, in.Limit, in.Cursor)
			return &pageOutput{Body: page}, err
		})
	huma.Register(api, op("get-current-shift", http.MethodGet, "/api/v1/shops/{shop_id}/shifts/current",
		"Your open shift in the shop, with its drawer's summary (404 when you have none)", 0),
		func(ctx context.Context, in *shopPath) (*detailOutput, error) {
			p, m, err := httpapi.Caller(ctx)
			if err != nil {
				return nil, err
			}
			d, err := s.Current(ctx, m, in.ShopID, p.UserID)
			return &detailOutput{Body: d}, err
		})
	huma.Register(api, op("get-shift", http.MethodGet, "/api/v1/shifts/{shift_id}",
		"A shift with its drawer's summary: totals by kind of movement and the expected cash", 0),
		func(ctx context.Context, in *shiftPath) (*detailOutput, error) {
			p, m, err := httpapi.Caller(ctx)
			if err != nil {
				return nil, err
			}
			d, err := s.Get(ctx, m, in.ShiftID, p.UserID, access(ctx))
			return &detailOutput{Body: d}, err
		})
	huma.Register(api, op("list-shift-movements", http.MethodGet, "/api/v1/shifts/{shift_id}/movements",
		"Every movement of a shift's drawer, in the order they happened", 0),
		func(ctx context.Context, in *movementsInput) (*movementPageOutput, error) {
			p, m, err := httpapi.Caller(ctx)
			if err != nil {
				return nil, err
			}
			page, err := s.Movements(ctx, m, in.ShiftID, p.UserID, access(ctx), in.Limit, in.Cursor)
			return &movementPageOutput{Body: page}, err
		})
	huma.Register(api, op("create-shift-cash-movement", http.MethodPost, "/api/v1/shifts/{shift_id}/cash-movements",
		"Put cash into the drawer or take it out (petty cash, bank drop …), with a reason", http.StatusCreated),
		func(ctx context.Context, in *cashInput) (*movementOutput, error) {
			p, m, err := httpapi.Caller(ctx)
			if err != nil {
				return nil, err
			}
			mv, err := s.MoveCash(ctx, m, in.ShiftID, in.Body.Type, in.Body.Amount, in.Body.Reason, p.UserID, access(ctx))
			return &movementOutput{Body: mv}, err
		})
	huma.Register(api, op("close-shift", http.MethodPost, "/api/v1/shifts/{shift_id}/close",
		"Close a shift with the cash counted in the drawer: answers the expected cash and the variance", 0),
		func(ctx context.Context, in *closeInput) (*closeOutput, error) {
			p, m, err := httpapi.Caller(ctx)
			if err != nil {
				return nil, err
			}
			res, err := s.Close(ctx, m, in.ShiftID, in.Body.CountedCash, in.Body.Note, p.UserID, access(ctx))
			return &closeOutput{Body: res}, err
		})
}

// access is the caller's standing in a shift's shop: shift work there (404 for a shop out of reach, 403
// for a role without it), and whether they manage shifts there.
func access(ctx context.Context) Access {
	return func(shopID string) (bool, error) {
		p, _ := httpapi.PrincipalFrom(ctx)
		if err := rbac.CheckShop(p, shopID, rbac.ShiftWork); err != nil {
			return false, err
		}
		return rbac.Allows(p.RolesIn(shopID), rbac.ShiftManage), nil
	}
}

func op(id, method, path, summary string, status int) huma.Operation {
	return rbac.Operation(id, method, path, summary, []string{"Shifts"}, rbac.ShiftWork, status)
}

// ShiftOpenBody opens a shift.
type ShiftOpenBody struct {
	OpeningCash money.VND `json:"opening_cash" minimum:"0" maximum:"1000000000" doc:"The float in the drawer, in đồng."`
	DeviceID    string    `json:"device_id,omitempty" maxLength:"64" doc:"The registered terminal (device id) the shift runs on."`
}

// ShiftCashBody is a cash movement by hand.
type ShiftCashBody struct {
	Type   CashDirection `json:"type" enum:"in,out"`
	Amount money.VND     `json:"amount" minimum:"1" maximum:"1000000000"`
	Reason string        `json:"reason" minLength:"1" maxLength:"200" doc:"Why: petty cash, bank drop, change float …"`
}

// ShiftCloseBody closes a shift.
type ShiftCloseBody struct {
	CountedCash money.VND `json:"counted_cash" minimum:"0" maximum:"1000000000" doc:"The cash counted in the drawer."`
	Note        string    `json:"note,omitempty" maxLength:"500"`
}

type shopPath struct {
	ShopID string `path:"shop_id" maxLength:"64"`
}

type shiftPath struct {
	ShiftID string `path:"shift_id" maxLength:"64"`
}

// Inputs repeat their parameters: huma reads parameters from the input struct's own fields only.
type openInput struct {
	ShopID string `path:"shop_id" maxLength:"64"`
	Body   ShiftOpenBody
}

type listInput struct {
	ShopID    string `path:"shop_id" maxLength:"64"`
	Status    Status `query:"status" enum:"open,closed" doc:"Only open or only closed shifts."`
	CashierID string `query:"cashier_id" maxLength:"64" doc:"Only this cashier's shifts (managers; a cashier always sees their own)."`
	Limit     int    `query:"limit" minimum:"1" maximum:"200" default:"50" doc:"Page size."`
	Cursor    string `query:"cursor" maxLength:"64" doc:"next_cursor of the previous page."`
}

type movementsInput struct {
	ShiftID string `path:"shift_id" maxLength:"64"`
	Limit   int    `query:"limit" minimum:"1" maximum:"200" default:"100" doc:"Page size."`
	Cursor  string `query:"cursor" maxLength:"64" doc:"next_cursor of the previous page."`
}

type cashInput struct {
	ShiftID string `path:"shift_id" maxLength:"64"`
	Body    ShiftCashBody
}

type closeInput struct {
	ShiftID string `path:"shift_id" maxLength:"64"`
	Body    ShiftCloseBody
}

type shiftOutput struct{ Body Shift }
type detailOutput struct{ Body ShiftDetail }
type pageOutput struct{ Body ShiftPage }
type movementOutput struct{ Body ShiftMovement }
type movementPageOutput struct{ Body ShiftMovementPage }
type closeOutput struct{ Body ShiftCloseResult }
