package order

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/goodgo/goodgo/internal/order/orderdb"
	"github.com/goodgo/goodgo/internal/order/timebill"
	"github.com/goodgo/goodgo/internal/platform/apperr"
	"github.com/goodgo/goodgo/internal/platform/clock"
	"github.com/goodgo/goodgo/internal/platform/db"
	"github.com/goodgo/goodgo/internal/platform/money"
	"github.com/goodgo/goodgo/internal/platform/tenant"
)

// LineRequest asks the catalog to price one line.
type LineRequest struct {
	ProductID         string
	VariantID         string
	Quantity          int
	ModifierOptionIDs []string
}

// PricedLine is a line as the shop sells it, from the catalog.
type PricedLine struct {
	ProductID, VariantID, Name, VariantName, CategoryID, Station, TaxClass string
	UnitPrice                                                              money.VND
	Modifiers                                                              []LineModifier
	Components                                                             []ComboComponent
}

// Catalog prices lines (the catalog module). Field errors name "lines[0].…"; a sold-out product is a Conflict.
type Catalog interface {
	PriceLines(ctx context.Context, m tenant.ID, shopID string, lines []LineRequest) ([]PricedLine, error)
}

// Shops is what the module needs of the merchant module.
type Shops interface {
	// Terms returns a live shop's pricing terms (apperr.NotFound for another merchant's or an archived shop).
	// tx, when not nil, is the caller's transaction of m to read through (no second connection is taken).
	Terms(ctx context.Context, tx *sql.Tx, m tenant.ID, shopID string) (Terms, error)
	// Place returns a live table (or room) of the shop; apperr.NotFound when there is none. tx as for Terms.
	Place(ctx context.Context, tx *sql.Tx, m tenant.ID, shopID, tableID, roomID string) (Place, error)
	// Receipt returns what receipts print about the shop.
	Receipt(ctx context.Context, m tenant.ID, shopID string) (ReceiptInfo, error)
}

// Place is a table or karaoke room, as an order needs it.
type Place struct {
	Name     string
	RoomType string // rooms only
}

// Rates prices a room order's time (the timebill engine over the shop's rate plans and holidays).
type Rates interface {
	BillSessionTx(ctx context.Context, tx *sql.Tx, m tenant.ID, shopID string, stints []timebill.StintRef) (timebill.Bill, error)
}

// TicketLine is a line sent to (or withdrawn from) a kitchen station.
type TicketLine struct {
	OrderLineID string
	Station     string
	Name        string
	Quantity    int
	Modifiers   []string
	Note        string
	Seat        int
	Course      int
	Void        bool
}

// SentTicket is a kitchen ticket a submit created, as the submit answer shows it.
type SentTicket struct {
	ID      string           `json:"id"`
	Station string           `json:"station"`
	Kind    string           `json:"kind" enum:"order,void"`
	Status  string           `json:"status"`
	Lines   []SentTicketLine `json:"lines"`
}

// SentTicketLine is one line of a SentTicket.
type SentTicketLine struct {
	OrderLineID string   `json:"order_line_id"`
	Name        string   `json:"name"`
	Quantity    int      `json:"quantity"`
	Modifiers   []string `json:"modifiers"`
	Note        string   `json:"note"`
}

// Kitchen creates tickets inside the order's transaction (the kitchen module).
type Kitchen interface {
	CreateTickets(ctx context.Context, tx *sql.Tx, m tenant.ID, shopID, orderID, label string, lines []TicketLine) ([]SentTicket, error)
}

// Approver checks a manager's PIN given as approval on another person's terminal.
type Approver interface {
	// ApproveVoid returns the id of staffID when pin is theirs and they may void above the threshold in shopID;
	// otherwise an error (Unauthenticated for a wrong PIN, Forbidden for a role that cannot approve).
	ApproveVoid(ctx context.Context, m tenant.ID, shopID, staffID, pin string) (string, error)
}

// Options wire a Service.
type Options struct {
	Nudge   func()
	Catalog Catalog
	Shops   Shops
	Kitchen Kitchen
	// Rates prices room time; without it room orders carry no time charge.
	Rates Rates
	// QR resolves tables' QR tokens for customers' orders; nil: no QR ordering.
	QR QRPlaces
	// Printer queues receipts for the shop's receipt printer; nil: receipts are shown, not printed.
	Printer Printer
	// Audit records manager corrections in the merchant's audit log inside tx; nil records none.
	Audit func(ctx context.Context, tx *sql.Tx, m tenant.ID, event, actor string, detail map[string]any) error
	// Approver checks managers' PINs given as approval; nil: only a manager's own role approves.
	Approver Approver
}

