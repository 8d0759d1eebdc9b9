package wallet_test

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/goodgo/goodgo/internal/payment/wallet"
	"github.com/goodgo/goodgo/internal/platform/apperr"
	"github.com/goodgo/goodgo/internal/platform/db"
	"github.com/goodgo/goodgo/internal/platform/db/dbtest"
	"github.com/goodgo/goodgo/internal/platform/money"
)

// seed is the property tests' random seed: GOODGO_WALLET_SEED to replay a failure, the clock otherwise.
// It is logged by every test that uses it.
func seed(t *testing.T) uint64 {
	if s := os.Getenv("GOODGO_WALLET_SEED"); s != "" {
		n, err := strconv.ParseUint(s, 10, 64)
		if err != nil {
			t.Fatalf("GOODGO_WALLET_SEED: %v", err)
		}
		return n
	}
	return uint64(time.Now().UnixNano())
}

// model is what the ledger should say of one merchant's wallets after a sequence of operations.
type model struct {
	balance map[string]money.VND
	spends  map[string]*modelSpend // by payment id
	topUps  []*modelTopUp
	refunds map[string]modelRefund // by refund id
}

type modelSpend struct {
	wallet   string
	amount   money.VND
	refunded money.VND
	txnID    string
}

type modelTopUp struct {
	id       string
	wallet   string
	amount   money.VND
	reversed bool
}

type modelRefund struct {
	wallet, payment, txnID string
	amount                 money.VND
}

// TestLedgerFollowsAModelOfRandomOperations runs random top-ups, spends, refunds, reversals and retries on
// two wallets, one at a time, and checks every answer and balance against a model, then the ledger's
// invariants.
func TestLedgerFollowsAModelOfRandomOperations(t *testing.T) {
	s := seed(t)
	t.Logf("seed %d (GOODGO_WALLET_SEED)", s)
	dbtest.Each(t, sources, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		ctx := context.Background()
		rng := rand.New(rand.NewPCG(s, 1))
		mdl := model{balance: map[string]money.VND{}, spends: map[string]*modelSpend{}, refunds: map[string]modelRefund{}}
		var wallets []string
		for i, phone := range []string{"0912345678", "0387654321"} {
			w, err := e.svc.Create(ctx, e.a, phone, fmt.Sprintf("Khách %d", i))
			if err != nil {
				t.Fatal(err)
			}
			wallets = append(wallets, w.ID)
			mdl.balance[w.ID] = 0
		}
		var payments, refundIDs []string
		for step := range 150 {
			w := wallets[rng.IntN(len(wallets))]
			amount := money.VND(1000 * (1 + rng.IntN(120)))
			switch op := rng.IntN(10); {
			case op < 3: // top up
				method := wallet.Methods[rng.IntN(len(wallet.Methods))]
				txn, err := e.svc.TopUp(ctx, e.a, w, wallet.TopUp{Amount: amount, Method: method, ShopID: e.a1}, "c1", anyShop)
				if err != nil {
					t.Fatalf("step %d: top up %d: %v", step, amount, err)
				}
				mdl.balance[w] += amount
				mdl.topUps = append(mdl.topUps, &modelTopUp{id: txn.ID, wallet: w, amount: amount})
			case op < 6: // spend
				pay := fmt.Sprintf("pay-%d", step)
				id, err := e.spend(e.a, w, amount, pay)
				if mdl.balance[w] < amount {
					if !errors.Is(err, wallet.ErrInsufficientBalance) {
						t.Fatalf("step %d: spend %d of %d: %v, want insufficient balance", step, amount, mdl.balance[w], err)
					}
					break
				}
				if err != nil {
					t.Fatalf("step %d: spend %d of %d: %v", step, amount, mdl.balance[w], err)
				}
				mdl.balance[w] -= amount
				mdl.spends[pay] = &modelSpend{wallet: w, amount: amount, txnID: id}
				payments = append(payments, pay)
			case op < 8 && len(payments) > 0: // refund part of a spend, maybe more than it has left
				pay := payments[rng.IntN(len(payments))]
				sp := mdl.spends[pay]
				amount = money.VND(1 + rng.Int64N(int64(sp.amount)))
				ref := fmt.Sprintf("refund-%d", step)
				id, err := e.refund(e.a, sp.wallet, amount, pay, ref)
				if sp.refunded+amount > sp.amount {
					if !apperr.Is(err, apperr.Conflict) {
						t.Fatalf("step %d: refund %d of %d left: %v, want a conflict", step, amount, sp.amount-sp.refunded, err)
					}
					break
				}
				if err != nil {
					t.Fatalf("step %d: refund %d: %v", step, amount, err)
				}
				sp.refunded += amount
				mdl.balance[sp.wallet] += amount
				mdl.refunds[ref] = modelRefund{wallet: sp.wallet, payment: pay, txnID: id, amount: amount}
				refundIDs = append(refundIDs, ref)
			case op < 9 && len(mdl.topUps) > 0: // reverse a top-up
				tu := mdl.topUps[rng.IntN(len(mdl.topUps))]
				_, err := e.svc.ReverseTopUp(ctx, e.a, tu.wallet, tu.id, "property test", "m1", anyShop)
				switch {
				case tu.reversed:
					if !apperr.Is(err, apperr.Conflict) || errors.Is(err, wallet.ErrInsufficientBalance) {
						t.Fatalf("step %d: second reversal: %v", step, err)
					}
				case mdl.balance[tu.wallet] < tu.amount:
					if !errors.Is(err, wallet.ErrInsufficientBalance) {
						t.Fatalf("step %d: reversal of %d with %d: %v", step, tu.amount, mdl.balance[tu.wallet], err)
					}
				case err != nil:
					t.Fatalf("step %d: reversal: %v", step, err)
				default:
					tu.reversed = true
					mdl.balance[tu.wallet] -= tu.amount
				}
			default: // retry an earlier spend or refund: the same answer, no effect
				if len(payments) > 0 && rng.IntN(2) == 0 {
					pay := payments[rng.IntN(len(payments))]
					sp := mdl.spends[pay]
					if id, err := e.spend(e.a, sp.wallet, sp.amount, pay); err != nil || id != sp.txnID {
						t.Fatalf("step %d: retried spend %s: %q, %v (first %q)", step, pay, id, err, sp.txnID)
					}
				} else if len(refundIDs) > 0 {
					ref := refundIDs[rng.IntN(len(refundIDs))]
					r := mdl.refunds[ref]
					if id, err := e.refund(e.a, r.wallet, r.amount, r.payment, ref); err != nil || id != r.txnID {
						t.Fatalf("step %d: retried refund %s: %q, %v (first %q)", step, ref, id, err, r.txnID)
					}
				}
			}
			for _, id := range wallets {
				if got := e.balance(t, e.a, id); got != mdl.balance[id] {
					t.Fatalf("step %d: wallet %s holds %d, the model %d", step, id, got, mdl.balance[id])
				}
			}
		}
		checkLedger(t, d, e.a)
	})
}

