package printq

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"time"

	"github.com/goodgo/goodgo/internal/kitchen/printq/printqdb"
	"github.com/goodgo/goodgo/internal/platform/apperr"
	"github.com/goodgo/goodgo/internal/platform/clock"
	"github.com/goodgo/goodgo/internal/platform/db"
	"github.com/goodgo/goodgo/internal/platform/events"
	"github.com/goodgo/goodgo/internal/platform/tenant"
)

// Options tune a Service; zero values take the defaults named.
type Options struct {
	// Nudge, if set, is called after a transaction that wrote events has committed (events.Relay.Nudge).
	Nudge func()
	// Clock tells the time of enqueueing, expiry, backoff and leases (clock.System).
	Clock clock.Clock
	// Logger receives the worker's problems (discarded).
	Logger *slog.Logger
	// Dial connects to a printer's address; the context carries DialTimeout (a net.Dialer). The composition
	// root may pass one that refuses addresses the deployment must not reach.
	Dial func(ctx context.Context, address string) (net.Conn, error)
	// DialTimeout bounds connecting to a printer (3 s); IOTimeout bounds sending a job and getting the
	// printer's status byte back (15 s).
	DialTimeout, IOTimeout time.Duration
	// Lease is how long a claimed job belongs to its worker (1 min); it must exceed DialTimeout + IOTimeout.
	Lease time.Duration
	// RetryBase and RetryMax shape the backoff after a failed attempt: RetryBase × 2^(attempts-1), at most
	// RetryMax (2 s, 1 min).
	RetryBase, RetryMax time.Duration
	// MaxAttempts is how many attempts a job gets before it fails (20).
	MaxAttempts int
	// PollInterval is how often an idle worker looks for due jobs (1 s); Wake looks at once.
	PollInterval time.Duration
	// Batch is how many due jobs one pass takes (100); Parallel how many printers it serves at once (8).
	Batch, Parallel int
	// Attempted, if set, is called after each attempt's outcome has committed, with the job as stored.
	Attempted func(m tenant.ID, j PrintJob)
}

// Service manages printers and the print queue.
type Service struct {
	db    *db.DB
	shops Shops
	opts  Options
	wake  chan struct{}
}

