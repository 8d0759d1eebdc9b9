package printq_test

import (
	"context"
	"database/sql"
	"errors"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/goodgo/goodgo/internal/kitchen/printq"
	"github.com/goodgo/goodgo/internal/platform/apperr"
	"github.com/goodgo/goodgo/internal/platform/clock"
	"github.com/goodgo/goodgo/internal/platform/db"
	"github.com/goodgo/goodgo/internal/platform/db/dbtest"
	"github.com/goodgo/goodgo/internal/platform/escpos"
	"github.com/goodgo/goodgo/internal/platform/escpos/escpostest"
	"github.com/goodgo/goodgo/internal/platform/events"
	"github.com/goodgo/goodgo/internal/platform/httpapi"
	"github.com/goodgo/goodgo/internal/platform/migrate"
	"github.com/goodgo/goodgo/internal/platform/tenant"
)

// sources are the migrations the tests need: the queue's own, the outbox its events go to, and the HTTP
// layer's idempotency keys.
var sources = []migrate.Source{events.Migrations, httpapi.Migrations, printq.Migrations}

var t0 = time.Date(2026, 3, 2, 12, 0, 0, 0, time.UTC)

// fakeShops knows which merchant owns each shop.
type fakeShops map[string]tenant.ID

func (f fakeShops) CheckShop(_ context.Context, m tenant.ID, shopID string) error {
	if owner, ok := f[shopID]; !ok || owner != m {
		return apperr.E(apperr.NotFound, "shop not found")
	}
	return nil
}

// env is a queue over a fresh database with a fake clock, two merchants with a shop each (A owns shopA,
// B owns shopB) and a fake printer. Every recorded outcome is sent on outcomes.
type env struct {
	d            *db.DB
	clk          *clock.Fake
	shops        fakeShops
	svc          *printq.Service
	fp           *escpostest.Printer
	outcomes     chan printq.PrintJob
	a, b         tenant.ID
	shopA, shopB string
}

func newEnv(t *testing.T, d *db.DB, tune func(*printq.Options)) *env {
	t.Helper()
	e := &env{d: d, clk: clock.NewFake(t0), a: tenant.ID(db.NewID()), b: tenant.ID(db.NewID()),
		shopA: db.NewID(), shopB: db.NewID(), fp: escpostest.Start(t), outcomes: make(chan printq.PrintJob, 100)}
	e.shops = fakeShops{e.shopA: e.a, e.shopB: e.b}
	e.svc = e.service(tune)
	return e
}

// service returns another service (a replica) over the same database, clock and shops.
func (e *env) service(tune func(*printq.Options)) *printq.Service {
	opts := printq.Options{Clock: e.clk, IOTimeout: 5 * time.Second,
		Attempted: func(_ tenant.ID, j printq.PrintJob) { e.outcomes <- j }}
	if tune != nil {
		tune(&opts)
	}
	return printq.New(e.d, e.shops, opts)
}