// tally is what one worker of the concurrent test did that took effect.
type tally struct {
	toppedUp, spent, refunded, reversed money.VND
	spends                              map[string]seenSpend // by payment id
}

// seenSpend is a spend a worker saw succeed.
type seenSpend struct {
	txnID  string
	amount money.VND
}

// TestConcurrentOperationsNeverOverdraw runs workers that top up, spend (some of them with payment ids
// another worker also spends with), refund and reverse on one wallet at the same time, then checks that
// what succeeded adds up to the balance, that every payment was spent once, and the ledger's invariants.
func TestConcurrentOperationsNeverOverdraw(t *testing.T) {
	s := seed(t)
	t.Logf("seed %d (GOODGO_WALLET_SEED)", s)
	dbtest.Each(t, sources, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		ctx := context.Background()
		w, err := e.svc.Create(ctx, e.a, "0912345678", "Khách")
		if err != nil {
			t.Fatal(err)
		}
		if _, err := e.svc.TopUp(ctx, e.a, w.ID, wallet.TopUp{Amount: 300000, Method: "cash", ShopID: e.a1}, "c1", anyShop); err != nil {
			t.Fatal(err)
		}
		const workers, steps = 4, 30
		var (
			wg      sync.WaitGroup
			start   = make(chan struct{})
			tallies [workers]tally
		)
		for g := range workers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				rng := rand.New(rand.NewPCG(s, uint64(g+2)))
				tl := &tallies[g]
				tl.spends = map[string]seenSpend{}
				var mine []string // payments this worker spent, with what is left to refund
				left := map[string]money.VND{}
				var topUps []wallet.WalletTxn
				<-start
				for step := range steps {
					amount := money.VND(1000 * (1 + rng.IntN(60)))
					var err error
					switch op := rng.IntN(10); {
					case op < 2:
						var txn wallet.WalletTxn
						txn, err = e.svc.TopUp(ctx, e.a, w.ID, wallet.TopUp{Amount: amount, Method: "momo", ShopID: e.a2}, "c2", anyShop)
						if err == nil {
							tl.toppedUp += amount
							topUps = append(topUps, txn)
						}
					case op < 6:
						// Every worker spends the same amount under the shared id of a step: at most one posts.
						pay := fmt.Sprintf("pay-%d-%d", g, step)
						if op == 5 {
							pay, amount = fmt.Sprintf("shared-%d", step), 7000
						}
						var id string
						id, err = e.spend(e.a, w.ID, amount, pay)
						if err == nil {
							tl.spends[pay] = seenSpend{txnID: id, amount: amount}
							if _, ok := left[pay]; !ok {
								left[pay] = amount
								mine = append(mine, pay)
							}
						}
					case op < 8 && len(mine) > 0:
						pay := mine[rng.IntN(len(mine))]
						if left[pay] == 0 || pay[:6] == "shared" {
							continue // a shared payment's refunds belong to whoever posted it
						}
						amount = money.VND(1 + rng.Int64N(int64(left[pay])))
						_, err = e.refund(e.a, w.ID, amount, pay, fmt.Sprintf("refund-%d-%d", g, step))
						if err == nil {
							tl.refunded += amount
							left[pay] -= amount
						}
					case op < 9 && len(topUps) > 0:
						tu := topUps[rng.IntN(len(topUps))]
						_, err = e.svc.ReverseTopUp(ctx, e.a, w.ID, tu.ID, "concurrent", "m1", anyShop)
						if err == nil {
							tl.reversed += tu.Amount
						}
					}
					if err != nil && !apperr.Is(err, apperr.Conflict) {
						t.Errorf("worker %d step %d: %v", g, step, err)
					}
				}
			}()
		}
		close(start)
		wg.Wait()

		var want, seen money.VND = 300000, 0
		posted := map[string]string{} // payment id → txn id, over every worker
		for g, tl := range tallies {
			want += tl.toppedUp + tl.refunded - tl.reversed
			for pay, sp := range tl.spends {
				if prev, ok := posted[pay]; ok {
					if prev != sp.txnID {
						t.Errorf("payment %s posted twice: %s and %s (worker %d)", pay, prev, sp.txnID, g)
					}
					continue
				}
				posted[pay] = sp.txnID
				seen += sp.amount
			}
		}
		var spent money.VND
		err = d.ReadTx(ctx, e.a, func(tx *sql.Tx) error {
			rows, err := tx.Query(`SELECT reference, id, amount FROM wallet_txns WHERE merchant_id = $1 AND kind = 'spend'`, string(e.a))
			if err != nil {
				return err
			}
			defer rows.Close()
			n := 0
			for rows.Next() {
				var (
					ref, id string
					amount  money.VND
				)
				if err := rows.Scan(&ref, &id, &amount); err != nil {
					return err
				}
				n++
				if posted[ref] != id {
					t.Errorf("spend %s of payment %s: no worker saw it succeed (saw %q)", id, ref, posted[ref])
				}
				spent += amount
			}
			if n != len(posted) {
				t.Errorf("%d spends stored, %d payments succeeded", n, len(posted))
			}
			return rows.Err()
		})
		if err != nil {
			t.Fatal(err)
		}
		if spent != seen {
			t.Fatalf("spends stored %d, successful spends seen by the workers %d", spent, seen)
		}
		want -= spent
		if got := e.balance(t, e.a, w.ID); got != want || got < 0 {
			t.Fatalf("balance %d; the successful operations add up to %d (spent %d)", got, want, spent)
		}
		if got := accountBalance(t, d, e.a, wallet.AccountSpent); got != spent-sumRefunded(tallies[:]) {
			t.Fatalf("spent account %d, spends %d less refunds %d", got, spent, sumRefunded(tallies[:]))
		}
		checkLedger(t, d, e.a)
	})
}

func sumRefunded(ts []tally) money.VND {
	var sum money.VND
	for _, t := range ts {
		sum += t.refunded
	}
	return sum
}