// Service runs the module's use cases.
type Service struct {
	db      *db.DB
	clk     clock.Clock
	nudge   func()
	catalog Catalog
	shops   Shops
	kitchen Kitchen
	rates   Rates
	printer Printer
	qr      QRPlaces
	audit   func(ctx context.Context, tx *sql.Tx, m tenant.ID, event, actor string, detail map[string]any) error
	approve Approver

	shopsOfOrders shopMemo
}

// New returns the service over d (migrated with Migrations and events.Migrations).
func New(d *db.DB, clk clock.Clock, opts Options) *Service {
	nudge := opts.Nudge
	if nudge == nil {
		nudge = func() {}
	}
	return &Service{db: d, clk: clk, nudge: nudge, catalog: opts.Catalog, shops: opts.Shops, kitchen: opts.Kitchen,
		rates: opts.Rates, audit: opts.Audit, printer: opts.Printer, qr: opts.QR, approve: opts.Approver}
}

func (s *Service) now() time.Time { return s.clk.Now().UTC().Truncate(time.Microsecond) }

// ictZone is Vietnam's time: pickup numbers restart each local day.
var ictZone = time.FixedZone("ICT", 7*3600)

// OpenInput opens an order.
type OpenInput struct {
	Type    Type
	TableID string
	RoomID  string
	Guests  int
	Note    string
}

// Open opens an order in shop shopID. A table or room already holding a live order is a Conflict; a table or
// room that is not the shop's is a field error.
func (s *Service) Open(ctx context.Context, m tenant.ID, shopID string, in OpenInput, actor string) (Order, error) {
	var f []apperr.FieldError
	switch in.Type {
	case DineIn:
		if in.TableID == "" || in.RoomID != "" {
			f = append(f, apperr.FieldError{Field: "body.table_id", Message: "a dine-in order needs a table_id (and no room_id)"})
		}
	case Room:
		if in.RoomID == "" || in.TableID != "" {
			f = append(f, apperr.FieldError{Field: "body.room_id", Message: "a room order needs a room_id (and no table_id)"})
		}
	case Takeaway:
		if in.TableID != "" || in.RoomID != "" {
			f = append(f, apperr.FieldError{Field: "body.type", Message: "a takeaway order has no table or room"})
		}
	default:
		f = append(f, apperr.FieldError{Field: "body.type", Message: "must be dine_in, room or takeaway"})
	}
	if in.Guests < 0 || in.Guests > 500 {
		f = append(f, apperr.FieldError{Field: "body.guests", Message: "must be 0 to 500"})
	}
	if utf8.RuneCountInString(in.Note) > 500 {
		f = append(f, apperr.FieldError{Field: "body.note", Message: "at most 500 characters"})
	}
	if len(f) > 0 {
		return Order{}, &apperr.Error{Kind: apperr.Invalid, Message: "validation failed", Fields: f}
	}
	terms, place, err := s.placeOf(ctx, nil, m, shopID, in)
	if err != nil {
		return Order{}, err
	}
	var id string
	err = s.db.WithTx(ctx, m, func(tx *sql.Tx) error {
		var err error
		id, err = s.openIn(ctx, tx, m, shopID, in, actor, terms, place)
		return err
	})
	if err != nil {
		return Order{}, fmt.Errorf("open order: %w", err)
	}
	s.nudge()
	return s.Get(ctx, m, id)
}

// OpenForBooking opens the order of a booking's guests at its table or room inside tx, the booking's
// check-in transaction, so both commit or neither does.
func (s *Service) OpenForBooking(ctx context.Context, tx *sql.Tx, m tenant.ID, shopID, tableID, roomID string, guests int, bookingID string) (string, error) {
	in := OpenInput{Type: DineIn, TableID: tableID, Guests: guests, Note: "booking " + bookingID}
	if roomID != "" {
		in.Type, in.RoomID = Room, roomID
	}
	terms, place, err := s.placeOf(ctx, tx, m, shopID, in)
	if err != nil {
		return "", err
	}
	return s.openIn(ctx, tx, m, shopID, in, "booking:"+bookingID, terms, place)
}

// placeOf reads the shop's terms and the table's or room's name, through tx when the caller holds one.
func (s *Service) placeOf(ctx context.Context, tx *sql.Tx, m tenant.ID, shopID string, in OpenInput) (Terms, Place, error) {
	terms, err := s.shops.Terms(ctx, tx, m, shopID)
	if err != nil {
		return Terms{}, Place{}, err
	}
	if in.Type == Takeaway {
		return terms, Place{}, nil
	}
	place, err := s.shops.Place(ctx, tx, m, shopID, in.TableID, in.RoomID)
	if apperr.KindOf(err) == apperr.NotFound {
		field := "body.table_id"
		if in.Type == Room {
			field = "body.room_id"
		}
		return Terms{}, Place{}, apperr.WithField(field, "no such table or room in this shop")
	}
	return terms, place, err
}

