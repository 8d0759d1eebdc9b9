package merchant

import (
	"context"
	"net/http"
	"slices"

	"github.com/danielgtaylor/huma/v2"

	"github.com/goodgo/goodgo/internal/platform/apperr"
	"github.com/goodgo/goodgo/internal/platform/httpapi"
	"github.com/goodgo/goodgo/internal/platform/money"
	"github.com/goodgo/goodgo/internal/platform/rbac"
	"github.com/goodgo/goodgo/internal/platform/tenant"
)

// Routes registers the module's operations on api: the merchant profile, shops, and each shop's floor.
// Every operation declares its permission; rbac.Guard checks it (and that a {shop_id} is reachable), and
// the service checks that the shop belongs to the caller's merchant (404 otherwise).
func (s *Service) Routes(api huma.API) {
	s.merchantRoutes(api)
	s.shopRoutes(api)
	s.floorRoutes(api)
	s.deviceRoutes(api)
	s.transferRoutes(api)
	s.staffManagementRoutes(api)
	if s.accounts != nil {
		s.staffRoutes(api)
	}
	if s.secrets != nil {
		s.providerRoutes(api)
	}
}

type createStaffBody struct {
	FullName string `json:"full_name" minLength:"1" maxLength:"100"`
	Email    string `json:"email,omitempty" maxLength:"254"`
	Phone    string `json:"phone,omitempty" maxLength:"20"`
	Role     string `json:"role" enum:"manager,cashier,waiter,kitchen"`
	PIN      string `json:"pin,omitempty" doc:"4 to 6 digits, for PIN login on the shop's terminals."`
}

type createStaffInput struct {
	ShopID string `path:"shop_id" maxLength:"64"`
	Body   createStaffBody
}

type staffOutput struct{ Body NewStaff }

func (s *Service) staffRoutes(api huma.API) {
	huma.Register(api, rbac.Operation("create-staff", http.MethodPost, "/api/v1/shops/{shop_id}/staff",
		"Add a person to a shop with a role and, optionally, a PIN for the shop's terminals", []string{"Staff"},
		rbac.StaffManage, http.StatusCreated),
		func(ctx context.Context, in *createStaffInput) (*staffOutput, error) {
			p, m, err := httpapi.Caller(ctx)
			if err != nil {
				return nil, err
			}
			if in.Body.Role == string(rbac.Manager) && !isOwner(p) {
				return nil, apperr.E(apperr.Forbidden, "only the owner grants the manager role")
			}
			st, err := s.CreateStaff(ctx, m, in.ShopID, StaffAccount{FullName: in.Body.FullName, Email: in.Body.Email,
				Phone: in.Body.Phone, PIN: in.Body.PIN}, in.Body.Role)
			return &staffOutput{Body: st}, err
		})
}

// ---- merchant ----

type profileOutput struct{ Body MerchantProfile }

type patchMerchantBody struct {
	Name    *string `json:"name,omitempty" minLength:"1" maxLength:"100"`
	Phone   *string `json:"phone,omitempty" maxLength:"20"`
	Email   *string `json:"email,omitempty" maxLength:"254"`
	Address *string `json:"address,omitempty" maxLength:"300"`
}

type plansOutput struct {
	Body struct {
		Items []Plan `json:"items"`
	}
}

