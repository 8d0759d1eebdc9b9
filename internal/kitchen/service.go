package kitchen

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/goodgo/goodgo/internal/kitchen/kitchendb"
	"github.com/goodgo/goodgo/internal/platform/apperr"
	"github.com/goodgo/goodgo/internal/platform/clock"
	"github.com/goodgo/goodgo/internal/platform/db"
	"github.com/goodgo/goodgo/internal/platform/escpos"
	"github.com/goodgo/goodgo/internal/platform/events"
	"github.com/goodgo/goodgo/internal/platform/tenant"
)

// Shops is what the module needs of the merchant module.
type Shops interface {
	// CheckShop returns nil for a live shop of merchant m, apperr.NotFound otherwise.
	CheckShop(ctx context.Context, m tenant.ID, shopID string) error
}

// Options wire a Service.
type Options struct {
	// Nudge is called after a commit that wrote events (events.Relay.Nudge).
	Nudge func()
	// Shops checks the shop of a board request. Required for Routes.
	Shops Shops
	// Printer queues a ticket for its station's kitchen printer inside the ticket's transaction (printq).
	// Nil prints nothing.
	Printer Printer
}

// Printer queues documents for a shop's printers.
type Printer interface {
	PrintTicket(ctx context.Context, tx *sql.Tx, m tenant.ID, shopID, station string, doc escpos.Document, reference string) error
}

// Service runs the kitchen's use cases.
type Service struct {
	db    *db.DB
	clk   clock.Clock
	nudge func()
	shops Shops
	print Printer
}

// New returns the service over d (migrated with Migrations and events.Migrations).
func New(d *db.DB, clk clock.Clock, opts Options) *Service {
	nudge := opts.Nudge
	if nudge == nil {
		nudge = func() {}
	}
	return &Service{db: d, clk: clk, nudge: nudge, shops: opts.Shops, print: opts.Printer}
}

func (s *Service) now() time.Time { return s.clk.Now().UTC().Truncate(time.Microsecond) }

// CreateTickets turns a batch into one ticket per station and kind, inside the caller's transaction tx of
// merchant m, writes their events, and returns them. An empty batch creates nothing. The caller nudges the
// relay after its commit.
func (s *Service) CreateTickets(ctx context.Context, tx *sql.Tx, m tenant.ID, b Batch) ([]Ticket, error) {
	type key struct {
		station string
		kind    Kind
	}
	var order []key
	groups := map[key][]TicketLine{}
	for _, l := range b.Lines {
		if l.Quantity <= 0 {
			return nil, fmt.Errorf("create tickets: line %s has quantity %d", l.OrderLineID, l.Quantity)
		}
		k := key{cleanStation(l.Station), KindOrder}
		if l.Void {
			k.kind = KindVoid
		}
		if _, ok := groups[k]; !ok {
			order = append(order, k)
		}
		groups[k] = append(groups[k], l.TicketLine)
	}
	q := kitchendb.New(tx)
	now := s.now()
	out := make([]Ticket, 0, len(order))
	for _, k := range order {
		t := Ticket{ID: db.NewID(), OrderID: b.OrderID, ShopID: b.ShopID, Station: k.station, Kind: k.kind,
			Status: StatusNew, Label: b.Label, Lines: groups[k], CreatedAt: now, UpdatedAt: now}
		if err := q.InsertTicket(ctx, kitchendb.InsertTicketParams{ID: t.ID, MerchantID: string(m), ShopID: t.ShopID,
			OrderID: t.OrderID, Station: t.Station, Kind: string(t.Kind), Label: t.Label, CreatedAt: now}); err != nil {
			return nil, fmt.Errorf("insert ticket: %w", err)
		}
		for i, l := range t.Lines {
			if t.Lines[i].Modifiers == nil {
				t.Lines[i].Modifiers = []string{}
			}
			mods, err := json.Marshal(t.Lines[i].Modifiers)
			if err != nil {
				return nil, fmt.Errorf("encode modifiers: %w", err)
			}
			if err := q.InsertTicketLine(ctx, kitchendb.InsertTicketLineParams{ID: db.NewID(), MerchantID: string(m),
				TicketID: t.ID, OrderLineID: l.OrderLineID, Position: int32(i), Name: l.Name, Quantity: int32(l.Quantity),
				Modifiers: string(mods), Note: l.Note, Seat: int32(l.Seat), Course: int32(l.Course)}); err != nil {
				return nil, fmt.Errorf("insert ticket line: %w", err)
			}
		}
		if err := writeEvents(ctx, tx, m, EventTicketCreated, now, t); err != nil {
			return nil, err
		}
		if s.print != nil {
			if err := s.print.PrintTicket(ctx, tx, m, t.ShopID, t.Station, ticketDocument(t), t.ID); err != nil {
				return nil, fmt.Errorf("queue ticket print: %w", err)
			}
		}
		out = append(out, t)
	}
	return out, nil
}

