// Package printq is the print queue of the kitchen module: each shop's network printers (ESC/POS over TCP,
// kitchen printers per station and receipt printers) and a database-backed queue of print jobs that a
// worker sends to them, with retries, status and expiry.
//
// Invariants the package keeps:
//   - A job is enqueued in the caller's transaction (Enqueue), so a kitchen ticket and its print job commit
//     or roll back together.
//   - A job is never printed after it expires: the worker checks expires_at when it claims the job and again
//     just before sending; a job whose time is up is marked expired instead, and a failed job's next attempt
//     is never scheduled past its expiry, so the job is expired on time even while its printer is down.
//   - At most one worker holds a job at a time: a claim is one conditional UPDATE that sets a fresh lease
//     owner (no SELECT … FOR UPDATE, which SQLite lacks); the outcome is written only while that owner
//     still holds it. A worker that dies leaves the job to be claimed again when its lease ends.
//   - A job is printed when the printer has read all of it: the worker sends the job followed by a DLE EOT
//     status request and waits for the printer's status byte; no answer, a reset or an offline status is a
//     failed attempt, retried with exponential backoff until the job expires or MaxAttempts is reached
//     (failed).
//   - A job whose shop has no enabled printer of its kind (and station) is no_printer: visible in the list,
//     never retried by itself (a reprint tries again).
//   - Everything is scoped to the merchant: another merchant's shop, printer or job is NotFound.
//
// Cross-tenant paths: the worker finds due jobs of every merchant in a system transaction (db.WithSystemTx)
// that reads only ids, then handles each job in its merchant's transaction; MoveShop runs inside the shop
// transfer's system transaction. Both tables admit app.system = 'on' through a second PostgreSQL policy
// (system_transfer), which a tenant transaction never satisfies.
//
// Documents are stored as JSON (escpos.Document) and rendered at the printer's paper width when sent, so a
// printer changed between enqueue and print still gets a correct raster.
package printq

import (
	"context"
	"embed"
	"net"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/goodgo/goodgo/internal/platform/apperr"
	"github.com/goodgo/goodgo/internal/platform/escpos"
	"github.com/goodgo/goodgo/internal/platform/migrate"
	"github.com/goodgo/goodgo/internal/platform/tenant"
)

//go:embed migrations
var migrationFiles embed.FS

// Migrations creates the queue's tables (printq_printers, printq_jobs) on either engine.
var Migrations = migrate.Embedded("printq", migrationFiles)

// EventJobUpdated is written on ShopSubject whenever a job reaches an outcome (printed, failed, expired,
// no_printer) or an attempt fails (pending again, with last_error), data PrintJob.
const EventJobUpdated = "print_job.updated"

// ShopSubject is the realtime subject of a shop's printing: shop.<shop_id>.printing.
func ShopSubject(shopID string) string { return "shop." + shopID + ".printing" }

// Shops is what the package needs of the merchant module.
type Shops interface {
	// CheckShop returns nil if shopID is a live shop of merchant m, an apperr.NotFound error otherwise.
	CheckShop(ctx context.Context, m tenant.ID, shopID string) error
}

// Kind is what a printer prints.
type Kind string

// The printer kinds.
const (
	Kitchen Kind = "kitchen" // tickets of one station (kitchen, bar, grill …)
	Receipt Kind = "receipt" // bills and receipts at the till
)

// Printer is a shop's network printer.
type Printer struct {
	ID           string    `json:"id"`
	ShopID       string    `json:"shop_id"`
	Name         string    `json:"name"`
	Kind         Kind      `json:"kind" enum:"kitchen,receipt"`
	Station      string    `json:"station" doc:"The kitchen station it serves (kitchen printers); empty for receipt printers."`
	Address      string    `json:"address" doc:"host:port of the printer (raw TCP, usually port 9100)."`
	PaperWidthMM int       `json:"paper_width_mm" enum:"58,80"`
	Enabled      bool      `json:"enabled"`
	CreatedAt    time.Time `json:"created_at"`
	UpdatedAt    time.Time `json:"updated_at"`
}

// PrinterInput creates a printer; Enabled defaults to true and PaperWidthMM to 80.
type PrinterInput struct {
	Name         string
	Kind         Kind
	Station      string
	Address      string
	PaperWidthMM int
	Enabled      *bool
}

// PrinterPatch changes a printer; nil fields keep their value.
type PrinterPatch struct {
	Name         *string
	Kind         *Kind
	Station      *string
	Address      *string
	PaperWidthMM *int
	Enabled      *bool
}

// Status is where a print job is.
type Status string

// The job statuses. Pending and Printing are live; the others are outcomes.
const (
	Pending   Status = "pending"    // waiting for its (next) attempt
	Printing  Status = "printing"   // a worker holds it
	Printed   Status = "printed"    // the printer read all of it
	Failed    Status = "failed"     // MaxAttempts attempts failed, or the document cannot be rendered
	Expired   Status = "expired"    // its TTL ran out before it could be printed
	NoPrinter Status = "no_printer" // the shop has no enabled printer for it
)

// Valid reports whether s is a known status.
func (s Status) Valid() bool {
	switch s {
	case Pending, Printing, Printed, Failed, Expired, NoPrinter:
		return true
	}
	return false
}