// openIn inserts a new order in tx and writes its events.
func (s *Service) openIn(ctx context.Context, tx *sql.Tx, m tenant.ID, shopID string, in OpenInput, actor string, terms Terms, where Place) (string, error) {
	now := s.now()
	place := where.Name
	id := db.NewID()
	q := orderdb.New(tx)
	pickup := int32(0)
	if in.Type == Takeaway {
		var err error
		if pickup, err = q.NextPickupNumber(ctx, orderdb.NextPickupNumberParams{MerchantID: string(m), ShopID: shopID,
			Day: now.In(ictZone).Format(time.DateOnly)}); err != nil {
			return "", fmt.Errorf("pickup number: %w", err)
		}
		place = fmt.Sprintf("#%d", pickup)
	}
	shares := in.Type == DineIn && terms.SeveralOrdersPerTable
	if in.Type == DineIn && !shares {
		if err := tableFree(ctx, q, m, in.TableID, place); err != nil {
			return "", err
		}
	}
	err := q.InsertOrder(ctx, orderdb.InsertOrderParams{ID: id, MerchantID: string(m), ShopID: shopID, Type: string(in.Type),
		TableID: in.TableID, RoomID: in.RoomID, PlaceName: place, Guests: int32(in.Guests), PickupNumber: pickup,
		Note: strings.TrimSpace(in.Note), VatRatePercent: int32(terms.VATRatePercent), PricesIncludeVat: terms.PricesIncludeVAT,
		ServiceChargePercent: int32(terms.ServiceChargePercent), OpenedBy: actor, OpenedAt: now, SharesTable: shares})
	if mapped := db.MapError(err); apperr.KindOf(mapped) == apperr.Conflict {
		return "", apperr.E(apperr.Conflict, "%s already has an open order", place)
	} else if err != nil {
		return "", fmt.Errorf("insert order: %w", err)
	}
	if in.Type == Room { // the room's time starts now
		if err := q.InsertStint(ctx, orderdb.InsertStintParams{ID: db.NewID(), MerchantID: string(m), OrderID: id, Position: 0,
			RoomID: in.RoomID, RoomType: where.RoomType, StartedAt: now}); err != nil {
			return "", fmt.Errorf("start the room's time: %w", err)
		}
	}
	o, err := load(ctx, q, m, id)
	if err != nil {
		return "", err
	}
	if err := s.fill(ctx, tx, m, &o, now); err != nil {
		return "", err
	}
	if err := addEvent(ctx, tx, m, Subject, EventOpened, now, o); err != nil {
		return "", err
	}
	return id, s.broadcast(ctx, tx, m, o, now)
}

// tableFree refuses a table holding a live order. The unique index refuses a second unshared order even under
// concurrency; this also refuses one next to orders opened while the shop let the table be shared.
func tableFree(ctx context.Context, q *orderdb.Queries, m tenant.ID, tableID, name string) error {
	n, err := q.CountLiveOrdersAtTable(ctx, orderdb.CountLiveOrdersAtTableParams{MerchantID: string(m), TableID: tableID})
	if err != nil {
		return fmt.Errorf("orders at the table: %w", err)
	}
	if n > 0 {
		return apperr.E(apperr.Conflict, "%s already has an open order", name)
	}
	return nil
}

// Get returns order id of merchant m.
func (s *Service) Get(ctx context.Context, m tenant.ID, id string) (Order, error) {
	var out Order
	err := s.db.ReadTx(ctx, m, func(tx *sql.Tx) error {
		var err error
		if out, err = load(ctx, orderdb.New(tx), m, id); err != nil {
			return err
		}
		return s.fill(ctx, tx, m, &out, s.now())
	})
	return out, err
}

// List returns a shop's live orders (or those of one status), oldest first, at most 200.
func (s *Service) List(ctx context.Context, m tenant.ID, shopID string, status Status) ([]Order, error) {
	var out []Order
	err := s.db.ReadTx(ctx, m, func(tx *sql.Tx) error {
		q := orderdb.New(tx)
		rows, err := q.ListShopOrders(ctx, orderdb.ListShopOrdersParams{MerchantID: string(m), ShopID: shopID,
			Status: string(status), MaxRows: 200})
		if err != nil {
			return fmt.Errorf("list orders: %w", err)
		}
		for _, r := range rows {
			lines, err := q.ListLines(ctx, orderdb.ListLinesParams{MerchantID: string(m), OrderID: r.ID})
			if err != nil {
				return fmt.Errorf("list lines: %w", err)
			}
			o, err := fromRows(r, lines)
			if err != nil {
				return err
			}
			if err := loadPayments(ctx, q, m, &o); err != nil {
				return err
			}
			if err := s.fill(ctx, tx, m, &o, s.now()); err != nil {
				return err
			}
			out = append(out, o)
		}
		return nil
	})
	return out, err
}

