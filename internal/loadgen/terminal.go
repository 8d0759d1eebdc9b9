package loadgen

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"slices"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/goodgo/goodgo/internal/platform/money"
)

// env is what every terminal and display of a run shares.
type env struct {
	cl      *client
	hard    context.Context // requests: ends only when the run is interrupted
	think   Think
	caps    capabilities
	kitchen *matcher
	log     *slog.Logger

	// The bank-statement service's transaction ids are webhookBase (the run's start in µs) plus a sequence.
	webhookBase int64
	webhookSeq  atomic.Int64
	unbumped    atomic.Int64 // tickets the cooks had no room for
}

// errStopped ends a workflow when the run is over and its graceful stop too.
var errStopped = errors.New("run over")

// worker runs one terminal's workflows until the run is over.
type worker struct {
	*terminal
	e *env
	// run ends when the run's duration is over: no workflow starts after it. stop ends the graceful stop that
	// follows: the workflow in hand is cut short then.
	run, stop context.Context
	rng       *rand.Rand
	timer     *time.Timer
	// open are the orders (and split checks) this terminal opened and has not finished, oldest first: after a
	// failed workflow they are settled or cancelled so that the table or room is free again.
	open   []string
	busy   map[string]bool // tables and rooms found taken by an order this terminal does not know
	tries  map[string]int  // failed attempts to finish an abandoned order
	cycles int
	etag   string // the QR customer's cached menu
}

func newWorker(t *terminal, e *env, run, stop context.Context, seed uint64) *worker {
	timer := time.NewTimer(time.Hour)
	timer.Stop()
	return &worker{terminal: t, e: e, run: run, stop: stop, rng: newRand(seed, uint64(t.index)), timer: timer, busy: map[string]bool{},
		tries: map[string]int{}}
}

// newRand returns the random source of one terminal or display: the run's seed and its own stream.
func newRand(seed, stream uint64) *rand.Rand { return rand.New(rand.NewPCG(seed, stream)) }

// loop runs workflows until the run is over, the last one to its end (within the graceful stop). After a
// failed one it waits a moment and puts its orders straight before the next.
func (w *worker) loop() {
	for w.run.Err() == nil {
		if len(w.open) > 0 && w.recover() != nil {
			return
		}
		var err error
		switch w.scenario {
		case Restaurant:
			err = w.restaurant()
		case Karaoke:
			err = w.karaoke()
		case QR:
			err = w.qrCustomer()
		case Dashboard:
			err = w.dashboard()
		}
		w.cycles++
		switch {
		case err == nil:
		case errors.Is(err, errStopped), errors.Is(err, errAborted):
			return
		case errors.Is(err, errNoPlace):
			w.e.log.Error("terminal stops: all its tables or rooms are taken", "terminal", w.index, "scenario", w.scenario)
			return
		default:
			// Like a person after an error message: a breath, then (at the top of the loop) put the orders
			// straight.
			if w.backoff() != nil {
				return
			}
		}
	}
}

// failureBackoff is the least a terminal waits after a failed workflow, so that a failing server is not
// hammered in a tight loop when there is no think time.
const failureBackoff = 500 * time.Millisecond

func (w *worker) backoff() error { return w.wait(max(failureBackoff, w.e.think.Pick(w.rng))) }

// pause waits a think time; errStopped when the graceful stop ends meanwhile.
func (w *worker) pause() error { return w.wait(w.e.think.Pick(w.rng)) }

// wait waits d; errStopped when the graceful stop ends meanwhile.
func (w *worker) wait(d time.Duration) error {
	if d <= 0 {
		if w.stop.Err() != nil {
			return errStopped
		}
		return nil
	}
	w.timer.Reset(d)
	select {
	case <-w.stop.Done():
		w.timer.Stop()
		return errStopped
	case <-w.timer.C:
		return nil
	}
}

// act is one action of the person at the terminal: a pause, then the request as that person.
func (w *worker) act(c call) (int, error) {
	if err := w.pause(); err != nil {
		return 0, err
	}
	return w.send(c)
}