func (s *Service) merchantRoutes(api huma.API) {
	tags := []string{"Merchant"}
	huma.Register(api, rbac.Operation("get-merchant", http.MethodGet, "/api/v1/merchant",
		"The caller's merchant: profile, plan in force and usage", tags, rbac.MerchantRead, 0),
		func(ctx context.Context, _ *struct{}) (*profileOutput, error) {
			_, m, err := httpapi.Caller(ctx)
			if err != nil {
				return nil, err
			}
			p, err := s.Profile(ctx, m)
			return &profileOutput{Body: p}, err
		})
	huma.Register(api, rbac.Operation("update-merchant", http.MethodPatch, "/api/v1/merchant",
		"Change the merchant's name and contact details", tags, rbac.MerchantManage, 0),
		func(ctx context.Context, in *struct{ Body patchMerchantBody }) (*profileOutput, error) {
			_, m, err := httpapi.Caller(ctx)
			if err != nil {
				return nil, err
			}
			b := in.Body
			p, err := s.UpdateProfile(ctx, m, ProfileInput{Name: b.Name, Phone: b.Phone, Email: b.Email, Address: b.Address})
			return &profileOutput{Body: p}, apperr.Located(err, "body")
		})
	huma.Register(api, rbac.Operation("archive-merchant", http.MethodDelete, "/api/v1/merchant",
		"Archive the merchant (owner): its shops are archived and every membership ends", tags, rbac.MerchantManage,
		http.StatusNoContent),
		func(ctx context.Context, _ *struct{}) (*struct{}, error) {
			_, m, err := httpapi.Caller(ctx)
			if err != nil {
				return nil, err
			}
			return nil, s.ArchiveMerchant(ctx, m)
		})
	huma.Register(api, rbac.Operation("list-plans", http.MethodGet, "/api/v1/plans",
		"The subscription plans and their limits", tags, rbac.MerchantRead, 0),
		func(ctx context.Context, _ *struct{}) (*plansOutput, error) {
			plans, err := s.Plans(ctx)
			out := &plansOutput{}
			out.Body.Items = plans
			return out, err
		})
}

// ---- shops ----

type shopOutput struct{ Body Shop }

type shopPath struct {
	ShopID string `path:"shop_id" maxLength:"64"`
}

type createShopBody struct {
	Name           string       `json:"name" minLength:"1" maxLength:"100"`
	BusinessType   BusinessType `json:"business_type" enum:"restaurant,cafe,karaoke,bar"`
	Address        string       `json:"address,omitempty" maxLength:"300"`
	VATRatePercent int          `json:"vat_rate_percent" enum:"0,5,8,10"`
}

type patchShopBody struct {
	Name                     *string       `json:"name,omitempty" minLength:"1" maxLength:"100"`
	BusinessType             *BusinessType `json:"business_type,omitempty" enum:"restaurant,cafe,karaoke,bar"`
	Address                  *string       `json:"address,omitempty" maxLength:"300"`
	VATRatePercent           *int          `json:"vat_rate_percent,omitempty" enum:"0,5,8,10"`
	PricesIncludeVAT         *bool         `json:"prices_include_vat,omitempty"`
	ServiceChargePercent     *int          `json:"service_charge_percent,omitempty" minimum:"0" maximum:"100"`
	OpeningHours             *string       `json:"opening_hours,omitempty" maxLength:"500"`
	ReceiptHeader            *string       `json:"receipt_header,omitempty" maxLength:"1000"`
	ReceiptFooter            *string       `json:"receipt_footer,omitempty" maxLength:"1000"`
	BankBIN                  *string       `json:"bank_bin,omitempty" pattern:"^([0-9]{6})?$" patternDescription:"the bank's 6-digit BIN"`
	BankAccountNumber        *string       `json:"bank_account_number,omitempty" pattern:"^[0-9A-Za-z]{0,19}$" patternDescription:"up to 19 letters and digits"`
	BankAccountName          *string       `json:"bank_account_name,omitempty" maxLength:"100"`
	RequireRegisteredDevice  *bool         `json:"require_registered_device,omitempty" doc:"Allow PIN sign-in only from the shop's registered terminals."`
	QROrdersNeedConfirmation *bool         `json:"qr_orders_need_confirmation,omitempty" doc:"Hold customers' QR orders until staff send them to the kitchen."`
	SeveralOrdersPerTable    *bool         `json:"several_orders_per_table,omitempty" doc:"Let a table hold several live orders at once."`
	VoidApprovalThreshold    *money.VND    `json:"void_approval_threshold,omitempty" minimum:"0" maximum:"1000000000" doc:"Voids and cancellations worth more than this need a manager; 0 turns it off."`
}

type listShopsInput struct {
	Limit           int    `query:"limit" minimum:"1" maximum:"200" default:"50" doc:"Page size."`
	Cursor          string `query:"cursor" maxLength:"200" doc:"next_cursor of the previous page."`
	IncludeArchived bool   `query:"include_archived" doc:"List archived shops too."`
}