func (e *env) printer(t *testing.T, m tenant.ID, shopID string, in printq.PrinterInput) printq.Printer {
	t.Helper()
	p, err := e.svc.CreatePrinter(context.Background(), m, shopID, in)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// barPrinter adds shop A's bar printer at the fake printer's address.
func (e *env) barPrinter(t *testing.T) printq.Printer {
	return e.printer(t, e.a, e.shopA, printq.PrinterInput{Name: "Quầy bar", Kind: printq.Kitchen, Station: "bar",
		Address: e.fp.Addr()})
}

// enqueue adds a job for merchant m in a transaction of its own, as the kitchen module does with a ticket.
func (e *env) enqueue(t *testing.T, m tenant.ID, in printq.JobInput) printq.PrintJob {
	t.Helper()
	var j printq.PrintJob
	err := e.d.WithTx(context.Background(), m, func(tx *sql.Tx) error {
		var err error
		j, err = e.svc.Enqueue(context.Background(), tx, m, in)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return j
}

func ticket(table string) escpos.Document {
	var d escpos.Document
	d.Text("BAR – "+table, escpos.Style{Large: true, Bold: true, Align: escpos.Center}).Separator().
		Row("Cà phê sữa đá", "×2", escpos.Style{Large: true}).Text("ít đường", escpos.Style{}).Cut()
	return d
}

func (e *env) barJob(t *testing.T, ttl time.Duration) printq.PrintJob {
	return e.enqueue(t, e.a, printq.JobInput{ShopID: e.shopA, Kind: printq.Kitchen, Station: "bar",
		Document: ticket("Bàn 5"), TTL: ttl, Reference: "ticket-1"})
}

// runOnce makes one worker pass and returns how many jobs it attempted.
func (e *env) runOnce(t *testing.T, svc *printq.Service) int {
	t.Helper()
	n, err := svc.RunOnce(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func (e *env) job(t *testing.T, id string) printq.PrintJob {
	t.Helper()
	j, err := e.svc.Job(context.Background(), e.a, e.shopA, id)
	if err != nil {
		t.Fatal(err)
	}
	return j
}

func wantStatus(t *testing.T, j printq.PrintJob, want printq.Status, attempts int) {
	t.Helper()
	if j.Status != want || j.Attempts != attempts {
		t.Fatalf("job is %s after %d attempts (%s), want %s after %d", j.Status, j.Attempts, j.LastError, want, attempts)
	}
}

func testCtx(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// The worker loop prints an enqueued job on the fake printer, which decodes exactly the raster the
// document renders to at the printer's paper width.
func TestWorkerPrintsAJobEndToEnd(t *testing.T) {
	dbtest.Each(t, sources, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d, func(o *printq.Options) { o.Clock = clock.System{}; o.PollInterval = time.Hour })
		p := e.printer(t, e.a, e.shopA, printq.PrinterInput{Name: "Bar 58", Kind: printq.Kitchen, Station: "bar",
			Address: e.fp.Addr(), PaperWidthMM: 58})
		ctx, cancel := context.WithCancel(testCtx(t))
		stopped := make(chan error)
		go func() { stopped <- e.svc.Worker()(ctx) }()

		job := e.barJob(t, 0)
		wantStatus(t, job, printq.Pending, 0)
		e.svc.Wake()
		printed, err := e.fp.WaitPrinted(ctx, 1)
		if err != nil {
			t.Fatal(err)
		}
		var got printq.PrintJob
		select {
		case got = <-e.outcomes:
		case <-ctx.Done():
			t.Fatal(ctx.Err())
		}
		cancel()
		if err := <-stopped; err != nil {
			t.Errorf("worker returned %v", err)
		}
		if got.ID != job.ID || got.Status != printq.Printed || got.PrinterID != p.ID || got.PrintedAt == nil {
			t.Errorf("outcome %+v, want job %s printed on %s", got, job.ID, p.ID)
		}
		wantStatus(t, e.job(t, job.ID), printq.Printed, 1)
		want, err := escpos.Render(ticket("Bàn 5"), escpos.Width58mm)
		if err != nil {
			t.Fatal(err)
		}
		if len(printed) != 1 || !printed[0].Image.Equal(want[0]) {
			t.Error("the printer did not print the rendered ticket")
		}
		if errs := e.fp.Errors(); len(errs) > 0 {
			t.Errorf("the printer could not decode what it got: %v", errs)
		}
	})
}

// A printer that refuses (nothing listens) or resets connections twice gets the job on the third
// attempt; the attempts wait out an exponential backoff on the queue's clock.
func TestRetryAfterThePrinterRefusedTwice(t *testing.T) {
	for _, how := range []string{"refused", "reset"} {
		t.Run(how, func(t *testing.T) {
			dbtest.Each(t, sources, func(t *testing.T, d *db.DB) {
				e := newEnv(t, d, nil)
				e.barPrinter(t)
				if how == "refused" {
					e.fp.Refuse()
				} else {
					e.fp.DropNext(2)
				}
				job := e.barJob(t, 10*time.Minute)

				if n := e.runOnce(t, e.svc); n != 1 {
					t.Fatalf("first pass attempted %d jobs", n)
				}
				j := e.job(t, job.ID)
				wantStatus(t, j, printq.Pending, 1)
				if j.LastError == "" || j.NextAttemptAt == nil || !j.NextAttemptAt.Equal(t0.Add(2*time.Second)) {
					t.Fatalf("after one failure: error %q, next attempt %v; want an error and t0+2s", j.LastError, j.NextAttemptAt)
				}
				if n := e.runOnce(t, e.svc); n != 0 {
					t.Fatalf("a pass before the backoff ended attempted %d jobs", n)
				}
				e.clk.Advance(2 * time.Second)
				e.runOnce(t, e.svc)
				j = e.job(t, job.ID)
				wantStatus(t, j, printq.Pending, 2)
				if !j.NextAttemptAt.Equal(t0.Add(6 * time.Second)) {
					t.Fatalf("second backoff ends %v, want t0+6s (4 s after the second failure)", j.NextAttemptAt)
				}
				if how == "refused" {
					if err := e.fp.Accept(); err != nil {
						t.Fatal(err)
					}
				}
				e.clk.Advance(4 * time.Second)
				e.runOnce(t, e.svc)
				wantStatus(t, e.job(t, job.ID), printq.Printed, 3)
				if got := e.fp.Printed(); len(got) != 1 {
					t.Errorf("%d pieces printed, want 1", len(got))
				}
			})
		})
	}
}

// While the printer is down the job is retried until its TTL runs out; then it is expired, and it is
// never printed once the printer is back.
func TestExpiredJobIsNeverPrintedLate(t *testing.T) {
	dbtest.Each(t, sources, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d, func(o *printq.Options) { o.RetryBase = 20 * time.Second })
		e.barPrinter(t)
		e.fp.Refuse()
		job := e.barJob(t, time.Minute)

		e.runOnce(t, e.svc) // fails at t0; next at t0+20s
		e.clk.Advance(20 * time.Second)
		e.runOnce(t, e.svc) // fails at t0+20s; the next (t0+60s) is capped at the expiry, t0+60s
		j := e.job(t, job.ID)
		wantStatus(t, j, printq.Pending, 2)
		if !j.NextAttemptAt.Equal(j.ExpiresAt) {
			t.Fatalf("next attempt %v, want it capped at the expiry %v", j.NextAttemptAt, j.ExpiresAt)
		}
		e.clk.Advance(40 * time.Second) // exactly the TTL: too late
		if err := e.fp.Accept(); err != nil {
			t.Fatal(err)
		}
		e.runOnce(t, e.svc)
		j = e.job(t, job.ID)
		wantStatus(t, j, printq.Expired, 3)
		if !strings.Contains(j.LastError, "time to live") {
			t.Errorf("last error %q", j.LastError)
		}
		e.clk.Advance(time.Hour)
		if n := e.runOnce(t, e.svc); n != 0 {
			t.Errorf("an expired job was attempted again")
		}
		if e.fp.Connections() != 0 || len(e.fp.Printed()) != 0 {
			t.Errorf("the printer got %d connections and printed %d pieces, want none", e.fp.Connections(), len(e.fp.Printed()))
		}
	})
}

// A job whose worker died while holding it is taken over by another worker once the lease ends, and the
// dead worker's late outcome is not recorded over it.
func TestLeaseTakeover(t *testing.T) {
	dbtest.Each(t, sources, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d, nil)
		e.barPrinter(t)
		job := e.barJob(t, time.Hour)

		// Worker A claims the job, then hangs in its dial until the test lets it go.
		hung, release := make(chan struct{}), make(chan struct{})
		a := e.service(func(o *printq.Options) {
			o.Attempted = nil
			o.Dial = func(ctx context.Context, _ string) (net.Conn, error) {
				close(hung)
				<-release
				return nil, errors.New("worker A was presumed dead")
			}
		})
		aDone := make(chan int)
		go func() {
			n, _ := a.RunOnce(context.Background())
			aDone <- n
		}()
		<-hung
		wantStatus(t, e.job(t, job.ID), printq.Printing, 1)

		b := e.service(nil)
		if n := e.runOnce(t, b); n != 0 {
			t.Fatalf("worker B took a job whose lease is running")
		}
		e.clk.Advance(time.Minute)
		if n := e.runOnce(t, b); n != 1 {
			t.Fatalf("worker B attempted %d jobs after the lease ended, want 1", n)
		}
		wantStatus(t, e.job(t, job.ID), printq.Printed, 2)

		close(release)
		if n := <-aDone; n != 0 {
			t.Errorf("worker A recorded %d outcomes after losing its lease", n)
		}
		wantStatus(t, e.job(t, job.ID), printq.Printed, 2)
		if got := e.fp.Printed(); len(got) != 1 {
			t.Errorf("%d pieces printed, want 1", len(got))
		}
	})
}