// LineInput adds a line.
type LineInput struct {
	ProductID         string
	VariantID         string
	Quantity          int
	ModifierOptionIDs []string
	Note              string
	Seat              int
	Course            int
}

// Change is what every change of an order carries: who makes it, the version it was made against (0: any),
// and the caller's access check for the order's shop.
type Change struct {
	Actor           string
	ExpectedVersion int64
	Allow           func(shopID string) error
	// Manager reports whether the caller's own role approves voids above the shop's threshold (nil: it
	// does not).
	Manager func(shopID string) bool
	// Approval is a manager's PIN given for this change; it is checked only when the change needs one.
	Approval *Approval
}

// Approval is a manager's PIN typed on the caller's terminal to approve a void above the threshold.
type Approval struct {
	StaffID string
	PIN     string
}

// AddLine prices a line with the catalog and adds it to an open order.
func (s *Service) AddLine(ctx context.Context, m tenant.ID, orderID string, in LineInput, c Change) (Order, error) {
	return s.AddLines(ctx, m, orderID, []LineInput{in}, "body.", c)
}

// AddLines prices lines with the catalog in one call and adds them all to an open order, or none. Field
// errors are named under prefix ("body." for one line, "body.lines[i]." for several).
func (s *Service) AddLines(ctx context.Context, m tenant.ID, orderID string, in []LineInput, prefix string, c Change) (Order, error) {
	var f []apperr.FieldError
	at := func(i int) string {
		if len(in) == 1 && prefix == "body." {
			return prefix
		}
		return fmt.Sprintf("%s[%d].", strings.TrimSuffix(prefix, "."), i)
	}
	if len(in) == 0 || len(in) > 50 {
		f = append(f, apperr.FieldError{Field: strings.TrimSuffix(prefix, "."), Message: "1 to 50 lines"})
	}
	for i, l := range in {
		if l.Quantity < 1 || l.Quantity > 999 {
			f = append(f, apperr.FieldError{Field: at(i) + "quantity", Message: "must be 1 to 999"})
		}
		if utf8.RuneCountInString(l.Note) > 200 {
			f = append(f, apperr.FieldError{Field: at(i) + "note", Message: "at most 200 characters"})
		}
		if l.Seat < 0 || l.Seat > 100 || l.Course < 0 || l.Course > 10 {
			f = append(f, apperr.FieldError{Field: at(i) + "seat", Message: "seat 0 to 100, course 0 to 10"})
		}
	}
	if len(f) > 0 {
		return Order{}, &apperr.Error{Kind: apperr.Invalid, Message: "validation failed", Fields: f}
	}
	// Priced before the change's transaction, so the order's lock is not held while the catalog reads; the
	// shop is the order's own (an order never changes shop), and a product of another merchant or shop is
	// the catalog's field error.
	shopID, err := s.shopOf(ctx, m, orderID, c.Allow)
	if err != nil {
		return Order{}, err
	}
	reqs := make([]LineRequest, len(in))
	for i, l := range in {
		reqs[i] = LineRequest{ProductID: l.ProductID, VariantID: l.VariantID, Quantity: l.Quantity, ModifierOptionIDs: l.ModifierOptionIDs}
	}
	priced, err := s.catalog.PriceLines(ctx, m, shopID, reqs)
	if err != nil {
		if len(in) == 1 && prefix == "body." {
			return Order{}, apperr.Relocated(err, "lines[0].", "body.")
		}
		return Order{}, apperr.Relocated(err, "lines", strings.TrimSuffix(prefix, "."))
	}
	return s.change(ctx, m, orderID, c, func(ctx context.Context, tx *sql.Tx, o *Order, now time.Time) error {
		q := orderdb.New(tx)
		if o.Status == StatusPaid { // more was ordered after paying: the order owes again
			o.Status = StatusOrdering
		}
		for i, p := range priced {
			mods, err := json.Marshal(nonNil(p.Modifiers))
			if err != nil {
				return err
			}
			comps, err := json.Marshal(nonNil(p.Components))
			if err != nil {
				return err
			}
			if err := q.InsertLine(ctx, orderdb.InsertLineParams{ID: db.NewID(), MerchantID: string(m), OrderID: o.ID,
				Position: int32(len(o.Lines) + i), ProductID: p.ProductID, VariantID: p.VariantID, Name: p.Name,
				VariantName: p.VariantName, CategoryID: p.CategoryID, Station: p.Station, TaxClass: p.TaxClass,
				Quantity: int32(in[i].Quantity), UnitPrice: int64(p.UnitPrice), Modifiers: string(mods), Components: string(comps),
				Note: strings.TrimSpace(in[i].Note), Seat: int32(in[i].Seat), Course: int32(in[i].Course), CreatedBy: c.Actor,
				CreatedAt: now}); err != nil {
				return err
			}
		}
		return nil
	})
}