// ictZone is Vietnam's time, printed on tickets.
var ictZone = time.FixedZone("ICT", 7*3600)

// ticketDocument is a ticket as the station's printer prints it: where it goes, when, and what to cook
// (or, for a void, what to stop).
func ticketDocument(t Ticket) escpos.Document {
	var d escpos.Document
	if t.Kind == KindVoid {
		d.Text("HỦY MÓN", escpos.Style{Large: true, Bold: true, Align: escpos.Center})
	}
	d.Text(t.Label, escpos.Style{Large: true, Bold: true, Align: escpos.Center})
	d.Row(strings.ToUpper(t.Station), t.CreatedAt.In(ictZone).Format("15:04 02/01"), escpos.Style{})
	d.Separator()
	for _, l := range t.Lines {
		d.Text(fmt.Sprintf("%d × %s", l.Quantity, l.Name), escpos.Style{Large: true, Bold: true})
		for _, mod := range l.Modifiers {
			d.Text("   + "+mod, escpos.Style{})
		}
		if l.Note != "" {
			d.Text("   * "+l.Note, escpos.Style{Bold: true})
		}
	}
	d.Feed(2).Cut()
	return d
}

// writeEvents records a ticket event for the shop's screens and for the other modules.
func writeEvents(ctx context.Context, tx *sql.Tx, m tenant.ID, typ string, at time.Time, t Ticket) error {
	data, err := json.Marshal(t)
	if err != nil {
		return fmt.Errorf("encode %s: %w", typ, err)
	}
	for _, subject := range []string{StationTopic(t.ShopID, t.Station), Subject} {
		if err := events.Add(ctx, tx, events.Event{Type: typ, Subject: subject, MerchantID: m, ShopID: t.ShopID,
			OccurredAt: at, Data: data}); err != nil {
			return fmt.Errorf("write %s: %w", typ, err)
		}
	}
	return nil
}

// Board lists a shop's tickets for the display, oldest first: one station or all, one status or every live
// one (new, preparing, ready). At most 500.
func (s *Service) Board(ctx context.Context, m tenant.ID, shopID, station string, status Status) ([]Ticket, error) {
	if status != "" && rank(status) < 0 && status != StatusVoided {
		return nil, apperr.WithField("query.status", "must be one of new, preparing, ready, served, voided")
	}
	var out []Ticket
	err := s.db.ReadTx(ctx, m, func(tx *sql.Tx) error {
		q := kitchendb.New(tx)
		rows, err := q.ListBoard(ctx, kitchendb.ListBoardParams{MerchantID: string(m), ShopID: shopID, Station: station,
			Status: string(status), MaxRows: 500})
		if err != nil {
			return fmt.Errorf("list tickets: %w", err)
		}
		lines, err := q.ListBoardLines(ctx, kitchendb.ListBoardLinesParams{MerchantID: string(m), ShopID: shopID,
			Station: station, Status: string(status)})
		if err != nil {
			return fmt.Errorf("list ticket lines: %w", err)
		}
		byTicket := map[string][]TicketLine{}
		for _, l := range lines {
			tl, err := lineFromRow(l)
			if err != nil {
				return err
			}
			byTicket[l.TicketID] = append(byTicket[l.TicketID], tl)
		}
		out = make([]Ticket, len(rows))
		for i, r := range rows {
			out[i] = ticketFromRow(r, byTicket[r.ID])
		}
		return nil
	})
	return out, err
}

