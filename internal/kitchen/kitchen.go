// Package kitchen is the kitchen display module: the tickets each station cooks from (fnb-engine).
//
// The order module creates tickets when lines are sent (CreateTickets, inside the order's transaction, so an
// order never shows lines as sent without their tickets). A ticket holds the lines of one order for one
// station at one submit; voiding a line already sent makes a void ticket, so the cook stops. The display
// moves a ticket forward only — new → preparing → ready → served — and recall is its own operation, the one
// way back (to preparing). Every change is written to the outbox on the shop's realtime topic
// shop.<id>.kitchen.<station>, and on kitchen.events for the other modules; the preparation time (creation to
// ready) is kept for reports.
package kitchen

import (
	"embed"
	"strings"
	"time"

	"github.com/goodgo/goodgo/internal/platform/migrate"
)

//go:embed migrations
var migrationFiles embed.FS

// Migrations creates the module's tables on either engine.
var Migrations = migrate.Embedded("kitchen", migrationFiles)

// Status is where a ticket is in the kitchen.
type Status string

// The ticket statuses, in their forward order; voided ends a ticket the kitchen should not cook.
const (
	StatusNew       Status = "new"
	StatusPreparing Status = "preparing"
	StatusReady     Status = "ready"
	StatusServed    Status = "served"
	StatusVoided    Status = "voided"
)

var forward = []Status{StatusNew, StatusPreparing, StatusReady, StatusServed}

func rank(s Status) int {
	for i, f := range forward {
		if f == s {
			return i
		}
	}
	return -1
}

// next is the status a bump moves s to ("" at the end).
func next(s Status) Status {
	if i := rank(s); i >= 0 && i+1 < len(forward) {
		return forward[i+1]
	}
	return ""
}

// Kind tells a cooking ticket from a void ticket.
type Kind string

// The ticket kinds.
const (
	KindOrder Kind = "order"
	KindVoid  Kind = "void"
)

// Events, written to the outbox on Subject and on the shop's kitchen topic.
const (
	Subject            = "kitchen.events"
	EventTicketCreated = "ticket.created"
	EventTicketStatus  = "ticket.status_changed"
	// EventOrderServed is written on Subject when the last cooking ticket of an order is served; data
	// {order_id, shop_id}.
	EventOrderServed    = "kitchen.order_served"
	DefaultStation      = "kitchen"
	maxStationNameBytes = 32
)

// Ticket is what a station sees.
type Ticket struct {
	ID          string       `json:"id"`
	OrderID     string       `json:"order_id"`
	ShopID      string       `json:"shop_id"`
	Station     string       `json:"station"`
	Kind        Kind         `json:"kind" enum:"order,void"`
	Status      Status       `json:"status" enum:"new,preparing,ready,served,voided"`
	Label       string       `json:"label" doc:"Where it goes: the table or room name, or the takeaway pickup number."`
	Lines       []TicketLine `json:"lines"`
	CreatedAt   time.Time    `json:"created_at"`
	UpdatedAt   time.Time    `json:"updated_at"`
	StartedAt   *time.Time   `json:"started_at"`
	ReadyAt     *time.Time   `json:"ready_at"`
	ServedAt    *time.Time   `json:"served_at"`
	PrepSeconds *int         `json:"prep_seconds" doc:"Seconds from the ticket's creation to ready."`
}

// TicketLine is one line of a ticket.
type TicketLine struct {
	OrderLineID string   `json:"order_line_id"`
	Name        string   `json:"name"`
	Quantity    int      `json:"quantity"`
	Modifiers   []string `json:"modifiers"`
	Note        string   `json:"note"`
	Seat        int      `json:"seat"`
	Course      int      `json:"course"`
}

// Batch is what one submit of an order sends to the kitchen.
type Batch struct {
	ShopID  string
	OrderID string
	Label   string
	Lines   []BatchLine
}

// BatchLine is one order line sent (or, with Void, withdrawn) to its station.
type BatchLine struct {
	TicketLine
	Station string
	Void    bool
}

// StationTopic is the realtime subject of a shop's station.
func StationTopic(shopID, station string) string { return "shop." + shopID + ".kitchen." + station }

// cleanStation makes a station name safe as a subject token: lowercase letters, digits and '-', else the
// default station.
func cleanStation(s string) string {
	s = strings.ToLower(strings.TrimSpace(s))
	if s == "" || len(s) > maxStationNameBytes {
		return DefaultStation
	}
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '-' || r == '_') {
			return DefaultStation
		}
	}
	return s
}