type shopPageOutput struct{ Body ShopPage }

func (s *Service) shopRoutes(api huma.API) {
	tags := []string{"Shops"}
	huma.Register(api, rbac.Operation("create-shop", http.MethodPost, "/api/v1/shops",
		"Create a shop (the merchant's first becomes its default); 409 when the plan's shop limit is reached",
		tags, rbac.ShopCreate, http.StatusCreated),
		func(ctx context.Context, in *struct{ Body createShopBody }) (*shopOutput, error) {
			_, m, err := httpapi.Caller(ctx)
			if err != nil {
				return nil, err
			}
			b := in.Body
			sh, err := s.CreateShop(ctx, m, ShopInput{Name: b.Name, BusinessType: b.BusinessType, Address: b.Address,
				VATRatePercent: b.VATRatePercent})
			return &shopOutput{Body: sh}, apperr.Located(err, "body")
		})
	huma.Register(api, rbac.Operation("list-shops", http.MethodGet, "/api/v1/shops",
		"The merchant's shops in creation order (staff see only theirs)", tags, rbac.ShopRead, 0),
		func(ctx context.Context, in *listShopsInput) (*shopPageOutput, error) {
			p, m, err := httpapi.Caller(ctx)
			if err != nil {
				return nil, err
			}
			only, restricted := p.ReachableShops()
			page, err := s.ListShops(ctx, m, ShopQuery{Limit: in.Limit, Cursor: in.Cursor,
				IncludeArchived: in.IncludeArchived, Restricted: restricted, Only: only})
			if page.Items == nil {
				page.Items = []Shop{}
			}
			return &shopPageOutput{Body: page}, apperr.Located(err, "query")
		})
	huma.Register(api, rbac.Operation("get-shop", http.MethodGet, "/api/v1/shops/{shop_id}",
		"A shop and its settings", tags, rbac.ShopRead, 0),
		func(ctx context.Context, in *shopPath) (*shopOutput, error) {
			_, m, err := httpapi.Caller(ctx)
			if err != nil {
				return nil, err
			}
			sh, err := s.Shop(ctx, m, in.ShopID)
			return &shopOutput{Body: sh}, err
		})
	huma.Register(api, rbac.Operation("update-shop", http.MethodPatch, "/api/v1/shops/{shop_id}",
		"Change a shop's settings (VAT, service charge, receipt texts, bank account for VietQR, …)", tags,
		rbac.ShopManage, 0),
		func(ctx context.Context, in *shopWith[patchShopBody]) (*shopOutput, error) {
			_, m, err := httpapi.Caller(ctx)
			if err != nil {
				return nil, err
			}
			b := in.Body
			sh, err := s.UpdateShop(ctx, m, in.ShopID, ShopPatch{Name: b.Name, BusinessType: b.BusinessType,
				Address: b.Address, VATRatePercent: b.VATRatePercent, PricesIncludeVAT: b.PricesIncludeVAT,
				ServiceChargePercent: b.ServiceChargePercent, OpeningHours: b.OpeningHours,
				ReceiptHeader: b.ReceiptHeader, ReceiptFooter: b.ReceiptFooter, BankBIN: b.BankBIN,
				BankAccountNumber: b.BankAccountNumber, BankAccountName: b.BankAccountName,
				RequireRegisteredDevice: b.RequireRegisteredDevice, QROrdersNeedConfirmation: b.QROrdersNeedConfirmation,
				SeveralOrdersPerTable: b.SeveralOrdersPerTable, VoidApprovalThreshold: b.VoidApprovalThreshold})
			return &shopOutput{Body: sh}, apperr.Located(err, "body")
		})
	huma.Register(api, rbac.Operation("archive-shop", http.MethodPost, "/api/v1/shops/{shop_id}/archive",
		"Archive a shop (not the default while others exist: 409)", tags, rbac.ShopManage, 0),
		func(ctx context.Context, in *shopPath) (*shopOutput, error) {
			_, m, err := httpapi.Caller(ctx)
			if err != nil {
				return nil, err
			}
			sh, err := s.ArchiveShop(ctx, m, in.ShopID)
			return &shopOutput{Body: sh}, err
		})
	huma.Register(api, rbac.Operation("set-default-shop", http.MethodPost, "/api/v1/shops/{shop_id}/set-default",
		"Make a shop the merchant's default (exactly one default per merchant)", tags, rbac.ShopManage, 0),
		func(ctx context.Context, in *shopPath) (*shopOutput, error) {
			_, m, err := httpapi.Caller(ctx)
			if err != nil {
				return nil, err
			}
			sh, err := s.SetDefaultShop(ctx, m, in.ShopID)
			return &shopOutput{Body: sh}, err
		})
}