// New returns the service over d (migrated with Migrations and events.Migrations).
func New(d *db.DB, shops Shops, opts Options) *Service {
	if opts.Nudge == nil {
		opts.Nudge = func() {}
	}
	if opts.Clock == nil {
		opts.Clock = clock.System{}
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.Dial == nil {
		var dialer net.Dialer
		opts.Dial = func(ctx context.Context, address string) (net.Conn, error) {
			return dialer.DialContext(ctx, "tcp", address)
		}
	}
	def := func(v *time.Duration, d time.Duration) {
		if *v <= 0 {
			*v = d
		}
	}
	def(&opts.DialTimeout, 3*time.Second)
	def(&opts.IOTimeout, 15*time.Second)
	def(&opts.Lease, time.Minute)
	def(&opts.RetryBase, 2*time.Second)
	def(&opts.RetryMax, time.Minute)
	def(&opts.PollInterval, time.Second)
	if opts.MaxAttempts <= 0 {
		opts.MaxAttempts = 20
	}
	if opts.Batch <= 0 {
		opts.Batch = 100
	}
	if opts.Parallel <= 0 {
		opts.Parallel = 8
	}
	return &Service{db: d, shops: shops, opts: opts, wake: make(chan struct{}, 1)}
}

// now is the current time as stored: UTC, to the microsecond.
func (s *Service) now() time.Time { return s.opts.Clock.Now().UTC().Truncate(time.Microsecond) }

// Wake makes the worker look for due jobs now instead of at its next poll. Callers that enqueued jobs call
// it after their transaction commits.
func (s *Service) Wake() {
	select {
	case s.wake <- struct{}{}:
	default:
	}
}

// notFound turns "no row" into a NotFound error naming what was looked for; other errors are wrapped.
func notFound(err error, what string) error {
	if errors.Is(err, sql.ErrNoRows) {
		return apperr.Wrap(err, apperr.NotFound, what+" not found")
	}
	return fmt.Errorf("read %s: %w", what, err)
}

// ---- printers ----

// CreatePrinter adds a printer to shop shopID of merchant m. It returns NotFound for another merchant's
// shop and an apperr.Invalid error listing bad fields.
func (s *Service) CreatePrinter(ctx context.Context, m tenant.ID, shopID string, in PrinterInput) (Printer, error) {
	if err := s.shops.CheckShop(ctx, m, shopID); err != nil {
		return Printer{}, err
	}
	p := Printer{ID: db.NewID(), ShopID: shopID, Name: in.Name, Kind: in.Kind, Station: in.Station,
		Address: in.Address, PaperWidthMM: in.PaperWidthMM, Enabled: in.Enabled == nil || *in.Enabled}
	if p.PaperWidthMM == 0 {
		p.PaperWidthMM = 80
	}
	p, err := validatePrinter(p)
	if err != nil {
		return Printer{}, err
	}
	p.CreatedAt, p.UpdatedAt = s.now(), s.now()
	err = s.db.WithTx(ctx, m, func(tx *sql.Tx) error {
		return printqdb.New(tx).InsertPrinter(ctx, printqdb.InsertPrinterParams{ID: p.ID, MerchantID: string(m),
			ShopID: shopID, Name: p.Name, Kind: string(p.Kind), Station: p.Station, Address: p.Address,
			PaperWidthMm: int32(p.PaperWidthMM), Enabled: p.Enabled, Now: p.CreatedAt})
	})
	if err != nil {
		return Printer{}, fmt.Errorf("create printer: %w", err)
	}
	p.UpdatedAt = p.CreatedAt
	return p, nil
}

// Printers lists shop shopID's printers (NotFound for another merchant's shop).
func (s *Service) Printers(ctx context.Context, m tenant.ID, shopID string) ([]Printer, error) {
	if err := s.shops.CheckShop(ctx, m, shopID); err != nil {
		return nil, err
	}
	var out []Printer
	err := s.db.ReadTx(ctx, m, func(tx *sql.Tx) error {
		rows, err := printqdb.New(tx).ListPrinters(ctx, printqdb.ListPrintersParams{MerchantID: string(m), ShopID: shopID})
		if err != nil {
			return fmt.Errorf("list printers: %w", err)
		}
		out = make([]Printer, len(rows))
		for i, r := range rows {
			out[i] = printerFromRow(r)
		}
		return nil
	})
	return out, err
}

// Printer returns one printer of a shop (NotFound for another merchant's shop or printer).
func (s *Service) Printer(ctx context.Context, m tenant.ID, shopID, id string) (Printer, error) {
	if err := s.shops.CheckShop(ctx, m, shopID); err != nil {
		return Printer{}, err
	}
	var out Printer
	err := s.db.ReadTx(ctx, m, func(tx *sql.Tx) error {
		var err error
		out, err = loadPrinter(ctx, printqdb.New(tx), m, shopID, id)
		return err
	})
	return out, err
}

// UpdatePrinter changes a printer. It returns NotFound for another merchant's shop or printer and an
// apperr.Invalid error listing bad fields. Jobs already queued for it follow the change.
func (s *Service) UpdatePrinter(ctx context.Context, m tenant.ID, shopID, id string, in PrinterPatch) (Printer, error) {
	if err := s.shops.CheckShop(ctx, m, shopID); err != nil {
		return Printer{}, err
	}
	var out Printer
	err := s.db.WithTx(ctx, m, func(tx *sql.Tx) error {
		q := printqdb.New(tx)
		p, err := loadPrinter(ctx, q, m, shopID, id)
		if err != nil {
			return err
		}
		setIf(&p.Name, in.Name)
		setIf(&p.Kind, in.Kind)
		setIf(&p.Station, in.Station)
		setIf(&p.Address, in.Address)
		setIf(&p.PaperWidthMM, in.PaperWidthMM)
		setIf(&p.Enabled, in.Enabled)
		if p, err = validatePrinter(p); err != nil {
			return err
		}
		p.UpdatedAt = s.now()
		if _, err := q.UpdatePrinter(ctx, printqdb.UpdatePrinterParams{Name: p.Name, Kind: string(p.Kind),
			Station: p.Station, Address: p.Address, PaperWidthMm: int32(p.PaperWidthMM), Enabled: p.Enabled,
			Now: p.UpdatedAt, MerchantID: string(m), ShopID: shopID, ID: id}); err != nil {
			return fmt.Errorf("update printer: %w", err)
		}
		out = p
		return nil
	})
	return out, err
}

// DeletePrinter removes a printer. Jobs queued for it go to another printer of the same kind and station
// at their next attempt, or become no_printer. It returns NotFound for another merchant's shop or printer.
func (s *Service) DeletePrinter(ctx context.Context, m tenant.ID, shopID, id string) error {
	if err := s.shops.CheckShop(ctx, m, shopID); err != nil {
		return err
	}
	return s.db.WithTx(ctx, m, func(tx *sql.Tx) error {
		n, err := printqdb.New(tx).DeletePrinter(ctx, printqdb.DeletePrinterParams{MerchantID: string(m), ShopID: shopID, ID: id})
		if err != nil {
			return fmt.Errorf("delete printer: %w", err)
		}
		if n == 0 {
			return apperr.E(apperr.NotFound, "printer not found")
		}
		return nil
	})
}

func loadPrinter(ctx context.Context, q *printqdb.Queries, m tenant.ID, shopID, id string) (Printer, error) {
	row, err := q.GetPrinter(ctx, printqdb.GetPrinterParams{MerchantID: string(m), ShopID: shopID, ID: id})
	if err != nil {
		return Printer{}, notFound(err, "printer")
	}
	return printerFromRow(row), nil
}

func printerFromRow(r printqdb.PrintqPrinter) Printer {
	return Printer{ID: r.ID, ShopID: r.ShopID, Name: r.Name, Kind: Kind(r.Kind), Station: r.Station,
		Address: r.Address, PaperWidthMM: int(r.PaperWidthMm), Enabled: r.Enabled,
		CreatedAt: r.CreatedAt.UTC(), UpdatedAt: r.UpdatedAt.UTC()}
}

func setIf[T any](dst *T, v *T) {
	if v != nil {
		*dst = *v
	}
}

// ---- jobs ----

// Enqueue adds a print job inside the caller's transaction tx, a tenant transaction of merchant m
// (db.WithTx), so the job exists only if tx commits; call Wake after the commit to print at once. The job
// goes to in.PrinterID (which must be a printer of the shop) or, when it is empty or disabled, to the
// shop's enabled printer of in.Kind and in.Station; with no such printer the job is no_printer. It returns
// an apperr.Invalid error listing bad fields.
func (s *Service) Enqueue(ctx context.Context, tx *sql.Tx, m tenant.ID, in JobInput) (PrintJob, error) {
	in, err := validateJob(in)
	if err != nil {
		return PrintJob{}, err
	}
	doc, err := json.Marshal(in.Document)
	if err != nil {
		return PrintJob{}, fmt.Errorf("enqueue: encode document: %w", err)
	}
	// A no_printer job writes its event in tx: the relay publishes it after the caller's commit.
	j, _, err := s.insertJob(ctx, tx, m, in.ShopID, in.PrinterID, in.Kind, in.Station, in.Reference, "", string(doc), in.TTL)
	return j, err
}

// insertJob routes and inserts a job; wrote reports whether it wrote an event (a no_printer job).
func (s *Service) insertJob(ctx context.Context, tx *sql.Tx, m tenant.ID, shopID, printerID string, kind Kind,
	station, reference, reprintOf, doc string, ttl time.Duration) (PrintJob, bool, error) {
	q := printqdb.New(tx)
	if printerID != "" {
		p, err := loadPrinter(ctx, q, m, shopID, printerID)
		if apperr.Is(err, apperr.NotFound) {
			return PrintJob{}, false, apperr.WithField("printer_id", "no printer of this shop has this id")
		}
		if err != nil {
			return PrintJob{}, false, err
		}
		kind, station = p.Kind, p.Station
	}
	p, err := route(ctx, q, m, shopID, printerID, kind, station)
	if err != nil {
		return PrintJob{}, false, err
	}
	now := s.now()
	status, lastErr := Pending, ""
	if p == nil {
		status, lastErr, printerID = NoPrinter, noPrinterMessage(kind, station), ""
	} else {
		printerID = p.ID
	}
	row := printqdb.PrintqJob{ID: db.NewID(), MerchantID: string(m), ShopID: shopID, PrinterID: printerID,
		Kind: string(kind), Station: station, Reference: reference, ReprintOf: reprintOf, Document: doc,
		Status: string(status), LastError: lastErr, TtlSeconds: int64(ttl / time.Second),
		ExpiresAt: now.Add(ttl), DueAt: now, CreatedAt: now, UpdatedAt: now}
	if err := q.InsertJob(ctx, printqdb.InsertJobParams{ID: row.ID, MerchantID: row.MerchantID, ShopID: row.ShopID,
		PrinterID: row.PrinterID, Kind: row.Kind, Station: row.Station, Reference: row.Reference,
		ReprintOf: row.ReprintOf, Document: row.Document, Status: row.Status, LastError: row.LastError,
		TtlSeconds: row.TtlSeconds, ExpiresAt: row.ExpiresAt, Now: now}); err != nil {
		return PrintJob{}, false, fmt.Errorf("enqueue: insert job: %w", err)
	}
	j := jobFromRow(row)
	if status == NoPrinter {
		if err := s.addEvent(ctx, tx, m, j, now); err != nil {
			return PrintJob{}, false, err
		}
		return j, true, nil
	}
	return j, false, nil
}

// route returns the printer a job goes to: printerID when it is enabled, else the shop's enabled printer of
// kind and station; nil when there is none.
func route(ctx context.Context, q *printqdb.Queries, m tenant.ID, shopID, printerID string, kind Kind, station string) (*Printer, error) {
	if printerID != "" {
		p, err := loadPrinter(ctx, q, m, shopID, printerID)
		if err == nil && p.Enabled {
			return &p, nil
		}
		if err != nil && !apperr.Is(err, apperr.NotFound) {
			return nil, err
		}
	}
	row, err := q.RoutePrinter(ctx, printqdb.RoutePrinterParams{MerchantID: string(m), ShopID: shopID,
		Kind: string(kind), Station: station})
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("route print job: %w", err)
	}
	p := printerFromRow(row)
	return &p, nil
}

