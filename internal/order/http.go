package order

import (
	"context"
	"net/http"
	"time"

	"github.com/danielgtaylor/huma/v2"

	"github.com/goodgo/goodgo/internal/platform/escpos"
	"github.com/goodgo/goodgo/internal/platform/httpapi"
	"github.com/goodgo/goodgo/internal/platform/money"
	"github.com/goodgo/goodgo/internal/platform/rbac"
	"github.com/goodgo/goodgo/internal/platform/tenant"
)

// Routes registers the order operations. Routes under /orders/{order_id} carry no shop in their path: the
// change loads the order and checks that the caller may act in its shop (404 otherwise). Every mutation
// accepts an Idempotency-Key (the platform middleware replays the first answer) and an expected_version.
func (s *Service) Routes(api huma.API) {
	s.timerRoutes(api)
	s.receiptRoutes(api)
	s.moveRoutes(api)
	s.discountRoutes(api)
	s.splitRoutes(api)
	if s.qr != nil {
		s.qrRoutes(api)
	}
	tags := []string{"Orders"}
	huma.Register(api, rbac.Operation("open-order", http.MethodPost, "/api/v1/shops/{shop_id}/orders",
		"Open an order on a table, a karaoke room, or for takeaway (409 when the table already has one)", tags, rbac.OrderWrite, http.StatusCreated),
		func(ctx context.Context, in *openInput) (*orderOutput, error) {
			p, m, err := httpapi.Caller(ctx)
			if err != nil {
				return nil, err
			}
			o, err := s.Open(ctx, m, in.ShopID, OpenInput{Type: Type(in.Body.Type), TableID: in.Body.TableID, RoomID: in.Body.RoomID,
				Guests: in.Body.Guests, Note: in.Body.Note}, p.UserID)
			return &orderOutput{Body: o}, err
		})
	huma.Register(api, rbac.Operation("list-orders", http.MethodGet, "/api/v1/shops/{shop_id}/orders",
		"The shop's live orders (or those of one status), oldest first", tags, rbac.OrderRead, 0),
		func(ctx context.Context, in *listInput) (*orderListOutput, error) {
			_, m, err := httpapi.Caller(ctx)
			if err != nil {
				return nil, err
			}
			if _, err := s.shops.Terms(ctx, nil, m, in.ShopID); err != nil {
				return nil, err
			}
			out := &orderListOutput{}
			out.Body.Items, err = s.List(ctx, m, in.ShopID, Status(in.Status))
			return out, err
		})
	huma.Register(api, rbac.Operation("get-order", http.MethodGet, "/api/v1/orders/{order_id}", "An order with its lines, totals and payments",
		tags, rbac.OrderRead, 0),
		func(ctx context.Context, in *orderPath) (*orderOutput, error) {
			_, m, err := httpapi.Caller(ctx)
			if err != nil {
				return nil, err
			}
			o, err := s.Get(ctx, m, in.OrderID)
			if err == nil {
				err = rbac.ShopAccess(ctx, rbac.OrderRead)(o.ShopID)
			}
			return &orderOutput{Body: o}, err
		})
	huma.Register(api, rbac.Operation("add-order-line", http.MethodPost, "/api/v1/orders/{order_id}/lines",
		"Add a line (priced from the shop's menu); Idempotency-Key makes a retry add it once", tags, rbac.OrderWrite, http.StatusCreated),
		func(ctx context.Context, in *addLineInput) (*orderOutput, error) {
			c, m, err := s.changeOf(ctx, rbac.OrderWrite, in.Body.ExpectedVersion)
			if err != nil {
				return nil, err
			}
			b := in.Body
			o, err := s.AddLine(ctx, m, in.OrderID, LineInput{ProductID: b.ProductID, VariantID: b.VariantID, Quantity: b.Quantity,
				ModifierOptionIDs: b.ModifierOptionIDs, Note: b.Note, Seat: b.Seat, Course: b.Course}, c)
			return &orderOutput{Body: o}, err
		})
	huma.Register(api, rbac.Operation("update-order-line", http.MethodPatch, "/api/v1/orders/{order_id}/lines/{line_id}",
		"Change a line not yet sent to the kitchen", tags, rbac.OrderWrite, 0),
		func(ctx context.Context, in *updateLineInput) (*orderOutput, error) {
			c, m, err := s.changeOf(ctx, rbac.OrderWrite, in.Body.ExpectedVersion)
			if err != nil {
				return nil, err
			}
			o, err := s.UpdateLine(ctx, m, in.OrderID, in.LineID, LinePatch{Quantity: in.Body.Quantity, Note: in.Body.Note}, c)
			return &orderOutput{Body: o}, err
		})
	huma.Register(api, rbac.Operation("void-order-line", http.MethodPost, "/api/v1/orders/{order_id}/lines/{line_id}/void",
		"Void a line with a reason (a sent line goes to the kitchen as a void at the next submit)", tags, rbac.OrderVoid, 0),
		func(ctx context.Context, in *voidLineInput) (*orderOutput, error) {
			c, m, err := s.changeOf(ctx, rbac.OrderVoid, in.Body.ExpectedVersion)
			if err != nil {
				return nil, err
			}
			c = withApproval(ctx, c, in.Body.Approval)
			o, err := s.VoidLine(ctx, m, in.OrderID, in.LineID, in.Body.Reason, c)
			return &orderOutput{Body: o}, err
		})
	huma.Register(api, rbac.Operation("submit-order", http.MethodPost, "/api/v1/orders/{order_id}/submit",
		"Send new lines and voids to the kitchen; returns the tickets created (none when nothing is new)", tags, rbac.OrderWrite, 0),
		func(ctx context.Context, in *versionInput) (*submitOutput, error) {
			c, m, err := s.changeOf(ctx, rbac.OrderWrite, versionOf(in.Body))
			if err != nil {
				return nil, err
			}
			o, tickets, err := s.Submit(ctx, m, in.OrderID, c)
			out := &submitOutput{}
			out.Body.Order, out.Body.Tickets = o, tickets
			return out, err
		})
	huma.Register(api, rbac.Operation("close-order", http.MethodPost, "/api/v1/orders/{order_id}/close",
		"Close an order with nothing left to pay; its table or room is free again", tags, rbac.OrderWrite, 0),
		func(ctx context.Context, in *versionInput) (*orderOutput, error) {
			c, m, err := s.changeOf(ctx, rbac.OrderWrite, versionOf(in.Body))
			if err != nil {
				return nil, err
			}
			o, err := s.Close(ctx, m, in.OrderID, c)
			return &orderOutput{Body: o}, err
		})
	huma.Register(api, rbac.Operation("cancel-order", http.MethodPost, "/api/v1/orders/{order_id}/cancel",
		"Cancel an order nothing was paid on, with a reason; sent lines are withdrawn from the kitchen", tags, rbac.OrderVoid, 0),
		func(ctx context.Context, in *cancelInput) (*orderOutput, error) {
			c, m, err := s.changeOf(ctx, rbac.OrderVoid, in.Body.ExpectedVersion)
			if err != nil {
				return nil, err
			}
			c = withApproval(ctx, c, in.Body.Approval)
			o, err := s.Cancel(ctx, m, in.OrderID, in.Body.Reason, c)
			return &orderOutput{Body: o}, err
		})
}