// Two replicas passing at the same time print a job once.
func TestConcurrentWorkersPrintOnce(t *testing.T) {
	dbtest.Each(t, sources, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d, nil)
		e.barPrinter(t)
		const jobs = 5
		for range jobs {
			e.barJob(t, time.Hour)
		}
		var wg sync.WaitGroup
		counts := make([]int, 3)
		for i := range counts {
			svc := e.service(nil)
			wg.Go(func() {
				n, err := svc.RunOnce(context.Background())
				if err != nil {
					t.Error(err)
				}
				counts[i] = n
			})
		}
		wg.Wait()
		if total := counts[0] + counts[1] + counts[2]; total != jobs {
			t.Errorf("the workers attempted %v jobs, want %d in all", counts, jobs)
		}
		if got := e.fp.Printed(); len(got) != jobs {
			t.Errorf("%d pieces printed, want %d", len(got), jobs)
		}
	})
}

// A stalled printer (it accepts and never reads) fails the attempt at the I/O timeout; the job prints once
// the printer is back.
func TestStalledPrinterTimesOutAndIsRetried(t *testing.T) {
	dbtest.Each(t, sources, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d, func(o *printq.Options) { o.IOTimeout = 300 * time.Millisecond })
		e.barPrinter(t)
		e.fp.Stall()
		job := e.barJob(t, time.Hour)
		e.runOnce(t, e.svc)
		j := e.job(t, job.ID)
		wantStatus(t, j, printq.Pending, 1)
		if !strings.Contains(j.LastError, "did not confirm") {
			t.Errorf("last error %q, want the missing confirmation", j.LastError)
		}
		e.fp.Resume()
		e.clk.Advance(time.Minute)
		e.runOnce(t, e.svc)
		wantStatus(t, e.job(t, job.ID), printq.Printed, 2)
	})
}