func noPrinterMessage(kind Kind, station string) string {
	if kind == Kitchen {
		return "no enabled kitchen printer for station " + station
	}
	return "no enabled " + string(kind) + " printer"
}

// Job returns one job of a shop (NotFound for another merchant's shop or job).
func (s *Service) Job(ctx context.Context, m tenant.ID, shopID, id string) (PrintJob, error) {
	if err := s.shops.CheckShop(ctx, m, shopID); err != nil {
		return PrintJob{}, err
	}
	var out PrintJob
	err := s.db.ReadTx(ctx, m, func(tx *sql.Tx) error {
		row, err := printqdb.New(tx).GetJob(ctx, printqdb.GetJobParams{MerchantID: string(m), ShopID: shopID, ID: id})
		if err != nil {
			return notFound(err, "print job")
		}
		out = jobFromRow(row)
		return nil
	})
	return out, err
}

// Jobs lists a shop's jobs, newest first, optionally of one status, limit per page after cursor (the
// next_cursor of the previous page). It returns NotFound for another merchant's shop and an apperr.Invalid
// error for an unknown status.
func (s *Service) Jobs(ctx context.Context, m tenant.ID, shopID string, status Status, limit int, cursor string) (PrintJobPage, error) {
	if status != "" && !status.Valid() {
		return PrintJobPage{}, apperr.WithField("status", "must be one of pending, printing, printed, failed, expired, no_printer")
	}
	if err := s.shops.CheckShop(ctx, m, shopID); err != nil {
		return PrintJobPage{}, err
	}
	limit = min(max(limit, 1), 200)
	out := PrintJobPage{Items: []PrintJob{}}
	err := s.db.ReadTx(ctx, m, func(tx *sql.Tx) error {
		rows, err := printqdb.New(tx).ListJobs(ctx, printqdb.ListJobsParams{MerchantID: string(m), ShopID: shopID,
			Status: string(status), Cursor: cursor, Lim: int32(limit + 1)})
		if err != nil {
			return fmt.Errorf("list print jobs: %w", err)
		}
		for i, r := range rows {
			if i == limit {
				out.NextCursor = rows[limit-1].ID
				break
			}
			out.Items = append(out.Items, jobFromRow(r))
		}
		return nil
	})
	return out, err
}