func (s *Service) splitRoutes(api huma.API) {
	tags := []string{"Orders"}
	huma.Register(api, rbac.Operation("split-order", http.MethodPost, "/api/v1/orders/{order_id}/split",
		"Split the bill into checks paid separately: by groups of lines, or by seat", tags, rbac.OrderWrite, 0),
		func(ctx context.Context, in *splitInput) (*splitOutput, error) {
			c, m, err := s.changeOf(ctx, rbac.OrderWrite, in.Body.ExpectedVersion)
			if err != nil {
				return nil, err
			}
			o, checks, err := s.Split(ctx, m, in.OrderID, SplitInput{Groups: in.Body.Groups, BySeat: in.Body.BySeat}, c)
			out := &splitOutput{}
			out.Body.Order, out.Body.Checks = o, checks
			return out, err
		})
	huma.Register(api, rbac.Operation("split-order-equally", http.MethodGet, "/api/v1/orders/{order_id}/split-equally",
		"The amounts that split what is due into equal payments", tags, rbac.OrderRead, 0),
		func(ctx context.Context, in *splitEquallyInput) (*splitEquallyOutput, error) {
			_, m, err := httpapi.Caller(ctx)
			if err != nil {
				return nil, err
			}
			out := &splitEquallyOutput{}
			out.Body.Parts, err = s.SplitEqually(ctx, m, in.OrderID, in.Parts, rbac.ShopAccess(ctx, rbac.OrderRead))
			return out, err
		})
}