// ---- floor ----

type floorOutput struct{ Body Floor }
type areaOutput struct{ Body Area }
type tableOutput struct{ Body Table }
type roomOutput struct{ Body Room }

// The path parameters of floor operations, and the same with a body. (huma reads parameters from exported
// fields only, so they are spelled out instead of embedding shopPath.)
type areaPath struct {
	ShopID string `path:"shop_id" maxLength:"64"`
	AreaID string `path:"area_id" maxLength:"64"`
}

type tablePath struct {
	ShopID  string `path:"shop_id" maxLength:"64"`
	TableID string `path:"table_id" maxLength:"64"`
}

type roomPath struct {
	ShopID string `path:"shop_id" maxLength:"64"`
	RoomID string `path:"room_id" maxLength:"64"`
}

type shopWith[B any] struct {
	ShopID string `path:"shop_id" maxLength:"64"`
	Body   B
}

type areaWith[B any] struct {
	ShopID string `path:"shop_id" maxLength:"64"`
	AreaID string `path:"area_id" maxLength:"64"`
	Body   B
}

type tableWith[B any] struct {
	ShopID  string `path:"shop_id" maxLength:"64"`
	TableID string `path:"table_id" maxLength:"64"`
	Body    B
}

type roomWith[B any] struct {
	ShopID string `path:"shop_id" maxLength:"64"`
	RoomID string `path:"room_id" maxLength:"64"`
	Body   B
}

type createAreaBody struct {
	Name      string `json:"name" minLength:"1" maxLength:"50"`
	SortOrder int    `json:"sort_order,omitempty" minimum:"0" maximum:"10000"`
}

type patchAreaBody struct {
	Name      *string `json:"name,omitempty" minLength:"1" maxLength:"50"`
	SortOrder *int    `json:"sort_order,omitempty" minimum:"0" maximum:"10000"`
}

type createTableBody struct {
	AreaID string     `json:"area_id" minLength:"1" maxLength:"64"`
	Name   string     `json:"name" minLength:"1" maxLength:"50"`
	Seats  int        `json:"seats" minimum:"1" maximum:"100"`
	Shape  TableShape `json:"shape,omitempty" enum:"square,round,rectangle" doc:"Default square."`
	X      int        `json:"x,omitempty" minimum:"0" maximum:"10000"`
	Y      int        `json:"y,omitempty" minimum:"0" maximum:"10000"`
}

type patchTableBody struct {
	AreaID *string     `json:"area_id,omitempty" minLength:"1" maxLength:"64"`
	Name   *string     `json:"name,omitempty" minLength:"1" maxLength:"50"`
	Seats  *int        `json:"seats,omitempty" minimum:"1" maximum:"100"`
	Shape  *TableShape `json:"shape,omitempty" enum:"square,round,rectangle"`
	X      *int        `json:"x,omitempty" minimum:"0" maximum:"10000"`
	Y      *int        `json:"y,omitempty" minimum:"0" maximum:"10000"`
}

type createRoomBody struct {
	Name     string `json:"name" minLength:"1" maxLength:"50"`
	RoomType string `json:"room_type" pattern:"^[a-z0-9][a-z0-9_-]{0,31}$" patternDescription:"a lower-case slug such as vip" doc:"small, medium, vip, or a lower-case slug of the merchant's own; names the room's rate plan."`
	Capacity int    `json:"capacity,omitempty" minimum:"0" maximum:"100"`
}