// Reprint enqueues a copy of job id (same document, printer routing, reference and time to live, counted
// from now) and returns the new job. It returns NotFound for another merchant's shop or job.
func (s *Service) Reprint(ctx context.Context, m tenant.ID, shopID, id string) (PrintJob, error) {
	if err := s.shops.CheckShop(ctx, m, shopID); err != nil {
		return PrintJob{}, err
	}
	var out PrintJob
	var wrote bool
	err := s.db.WithTx(ctx, m, func(tx *sql.Tx) error {
		row, err := printqdb.New(tx).GetJob(ctx, printqdb.GetJobParams{MerchantID: string(m), ShopID: shopID, ID: id})
		if err != nil {
			return notFound(err, "print job")
		}
		printerID := row.PrinterID
		if printerID != "" {
			// The original printer may be gone; routing by kind and station then finds its successor.
			if _, err := loadPrinter(ctx, printqdb.New(tx), m, shopID, printerID); apperr.Is(err, apperr.NotFound) {
				printerID = ""
			}
		}
		out, wrote, err = s.insertJob(ctx, tx, m, shopID, printerID, Kind(row.Kind), row.Station, row.Reference,
			row.ID, row.Document, time.Duration(row.TtlSeconds)*time.Second)
		return err
	})
	if err != nil {
		return PrintJob{}, fmt.Errorf("reprint %s: %w", id, err)
	}
	if wrote {
		s.opts.Nudge()
	}
	s.Wake()
	return out, nil
}