type splitBody struct {
	Groups          [][]string `json:"groups,omitempty" maxItems:"20" doc:"Line ids, one group per new check."`
	BySeat          bool       `json:"by_seat,omitempty" doc:"One check per seat instead (lines of seat 0 stay)."`
	ExpectedVersion int64      `json:"expected_version,omitempty" minimum:"0"`
}

type splitInput struct {
	OrderID string `path:"order_id" maxLength:"64"`
	Body    splitBody
}

type splitOutput struct {
	Body struct {
		Order  Order   `json:"order"`
		Checks []Order `json:"checks"`
	}
}

type splitEquallyInput struct {
	OrderID string `path:"order_id" maxLength:"64"`
	Parts   int    `query:"parts" minimum:"2" maximum:"50" required:"true"`
}

type splitEquallyOutput struct {
	Body struct {
		Parts []money.VND `json:"parts"`
	}
}

func (s *Service) discountRoutes(api huma.API) {
	tags := []string{"Orders"}
	huma.Register(api, rbac.Operation("discount-order-line", http.MethodPost, "/api/v1/orders/{order_id}/lines/{line_id}/discount",
		"Set (or with value 0 remove) a line's discount, percent or fixed, with a reason", tags, rbac.OrderVoid, 0),
		func(ctx context.Context, in *lineDiscountInput) (*orderOutput, error) {
			c, m, err := s.changeOf(ctx, rbac.OrderVoid, in.Body.ExpectedVersion)
			if err != nil {
				return nil, err
			}
			o, err := s.DiscountLine(ctx, m, in.OrderID, in.LineID, DiscountInput{Kind: in.Body.Kind, Value: in.Body.Value, Reason: in.Body.Reason}, c)
			return &orderOutput{Body: o}, err
		})
	huma.Register(api, rbac.Operation("discount-order", http.MethodPost, "/api/v1/orders/{order_id}/discount",
		"Set (or with value 0 remove) a discount on the whole order, shared over its lines", tags, rbac.OrderVoid, 0),
		func(ctx context.Context, in *orderDiscountInput) (*orderOutput, error) {
			c, m, err := s.changeOf(ctx, rbac.OrderVoid, in.Body.ExpectedVersion)
			if err != nil {
				return nil, err
			}
			o, err := s.DiscountOrder(ctx, m, in.OrderID, DiscountInput{Kind: in.Body.Kind, Value: in.Body.Value, Reason: in.Body.Reason}, c)
			return &orderOutput{Body: o}, err
		})
}

type discountBody struct {
	Kind            string `json:"kind" enum:"percent,fixed"`
	Value           int64  `json:"value" minimum:"0" doc:"percent: 1–100; fixed: đồng; 0 removes the discount."`
	Reason          string `json:"reason,omitempty" maxLength:"200"`
	ExpectedVersion int64  `json:"expected_version,omitempty" minimum:"0"`
}

type lineDiscountInput struct {
	OrderID string `path:"order_id" maxLength:"64"`
	LineID  string `path:"line_id" maxLength:"64"`
	Body    discountBody
}

type orderDiscountInput struct {
	OrderID string `path:"order_id" maxLength:"64"`
	Body    discountBody
}