// shopOf reads the shop of order orderID and checks the caller may act there.
func (s *Service) shopOf(ctx context.Context, m tenant.ID, orderID string, allow func(string) error) (string, error) {
	// An order never changes shop, so what was read once holds (keyed by merchant too: a shop transfer moves
	// the order to another merchant, whose own first read finds it; the old merchant's change then finds
	// nothing under its tenant).
	key := string(m) + "/" + orderID
	if shopID, ok := s.shopsOfOrders.get(key); ok {
		if allow != nil {
			if err := allow(shopID); err != nil {
				return "", err
			}
		}
		return shopID, nil
	}
	var shopID string
	err := s.db.ReadTx(ctx, m, func(tx *sql.Tx) error {
		r, err := orderdb.New(tx).GetOrder(ctx, orderdb.GetOrderParams{MerchantID: string(m), ID: orderID})
		if errors.Is(err, sql.ErrNoRows) {
			return apperr.E(apperr.NotFound, "order not found")
		}
		shopID = r.ShopID
		return err
	})
	if err == nil {
		s.shopsOfOrders.put(key, shopID)
	}
	if err == nil && allow != nil {
		err = allow(shopID)
	}
	return shopID, err
}

// shopMemo remembers the shops of recently changed orders, up to a bound (then it starts afresh).
type shopMemo struct {
	mu sync.Mutex
	m  map[string]string
}

const shopMemoSize = 50_000

func (c *shopMemo) get(key string) (string, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	v, ok := c.m[key]
	return v, ok
}

func (c *shopMemo) put(key, shopID string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.m == nil || len(c.m) >= shopMemoSize {
		c.m = make(map[string]string, 1024)
	}
	c.m[key] = shopID
}

// LinePatch changes a line not yet sent to the kitchen.
type LinePatch struct {
	Quantity *int
	Note     *string
}

// UpdateLine changes the quantity or note of a line not yet sent; a sent line is a Conflict (void it and add
// a new one).
func (s *Service) UpdateLine(ctx context.Context, m tenant.ID, orderID, lineID string, p LinePatch, c Change) (Order, error) {
	if p.Quantity != nil && (*p.Quantity < 1 || *p.Quantity > 999) {
		return Order{}, apperr.WithField("body.quantity", "must be 1 to 999")
	}
	return s.change(ctx, m, orderID, c, func(ctx context.Context, tx *sql.Tx, o *Order, now time.Time) error {
		l, err := findLine(o, lineID)
		if err != nil {
			return err
		}
		if l.Status != "new" {
			return apperr.Stale("this line has gone to the kitchen (or is voided); void it and add a new one", *o)
		}
		qty, note := l.Quantity, l.Note
		if p.Quantity != nil {
			qty = *p.Quantity
		}
		if p.Note != nil {
			note = strings.TrimSpace(*p.Note)
		}
		_, err = orderdb.New(tx).UpdateUnsentLine(ctx, orderdb.UpdateUnsentLineParams{Quantity: int32(qty), Note: note,
			MerchantID: string(m), ID: lineID})
		return err
	})
}

// VoidLine voids a line with a reason. A line already sent goes to the kitchen as a void at the next submit,
// and its stock comes back (order.lines_voided).
func (s *Service) VoidLine(ctx context.Context, m tenant.ID, orderID, lineID, reason string, c Change) (Order, error) {
	reason = strings.TrimSpace(reason)
	if reason == "" || utf8.RuneCountInString(reason) > 200 {
		return Order{}, apperr.WithField("body.reason", "say why, in at most 200 characters")
	}
	approver, err := s.approval(ctx, m, orderID, c)
	if err != nil {
		return Order{}, err
	}
	return s.change(ctx, m, orderID, c, func(ctx context.Context, tx *sql.Tx, o *Order, now time.Time) error {
		l, err := findLine(o, lineID)
		if err != nil {
			return err
		}
		if l.Status == "voided" {
			return apperr.Stale("this line is voided already", *o)
		}
		var worth money.VND
		if l.SentAt != nil {
			worth = l.Amount
		}
		approvedBy, err := s.approveVoid(ctx, tx, m, o, worth, approver, c, now, map[string]any{"order_line_id": l.ID,
			"name": l.Name, "quantity": l.Quantity, "reason": reason})
		if err != nil {
			return err
		}
		if _, err := orderdb.New(tx).VoidLine(ctx, orderdb.VoidLineParams{Reason: reason, Now: sql.NullTime{Time: now, Valid: true},
			ApprovedBy: approvedBy, VoidedBy: c.Actor, MerchantID: string(m), ID: lineID}); err != nil {
			return err
		}
		if l.SentAt != nil {
			return addEvent(ctx, tx, m, Subject, EventLinesVoided, now, linesVoided{OrderID: o.ID, ShopID: o.ShopID,
				Actor: c.Actor, Reason: reason, ApprovedBy: approvedBy, Lines: []voidedLine{voided(l)}})
		}
		return nil
	})
}