type patchRoomBody struct {
	Name     *string `json:"name,omitempty" minLength:"1" maxLength:"50"`
	RoomType *string `json:"room_type,omitempty" pattern:"^[a-z0-9][a-z0-9_-]{0,31}$" patternDescription:"a lower-case slug such as vip"`
	Capacity *int    `json:"capacity,omitempty" minimum:"0" maximum:"100"`
}

func (s *Service) floorRoutes(api huma.API) {
	tags := []string{"Floor"}
	huma.Register(api, rbac.Operation("get-floor", http.MethodGet, "/api/v1/shops/{shop_id}/floor",
		"A shop's floor: areas with their tables, and karaoke rooms", tags, rbac.FloorRead, 0),
		func(ctx context.Context, in *shopPath) (*floorOutput, error) {
			_, m, err := httpapi.Caller(ctx)
			if err != nil {
				return nil, err
			}
			f, err := s.Floor(ctx, m, in.ShopID)
			return &floorOutput{Body: f}, err
		})

	huma.Register(api, rbac.Operation("create-area", http.MethodPost, "/api/v1/shops/{shop_id}/areas",
		"Add an area to the floor", tags, rbac.FloorManage, http.StatusCreated),
		func(ctx context.Context, in *shopWith[createAreaBody]) (*areaOutput, error) {
			_, m, err := httpapi.Caller(ctx)
			if err != nil {
				return nil, err
			}
			a, err := s.CreateArea(ctx, m, in.ShopID, AreaInput{Name: in.Body.Name, SortOrder: in.Body.SortOrder})
			return &areaOutput{Body: a}, apperr.Located(err, "body")
		})
	huma.Register(api, rbac.Operation("update-area", http.MethodPatch, "/api/v1/shops/{shop_id}/areas/{area_id}",
		"Rename or reorder an area", tags, rbac.FloorManage, 0),
		func(ctx context.Context, in *areaWith[patchAreaBody]) (*areaOutput, error) {
			_, m, err := httpapi.Caller(ctx)
			if err != nil {
				return nil, err
			}
			a, err := s.UpdateArea(ctx, m, in.ShopID, in.AreaID, AreaPatch{Name: in.Body.Name, SortOrder: in.Body.SortOrder})
			return &areaOutput{Body: a}, apperr.Located(err, "body")
		})
	huma.Register(api, rbac.Operation("delete-area", http.MethodDelete, "/api/v1/shops/{shop_id}/areas/{area_id}",
		"Remove an empty area (409 while it has tables)", tags, rbac.FloorManage, http.StatusNoContent),
		func(ctx context.Context, in *areaPath) (*struct{}, error) {
			_, m, err := httpapi.Caller(ctx)
			if err != nil {
				return nil, err
			}
			return nil, s.DeleteArea(ctx, m, in.ShopID, in.AreaID)
		})

	huma.Register(api, rbac.Operation("create-table", http.MethodPost, "/api/v1/shops/{shop_id}/tables",
		"Add a table to an area; it gets a QR token", tags, rbac.FloorManage, http.StatusCreated),
		func(ctx context.Context, in *shopWith[createTableBody]) (*tableOutput, error) {
			_, m, err := httpapi.Caller(ctx)
			if err != nil {
				return nil, err
			}
			b := in.Body
			t, err := s.CreateTable(ctx, m, in.ShopID, TableInput{AreaID: b.AreaID, Name: b.Name, Seats: b.Seats,
				Shape: b.Shape, X: b.X, Y: b.Y})
			return &tableOutput{Body: t}, apperr.Located(err, "body")
		})
	huma.Register(api, rbac.Operation("update-table", http.MethodPatch, "/api/v1/shops/{shop_id}/tables/{table_id}",
		"Change a table (area, name, seats, shape, position)", tags, rbac.FloorManage, 0),
		func(ctx context.Context, in *tableWith[patchTableBody]) (*tableOutput, error) {
			_, m, err := httpapi.Caller(ctx)
			if err != nil {
				return nil, err
			}
			b := in.Body
			t, err := s.UpdateTable(ctx, m, in.ShopID, in.TableID, TablePatch{AreaID: b.AreaID, Name: b.Name,
				Seats: b.Seats, Shape: b.Shape, X: b.X, Y: b.Y})
			return &tableOutput{Body: t}, apperr.Located(err, "body")
		})
	huma.Register(api, rbac.Operation("delete-table", http.MethodDelete, "/api/v1/shops/{shop_id}/tables/{table_id}",
		"Remove a table; its QR code stops working", tags, rbac.FloorManage, http.StatusNoContent),
		func(ctx context.Context, in *tablePath) (*struct{}, error) {
			_, m, err := httpapi.Caller(ctx)
			if err != nil {
				return nil, err
			}
			return nil, s.DeleteTable(ctx, m, in.ShopID, in.TableID)
		})
	huma.Register(api, rbac.Operation("rotate-table-qr-token", http.MethodPost, "/api/v1/shops/{shop_id}/tables/{table_id}/qr-token",
		"Give a table a new QR token; the old one stops resolving", tags, rbac.FloorManage, 0),
		func(ctx context.Context, in *tablePath) (*tableOutput, error) {
			_, m, err := httpapi.Caller(ctx)
			if err != nil {
				return nil, err
			}
			t, err := s.RotateTableQR(ctx, m, in.ShopID, in.TableID)
			return &tableOutput{Body: t}, err
		})

	huma.Register(api, rbac.Operation("create-room", http.MethodPost, "/api/v1/shops/{shop_id}/rooms",
		"Add a karaoke room; it gets a QR token", tags, rbac.FloorManage, http.StatusCreated),
		func(ctx context.Context, in *shopWith[createRoomBody]) (*roomOutput, error) {
			_, m, err := httpapi.Caller(ctx)
			if err != nil {
				return nil, err
			}
			b := in.Body
			r, err := s.CreateRoom(ctx, m, in.ShopID, RoomInput{Name: b.Name, RoomType: b.RoomType, Capacity: b.Capacity})
			return &roomOutput{Body: r}, apperr.Located(err, "body")
		})
	huma.Register(api, rbac.Operation("update-room", http.MethodPatch, "/api/v1/shops/{shop_id}/rooms/{room_id}",
		"Change a room (name, room type, capacity)", tags, rbac.FloorManage, 0),
		func(ctx context.Context, in *roomWith[patchRoomBody]) (*roomOutput, error) {
			_, m, err := httpapi.Caller(ctx)
			if err != nil {
				return nil, err
			}
			b := in.Body
			r, err := s.UpdateRoom(ctx, m, in.ShopID, in.RoomID, RoomPatch{Name: b.Name, RoomType: b.RoomType, Capacity: b.Capacity})
			return &roomOutput{Body: r}, apperr.Located(err, "body")
		})
	huma.Register(api, rbac.Operation("delete-room", http.MethodDelete, "/api/v1/shops/{shop_id}/rooms/{room_id}",
		"Remove a room; its QR code stops working", tags, rbac.FloorManage, http.StatusNoContent),
		func(ctx context.Context, in *roomPath) (*struct{}, error) {
			_, m, err := httpapi.Caller(ctx)
			if err != nil {
				return nil, err
			}
			return nil, s.DeleteRoom(ctx, m, in.ShopID, in.RoomID)
		})
	huma.Register(api, rbac.Operation("rotate-room-qr-token", http.MethodPost, "/api/v1/shops/{shop_id}/rooms/{room_id}/qr-token",
		"Give a room a new QR token; the old one stops resolving", tags, rbac.FloorManage, 0),
		func(ctx context.Context, in *roomPath) (*roomOutput, error) {
			_, m, err := httpapi.Caller(ctx)
			if err != nil {
				return nil, err
			}
			r, err := s.RotateRoomQR(ctx, m, in.ShopID, in.RoomID)
			return &roomOutput{Body: r}, err
		})
}