// Ticket returns ticket id of merchant m with its lines.
func (s *Service) Ticket(ctx context.Context, m tenant.ID, id string) (Ticket, error) {
	var out Ticket
	err := s.db.ReadTx(ctx, m, func(tx *sql.Tx) error {
		var err error
		out, err = loadTicket(ctx, kitchendb.New(tx), m, id)
		return err
	})
	return out, err
}

func loadTicket(ctx context.Context, q *kitchendb.Queries, m tenant.ID, id string) (Ticket, error) {
	r, err := q.GetTicket(ctx, kitchendb.GetTicketParams{MerchantID: string(m), ID: id})
	if errors.Is(err, sql.ErrNoRows) {
		return Ticket{}, apperr.E(apperr.NotFound, "ticket not found")
	}
	if err != nil {
		return Ticket{}, fmt.Errorf("read ticket: %w", err)
	}
	rows, err := q.ListTicketLines(ctx, kitchendb.ListTicketLinesParams{MerchantID: string(m), TicketID: id})
	if err != nil {
		return Ticket{}, fmt.Errorf("read ticket lines: %w", err)
	}
	lines := make([]TicketLine, 0, len(rows))
	for _, l := range rows {
		tl, err := lineFromRow(l)
		if err != nil {
			return Ticket{}, err
		}
		lines = append(lines, tl)
	}
	return ticketFromRow(r, lines), nil
}

// SetStatus moves ticket id to status to, forward only (new → preparing → ready → served; a void ticket may
// also be acknowledged straight to served). Moving to the status it has is a no-op. The check reads access:
// the caller passes allow, which says whether it may work the ticket's shop (a ticket of a shop the caller
// cannot reach is not found).
func (s *Service) SetStatus(ctx context.Context, m tenant.ID, id string, to Status, allow func(shopID string) error) (Ticket, error) {
	if rank(to) < 1 {
		return Ticket{}, apperr.WithField("body.status", "must be preparing, ready or served (recall is its own operation)")
	}
	return s.move(ctx, m, id, allow, func(t Ticket) (Status, error) {
		switch {
		case t.Status == to:
			return "", nil
		case t.Status == StatusVoided || rank(to) < rank(t.Status):
			return "", apperr.Stale(fmt.Sprintf("the ticket is %s; status only moves forward (use recall)", t.Status), t)
		}
		return to, nil
	})
}

// Bump moves ticket id one status forward.
func (s *Service) Bump(ctx context.Context, m tenant.ID, id string, allow func(shopID string) error) (Ticket, error) {
	return s.move(ctx, m, id, allow, func(t Ticket) (Status, error) {
		n := next(t.Status)
		if n == "" {
			return "", apperr.Stale(fmt.Sprintf("the ticket is %s already", t.Status), t)
		}
		return n, nil
	})
}

// Recall brings a ready or served ticket back to preparing (a dish sent back, a mistake on the display).
func (s *Service) Recall(ctx context.Context, m tenant.ID, id string, allow func(shopID string) error) (Ticket, error) {
	return s.move(ctx, m, id, allow, func(t Ticket) (Status, error) {
		if t.Status != StatusReady && t.Status != StatusServed {
			return "", apperr.Stale(fmt.Sprintf("only a ready or served ticket can be recalled; this one is %s", t.Status), t)
		}
		return StatusPreparing, nil
	})
}