// Submit sends the lines not yet sent, and the voids of sent lines, to the kitchen as tickets. Nothing new
// to send creates nothing (and does not change the order's version).
func (s *Service) Submit(ctx context.Context, m tenant.ID, orderID string, c Change) (Order, []SentTicket, error) {
	var tickets []SentTicket
	o, err := s.change(ctx, m, orderID, c, func(ctx context.Context, tx *sql.Tx, o *Order, now time.Time) error {
		var send []TicketLine
		var submitted []submittedLine
		q := orderdb.New(tx)
		for _, l := range o.Lines {
			switch {
			case l.Status == "new":
				send = append(send, kitchenLines(l, false)...)
				submitted = append(submitted, submittedLine{OrderLineID: l.ID, ProductID: l.ProductID, Quantity: l.Quantity,
					ModifierOptionIDs: optionIDs(l)})
				if err := q.MarkLineSent(ctx, orderdb.MarkLineSentParams{Now: sql.NullTime{Time: now, Valid: true}, MerchantID: string(m), ID: l.ID}); err != nil {
					return err
				}
			case l.Status == "voided" && l.SentAt != nil && !l.voidSent:
				send = append(send, kitchenLines(l, true)...)
				if err := q.MarkVoidSent(ctx, orderdb.MarkVoidSentParams{MerchantID: string(m), ID: l.ID}); err != nil {
					return err
				}
			}
		}
		if len(send) == 0 {
			return errNothingToSend
		}
		var err error
		if tickets, err = s.kitchen.CreateTickets(ctx, tx, m, o.ShopID, o.ID, o.PlaceName, send); err != nil {
			return fmt.Errorf("create tickets: %w", err)
		}
		if o.Status == StatusOpen {
			o.Status = StatusOrdering
		}
		if len(submitted) > 0 {
			return addEvent(ctx, tx, m, Subject, EventLinesSubmited, now, linesSubmitted{OrderID: o.ID, ShopID: o.ShopID, Lines: submitted})
		}
		return nil
	})
	if errors.Is(err, errNothingToSend) {
		o, err = s.Get(ctx, m, orderID)
		if err == nil && c.Allow != nil {
			err = c.Allow(o.ShopID)
		}
		return o, []SentTicket{}, err
	}
	if tickets == nil {
		tickets = []SentTicket{}
	}
	return o, tickets, err
}

var errNothingToSend = errors.New("nothing to send")

// Close closes an order with nothing left to pay; its table or room is free again.
func (s *Service) Close(ctx context.Context, m tenant.ID, orderID string, c Change) (Order, error) {
	return s.change(ctx, m, orderID, c, func(ctx context.Context, tx *sql.Tx, o *Order, now time.Time) error {
		if err := s.fill(ctx, tx, m, o, now); err != nil {
			return err
		}
		if o.TimeCharge != nil && o.TimeCharge.Running {
			return apperr.Stale("the room's time is still running: bill the order first", *o)
		}
		if n, err := orderdb.New(tx).CountLiveChecks(ctx, orderdb.CountLiveChecksParams{MerchantID: string(m), SplitOf: o.ID}); err != nil {
			return err
		} else if n > 0 {
			return apperr.Stale(fmt.Sprintf("%d check(s) split from this order are still open", n), *o)
		}
		if o.Totals.AmountDue > 0 {
			return apperr.Stale(fmt.Sprintf("%s is still due", o.Totals.AmountDue), *o)
		}
		o.Status, o.ClosedAt = StatusClosed, &now
		return addEvent(ctx, tx, m, Subject, EventClosed, now, finished{OrderID: o.ID, ShopID: o.ShopID, Actor: c.Actor, Order: *o})
	})
}

