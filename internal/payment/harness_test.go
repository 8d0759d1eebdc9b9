package payment_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"net/url"
	"strconv"
	"testing"
	"time"

	"github.com/goodgo/goodgo/internal/payment"
	"github.com/goodgo/goodgo/internal/payment/banktransfer/banksim"
	"github.com/goodgo/goodgo/internal/payment/momo/momosim"
	"github.com/goodgo/goodgo/internal/payment/vnpay"
	"github.com/goodgo/goodgo/internal/payment/vnpay/vnpaysim"
	"github.com/goodgo/goodgo/internal/payment/zalopay/zalopaysim"
	"github.com/goodgo/goodgo/internal/platform/clock"
	"github.com/goodgo/goodgo/internal/platform/db"
	"github.com/goodgo/goodgo/internal/platform/events"
	"github.com/goodgo/goodgo/internal/platform/httpapi"
	"github.com/goodgo/goodgo/internal/platform/httpapi/httpapitest"
	"github.com/goodgo/goodgo/internal/platform/migrate"
	"github.com/goodgo/goodgo/internal/platform/money"
	"github.com/goodgo/goodgo/internal/platform/tenant"
)

// The simulated providers' accounts of shop A1.
const (
	tmnCode     = "GOODGO01"
	vnpSecret   = "vnp-secret-a1"
	momoPartner = "MOMOGG01"
	momoAccess  = "momo-access"
	momoSecret  = "momo-secret"
	zpAppID     = 2553
	zpKey1      = "zp-key1-a1"
	zpKey2      = "zp-key2-a1"
	bankBIN     = "970436"
	bankNumber  = "0071000123456"
	bankKey     = "bank-api-key-a1"
)

var t0 = time.Date(2025, 3, 1, 3, 0, 0, 0, time.UTC) // 10:00 in Hà Nội

var sources = []migrate.Source{httpapi.Migrations, events.Migrations, payment.Migrations, ledgerMigrations}

// env is the payment service over a real database, the ledger as the order module and the drawer, the
// providers' simulators and the HTTP API on one test server (so simulators deliver their callbacks to it).
type env struct {
	d       *db.DB
	clk     *clock.Fake
	svc     *payment.Service
	led     *ledger
	acc     *accounts
	m, mB   tenant.ID
	shop    string // shop A1 of merchant m
	shopB   string // a shop of merchant mB
	handler http.Handler
	srv     *httptest.Server
	vnp     *vnpaysim.Sim
	mo      *momosim.Sim
	zp      *zalopaysim.Sim
	bank    *banksim.Sim
}

// now is a channel that fires at once: the simulators retry without waiting in tests.
func now(time.Duration) <-chan time.Time {
	c := make(chan time.Time, 1)
	c <- time.Time{}
	return c
}

type envOption func(*env, *payment.Config, *payment.Deps)

func newEnv(t testing.TB, d *db.DB, opts ...envOption) *env {
	t.Helper()
	e := &env{d: d, clk: clock.NewFake(t0), m: tenant.ID(db.NewID()), mB: tenant.ID(db.NewID()), shop: db.NewID(),
		shopB: db.NewID(), acc: newAccounts()}
	e.led = &ledger{d: d}
	mux := http.NewServeMux()
	e.srv = httptest.NewServer(mux)
	t.Cleanup(e.srv.Close)
	base := e.srv.URL

	cfg := payment.Config{PublicBaseURL: base, VietQRMCC: "5812",
		VNPay: payment.VNPayConfig{PayURL: base + "/sim/vnpay/paymentv2/vpcpay.html",
			APIURL: base + "/sim/vnpay/merchant_webapi/api/transaction"},
		MoMo:    payment.MoMoConfig{Endpoint: base + "/sim/momo"},
		ZaloPay: payment.ZaloPayConfig{Endpoint: base + "/sim/zalopay"}}
	deps := payment.Deps{Orders: e.led, Drawer: e.led, Accounts: e.acc}
	for _, o := range opts {
		o(e, &cfg, &deps)
	}
	deps.Config = cfg
	e.svc = payment.New(d, e.clk, deps)

	e.acc.set(e.m, e.shop, payment.ProviderVNPay, payment.Account{AccountRef: tmnCode,
		Secrets: map[string]string{payment.SecretVNPayHashSecret: vnpSecret}})
	e.acc.set(e.m, e.shop, payment.ProviderMoMo, payment.Account{AccountRef: momoPartner,
		Secrets: map[string]string{payment.SecretMoMoAccessKey: momoAccess, payment.SecretMoMoSecretKey: momoSecret}})
	e.acc.set(e.m, e.shop, payment.ProviderZaloPay, payment.Account{AccountRef: strconv.Itoa(zpAppID),
		Secrets: map[string]string{payment.SecretZaloPayKey1: zpKey1, payment.SecretZaloPayKey2: zpKey2}})
	e.acc.set(e.m, e.shop, payment.ProviderBankTransfer, payment.Account{AccountRef: bankNumber,
		Secrets: map[string]string{payment.SecretBankAPIKey: bankKey}})
	e.acc.setBank(e.m, e.shop, payment.BankAccount{BIN: bankBIN, Number: bankNumber, Name: "Quán Phở Gia Truyền"})
	e.acc.setBank(e.mB, e.shopB, payment.BankAccount{})

	e.vnp = vnpaysim.New(vnpaysim.Config{TmnCode: tmnCode, HashSecret: vnpSecret, IPNURL: base + payment.PathVNPayIPN,
		After: now, Clock: e.clk, MaxAttempts: 4})
	e.mo = momosim.New(momosim.Config{PartnerCode: momoPartner, AccessKey: momoAccess, SecretKey: momoSecret,
		BaseURL: base + "/sim/momo", After: now, Clock: e.clk, MaxAttempts: 4})
	e.zp = zalopaysim.New(zalopaysim.Config{AppID: zpAppID, Key1: zpKey1, Key2: zpKey2, BaseURL: base + "/sim/zalopay",
		After: now, Clock: e.clk})
	e.bank = banksim.New(banksim.Config{WebhookURL: base + payment.PathBankWebhook, APIKey: bankKey,
		AccountNumber: bankNumber, After: now, Clock: e.clk, MaxAttempts: 4})
	t.Cleanup(func() { e.vnp.Close(); e.mo.Close(); e.zp.Close(); e.bank.Close() })

	// Tests and benchmarks send many callbacks: loopback and httptest.NewRequest's 192.0.2.1 skip rate limits.
	loopback := []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8"), netip.MustParsePrefix("::1/128"), netip.MustParsePrefix("192.0.2.0/24")}
	staff := func(user, role string) *httpapi.Principal {
		return &httpapi.Principal{UserID: user, MerchantID: e.m, ShopRoles: map[string][]string{e.shop: {role}}, Kind: "staff"}
	}
	api := httpapitest.NewServer(t, httpapi.Config{RateLimitExempt: loopback}, d, e.clk, httpapitest.Tokens{
		"cashier": staff("cashier-1", "cashier"),
		"waiter":  staff("waiter-1", "waiter"),
		"manager": {UserID: "manager-1", MerchantID: e.m, Roles: []string{"manager"}, Kind: "user"},
		"owner-b": {UserID: "owner-b", MerchantID: e.mB, Roles: []string{"owner"}, Kind: "user"},
	})
	e.svc.Routes(api.API)
	e.handler = api.Handler()
	mux.Handle("/sim/vnpay/", http.StripPrefix("/sim/vnpay", e.vnp))
	mux.Handle("/sim/momo/", http.StripPrefix("/sim/momo", e.mo))
	mux.Handle("/sim/zalopay/", http.StripPrefix("/sim/zalopay", e.zp))
	mux.Handle("/", e.handler)
	return e
}