// send sends c as the terminal's staff member, without a pause.
func (w *worker) send(c call) (int, error) {
	if err := w.e.cl.authorize(w.e.hard, w.sess); err != nil {
		return 0, err
	}
	c.sess = w.sess
	return w.e.cl.do(w.e.hard, c)
}

// forget drops an order from the terminal's open ones.
func (w *worker) forget(id string) {
	w.open = slices.DeleteFunc(w.open, func(o string) bool { return o == id })
}

// errNoPlace: every table or room of the terminal is taken by an order it does not know.
var errNoPlace = errors.New("no free table or room")

// place returns the terminal's next free table or room of places.
func (w *worker) place(places []string) (string, error) {
	for i := range places {
		p := places[(w.cycles+i)%len(places)]
		if !w.busy[p] {
			return p, nil
		}
	}
	return "", errNoPlace
}

// openOrder opens an order at a table or room (operation op). A 409 means the place is taken by an order this
// terminal does not know (one whose answer was lost): the place is set aside and the workflow ends, resolved.
func (w *worker) openOrder(op string, body map[string]any, place string) (*order, error) {
	var o order
	status, err := w.act(call{op: op, method: http.MethodPost, path: "/api/v1/shops/" + w.shop.id + "/orders", body: body,
		idem: true, want: http.StatusCreated, out: &o, resolves: []int{http.StatusConflict}})
	if err != nil {
		return nil, err
	}
	if status == http.StatusConflict {
		w.busy[place] = true
		w.e.log.Warn("a table or room is taken by an unknown order; the terminal leaves it", "terminal", w.index, "place", place)
		return nil, nil
	}
	w.open = append(w.open, o.ID)
	return &o, nil
}

// lineBody is an order line of p: a quantity, the modifiers its groups ask for (and sometimes more), and now and
// then a note.
func (w *worker) lineBody(p product, maxQty int) map[string]any {
	body := map[string]any{"product_id": p.id, "quantity": 1 + w.rng.IntN(maxQty)}
	var opts []string
	for _, g := range p.groups {
		n := g.min
		if g.max > g.min && w.rng.IntN(2) == 0 {
			n += 1 + w.rng.IntN(g.max-g.min)
		}
		for _, i := range w.rng.Perm(len(g.options))[:n] {
			opts = append(opts, g.options[i])
		}
	}
	if len(opts) > 0 {
		body["modifier_option_ids"] = opts
	}
	if w.rng.IntN(5) == 0 {
		body["note"] = []string{"ít cay", "không hành", "mang ra trước", "ít đá"}[w.rng.IntN(4)]
	}
	return body
}

// pick returns a product: from food with probability foodShare, else a drink.
func (w *worker) pick(foodShare float64) product {
	m := w.shop.menu
	if w.rng.Float64() < foodShare {
		return m.food[w.rng.IntN(len(m.food))]
	}
	return m.drinks[w.rng.IntN(len(m.drinks))]
}

// addLines adds n lines to order o (operation op), drawing food with probability foodShare.
func (w *worker) addLines(op string, o *order, n int, foodShare float64) error {
	for range n {
		if _, err := w.act(call{op: op, method: http.MethodPost, path: "/api/v1/orders/" + o.ID + "/lines",
			body: w.lineBody(w.pick(foodShare), 3), idem: true, want: http.StatusCreated, out: o}); err != nil {
			return err
		}
	}
	return nil
}

// submit sends o's new lines to the kitchen (operation op) and hands the tickets to the kitchen displays'
// matcher with the time the request started.
func (w *worker) submit(op string, o *order) error {
	if err := w.pause(); err != nil {
		return err
	}
	var out submitted
	start := time.Now()
	if _, err := w.send(call{op: op, method: http.MethodPost, path: "/api/v1/orders/" + o.ID + "/submit", idem: true,
		want: http.StatusOK, out: &out, check: func() error {
			if len(out.Tickets) == 0 {
				return errors.New("new lines were sent but no kitchen ticket was made")
			}
			return nil
		}}); err != nil {
		return err
	}
	for _, t := range out.Tickets {
		w.e.kitchen.submitted(t.ID, start)
	}
	*o = out.Order
	return nil
}