// Cancel cancels an order nothing has been paid on, with a reason; its sent lines are withdrawn from the
// kitchen at once and their stock comes back.
func (s *Service) Cancel(ctx context.Context, m tenant.ID, orderID, reason string, c Change) (Order, error) {
	reason = strings.TrimSpace(reason)
	if reason == "" || utf8.RuneCountInString(reason) > 200 {
		return Order{}, apperr.WithField("body.reason", "say why, in at most 200 characters")
	}
	approver, err := s.approval(ctx, m, orderID, c)
	if err != nil {
		return Order{}, err
	}
	return s.change(ctx, m, orderID, c, func(ctx context.Context, tx *sql.Tx, o *Order, now time.Time) error {
		if o.Totals.Paid > 0 {
			return apperr.Stale("payments were taken on this order; refund them first", *o)
		}
		var worth money.VND
		for _, l := range o.Lines {
			if l.Status != "voided" && l.SentAt != nil {
				worth += l.Amount
			}
		}
		approvedBy, err := s.approveVoid(ctx, tx, m, o, worth, approver, c, now, map[string]any{"cancelled": true, "reason": reason})
		if err != nil {
			return err
		}
		q := orderdb.New(tx)
		var voids []TicketLine
		var reversed []voidedLine
		for _, l := range o.Lines {
			if l.Status == "voided" && (l.SentAt == nil || l.voidSent) {
				continue
			}
			if l.Status != "voided" {
				if _, err := q.VoidLine(ctx, orderdb.VoidLineParams{Reason: "order cancelled: " + reason,
					Now: sql.NullTime{Time: now, Valid: true}, ApprovedBy: approvedBy, VoidedBy: c.Actor, MerchantID: string(m), ID: l.ID}); err != nil {
					return err
				}
			}
			if l.SentAt != nil {
				voids = append(voids, kitchenLines(l, true)...)
				if l.Status != "voided" {
					reversed = append(reversed, voided(l))
				}
				if err := q.MarkVoidSent(ctx, orderdb.MarkVoidSentParams{MerchantID: string(m), ID: l.ID}); err != nil {
					return err
				}
			}
		}
		if len(voids) > 0 {
			if _, err := s.kitchen.CreateTickets(ctx, tx, m, o.ShopID, o.ID, o.PlaceName, voids); err != nil {
				return fmt.Errorf("void tickets: %w", err)
			}
		}
		if len(reversed) > 0 {
			if err := addEvent(ctx, tx, m, Subject, EventLinesVoided, now, linesVoided{OrderID: o.ID, ShopID: o.ShopID, Actor: c.Actor,
				Reason: "order cancelled: " + reason, ApprovedBy: approvedBy, Lines: reversed}); err != nil {
				return err
			}
		}
		if _, err := q.EndStint(ctx, orderdb.EndStintParams{EndedAt: sql.NullTime{Time: now, Valid: true}, MerchantID: string(m), OrderID: o.ID}); err != nil {
			return err
		}
		o.Status, o.ClosedAt, o.CancelReason = StatusCancelled, &now, reason
		return addEvent(ctx, tx, m, Subject, EventCancelled, now, finished{OrderID: o.ID, ShopID: o.ShopID, Actor: c.Actor,
			Reason: reason, Order: *o})
	})
}

// change runs one change of a live order: it bumps the version (refusing a stale expected version with the
// order as it is now), lets fn change the rows, recomputes the totals from the lines, saves them, and
// writes order.updated (and table.updated when the table or room frees) for the shop's screens.
func (s *Service) change(ctx context.Context, m tenant.ID, orderID string, c Change, fn func(ctx context.Context, tx *sql.Tx, o *Order, now time.Time) error) (Order, error) {
	var out Order
	err := s.db.WithTx(ctx, m, func(tx *sql.Tx) error {
		var err error
		out, err = s.changeTx(ctx, tx, m, orderID, c, fn)
		return err
	})
	if err != nil {
		return Order{}, fmt.Errorf("order %s: %w", orderID, err)
	}
	s.nudge()
	return out, nil
}