// PrintJob is a job of the queue, without its document.
type PrintJob struct {
	ID        string `json:"id"`
	ShopID    string `json:"shop_id"`
	PrinterID string `json:"printer_id" doc:"The printer chosen; empty when none matched."`
	Kind      Kind   `json:"kind" enum:"kitchen,receipt"`
	Station   string `json:"station"`
	Reference string `json:"reference" doc:"What was printed, e.g. a ticket or order id."`
	ReprintOf string `json:"reprint_of" doc:"The job this one reprints, empty for an original."`
	Status    Status `json:"status" enum:"pending,printing,printed,failed,expired,no_printer"`
	Attempts  int    `json:"attempts"`
	LastError string `json:"last_error" doc:"Why the last attempt failed."`
	// NextAttemptAt is when a pending job is tried next; nil otherwise.
	NextAttemptAt *time.Time `json:"next_attempt_at" doc:"When a pending job is tried next."`
	ExpiresAt     time.Time  `json:"expires_at" doc:"After this the job is not printed any more."`
	CreatedAt     time.Time  `json:"created_at"`
	UpdatedAt     time.Time  `json:"updated_at"`
	PrintedAt     *time.Time `json:"printed_at"`
}

// PrintJobPage is one page of jobs and the cursor of the next ("" at the end).
type PrintJobPage struct {
	Items      []PrintJob `json:"items"`
	NextCursor string     `json:"next_cursor"`
}

// JobInput is a job to enqueue: to printer PrinterID of the shop, or else to the shop's enabled printer of
// Kind (and Station, for kitchen printers).
type JobInput struct {
	ShopID    string
	PrinterID string
	Kind      Kind
	Station   string
	Document  escpos.Document
	// TTL is how long the job may wait for its printer (DefaultTTL when zero, at most MaxTTL).
	TTL       time.Duration
	Reference string
}

// TTL bounds.
const (
	DefaultTTL = 15 * time.Minute
	MaxTTL     = 24 * time.Hour
)

// Field limits.
const (
	maxNameLen      = 100
	maxStationLen   = 50
	maxAddressLen   = 255
	maxReferenceLen = 200
)

// fieldErrors collects the problems of one input so the caller sees them all at once.
type fieldErrors []apperr.FieldError

func (f *fieldErrors) add(field, message string) {
	*f = append(*f, apperr.FieldError{Field: field, Message: message})
}

// text checks a free-text field: trimmed, at most max characters, and not empty when required.
func (f *fieldErrors) text(field, value string, required bool, max int) string {
	v := strings.TrimSpace(value)
	switch {
	case !utf8.ValidString(v):
		f.add(field, "must be valid UTF-8")
	case required && v == "":
		f.add(field, "must not be empty")
	case utf8.RuneCountInString(v) > max:
		f.add(field, "must have at most "+strconv.Itoa(max)+" characters")
	}
	return v
}

func (f fieldErrors) err() error {
	if len(f) == 0 {
		return nil
	}
	return &apperr.Error{Kind: apperr.Invalid, Message: "validation failed", Fields: f}
}

// validatePrinter checks a printer as it would be stored and returns it normalised.
func validatePrinter(p Printer) (Printer, error) {
	var f fieldErrors
	p.Name = f.text("name", p.Name, true, maxNameLen)
	switch p.Kind {
	case Kitchen:
		p.Station = f.text("station", p.Station, true, maxStationLen)
	case Receipt:
		p.Station = ""
	default:
		f.add("kind", "must be kitchen or receipt")
	}
	p.Address = strings.TrimSpace(p.Address)
	if err := checkAddress(p.Address); err != "" {
		f.add("address", err)
	}
	if _, ok := escpos.WidthForPaper(p.PaperWidthMM); !ok {
		f.add("paper_width_mm", "must be 80 or 58")
	}
	return p, f.err()
}

// checkAddress returns what is wrong with a printer address, or "".
func checkAddress(a string) string {
	host, port, err := net.SplitHostPort(a)
	if err != nil || len(a) > maxAddressLen || host == "" || strings.ContainsAny(host, " /\\") {
		return "must be host:port, e.g. 192.168.1.50:9100"
	}
	n, err := strconv.Atoi(port)
	if err != nil || n < 1 || n > 65535 {
		return "must end with a port from 1 to 65535"
	}
	return ""
}

// validateJob checks a job input and returns it normalised.
func validateJob(in JobInput) (JobInput, error) {
	var f fieldErrors
	in.ShopID = strings.TrimSpace(in.ShopID)
	if in.ShopID == "" {
		f.add("shop_id", "must not be empty")
	}
	in.PrinterID = strings.TrimSpace(in.PrinterID)
	if in.PrinterID == "" {
		switch in.Kind {
		case Kitchen:
			in.Station = f.text("station", in.Station, true, maxStationLen)
		case Receipt:
			in.Station = ""
		default:
			f.add("kind", "must be kitchen or receipt when no printer_id is given")
		}
	}
	if in.TTL == 0 {
		in.TTL = DefaultTTL
	}
	if in.TTL < time.Second || in.TTL > MaxTTL {
		f.add("ttl", "must be between 1 second and 24 hours")
	}
	in.Reference = f.text("reference", in.Reference, false, maxReferenceLen)
	if err := in.Document.Validate(); err != nil {
		f.add("document", err.Error())
	}
	return in, f.err()
}
