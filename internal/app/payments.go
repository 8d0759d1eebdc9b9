package app

import (
	"context"
	"database/sql"
	"encoding/hex"
	"net/http"
	"strings"
	"time"

	"github.com/goodgo/goodgo/internal/merchant"
	"github.com/goodgo/goodgo/internal/order"
	"github.com/goodgo/goodgo/internal/payment"
	"github.com/goodgo/goodgo/internal/payment/banktransfer/banksim"
	"github.com/goodgo/goodgo/internal/payment/momo"
	"github.com/goodgo/goodgo/internal/payment/momo/momosim"
	"github.com/goodgo/goodgo/internal/payment/vnpay"
	"github.com/goodgo/goodgo/internal/payment/vnpay/vnpaysim"
	"github.com/goodgo/goodgo/internal/payment/zalopay"
	"github.com/goodgo/goodgo/internal/payment/zalopay/zalopaysim"
	"github.com/goodgo/goodgo/internal/platform/money"
	"github.com/goodgo/goodgo/internal/platform/tenant"
)

// The payment module's wiring: its view of orders, of the shops' provider and bank accounts, its settings
// from the environment, and the provider simulators a demo (or a developer) clicks through locally.

// ApplyRefund gives back part of a payment on an order inside the payment module's transaction.
func (o orderPayments) ApplyRefund(ctx context.Context, tx *sql.Tx, m tenant.ID, orderID, paymentID string, amount money.VND,
	actor string, allow func(string) error) (payment.OrderState, error) {
	ord, err := o.svc.ApplyRefund(ctx, tx, m, orderID, paymentID, amount, order.Change{Actor: actor, Allow: allow})
	if err != nil {
		return payment.OrderState{}, err
	}
	return orderState(ord), nil
}

// Due reads the order as it is now, before a payment intent is made.
func (o orderPayments) Due(ctx context.Context, m tenant.ID, orderID string, allow func(string) error) (payment.OrderState, error) {
	ord, err := o.svc.Get(ctx, m, orderID)
	if err != nil {
		return payment.OrderState{}, err
	}
	if allow != nil {
		if err := allow(ord.ShopID); err != nil {
			return payment.OrderState{}, err
		}
	}
	return orderState(ord), nil
}

func orderState(o order.Order) payment.OrderState {
	return payment.OrderState{ID: o.ID, ShopID: o.ShopID, Status: string(o.Status), AmountDue: o.Totals.AmountDue, Order: o}
}

// tableOrders finds the order a customer pays from the table's QR code.
type tableOrders struct{ svc *order.Service }

func (t tableOrders) QROrder(ctx context.Context, token, orderID string) (tenant.ID, string, string, error) {
	m, v, err := t.svc.QROrderOf(ctx, token, orderID)
	if err != nil {
		return "", "", "", err
	}
	return m, v.ShopID, v.OrderID, nil
}

// paymentAccounts gives the payment module the shops' provider accounts (sealed in the merchant module) and
// bank accounts (shop settings).
type paymentAccounts struct {
	svc *merchant.Service
	// bankKey is the deployment's bank-webhook key (GOODGO_BANK_WEBHOOK_API_KEY): a shop without a key of its
	// own is reached through its bank account number with it.
	bankKey string
}

func (a paymentAccounts) ProviderAccount(ctx context.Context, m tenant.ID, shopID, provider string) (payment.Account, error) {
	c, err := a.svc.Credentials(ctx, m, shopID, provider)
	if err != nil {
		return payment.Account{}, err
	}
	return payment.Account{AccountRef: c.AccountRef, Secrets: c.Secrets}, nil
}

func (a paymentAccounts) FindAccounts(ctx context.Context, provider, accountRef string) ([]payment.ShopAccount, error) {
	creds, err := a.svc.FindCredentials(ctx, provider, accountRef)
	if err != nil {
		return nil, err
	}
	out := make([]payment.ShopAccount, 0, len(creds))
	for _, c := range creds {
		out = append(out, payment.ShopAccount{MerchantID: c.MerchantID, ShopID: c.ShopID,
			Account: payment.Account{AccountRef: c.AccountRef, Secrets: c.Secrets}})
	}
	if len(out) > 0 || provider != payment.ProviderBankTransfer || a.bankKey == "" {
		return out, nil
	}
	shops, err := a.svc.ShopsByBankAccount(ctx, accountRef)
	if err != nil {
		return nil, err
	}
	for _, sh := range shops {
		out = append(out, payment.ShopAccount{MerchantID: sh.MerchantID, ShopID: sh.ShopID, Account: payment.Account{
			AccountRef: accountRef, Secrets: map[string]string{payment.SecretBankAPIKey: a.bankKey}}})
	}
	return out, nil
}

func (a paymentAccounts) BankAccount(ctx context.Context, m tenant.ID, shopID string) (payment.BankAccount, error) {
	sh, err := a.svc.LiveShop(ctx, m, shopID)
	if err != nil {
		return payment.BankAccount{}, err
	}
	return payment.BankAccount{BIN: sh.BankBIN, Number: sh.BankAccountNumber, Name: sh.BankAccountName}, nil
}

func (a paymentAccounts) CheckShop(ctx context.Context, m tenant.ID, shopID string) error {
	_, err := a.svc.LiveShop(ctx, m, shopID)
	return err
}

// simulatorsOn says whether this process serves the provider simulators and uses them by default.
func simulatorsOn(cfg Config) bool {
	return cfg.PaymentSimulators || (cfg.Demo && cfg.VNPayTmnCode == "")
}