func (s *Service) moveRoutes(api huma.API) {
	tags := []string{"Orders"}
	huma.Register(api, rbac.Operation("move-order-table", http.MethodPost, "/api/v1/orders/{order_id}/move",
		"Move a dine-in order to another (free) table", tags, rbac.OrderWrite, 0),
		func(ctx context.Context, in *moveInput) (*orderOutput, error) {
			c, m, err := s.changeOf(ctx, rbac.OrderWrite, in.Body.ExpectedVersion)
			if err != nil {
				return nil, err
			}
			o, err := s.MoveTable(ctx, m, in.OrderID, in.Body.TableID, c)
			return &orderOutput{Body: o}, err
		})
	huma.Register(api, rbac.Operation("merge-orders", http.MethodPost, "/api/v1/orders/{order_id}/merge",
		"Merge another order of the shop into this one (its lines move; it is closed as merged)", tags, rbac.OrderWrite, 0),
		func(ctx context.Context, in *mergeInput) (*orderOutput, error) {
			c, m, err := s.changeOf(ctx, rbac.OrderWrite, in.Body.ExpectedVersion)
			if err != nil {
				return nil, err
			}
			o, err := s.Merge(ctx, m, in.OrderID, in.Body.OrderID, c)
			return &orderOutput{Body: o}, err
		})
}

type moveOrderBody struct {
	TableID         string `json:"table_id" minLength:"1" maxLength:"64"`
	ExpectedVersion int64  `json:"expected_version,omitempty" minimum:"0"`
}

type moveInput struct {
	OrderID string `path:"order_id" maxLength:"64"`
	Body    moveOrderBody
}

type mergeOrderBody struct {
	OrderID         string `json:"order_id" minLength:"1" maxLength:"64" doc:"The order whose lines move into this one."`
	ExpectedVersion int64  `json:"expected_version,omitempty" minimum:"0"`
}

type mergeInput struct {
	OrderID string `path:"order_id" maxLength:"64"`
	Body    mergeOrderBody
}

func (s *Service) qrRoutes(api huma.API) {
	o := huma.Operation{OperationID: "place-qr-order", Method: http.MethodPost, Path: "/api/v1/public/tables/{qr_token}/orders",
		Summary: "A customer orders from the table's QR code: the lines join the table's order", Tags: []string{"Public"},
		DefaultStatus: http.StatusCreated}
	rbac.Public(&o, "customers order from a table's QR code without an account")
	huma.Register(api, o, func(ctx context.Context, in *qrOrderInput) (*qrOrderOutput, error) {
		lines := make([]LineInput, len(in.Body.Lines))
		for i, l := range in.Body.Lines {
			lines[i] = LineInput{ProductID: l.ProductID, VariantID: l.VariantID, Quantity: l.Quantity, ModifierOptionIDs: l.ModifierOptionIDs, Note: l.Note}
		}
		v, err := s.PlaceQROrder(ctx, in.Token, in.Body.OrderID, lines)
		return &qrOrderOutput{Body: v}, err
	})
	info := huma.Operation{OperationID: "get-qr-table", Method: http.MethodGet, Path: "/api/v1/public/tables/{qr_token}",
		Summary: "What a table's QR code opens: the shop, the table or room, and how its orders go", Tags: []string{"Public"}}
	rbac.Public(&info, "a customer's phone reads the QR code it scanned")
	huma.Register(api, info, func(ctx context.Context, in *qrTokenInput) (*qrTableOutput, error) {
		t, err := s.QRTableOf(ctx, in.Token)
		return &qrTableOutput{Body: t}, err
	})
	view := huma.Operation{OperationID: "get-qr-order", Method: http.MethodGet, Path: "/api/v1/public/tables/{qr_token}/order",
		Summary: "The order at the QR code's table as the customer sees it (poll it for status)", Tags: []string{"Public"}}
	rbac.Public(&view, "customers follow their order from the table's QR code without an account")
	huma.Register(api, view, func(ctx context.Context, in *qrOrderQuery) (*qrOrderOutput, error) {
		v, err := s.QROrderAt(ctx, in.Token, in.OrderID)
		return &qrOrderOutput{Body: v}, err
	})
	call := huma.Operation{OperationID: "call-staff", Method: http.MethodPost, Path: "/api/v1/public/tables/{qr_token}/call-staff",
		Summary: "The customer calls staff to the table (gọi nhân viên); the shop's screens get table.staff_called", Tags: []string{"Public"},
		DefaultStatus: http.StatusAccepted}
	rbac.Public(&call, "customers call staff from the table's QR code without an account")
	huma.Register(api, call, func(ctx context.Context, in *callStaffInput) (*struct{}, error) {
		return nil, s.CallStaff(ctx, in.Token, in.Body.Reason)
	})
}