// move applies decide's status change to ticket id in one transaction; the conditional update refuses a
// change based on a status another display changed meanwhile (the caller gets the ticket as it is now).
func (s *Service) move(ctx context.Context, m tenant.ID, id string, allow func(shopID string) error, decide func(Ticket) (Status, error)) (Ticket, error) {
	var out Ticket
	changed := false
	err := s.db.WithTx(ctx, m, func(tx *sql.Tx) error {
		q := kitchendb.New(tx)
		t, err := loadTicket(ctx, q, m, id)
		if err != nil {
			return err
		}
		if allow != nil {
			if err := allow(t.ShopID); err != nil {
				return err
			}
		}
		to, err := decide(t)
		if err != nil || to == "" {
			out = t
			return err
		}
		now := s.now()
		prep := sql.NullInt32{}
		if to == StatusReady {
			prep = sql.NullInt32{Int32: int32(now.Sub(t.CreatedAt) / time.Second), Valid: true}
		}
		n, err := q.SetTicketStatus(ctx, kitchendb.SetTicketStatusParams{ToStatus: string(to), Now: now, PrepSeconds: prep,
			MerchantID: string(m), ID: id, FromStatus: string(t.Status)})
		if err != nil {
			return fmt.Errorf("set ticket status: %w", err)
		}
		if n != 1 {
			return apperr.Stale("the ticket changed meanwhile", t)
		}
		if out, err = loadTicket(ctx, q, m, id); err != nil {
			return err
		}
		changed = true
		if err := writeEvents(ctx, tx, m, EventTicketStatus, now, out); err != nil {
			return err
		}
		if to != StatusServed || out.Kind != KindOrder {
			return nil
		}
		left, err := q.CountUnservedOrderTickets(ctx, kitchendb.CountUnservedOrderTicketsParams{MerchantID: string(m), OrderID: out.OrderID})
		if err != nil || left > 0 {
			return err
		}
		data, err := json.Marshal(map[string]string{"order_id": out.OrderID, "shop_id": out.ShopID})
		if err != nil {
			return err
		}
		return events.Add(ctx, tx, events.Event{Type: EventOrderServed, Subject: Subject, MerchantID: m, ShopID: out.ShopID,
			OccurredAt: now, Data: data})
	})
	if err != nil {
		return Ticket{}, fmt.Errorf("ticket %s: %w", id, err)
	}
	if changed {
		s.nudge()
	}
	return out, nil
}

// MoveShop moves a shop's tickets to merchant to, inside a shop transfer's system transaction.
func (s *Service) MoveShop(ctx context.Context, tx *sql.Tx, shopID string, from, to tenant.ID) error {
	q := kitchendb.New(tx)
	if err := q.MoveShopTickets(ctx, kitchendb.MoveShopTicketsParams{ToMerchantID: string(to), ShopID: shopID, FromMerchantID: string(from)}); err != nil {
		return fmt.Errorf("move tickets: %w", err)
	}
	if err := q.MoveShopTicketLines(ctx, kitchendb.MoveShopTicketLinesParams{ToMerchantID: string(to), FromMerchantID: string(from), ShopID: shopID}); err != nil {
		return fmt.Errorf("move ticket lines: %w", err)
	}
	return nil
}

func ticketFromRow(r kitchendb.KitchenTicket, lines []TicketLine) Ticket {
	if lines == nil {
		lines = []TicketLine{}
	}
	t := Ticket{ID: r.ID, OrderID: r.OrderID, ShopID: r.ShopID, Station: r.Station, Kind: Kind(r.Kind), Status: Status(r.Status),
		Label: r.Label, Lines: lines, CreatedAt: r.CreatedAt.UTC(), UpdatedAt: r.UpdatedAt.UTC(),
		StartedAt: timePtr(r.StartedAt), ReadyAt: timePtr(r.ReadyAt), ServedAt: timePtr(r.ServedAt)}
	if r.PrepSeconds.Valid {
		p := int(r.PrepSeconds.Int32)
		t.PrepSeconds = &p
	}
	return t
}

func lineFromRow(l kitchendb.KitchenTicketLine) (TicketLine, error) {
	var mods []string
	if err := json.Unmarshal([]byte(l.Modifiers), &mods); err != nil {
		return TicketLine{}, fmt.Errorf("decode modifiers of ticket line %s: %w", l.ID, err)
	}
	if mods == nil {
		mods = []string{}
	}
	return TicketLine{OrderLineID: l.OrderLineID, Name: l.Name, Quantity: int(l.Quantity), Modifiers: mods, Note: l.Note,
		Seat: int(l.Seat), Course: int(l.Course)}, nil
}

func timePtr(t sql.NullTime) *time.Time {
	if !t.Valid {
		return nil
	}
	u := t.Time.UTC()
	return &u
}