// changeTx is change inside the caller's transaction tx (another module's, e.g. a payment's).
func (s *Service) changeTx(ctx context.Context, tx *sql.Tx, m tenant.ID, orderID string, c Change, fn func(ctx context.Context, tx *sql.Tx, o *Order, now time.Time) error) (Order, error) {
	var out Order
	err := func() error {
		q := orderdb.New(tx)
		now := s.now()
		row, err := q.BumpOrder(ctx, orderdb.BumpOrderParams{Now: now, MerchantID: string(m), ID: orderID})
		if errors.Is(err, sql.ErrNoRows) {
			return apperr.E(apperr.NotFound, "order not found")
		}
		if err != nil {
			return fmt.Errorf("lock order: %w", err)
		}
		version := row.Version
		o, err := loadRest(ctx, q, m, row)
		if err != nil {
			return err
		}
		if c.Allow != nil {
			if err := c.Allow(o.ShopID); err != nil {
				return err
			}
		}
		current := o
		current.Version = version - 1
		if c.ExpectedVersion > 0 && c.ExpectedVersion != version-1 {
			return apperr.Stale(fmt.Sprintf("the order changed (version %d, you sent %d)", version-1, c.ExpectedVersion), current)
		}
		if !o.Status.Live() {
			return apperr.Stale(fmt.Sprintf("the order is %s", o.Status), current)
		}
		if err := fn(ctx, tx, &o, now); err != nil {
			if e := (*apperr.Error)(nil); errors.As(err, &e) && e.Current != nil {
				e.Current = current
			}
			return err
		}
		lines, err := q.ListLines(ctx, orderdb.ListLinesParams{MerchantID: string(m), OrderID: orderID})
		if err != nil {
			return fmt.Errorf("read lines: %w", err)
		}
		if o.Lines, err = linesFromRows(lines); err != nil {
			return err
		}
		if err := s.fill(ctx, tx, m, &o, now); err != nil {
			return err
		}
		closed := sql.NullTime{}
		if o.ClosedAt != nil {
			closed = sql.NullTime{Time: *o.ClosedAt, Valid: true}
		}
		if err := q.SaveOrder(ctx, orderdb.SaveOrderParams{Status: string(o.Status), Subtotal: int64(o.Totals.Subtotal),
			Discount: int64(o.Totals.Discount), ServiceCharge: int64(o.Totals.ServiceCharge), Vat: int64(o.Totals.VAT),
			Total: int64(o.Totals.Total), Paid: int64(o.Totals.Paid), ClosedAt: closed, CancelReason: o.CancelReason, Now: now,
			MerchantID: string(m), ID: orderID}); err != nil {
			return fmt.Errorf("save order: %w", err)
		}
		o.Version, o.UpdatedAt = version, now // the payments are as read (a change that adds one adds it to o too)
		out = o
		return s.broadcast(ctx, tx, m, o, now)
	}()
	return out, err
}

// broadcast writes the order's state for the shop's screens: the order, and its table's or room's state.
func (s *Service) broadcast(ctx context.Context, tx *sql.Tx, m tenant.ID, o Order, now time.Time) error {
	updated, err := event(m, "shop."+o.ShopID+".orders", EventUpdated, now, o)
	if err != nil {
		return err
	}
	if (o.TableID == "" && o.RoomID == "") || o.SplitOf != "" { // a check never frees or takes its table
		return addEvents(ctx, tx, updated)
	}
	state := map[string]any{"table_id": o.TableID, "room_id": o.RoomID, "order_id": o.ID, "status": "occupied"}
	switch {
	case !o.Status.Live():
		state["status"], state["order_id"] = "free", ""
	case o.Status == StatusBilling:
		state["status"] = "billing"
	}
	table, err := event(m, "shop."+o.ShopID+".tables", EventTableUpdated, now, state)
	if err != nil {
		return err
	}
	table.ShopID = o.ShopID
	return addEvents(ctx, tx, updated, table)
}

// CheckShopTransfer refuses to move a shop with live orders.
func (s *Service) CheckShopTransfer(ctx context.Context, tx *sql.Tx, shopID string, from tenant.ID) error {
	n, err := orderdb.New(tx).CountLiveShopOrders(ctx, orderdb.CountLiveShopOrdersParams{MerchantID: string(from), ShopID: shopID})
	if err != nil {
		return fmt.Errorf("count open orders: %w", err)
	}
	if n > 0 {
		return apperr.E(apperr.Conflict, "the shop has %d open order(s); close or cancel them before transferring it", n)
	}
	return nil
}

// MoveShop moves a shop's orders to merchant to, inside a shop transfer's system transaction.
func (s *Service) MoveShop(ctx context.Context, tx *sql.Tx, shopID string, from, to tenant.ID) error {
	q := orderdb.New(tx)
	if err := q.MoveShopOrders(ctx, orderdb.MoveShopOrdersParams{ToMerchantID: string(to), ShopID: shopID, FromMerchantID: string(from)}); err != nil {
		return fmt.Errorf("move orders: %w", err)
	}
	if err := q.MoveShopOrderLines(ctx, orderdb.MoveShopOrderLinesParams{ToMerchantID: string(to), FromMerchantID: string(from), ShopID: shopID}); err != nil {
		return fmt.Errorf("move order lines: %w", err)
	}
	if err := q.MoveShopStints(ctx, orderdb.MoveShopStintsParams{ToMerchantID: string(to), FromMerchantID: string(from), ShopID: shopID}); err != nil {
		return fmt.Errorf("move room time: %w", err)
	}
	if err := q.MoveShopOrderPayments(ctx, orderdb.MoveShopOrderPaymentsParams{ToMerchantID: string(to), FromMerchantID: string(from), ShopID: shopID}); err != nil {
		return fmt.Errorf("move order payments: %w", err)
	}
	if err := q.MoveShopPickupNumbers(ctx, orderdb.MoveShopPickupNumbersParams{ToMerchantID: string(to), ShopID: shopID, FromMerchantID: string(from)}); err != nil {
		return fmt.Errorf("move pickup numbers: %w", err)
	}
	return nil
}