type qrTokenInput struct {
	Token string `path:"qr_token" minLength:"8" maxLength:"64"`
}

type qrOrderQuery struct {
	Token   string `path:"qr_token" minLength:"8" maxLength:"64"`
	OrderID string `query:"order_id" maxLength:"64" doc:"At a shared table, the party's own order."`
}

type callStaffInput struct {
	Token string `path:"qr_token" minLength:"8" maxLength:"64"`
	Body  struct {
		Reason string `json:"reason" enum:"call,bill,water" default:"call" doc:"call: come to the table; bill: bring the bill; water: bring water."`
	}
}

type qrTableOutput struct{ Body QRTable }

type qrLineBody struct {
	ProductID         string   `json:"product_id" minLength:"1" maxLength:"64"`
	VariantID         string   `json:"variant_id,omitempty" maxLength:"64"`
	Quantity          int      `json:"quantity" minimum:"1" maximum:"99"`
	ModifierOptionIDs []string `json:"modifier_option_ids,omitempty" maxItems:"50"`
	Note              string   `json:"note,omitempty" maxLength:"200"`
}

type qrOrderBody struct {
	Lines []qrLineBody `json:"lines" minItems:"1" maxItems:"50"`
	// OrderID continues the customer's own order at a table the shop lets several parties share.
	OrderID string `json:"order_id,omitempty" maxLength:"64" doc:"At a shared table (the shop lets a table hold several orders), the order this phone placed before; without it a new order opens. Ignored elsewhere: the table's one order takes the lines."`
}

type qrOrderInput struct {
	Token string `path:"qr_token" minLength:"8" maxLength:"64"`
	Body  qrOrderBody
}

type qrOrderOutput struct{ Body QROrderView }

func (s *Service) receiptRoutes(api huma.API) {
	tags := []string{"Orders"}
	huma.Register(api, rbac.Operation("get-order-receipt", http.MethodGet, "/api/v1/orders/{order_id}/receipt",
		"The order's receipt (the bill to check before it is paid) as an HTML page for 80 mm paper", tags, rbac.OrderRead, 0),
		func(ctx context.Context, in *orderPath) (*receiptOutput, error) {
			_, m, err := httpapi.Caller(ctx)
			if err != nil {
				return nil, err
			}
			doc, o, err := s.Receipt(ctx, m, in.OrderID, rbac.ShopAccess(ctx, rbac.OrderRead))
			if err != nil {
				return nil, err
			}
			page, err := escpos.HTML(doc, "Hóa đơn "+o.PlaceName)
			if err != nil {
				return nil, err
			}
			return &receiptOutput{ContentType: "text/html; charset=utf-8", Body: page}, nil
		})
	huma.Register(api, rbac.Operation("print-order-receipt", http.MethodPost, "/api/v1/orders/{order_id}/receipt/print",
		"Print (or reprint) the order's receipt on the shop's receipt printer", tags, rbac.OrderWrite, http.StatusAccepted),
		func(ctx context.Context, in *orderPath) (*printOutput, error) {
			_, m, err := httpapi.Caller(ctx)
			if err != nil {
				return nil, err
			}
			job, err := s.PrintReceipt(ctx, m, in.OrderID, rbac.ShopAccess(ctx, rbac.OrderWrite))
			out := &printOutput{}
			out.Body.PrintJobID = job
			return out, err
		})
}

type receiptOutput struct {
	ContentType string `header:"Content-Type"`
	Body        []byte
}

type printOutput struct {
	Body struct {
		PrintJobID string `json:"print_job_id"`
	}
}