// After MaxAttempts failures the job is failed and left alone.
func TestJobFailsAfterMaxAttempts(t *testing.T) {
	dbtest.Each(t, sources, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d, func(o *printq.Options) { o.MaxAttempts = 2 })
		e.barPrinter(t)
		e.fp.Refuse()
		job := e.barJob(t, time.Hour)
		e.runOnce(t, e.svc)
		e.clk.Advance(time.Minute)
		e.runOnce(t, e.svc)
		j := e.job(t, job.ID)
		wantStatus(t, j, printq.Failed, 2)
		if !strings.Contains(j.LastError, "gave up after 2 attempts") {
			t.Errorf("last error %q", j.LastError)
		}
		e.clk.Advance(time.Hour)
		if n := e.runOnce(t, e.svc); n != 0 {
			t.Error("a failed job was attempted again")
		}
	})
}

// A reprint is a new job with the same document: the printer prints the same raster twice.
func TestReprintPrintsTheSameDocumentAgain(t *testing.T) {
	dbtest.Each(t, sources, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d, nil)
		p := e.printer(t, e.a, e.shopA, printq.PrinterInput{Name: "Thu ngân", Kind: printq.Receipt, Address: e.fp.Addr()})
		var receipt escpos.Document
		receipt.Text("Hoá đơn", escpos.Style{Bold: true}).Row("Tổng", "65.000", escpos.Style{}).QR("000201010212").Cut()
		job := e.enqueue(t, e.a, printq.JobInput{ShopID: e.shopA, PrinterID: p.ID, Document: receipt, Reference: "order-1"})
		e.runOnce(t, e.svc)

		again, err := e.svc.Reprint(context.Background(), e.a, e.shopA, job.ID)
		if err != nil {
			t.Fatal(err)
		}
		if again.ID == job.ID || again.ReprintOf != job.ID || again.Reference != "order-1" || again.Status != printq.Pending ||
			again.PrinterID != p.ID || again.Kind != printq.Receipt {
			t.Fatalf("reprint %+v", again)
		}
		e.runOnce(t, e.svc)
		wantStatus(t, e.job(t, again.ID), printq.Printed, 1)
		got := e.fp.Printed()
		if len(got) != 2 || !got[0].Image.Equal(got[1].Image) {
			t.Fatalf("printed %d pieces, want the same receipt twice", len(got))
		}
		if _, err := e.svc.Reprint(context.Background(), e.b, e.shopA, job.ID); !apperr.Is(err, apperr.NotFound) {
			t.Errorf("another merchant's reprint: %v, want NotFound", err)
		}
		if _, err := e.svc.Reprint(context.Background(), e.b, e.shopB, job.ID); !apperr.Is(err, apperr.NotFound) {
			t.Errorf("reprint of another merchant's job from one's own shop: %v, want NotFound", err)
		}
	})
}