// isOwner reports whether p is its merchant's owner (a merchant-wide role, never scoped to a shop).
func isOwner(p *httpapi.Principal) bool { return slices.Contains(p.Roles, string(rbac.Owner)) }

type staffListOutput struct {
	Body struct {
		Items []StaffMember `json:"items"`
	}
}

type staffMemberInput struct {
	ShopID string `path:"shop_id" maxLength:"64"`
	UserID string `path:"user_id" maxLength:"64"`
}

type changeRoleBody struct {
	Role string `json:"role" enum:"manager,cashier,waiter,kitchen"`
}

type changeRoleInput struct {
	ShopID string `path:"shop_id" maxLength:"64"`
	UserID string `path:"user_id" maxLength:"64"`
	Body   changeRoleBody
}

type membershipOutput struct{ Body Membership }

func (s *Service) staffManagementRoutes(api huma.API) {
	tags := []string{"Staff"}
	huma.Register(api, rbac.Operation("list-staff", http.MethodGet, "/api/v1/shops/{shop_id}/staff",
		"The people with a role in a shop", tags, rbac.StaffRead, 0),
		func(ctx context.Context, in *shopPath) (*staffListOutput, error) {
			_, m, err := httpapi.Caller(ctx)
			if err != nil {
				return nil, err
			}
			out := &staffListOutput{}
			out.Body.Items, err = s.ListStaff(ctx, m, in.ShopID)
			return out, err
		})
	huma.Register(api, rbac.Operation("change-staff-role", http.MethodPatch, "/api/v1/shops/{shop_id}/staff/{user_id}",
		"Change a person's role in a shop (only the owner grants or takes away manager); audited", tags, rbac.StaffManage, 0),
		func(ctx context.Context, in *changeRoleInput) (*membershipOutput, error) {
			p, m, err := httpapi.Caller(ctx)
			if err != nil {
				return nil, err
			}
			ms, err := s.ChangeStaffRole(ctx, m, in.ShopID, in.UserID, in.Body.Role, p.UserID, isOwner(p))
			return &membershipOutput{Body: ms}, err
		})
	huma.Register(api, rbac.Operation("remove-staff", http.MethodDelete, "/api/v1/shops/{shop_id}/staff/{user_id}",
		"End a person's role in a shop (only the owner removes a manager); audited", tags, rbac.StaffManage, http.StatusNoContent),
		func(ctx context.Context, in *staffMemberInput) (*struct{}, error) {
			p, m, err := httpapi.Caller(ctx)
			if err != nil {
				return nil, err
			}
			return nil, s.RemoveShopStaff(ctx, m, in.ShopID, in.UserID, p.UserID, isOwner(p))
		})
}