func (s *Service) timerRoutes(api huma.API) {
	tags := []string{"Orders"}
	simple := func(id, path, summary string, perm rbac.Permission, fn func(context.Context, tenant.ID, string, Change) (Order, error)) {
		huma.Register(api, rbac.Operation(id, http.MethodPost, path, summary, tags, perm, 0),
			func(ctx context.Context, in *versionInput) (*orderOutput, error) {
				c, m, err := s.changeOf(ctx, perm, versionOf(in.Body))
				if err != nil {
					return nil, err
				}
				o, err := fn(ctx, m, in.OrderID, c)
				return &orderOutput{Body: o}, err
			})
	}
	simple("pause-order-timer", "/api/v1/orders/{order_id}/timer/pause", "Pause a karaoke room's time", rbac.OrderWrite, s.PauseTimer)
	simple("resume-order-timer", "/api/v1/orders/{order_id}/timer/resume", "Resume a karaoke room's time", rbac.OrderWrite, s.ResumeTimer)
	simple("request-order-bill", "/api/v1/orders/{order_id}/bill",
		"The customer asks for the bill: a room's time stops and the order shows as billing", rbac.OrderWrite, s.RequestBill)
	huma.Register(api, rbac.Operation("correct-order-timer", http.MethodPatch, "/api/v1/orders/{order_id}/timer",
		"Correct when a karaoke room's time started (manager; audited)", tags, rbac.OrderAdjust, 0),
		func(ctx context.Context, in *timerInput) (*orderOutput, error) {
			c, m, err := s.changeOf(ctx, rbac.OrderAdjust, in.Body.ExpectedVersion)
			if err != nil {
				return nil, err
			}
			o, err := s.CorrectTimerStart(ctx, m, in.OrderID, in.Body.StartedAt, c)
			return &orderOutput{Body: o}, err
		})
	huma.Register(api, rbac.Operation("change-order-room", http.MethodPost, "/api/v1/orders/{order_id}/change-room",
		"Move a karaoke session to another room; the time so far stays at the old room's rates", tags, rbac.OrderWrite, 0),
		func(ctx context.Context, in *changeRoomInput) (*orderOutput, error) {
			c, m, err := s.changeOf(ctx, rbac.OrderWrite, in.Body.ExpectedVersion)
			if err != nil {
				return nil, err
			}
			o, err := s.ChangeRoom(ctx, m, in.OrderID, in.Body.RoomID, c)
			return &orderOutput{Body: o}, err
		})
}

type timerBody struct {
	StartedAt       time.Time `json:"started_at" doc:"When the room's time really started."`
	ExpectedVersion int64     `json:"expected_version,omitempty" minimum:"0"`
}

type timerInput struct {
	OrderID string `path:"order_id" maxLength:"64"`
	Body    timerBody
}

type changeRoomBody struct {
	RoomID          string `json:"room_id" minLength:"1" maxLength:"64"`
	ExpectedVersion int64  `json:"expected_version,omitempty" minimum:"0"`
}

type changeRoomInput struct {
	OrderID string `path:"order_id" maxLength:"64"`
	Body    changeRoomBody
}

type openOrderBody struct {
	Type    string `json:"type" enum:"dine_in,room,takeaway"`
	TableID string `json:"table_id,omitempty" maxLength:"64"`
	RoomID  string `json:"room_id,omitempty" maxLength:"64"`
	Guests  int    `json:"guests,omitempty" minimum:"0" maximum:"500"`
	Note    string `json:"note,omitempty" maxLength:"500"`
}

type openInput struct {
	ShopID string `path:"shop_id" maxLength:"64"`
	Body   openOrderBody
}

type listInput struct {
	ShopID string `path:"shop_id" maxLength:"64"`
	Status string `query:"status" enum:"open,ordering,served,billing,paid,closed,cancelled" doc:"One status; the live ones when empty."`
}

type orderPath struct {
	OrderID string `path:"order_id" maxLength:"64"`
}