// Routing: a job goes to the enabled printer of its station; with none it is no_printer, listed, and not
// retried; a disabled or deleted printer's jobs go to another printer of its station.
func TestRouting(t *testing.T) {
	dbtest.Each(t, sources, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d, nil)
		ctx := context.Background()
		grill := e.enqueue(t, e.a, printq.JobInput{ShopID: e.shopA, Kind: printq.Kitchen, Station: "grill", Document: ticket("Bàn 1")})
		if grill.Status != printq.NoPrinter || grill.PrinterID != "" || !strings.Contains(grill.LastError, "grill") {
			t.Fatalf("job without a printer: %+v", grill)
		}
		page, err := e.svc.Jobs(ctx, e.a, e.shopA, printq.NoPrinter, 10, "")
		if err != nil || len(page.Items) != 1 || page.Items[0].ID != grill.ID {
			t.Fatalf("no_printer list %+v, %v", page, err)
		}

		old := e.barPrinter(t)
		other := e.printer(t, e.a, e.shopA, printq.PrinterInput{Name: "Bar 2", Kind: printq.Kitchen, Station: "bar",
			Address: e.fp.Addr()})
		job := e.barJob(t, time.Hour)
		if job.PrinterID != old.ID {
			t.Fatalf("routed to %s, want the oldest bar printer %s", job.PrinterID, old.ID)
		}
		off := false
		if _, err := e.svc.UpdatePrinter(ctx, e.a, e.shopA, old.ID, printq.PrinterPatch{Enabled: &off}); err != nil {
			t.Fatal(err)
		}
		e.runOnce(t, e.svc)
		if j := e.job(t, job.ID); j.Status != printq.Printed || j.PrinterID != other.ID {
			t.Fatalf("job %s on %s, want printed on %s", j.Status, j.PrinterID, other.ID)
		}
		if err := e.svc.DeletePrinter(ctx, e.a, e.shopA, other.ID); err != nil {
			t.Fatal(err)
		}
		last := e.barJob(t, time.Hour)
		if last.Status != printq.NoPrinter {
			t.Fatalf("with every bar printer disabled or gone the job is %s", last.Status)
		}
		if n := e.runOnce(t, e.svc); n != 0 {
			t.Errorf("no_printer jobs were attempted")
		}
	})
}

func TestListPagesNewestFirst(t *testing.T) {
	dbtest.Each(t, sources, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d, nil)
		e.barPrinter(t)
		var ids []string
		for range 5 {
			ids = append(ids, e.barJob(t, time.Hour).ID)
		}
		var got []string
		cursor := ""
		for {
			page, err := e.svc.Jobs(context.Background(), e.a, e.shopA, "", 2, cursor)
			if err != nil {
				t.Fatal(err)
			}
			for _, j := range page.Items {
				got = append(got, j.ID)
			}
			if cursor = page.NextCursor; cursor == "" {
				break
			}
		}
		if len(got) != 5 {
			t.Fatalf("listed %d jobs, want 5", len(got))
		}
		for i := range got {
			if got[i] != ids[len(ids)-1-i] {
				t.Fatalf("order %v, want newest first %v", got, ids)
			}
		}
		if _, err := e.svc.Jobs(context.Background(), e.a, e.shopA, "lost", 10, ""); !apperr.Is(err, apperr.Invalid) {
			t.Errorf("unknown status: %v", err)
		}
	})
}