func jobFromRow(r printqdb.PrintqJob) PrintJob {
	j := PrintJob{ID: r.ID, ShopID: r.ShopID, PrinterID: r.PrinterID, Kind: Kind(r.Kind), Station: r.Station,
		Reference: r.Reference, ReprintOf: r.ReprintOf, Status: Status(r.Status), Attempts: int(r.Attempts),
		LastError: r.LastError, ExpiresAt: r.ExpiresAt.UTC(), CreatedAt: r.CreatedAt.UTC(), UpdatedAt: r.UpdatedAt.UTC()}
	if j.Status == Pending {
		next := r.DueAt.UTC()
		j.NextAttemptAt = &next
	}
	if r.PrintedAt.Valid {
		t := r.PrintedAt.Time.UTC()
		j.PrintedAt = &t
	}
	return j
}

// addEvent writes print_job.updated for j on the shop's subject.
func (s *Service) addEvent(ctx context.Context, tx *sql.Tx, m tenant.ID, j PrintJob, at time.Time) error {
	b, err := json.Marshal(j)
	if err != nil {
		return fmt.Errorf("encode %s event: %w", EventJobUpdated, err)
	}
	return events.AddAt(ctx, tx, at, events.Event{ID: db.NewID(), Type: EventJobUpdated, Subject: ShopSubject(j.ShopID),
		MerchantID: m, ShopID: j.ShopID, OccurredAt: at, Data: b})
}

// MoveShop moves shop shopID's printers and jobs from merchant from to merchant to, inside tx, the shop
// transfer's system transaction (db.WithSystemTx). It is the module's step of merchant.TransferShop.
func (s *Service) MoveShop(ctx context.Context, tx *sql.Tx, shopID string, from, to tenant.ID) error {
	if shopID == "" || from == "" || to == "" || from == to {
		return fmt.Errorf("move print queue: bad arguments (shop %q, from %q, to %q)", shopID, from, to)
	}
	q := printqdb.New(tx)
	p := printqdb.MovePrintersParams{ToMerchantID: string(to), ShopID: shopID, FromMerchantID: string(from)}
	if err := q.MovePrinters(ctx, p); err != nil {
		return fmt.Errorf("move printers: %w", err)
	}
	if err := q.MoveJobs(ctx, printqdb.MoveJobsParams(p)); err != nil {
		return fmt.Errorf("move print jobs: %w", err)
	}
	return nil
}