// paymentConfig is the payment module's settings: the environment's, or the simulators' when they are on.
func paymentConfig(k *Kit) payment.Config {
	c := k.Config
	base := strings.TrimSuffix(c.PublicURL, "/")
	out := payment.Config{PublicBaseURL: base, VietQRMCC: "5812",
		VNPay: payment.VNPayConfig{TmnCode: c.VNPayTmnCode, HashSecret: c.VNPayHashSecret, PayURL: c.VNPayPayURL, APIURL: c.VNPayAPIURL},
		MoMo:  payment.MoMoConfig{PartnerCode: c.MoMoPartnerCode, AccessKey: c.MoMoAccessKey, SecretKey: c.MoMoSecretKey, Endpoint: c.MoMoEndpoint},
		ZaloPay: payment.ZaloPayConfig{AppID: c.ZaloPayAppID, Key1: c.ZaloPayKey1, Key2: c.ZaloPayKey2,
			Endpoint: c.ZaloPayEndpoint}}
	if out.VNPay.PayURL == "" {
		out.VNPay.PayURL, out.VNPay.APIURL = vnpay.SandboxPayURL, vnpay.SandboxAPIURL
	}
	if out.MoMo.Endpoint == "" {
		out.MoMo.Endpoint = momo.SandboxEndpoint
	}
	if out.ZaloPay.Endpoint == "" {
		out.ZaloPay.Endpoint = zalopay.SandboxEndpoint
	}
	if simulatorsOn(c) {
		s := simulatorAccounts(k)
		out.VNPay = payment.VNPayConfig{TmnCode: s.vnpTmn, HashSecret: s.vnpSecret, PayURL: base + "/sim/vnpay/paymentv2/vpcpay.html",
			APIURL: base + "/sim/vnpay/merchant_webapi/api/transaction"}
		out.MoMo = payment.MoMoConfig{PartnerCode: s.momoPartner, AccessKey: s.momoAccess, SecretKey: s.momoSecret, Endpoint: base + "/sim/momo"}
		out.ZaloPay = payment.ZaloPayConfig{AppID: s.zaloApp, Key1: s.zaloKey1, Key2: s.zaloKey2, Endpoint: base + "/sim/zalopay"}
	}
	return out
}

// simAccounts are the accounts the simulators know, derived from the deployment's secret key so they stay
// the same across restarts (a payment started before one still verifies after it).
type simAccounts struct {
	vnpTmn, vnpSecret                   string
	momoPartner, momoAccess, momoSecret string
	zaloApp                             int64
	zaloKey1, zaloKey2                  string
	bankKey                             string
}

func simulatorAccounts(k *Kit) simAccounts {
	key := func(purpose string) string {
		return hex.EncodeToString(k.DeriveKey("payment-simulator-" + purpose)[:16])
	}
	return simAccounts{vnpTmn: "GOODGODEMO", vnpSecret: key("vnpay"), momoPartner: "MOMOGOODGO", momoAccess: key("momo-access"),
		momoSecret: key("momo-secret"), zaloApp: 2554, zaloKey1: key("zalopay-key1"), zaloKey2: key("zalopay-key2"),
		bankKey: key("bank")}
}

// bankWebhookKey is the deployment's bank-webhook key: the environment's, else the simulator's when it is on.
func bankWebhookKey(k *Kit) string {
	if k.Config.BankWebhookAPIKey != "" || !simulatorsOn(k.Config) {
		return k.Config.BankWebhookAPIKey
	}
	return simulatorAccounts(k).bankKey
}

// mountSimulators serves the provider simulators under /sim/ (VNPay's pay page and API, MoMo, ZaloPay, and a
// page that sends bank transfers to the webhook) and closes them when the app stops. Their retries run on real
// time with short intervals, so a payment clicked through locally confirms at once and retries visibly.
func mountSimulators(k *Kit) {
	s := simulatorAccounts(k)
	base := strings.TrimSuffix(k.Config.PublicURL, "/")
	vnp := vnpaysim.New(vnpaysim.Config{TmnCode: s.vnpTmn, HashSecret: s.vnpSecret, IPNURL: base + "/api/v1/payments/vnpay/ipn",
		RetryInterval: 10 * time.Second})
	mm := momosim.New(momosim.Config{PartnerCode: s.momoPartner, AccessKey: s.momoAccess, SecretKey: s.momoSecret,
		BaseURL: base + "/sim/momo", RetryInterval: 10 * time.Second})
	zp := zalopaysim.New(zalopaysim.Config{AppID: s.zaloApp, Key1: s.zaloKey1, Key2: s.zaloKey2, BaseURL: base + "/sim/zalopay",
		RetryInterval: 10 * time.Second})
	bank := banksim.New(banksim.Config{WebhookURL: base + "/api/v1/payments/bank-transfer/webhook", APIKey: s.bankKey,
		Bank: "VCB", AccountNumber: demoBankAccount, RetryInterval: 10 * time.Second})
	for prefix, h := range map[string]http.Handler{"/sim/vnpay": vnp, "/sim/momo": mm, "/sim/zalopay": zp, "/sim/bank": bank} {
		k.Handle(prefix+"/*", http.StripPrefix(prefix, h))
	}
	k.Go("payment-simulators", func(ctx context.Context) error {
		<-ctx.Done()
		vnp.Close()
		mm.Close()
		zp.Close()
		bank.Close()
		return nil
	})
	k.Log.Info("payment simulators on", "vnpay", base+"/sim/vnpay", "momo", base+"/sim/momo", "zalopay", base+"/sim/zalopay",
		"bank", base+"/sim/bank")
}

// demoBankAccount is the bank account of the demo shops (Vietcombank), the one the bank simulator reports.
const demoBankAccount = "0011009950446"