type registerDeviceBody struct {
	Name string `json:"name" minLength:"1" maxLength:"100" doc:"What staff call the terminal, e.g. \"Quầy 1\"."`
}

type deviceOutput struct{ Body NewDevice }

type deviceListOutput struct {
	Body struct {
		Items []Device `json:"items"`
	}
}

type deviceInput struct {
	ShopID   string `path:"shop_id" maxLength:"64"`
	DeviceID string `path:"device_id" maxLength:"64"`
}

func (s *Service) deviceRoutes(api huma.API) {
	tags := []string{"Devices"}
	huma.Register(api, rbac.Operation("register-device", http.MethodPost, "/api/v1/shops/{shop_id}/devices",
		"Register a terminal of the shop; its secret is shown once", tags, rbac.ShopManage, http.StatusCreated),
		func(ctx context.Context, in *shopWith[registerDeviceBody]) (*deviceOutput, error) {
			p, m, err := httpapi.Caller(ctx)
			if err != nil {
				return nil, err
			}
			d, err := s.RegisterDevice(ctx, m, in.ShopID, in.Body.Name, p.UserID)
			return &deviceOutput{Body: d}, err
		})
	huma.Register(api, rbac.Operation("list-devices", http.MethodGet, "/api/v1/shops/{shop_id}/devices",
		"The shop's registered terminals", tags, rbac.ShopManage, 0),
		func(ctx context.Context, in *shopPath) (*deviceListOutput, error) {
			_, m, err := httpapi.Caller(ctx)
			if err != nil {
				return nil, err
			}
			out := &deviceListOutput{}
			out.Body.Items, err = s.Devices(ctx, m, in.ShopID)
			return out, err
		})
	huma.Register(api, rbac.Operation("revoke-device", http.MethodDelete, "/api/v1/shops/{shop_id}/devices/{device_id}",
		"Stop a terminal from signing staff in", tags, rbac.ShopManage, http.StatusNoContent),
		func(ctx context.Context, in *deviceInput) (*struct{}, error) {
			p, m, err := httpapi.Caller(ctx)
			if err != nil {
				return nil, err
			}
			return nil, s.RevokeDevice(ctx, m, in.ShopID, in.DeviceID, p.UserID)
		})
}