// call sends a request as token to the API (in process) and returns the status and the raw body.
func (e *env) call(t testing.TB, token, method, path string, body any, header ...string) (int, []byte) {
	t.Helper()
	rec := httpapitest.Do(t, e.handler, token, method, path, body, header...)
	return rec.Code, rec.Body.Bytes()
}

// callJSON is call with the body decoded.
func (e *env) callJSON(t testing.TB, token, method, path string, body any, header ...string) (int, map[string]any) {
	t.Helper()
	return httpapitest.Call(t, e.handler, token, method, path, body, header...)
}

func (e *env) order(t testing.TB, total money.VND) string {
	t.Helper()
	id, err := e.led.open(context.Background(), e.m, e.shop, total)
	if err != nil {
		t.Fatal(err)
	}
	return id
}

func (e *env) paid(t testing.TB, orderID string) money.VND {
	t.Helper()
	o, err := e.led.order(context.Background(), e.m, orderID)
	if err != nil {
		t.Fatal(err)
	}
	return o.paid
}

func (e *env) payment(t testing.TB, id string) payment.Payment {
	t.Helper()
	p, err := e.svc.Get(context.Background(), e.m, id, ok)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func (e *env) pay(t testing.TB, orderID string, r payment.PayRequest) payment.PayResult {
	t.Helper()
	res, err := e.svc.Pay(context.Background(), e.m, orderID, r, "cashier-1", ok)
	if err != nil {
		t.Fatalf("pay %+v: %v", r, err)
	}
	return res
}

// vnpayQuery is an IPN (or return) query VNPay would send for p, signed with secret; change edits the values
// before signing.
func vnpayQuery(p payment.Payment, secret string, change func(url.Values)) string {
	v := url.Values{}
	v.Set("vnp_Amount", strconv.FormatInt(int64(p.Amount)*100, 10))
	v.Set("vnp_BankCode", "NCB")
	v.Set("vnp_OrderInfo", "Thanh toan don hang "+p.Reference)
	v.Set("vnp_PayDate", "20250301101500")
	v.Set("vnp_ResponseCode", "00")
	v.Set("vnp_TmnCode", tmnCode)
	v.Set("vnp_TransactionNo", "14000001")
	v.Set("vnp_TransactionStatus", "00")
	v.Set("vnp_TxnRef", p.Reference)
	if change != nil {
		change(v)
	}
	return vnpay.SignedQuery(secret, v)
}

// ipn sends an IPN query to the API over HTTP and returns VNPay's answer code.
func (e *env) ipn(t testing.TB, rawQuery string) string {
	t.Helper()
	code, body := e.callJSON(t, "", http.MethodGet, payment.PathVNPayIPN+"?"+rawQuery, nil)
	if code != http.StatusOK {
		t.Fatalf("IPN answered HTTP %d: %v", code, body)
	}
	return body["RspCode"].(string)
}

// openVNPayPage opens the pay page of a VNPay payment in the simulator (as the customer's browser would).
func (e *env) openVNPayPage(t testing.TB, payURL string) {
	t.Helper()
	resp, err := http.Get(payURL)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		b, _ := io.ReadAll(resp.Body)
		t.Fatalf("pay page: %d %s", resp.StatusCode, b)
	}
}

func ctxT(t testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	return ctx
}