// payMethod is how a bill is paid.
type payMethod int

const (
	cash payMethod = iota
	vietQR
)

// settle pays what is due on o with method and closes it (operations <prefix>.pay_cash or .pay_vietqr,
// .payment_status, bank.webhook, <prefix>.close).
func (w *worker) settle(prefix string, o *order, method payMethod) error {
	if due := o.Totals.AmountDue; due > 0 {
		var err error
		if method == vietQR {
			err = w.payVietQR(prefix, o.ID, due)
		} else {
			err = w.payCash(prefix+".pay_cash", o.ID, due)
		}
		if err != nil {
			return err
		}
	}
	return w.close(prefix, o.ID)
}

// close closes order id (operation <prefix>.close). A 409 (something still due) is resolved by reading the
// order (<prefix>.get_order) and paying the rest in cash (<prefix>.pay_cash) before closing again.
func (w *worker) close(prefix, id string) error {
	var closed order
	op := prefix + ".close"
	isClosed := func() error {
		if closed.Status != "closed" {
			return fmt.Errorf("the order is %s after closing it", closed.Status)
		}
		return nil
	}
	status, err := w.act(call{op: op, method: http.MethodPost, path: "/api/v1/orders/" + id + "/close", idem: true,
		want: http.StatusOK, out: &closed, check: isClosed, resolves: []int{http.StatusConflict}})
	if err != nil {
		return err
	}
	if status == http.StatusConflict {
		var o order
		if _, err := w.act(call{op: prefix + ".get_order", method: http.MethodGet, path: "/api/v1/orders/" + id, want: http.StatusOK,
			out: &o}); err != nil {
			return err
		}
		if o.Totals.AmountDue > 0 {
			if err := w.payCash(prefix+".pay_cash", id, o.Totals.AmountDue); err != nil {
				return err
			}
		}
		if _, err := w.act(call{op: op, method: http.MethodPost, path: "/api/v1/orders/" + id + "/close", idem: true,
			want: http.StatusOK, out: &closed, check: isClosed}); err != nil {
			return err
		}
	}
	w.forget(id)
	return nil
}

// payCash takes due in cash on order id (operation op): the customer hands over a round sum and the change
// must be right.
func (w *worker) payCash(op, id string, due money.VND) error {
	round := []money.VND{1000, 10000, 50000, 100000, 500000}[w.rng.IntN(5)]
	tendered := (due + round - 1) / round * round
	var res payResult
	_, err := w.act(call{op: op, method: http.MethodPost, path: "/api/v1/orders/" + id + "/payments", idem: true,
		body: map[string]any{"method": "cash", "amount": due, "tendered": tendered}, want: http.StatusCreated, out: &res,
		check: func() error {
			if res.Payment.Status != "succeeded" || res.Change != tendered-due {
				return fmt.Errorf("cash payment %s with change %s, want succeeded with %s", res.Payment.Status, res.Change, tendered-due)
			}
			return nil
		}})
	return err
}