func TestInvalidInputChangesNothing(t *testing.T) {
	dbtest.Each(t, sources, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d, nil)
		ctx := context.Background()
		for name, in := range map[string]printq.PrinterInput{
			"no name":         {Kind: printq.Receipt, Address: "10.0.0.5:9100"},
			"no station":      {Name: "Bếp", Kind: printq.Kitchen, Address: "10.0.0.5:9100"},
			"bad kind":        {Name: "Bếp", Kind: "label", Address: "10.0.0.5:9100"},
			"no port":         {Name: "Bếp", Kind: printq.Receipt, Address: "10.0.0.5"},
			"bad port":        {Name: "Bếp", Kind: printq.Receipt, Address: "10.0.0.5:99999"},
			"bad paper width": {Name: "Bếp", Kind: printq.Receipt, Address: "10.0.0.5:9100", PaperWidthMM: 76},
		} {
			if _, err := e.svc.CreatePrinter(ctx, e.a, e.shopA, in); !apperr.Is(err, apperr.Invalid) {
				t.Errorf("%s: %v, want Invalid", name, err)
			}
		}
		if _, err := e.svc.CreatePrinter(ctx, e.b, e.shopA, printq.PrinterInput{Name: "x", Kind: printq.Receipt,
			Address: "10.0.0.5:9100"}); !apperr.Is(err, apperr.NotFound) {
			t.Errorf("another merchant's shop: %v, want NotFound", err)
		}
		if ps, _ := e.svc.Printers(ctx, e.a, e.shopA); len(ps) != 0 {
			t.Errorf("%d printers after refused inputs", len(ps))
		}
		for name, in := range map[string]printq.JobInput{
			"no shop":          {Kind: printq.Receipt, Document: ticket("1")},
			"no kind":          {ShopID: e.shopA, Document: ticket("1")},
			"empty document":   {ShopID: e.shopA, Kind: printq.Receipt},
			"too long":         {ShopID: e.shopA, Kind: printq.Receipt, Document: ticket("1"), TTL: 48 * time.Hour},
			"unknown printer":  {ShopID: e.shopA, PrinterID: db.NewID(), Document: ticket("1")},
			"kitchen, no stat": {ShopID: e.shopA, Kind: printq.Kitchen, Document: ticket("1")},
		} {
			err := e.d.WithTx(ctx, e.a, func(tx *sql.Tx) error {
				_, err := e.svc.Enqueue(ctx, tx, e.a, in)
				return err
			})
			if !apperr.Is(err, apperr.Invalid) {
				t.Errorf("%s: %v, want Invalid", name, err)
			}
		}
		if page, _ := e.svc.Jobs(ctx, e.a, e.shopA, "", 10, ""); len(page.Items) != 0 {
			t.Errorf("%d jobs after refused inputs", len(page.Items))
		}
	})
}

// A job enqueued in a transaction that rolls back does not exist: the ticket and its print job go together.
func TestEnqueueFollowsTheCallersTransaction(t *testing.T) {
	dbtest.Each(t, sources, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d, nil)
		e.barPrinter(t)
		boom := errors.New("the ticket could not be saved")
		err := e.d.WithTx(context.Background(), e.a, func(tx *sql.Tx) error {
			if _, err := e.svc.Enqueue(context.Background(), tx, e.a, printq.JobInput{ShopID: e.shopA,
				Kind: printq.Kitchen, Station: "bar", Document: ticket("Bàn 5")}); err != nil {
				return err
			}
			return boom
		})
		if !errors.Is(err, boom) {
			t.Fatalf("transaction: %v", err)
		}
		if n := e.runOnce(t, e.svc); n != 0 {
			t.Errorf("a rolled-back job was attempted")
		}
	})
}

// MoveShop gives the receiving merchant the shop's printers and jobs; the old merchant sees none of them.
func TestMoveShop(t *testing.T) {
	dbtest.Each(t, sources, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d, nil)
		ctx := context.Background()
		p := e.barPrinter(t)
		job := e.barJob(t, time.Hour)
		err := e.d.WithSystemTx(ctx, "test: transfer a shop", func(tx *sql.Tx) error {
			return e.svc.MoveShop(ctx, tx, e.shopA, e.a, e.b)
		})
		if err != nil {
			t.Fatal(err)
		}
		e.shops[e.shopA] = e.b
		if _, err := e.svc.Printer(ctx, e.b, e.shopA, p.ID); err != nil {
			t.Errorf("the receiving merchant's printer: %v", err)
		}
		if j, err := e.svc.Job(ctx, e.b, e.shopA, job.ID); err != nil || j.Status != printq.Pending {
			t.Errorf("the receiving merchant's job: %+v, %v", j, err)
		}
		if _, err := e.svc.Printer(ctx, e.a, e.shopA, p.ID); !apperr.Is(err, apperr.NotFound) {
			t.Errorf("the old merchant still reaches the printer: %v", err)
		}
		e.runOnce(t, e.svc) // the worker finds the moved job under its new merchant
		if j, _ := e.svc.Job(ctx, e.b, e.shopA, job.ID); j.Status != printq.Printed {
			t.Errorf("moved job is %s, want printed", j.Status)
		}
	})
}