type addOrderLineBody struct {
	ProductID         string   `json:"product_id" minLength:"1" maxLength:"64"`
	VariantID         string   `json:"variant_id,omitempty" maxLength:"64"`
	Quantity          int      `json:"quantity" minimum:"1" maximum:"999"`
	ModifierOptionIDs []string `json:"modifier_option_ids,omitempty" maxItems:"50"`
	Note              string   `json:"note,omitempty" maxLength:"200"`
	Seat              int      `json:"seat,omitempty" minimum:"0" maximum:"100"`
	Course            int      `json:"course,omitempty" minimum:"0" maximum:"10"`
	ExpectedVersion   int64    `json:"expected_version,omitempty" minimum:"0" doc:"Refuse (409 with the current order) unless the order is at this version."`
}

type addLineInput struct {
	OrderID string `path:"order_id" maxLength:"64"`
	Body    addOrderLineBody
}

type updateOrderLineBody struct {
	Quantity        *int    `json:"quantity,omitempty" minimum:"1" maximum:"999"`
	Note            *string `json:"note,omitempty" maxLength:"200"`
	ExpectedVersion int64   `json:"expected_version,omitempty" minimum:"0"`
}

type updateLineInput struct {
	OrderID string `path:"order_id" maxLength:"64"`
	LineID  string `path:"line_id" maxLength:"64"`
	Body    updateOrderLineBody
}

type voidOrderLineBody struct {
	Reason          string        `json:"reason" minLength:"1" maxLength:"200"`
	ExpectedVersion int64         `json:"expected_version,omitempty" minimum:"0"`
	Approval        *approvalBody `json:"approval,omitempty" doc:"A manager's PIN, when the void is above the shop's threshold and the caller is not a manager (403 without it)."`
}

// approvalBody is a manager's PIN typed on the caller's terminal.
type approvalBody struct {
	StaffID string `json:"staff_id" minLength:"1" maxLength:"64" doc:"The approving manager's id."`
	PIN     string `json:"pin" pattern:"^[0-9]{4,6}$" patternDescription:"4 to 6 digits"`
}

// withApproval adds the caller's standing (may they approve themselves?) and the PIN approval given, if any.
func withApproval(ctx context.Context, c Change, a *approvalBody) Change {
	c.Manager = func(shopID string) bool { return rbac.ShopAccess(ctx, rbac.OrderVoidApprove)(shopID) == nil }
	if a != nil {
		c.Approval = &Approval{StaffID: a.StaffID, PIN: a.PIN}
	}
	return c
}

type voidLineInput struct {
	OrderID string `path:"order_id" maxLength:"64"`
	LineID  string `path:"line_id" maxLength:"64"`
	Body    voidOrderLineBody
}

type orderVersionBody struct {
	ExpectedVersion int64 `json:"expected_version,omitempty" minimum:"0"`
}

type versionInput struct {
	OrderID string `path:"order_id" maxLength:"64"`
	Body    *orderVersionBody
}

func versionOf(b *orderVersionBody) int64 {
	if b == nil {
		return 0
	}
	return b.ExpectedVersion
}

type cancelOrderBody struct {
	Reason          string        `json:"reason" minLength:"1" maxLength:"200"`
	ExpectedVersion int64         `json:"expected_version,omitempty" minimum:"0"`
	Approval        *approvalBody `json:"approval,omitempty" doc:"A manager's PIN, when the sent lines are worth more than the shop's void threshold and the caller is not a manager."`
}

type cancelInput struct {
	OrderID string `path:"order_id" maxLength:"64"`
	Body    cancelOrderBody
}

type orderOutput struct{ Body Order }

type orderListOutput struct {
	Body struct {
		Items []Order `json:"items"`
	}
}

type submitOutput struct {
	Body struct {
		Order   Order        `json:"order"`
		Tickets []SentTicket `json:"tickets"`
	}
}

func (s *Service) changeOf(ctx context.Context, perm rbac.Permission, expected int64) (Change, tenant.ID, error) {
	p, m, err := httpapi.Caller(ctx)
	if err != nil {
		return Change{}, "", err
	}
	return Change{Actor: p.UserID, ExpectedVersion: expected, Allow: rbac.ShopAccess(ctx, perm)}, m, nil
}