type providerInput struct {
	ShopID   string `path:"shop_id" maxLength:"64"`
	Provider string `path:"provider" enum:"vnpay,momo,zalopay,bank_transfer"`
}

type setProviderBody struct {
	AccountRef string            `json:"account_ref" minLength:"1" maxLength:"64" doc:"vnpay: tmn_code; momo: partner_code; zalopay: app_id; bank_transfer: account_number."`
	Secrets    map[string]string `json:"secrets" doc:"vnpay: hash_secret; momo: access_key, secret_key; zalopay: key1, key2; bank_transfer: api_key. Stored encrypted, never returned."`
}

type setProviderInput struct {
	ShopID   string `path:"shop_id" maxLength:"64"`
	Provider string `path:"provider" enum:"vnpay,momo,zalopay,bank_transfer"`
	Body     setProviderBody
}

type providerOutput struct{ Body ProviderAccount }

type providerListOutput struct {
	Body struct {
		Items []ProviderAccount `json:"items"`
	}
}

func (s *Service) providerRoutes(api huma.API) {
	tags := []string{"Payment providers"}
	huma.Register(api, rbac.Operation("list-payment-providers", http.MethodGet, "/api/v1/shops/{shop_id}/payment-providers",
		"The shop's payment-provider accounts (secret values are never shown)", tags, rbac.ShopManage, 0),
		func(ctx context.Context, in *shopPath) (*providerListOutput, error) {
			_, m, err := httpapi.Caller(ctx)
			if err != nil {
				return nil, err
			}
			out := &providerListOutput{}
			out.Body.Items, err = s.ProviderAccounts(ctx, m, in.ShopID)
			return out, err
		})
	huma.Register(api, rbac.Operation("set-payment-provider", http.MethodPut, "/api/v1/shops/{shop_id}/payment-providers/{provider}",
		"Set the shop's account at a payment provider; secrets are stored encrypted; audited", tags, rbac.ShopManage, 0),
		func(ctx context.Context, in *setProviderInput) (*providerOutput, error) {
			p, m, err := httpapi.Caller(ctx)
			if err != nil {
				return nil, err
			}
			a, err := s.SetProviderCredentials(ctx, m, in.ShopID, in.Provider, in.Body.AccountRef, in.Body.Secrets, p.UserID)
			return &providerOutput{Body: a}, err
		})
	huma.Register(api, rbac.Operation("remove-payment-provider", http.MethodDelete, "/api/v1/shops/{shop_id}/payment-providers/{provider}",
		"Remove the shop's account at a payment provider; audited", tags, rbac.ShopManage, http.StatusNoContent),
		func(ctx context.Context, in *providerInput) (*struct{}, error) {
			p, m, err := httpapi.Caller(ctx)
			if err != nil {
				return nil, err
			}
			return nil, s.RemoveProviderCredentials(ctx, m, in.ShopID, in.Provider, p.UserID)
		})
}

type transferBody struct {
	ToMerchantID string `json:"to_merchant_id" minLength:"1" maxLength:"64" doc:"The receiving merchant's id."`
}

func (s *Service) transferRoutes(api huma.API) {
	huma.Register(api, rbac.Operation("transfer-shop", http.MethodPost, "/api/v1/shops/{shop_id}/transfer",
		"Give the shop to another merchant with its floor, stock and history (owner only; open orders: 409)",
		[]string{"Shops"}, rbac.ShopTransfer, 0),
		func(ctx context.Context, in *shopWith[transferBody]) (*shopOutput, error) {
			p, m, err := httpapi.Caller(ctx)
			if err != nil {
				return nil, err
			}
			sh, err := s.TransferShop(ctx, m, in.ShopID, tenant.ID(in.Body.ToMerchantID), p.UserID)
			return &shopOutput{Body: sh}, err
		})
}