// payVietQR opens a VietQR payment of due on order id, plays the customer's bank reporting the transfer to
// the bank-statement webhook (note carrying the payment's reference, the shop's webhook key), and checks that
// the payment succeeded.
func (w *worker) payVietQR(prefix, id string, due money.VND) error {
	var res payResult
	if _, err := w.act(call{op: prefix + ".pay_vietqr", method: http.MethodPost, path: "/api/v1/orders/" + id + "/payments",
		idem: true, body: map[string]any{"method": "vietqr", "amount": due}, want: http.StatusCreated, out: &res,
		check: func() error {
			if res.Payment.Reference == "" || res.Payment.Status != "pending" {
				return fmt.Errorf("VietQR payment %s with reference %q, want pending with one", res.Payment.Status, res.Payment.Reference)
			}
			return nil
		}}); err != nil {
		return err
	}
	if err := w.pause(); err != nil { // the customer scans the code and transfers
		return err
	}
	seq := w.e.webhookSeq.Add(1)
	var ack struct {
		Success bool `json:"success"`
	}
	transfer := map[string]any{
		"id": w.e.webhookBase + seq, "gateway": "Vietcombank", "accountNumber": w.shop.account,
		"transactionDate": time.Now().In(vietnam).Format("2006-01-02 15:04:05"), "code": nil,
		"content": "CK " + res.Payment.Reference + " thanh toan", "transferType": "in", "transferAmount": due,
		"accumulated": 0, "subAccount": nil, "referenceCode": "FT" + strconv.FormatInt(seq, 10), "description": "",
	}
	if _, err := w.e.cl.do(w.e.hard, call{op: OpBankWebhook, method: http.MethodPost, path: "/api/v1/payments/bank-transfer/webhook",
		body: transfer, header: [][2]string{{"Authorization", "Apikey " + w.shop.apiKey}}, want: http.StatusOK, out: &ack,
		check: func() error {
			if !ack.Success {
				return errors.New("the webhook did not answer success")
			}
			return nil
		}}); err != nil {
		return err
	}
	var p payment
	_, err := w.act(call{op: prefix + ".payment_status", method: http.MethodGet, path: "/api/v1/payments/" + res.Payment.ID,
		want: http.StatusOK, out: &p, check: func() error {
			if p.Status != "succeeded" {
				return fmt.Errorf("VietQR payment %s after the bank reported the transfer", p.Status)
			}
			return nil
		}})
	return err
}

// vietnam is GMT+7, the shops' local time.
var vietnam = time.FixedZone("ICT", 7*3600)

// recoveryTries is how many times the terminal tries to put an abandoned order straight before it gives up
// on it (and on its table or room, when that stays taken).
const recoveryTries = 3

// recover finishes the orders failed workflows left open, newest first (split checks before the order they
// came from): a room's time is billed, an unpaid order cancelled, a paid one closed, a partly paid one paid
// in cash and closed. An order it cannot finish stays for the next attempt, up to recoveryTries. It returns
// errStopped or errAborted when the run ends meanwhile.
func (w *worker) recover() error {
	ids := w.open
	w.open = nil
	var kept []string // newest first
	for i := len(ids) - 1; i >= 0; i-- {
		id := ids[i]
		err := w.finish(id)
		if errors.Is(err, errStopped) || errors.Is(err, errAborted) {
			return err
		}
		if err == nil {
			delete(w.tries, id)
			continue
		}
		if w.tries[id]++; w.tries[id] < recoveryTries {
			kept = append(kept, id)
			continue
		}
		delete(w.tries, id)
		w.e.log.Warn("gave up on an abandoned order", "terminal", w.index, "order", id, "err", err)
	}
	slices.Reverse(kept)
	w.open = kept
	return nil
}

func (w *worker) finish(id string) error {
	var o order
	if _, err := w.act(call{op: "recover.get_order", method: http.MethodGet, path: "/api/v1/orders/" + id, want: http.StatusOK, out: &o}); err != nil {
		return err
	}
	switch o.Status {
	case "closed", "cancelled":
		return nil
	}
	if o.TimeCharge != nil && o.TimeCharge.Running {
		if _, err := w.act(call{op: "recover.bill", method: http.MethodPost, path: "/api/v1/orders/" + id + "/bill", idem: true,
			want: http.StatusOK, out: &o}); err != nil {
			return err
		}
	}
	if o.Totals.Paid == 0 && o.Totals.AmountDue > 0 {
		_, err := w.act(call{op: "recover.cancel", method: http.MethodPost, path: "/api/v1/orders/" + id + "/cancel", idem: true,
			body: map[string]string{"reason": "thử tải: dọn đơn dở"}, want: http.StatusOK})
		return err
	}
	if o.Totals.AmountDue > 0 {
		if err := w.payCash("recover.pay_cash", id, o.Totals.AmountDue); err != nil {
			return err
		}
	}
	return w.close("recover", id)
}
