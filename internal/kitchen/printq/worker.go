package printq

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"sync"
	"time"

	"github.com/goodgo/goodgo/internal/kitchen/printq/printqdb"
	"github.com/goodgo/goodgo/internal/platform/db"
	"github.com/goodgo/goodgo/internal/platform/escpos"
	"github.com/goodgo/goodgo/internal/platform/tenant"
)

// Worker returns the loop that prints queued jobs, for the composition root to run (k.Go). It makes a
// pass (RunOnce) at start, after each Wake and every PollInterval, until ctx is cancelled; then it returns
// nil once the jobs in hand have their outcome recorded. Several replicas may run it at once.
func (s *Service) Worker() func(ctx context.Context) error {
	return func(ctx context.Context) error {
		t := time.NewTimer(s.opts.PollInterval)
		defer t.Stop()
		for {
			if _, err := s.RunOnce(ctx); err != nil && ctx.Err() == nil {
				s.opts.Logger.Error("print queue pass failed", "err", err)
			}
			t.Reset(s.opts.PollInterval)
			select {
			case <-ctx.Done():
				return nil
			case <-s.wake:
			case <-t.C:
			}
		}
	}
}

// RunOnce claims the jobs due now (at most Batch) and makes one attempt at each: jobs of one printer in
// order of creation, up to Parallel printers at once. It returns how many jobs it attempted (claimed and
// recorded an outcome for), and the first database error.
func (s *Service) RunOnce(ctx context.Context) (int, error) {
	var due []printqdb.DueJobsRow
	err := s.db.WithSystemTx(ctx, "print worker: find the due jobs of every merchant", func(tx *sql.Tx) error {
		var err error
		due, err = printqdb.New(tx).DueJobs(ctx, printqdb.DueJobsParams{Now: s.now(), Lim: int32(s.opts.Batch)})
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("print worker: find due jobs: %w", err)
	}
	var order []string
	byPrinter := map[string][]printqdb.DueJobsRow{}
	for _, j := range due {
		if _, ok := byPrinter[j.PrinterID]; !ok {
			order = append(order, j.PrinterID)
		}
		byPrinter[j.PrinterID] = append(byPrinter[j.PrinterID], j)
	}
	var (
		wg       sync.WaitGroup
		mu       sync.Mutex
		done     int
		firstErr error
		slots    = make(chan struct{}, s.opts.Parallel)
	)
	for _, key := range order {
		select {
		case slots <- struct{}{}:
		case <-ctx.Done():
		}
		if ctx.Err() != nil {
			break
		}
		wg.Go(func() {
			defer func() { <-slots }()
			for _, j := range byPrinter[key] {
				if ctx.Err() != nil {
					return
				}
				ok, err := s.attempt(ctx, tenant.ID(j.MerchantID), j.ID)
				mu.Lock()
				if ok {
					done++
				}
				if err != nil && firstErr == nil {
					firstErr = err
				}
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	return done, firstErr
}

// attempt claims job id of merchant m and makes one attempt at it. It reports whether it recorded an
// outcome (false when another worker had the job, or lost it meanwhile).
func (s *Service) attempt(ctx context.Context, m tenant.ID, id string) (bool, error) {
	owner := db.NewID()
	now := s.now()
	var (
		job     printqdb.PrintqJob
		printer *Printer
		out     *PrintJob
	)
	err := s.db.WithTx(ctx, m, func(tx *sql.Tx) error {
		q := printqdb.New(tx)
		var err error
		job, err = q.ClaimJob(ctx, printqdb.ClaimJobParams{Owner: owner, LeaseUntil: now.Add(s.opts.Lease), Now: now,
			MerchantID: string(m), ID: id})
		if errors.Is(err, sql.ErrNoRows) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("claim: %w", err)
		}
		if !now.Before(job.ExpiresAt) {
			out, err = s.finish(ctx, tx, m, job, owner, outcome{status: Expired, printerID: job.PrinterID,
				lastErr: expiredMessage(job)}, now)
			return err
		}
		printer, err = route(ctx, q, m, job.ShopID, job.PrinterID, Kind(job.Kind), job.Station)
		if err != nil {
			return err
		}
		if printer == nil {
			out, err = s.finish(ctx, tx, m, job, owner, outcome{status: NoPrinter,
				lastErr: noPrinterMessage(Kind(job.Kind), job.Station)}, now)
		}
		return err
	})
	if err != nil {
		return false, fmt.Errorf("print job %s: %w", id, err)
	}
	if job.ID == "" { // another worker claimed it first
		return false, nil
	}
	if out != nil {
		s.recorded(m, *out)
		return true, nil
	}

	res := s.print(ctx, job, *printer)
	// The outcome is recorded even when ctx was cancelled meanwhile, so the job is not left claimed.
	ctx = context.WithoutCancel(ctx)
	err = s.db.WithTx(ctx, m, func(tx *sql.Tx) error {
		var err error
		out, err = s.finish(ctx, tx, m, job, owner, res, s.now())
		return err
	})
	if err != nil {
		return false, fmt.Errorf("print job %s: record outcome: %w", id, err)
	}
	if out == nil {
		s.opts.Logger.Warn("print job lease lost before its outcome was recorded", "job_id", id, "merchant_id", m)
		return false, nil
	}
	s.recorded(m, *out)
	return true, nil
}

// outcome is the result of an attempt, before backoff and attempt limits are applied.
type outcome struct {
	status    Status // Printed, Expired, NoPrinter, Failed; Pending for a failure that may be retried
	printerID string
	lastErr   string
}

// print renders job for printer p and sends it, unless the job expired meanwhile.
func (s *Service) print(ctx context.Context, job printqdb.PrintqJob, p Printer) outcome {
	var doc escpos.Document
	if err := json.Unmarshal([]byte(job.Document), &doc); err != nil {
		return outcome{status: Failed, printerID: p.ID, lastErr: "the document cannot be read: " + err.Error()}
	}
	width, _ := escpos.WidthForPaper(p.PaperWidthMM)
	data, err := escpos.Encode(doc, width)
	if err != nil {
		return outcome{status: Failed, printerID: p.ID, lastErr: "the document cannot be printed: " + err.Error()}
	}
	if !s.now().Before(job.ExpiresAt) { // rendering took us past the deadline: better not than late
		return outcome{status: Expired, printerID: p.ID, lastErr: expiredMessage(job)}
	}
	if err := s.send(ctx, p.Address, data); err != nil {
		s.opts.Logger.Info("print attempt failed", "job_id", job.ID, "printer_id", p.ID, "attempt", job.Attempts, "err", err)
		return outcome{status: Pending, printerID: p.ID, lastErr: err.Error()}
	}
	return outcome{status: Printed, printerID: p.ID}
}

// send writes data and a status request to the printer at address and waits for its status byte, which
// a printer sends once it has read everything before the request.
func (s *Service) send(ctx context.Context, address string, data []byte) error {
	dctx, cancel := context.WithTimeout(ctx, s.opts.DialTimeout)
	conn, err := s.opts.Dial(dctx, address)
	cancel()
	if err != nil {
		return fmt.Errorf("connect to %s: %w", address, err)
	}
	defer conn.Close()
	stop := context.AfterFunc(ctx, func() { _ = conn.Close() })
	defer stop()
	// Network deadlines are wall-clock time, whatever clock the queue's schedule uses.
	if err := conn.SetDeadline(time.Now().Add(s.opts.IOTimeout)); err != nil {
		return fmt.Errorf("printer %s: %w", address, err)
	}
	msg := make([]byte, 0, len(data)+len(escpos.StatusRequest))
	msg = append(append(msg, data...), escpos.StatusRequest...)
	if _, err := conn.Write(msg); err != nil {
		return fmt.Errorf("send to %s: %w", address, err)
	}
	var status [1]byte
	if _, err := io.ReadFull(conn, status[:]); err != nil {
		return fmt.Errorf("printer %s did not confirm the job: %w", address, err)
	}
	if status[0]&escpos.StatusOffline != 0 {
		return fmt.Errorf("printer %s is offline (cover open, paper out or an error)", address)
	}
	return nil
}

// finish records the outcome of owner's attempt at job and writes its event. A retryable failure becomes
// pending again with backoff (never later than the expiry), or failed after MaxAttempts attempts. It
// returns nil when owner no longer holds the job.
func (s *Service) finish(ctx context.Context, tx *sql.Tx, m tenant.ID, job printqdb.PrintqJob, owner string, o outcome, now time.Time) (*PrintJob, error) {
	due := now
	var printedAt sql.NullTime
	switch o.status {
	case Printed:
		printedAt = sql.NullTime{Time: now, Valid: true}
	case Pending:
		if int(job.Attempts) >= s.opts.MaxAttempts {
			o.status = Failed
			o.lastErr = fmt.Sprintf("gave up after %d attempts: %s", job.Attempts, o.lastErr)
			break
		}
		due = now.Add(s.backoff(int(job.Attempts)))
		if due.After(job.ExpiresAt) {
			due = job.ExpiresAt
		}
	}
	n, err := printqdb.New(tx).FinishJob(ctx, printqdb.FinishJobParams{Status: string(o.status), PrinterID: o.printerID,
		LastError: o.lastErr, DueAt: due, PrintedAt: printedAt, Now: now, MerchantID: string(m), ID: job.ID, Owner: owner})
	if err != nil {
		return nil, fmt.Errorf("record outcome: %w", err)
	}
	if n == 0 {
		return nil, nil
	}
	job.Status, job.PrinterID, job.LastError, job.DueAt, job.PrintedAt, job.LeaseOwner, job.UpdatedAt =
		string(o.status), o.printerID, o.lastErr, due, printedAt, "", now
	j := jobFromRow(job)
	if err := s.addEvent(ctx, tx, m, j, now); err != nil {
		return nil, err
	}
	return &j, nil
}

// backoff is the wait after the attempts-th failed attempt: RetryBase doubled each time, at most RetryMax.
func (s *Service) backoff(attempts int) time.Duration {
	d := s.opts.RetryBase
	for i := 1; i < attempts && d < s.opts.RetryMax; i++ {
		d *= 2
	}
	return min(d, s.opts.RetryMax)
}

// recorded runs after an outcome has committed.
func (s *Service) recorded(m tenant.ID, j PrintJob) {
	s.opts.Nudge()
	if s.opts.Attempted != nil {
		s.opts.Attempted(m, j)
	}
}

func expiredMessage(job printqdb.PrintqJob) string {
	return fmt.Sprintf("not printed within its %s time to live", time.Duration(job.TtlSeconds)*time.Second)
}
