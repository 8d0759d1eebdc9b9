package payment

import (
	"context"
	"strconv"
	"time"

	"github.com/goodgo/goodgo/internal/payment/momo"
	"github.com/goodgo/goodgo/internal/payment/vnpay"
	"github.com/goodgo/goodgo/internal/payment/zalopay"
	"github.com/goodgo/goodgo/internal/platform/apperr"
	"github.com/goodgo/goodgo/internal/platform/clock"
	"github.com/goodgo/goodgo/internal/platform/tenant"
)

// defaultAccount is the environment's account for provider, when one is configured.
func (s *Service) defaultAccount(provider string) (Account, bool) {
	switch provider {
	case ProviderVNPay:
		c := s.cfg.VNPay
		if c.TmnCode != "" && c.HashSecret != "" {
			return Account{AccountRef: c.TmnCode, Secrets: map[string]string{SecretVNPayHashSecret: c.HashSecret}}, true
		}
	case ProviderMoMo:
		c := s.cfg.MoMo
		if c.PartnerCode != "" && c.AccessKey != "" && c.SecretKey != "" {
			return Account{AccountRef: c.PartnerCode, Secrets: map[string]string{SecretMoMoAccessKey: c.AccessKey,
				SecretMoMoSecretKey: c.SecretKey}}, true
		}
	case ProviderZaloPay:
		c := s.cfg.ZaloPay
		if c.AppID > 0 && c.Key1 != "" && c.Key2 != "" {
			return Account{AccountRef: strconv.FormatInt(c.AppID, 10), Secrets: map[string]string{SecretZaloPayKey1: c.Key1,
				SecretZaloPayKey2: c.Key2}}, true
		}
	}
	return Account{}, false
}

// account is the account shop shopID uses with provider: its own, or the environment default. Conflict when
// there is neither.
func (s *Service) account(ctx context.Context, m tenant.ID, shopID, provider string) (Account, error) {
	if s.accounts != nil {
		a, err := s.accounts.ProviderAccount(ctx, m, shopID, provider)
		if err == nil {
			return a, nil
		}
		if apperr.KindOf(err) != apperr.NotFound {
			return Account{}, err
		}
	}
	if a, ok := s.defaultAccount(provider); ok {
		return a, nil
	}
	return Account{}, apperr.E(apperr.Conflict, "%s is not set up for this shop", provider)
}

// candidates are the accounts a callback naming accountRef may be signed with: every shop's account with that
// reference and the environment default when it is that account.
func (s *Service) candidates(ctx context.Context, provider, accountRef string) ([]Account, error) {
	var out []Account
	if s.accounts != nil && accountRef != "" {
		found, err := s.accounts.FindAccounts(ctx, provider, accountRef)
		if err != nil {
			return nil, err
		}
		for _, a := range found {
			if a.AccountRef == accountRef {
				out = append(out, a.Account)
			}
		}
	}
	if a, ok := s.defaultAccount(provider); ok && a.AccountRef == accountRef {
		out = append(out, a)
	}
	return out, nil
}

// paymentAccount is the account payment p (of merchant m, shop shopID) was made with, as configured now:
// Conflict when the shop's account no longer has the payment's reference.
func (s *Service) paymentAccount(ctx context.Context, m tenant.ID, shopID, provider, accountRef string) (Account, error) {
	a, err := s.account(ctx, m, shopID, provider)
	if err != nil {
		return Account{}, err
	}
	if a.AccountRef != accountRef {
		if d, ok := s.defaultAccount(provider); ok && d.AccountRef == accountRef {
			return d, nil
		}
		return Account{}, apperr.E(apperr.Conflict, "the shop's %s account changed since this payment", provider)
	}
	return a, nil
}

func (s *Service) vnpayClient(a Account) (*vnpay.Client, error) {
	c, err := vnpay.New(vnpay.Config{TmnCode: a.AccountRef, HashSecret: a.Secrets[SecretVNPayHashSecret],
		PayURL: s.cfg.VNPay.PayURL, APIURL: s.cfg.VNPay.APIURL, HTTPClient: s.cfg.HTTPClient, Clock: s.clk})
	if err != nil {
		return nil, apperr.Wrap(err, apperr.Conflict, "the VNPay account is incomplete")
	}
	return c, nil
}

func (s *Service) momoClient(a Account) (*momo.Client, error) {
	c, err := momo.New(momo.Config{PartnerCode: a.AccountRef, AccessKey: a.Secrets[SecretMoMoAccessKey],
		SecretKey: a.Secrets[SecretMoMoSecretKey], Endpoint: s.cfg.MoMo.Endpoint, HTTPClient: s.cfg.HTTPClient})
	if err != nil {
		return nil, apperr.Wrap(err, apperr.Conflict, "the MoMo account is incomplete")
	}
	return c, nil
}

// zalopayClient builds a client whose clock is at (nil: the service's clock), so an app_trans_id or
// m_refund_id computed beforehand is the one the client sends.
func (s *Service) zalopayClient(a Account, at *time.Time) (*zalopay.Client, error) {
	id, err := strconv.ParseInt(a.AccountRef, 10, 64)
	if err != nil {
		return nil, apperr.E(apperr.Conflict, "the ZaloPay app id %q is not a number", a.AccountRef)
	}
	var clk clock.Clock = s.clk
	if at != nil {
		clk = fixedClock(*at)
	}
	c, err := zalopay.New(zalopay.Config{AppID: id, Key1: a.Secrets[SecretZaloPayKey1], Key2: a.Secrets[SecretZaloPayKey2],
		Endpoint: s.cfg.ZaloPay.Endpoint, HTTPClient: s.cfg.HTTPClient, Clock: clk})
	if err != nil {
		return nil, apperr.Wrap(err, apperr.Conflict, "the ZaloPay account is incomplete")
	}
	return c, nil
}

// fixedClock always answers the same instant.
type fixedClock time.Time

func (f fixedClock) Now() time.Time { return time.Time(f) }

// callbackURL is the public URL of one of the module's callback endpoints.
func (s *Service) callbackURL(path string) (string, error) {
	if s.cfg.PublicBaseURL == "" {
		return "", apperr.E(apperr.Conflict, "the server's public URL is not configured: providers cannot reach it")
	}
	return s.cfg.PublicBaseURL + path, nil
}

// Callback paths (registered by Routes).
const (
	PathVNPayIPN        = "/api/v1/payments/vnpay/ipn"
	PathVNPayReturn     = "/api/v1/payments/vnpay/return"
	PathMoMoIPN         = "/api/v1/payments/momo/ipn"
	PathMoMoReturn      = "/api/v1/payments/momo/return"
	PathZaloPayCallback = "/api/v1/payments/zalopay/callback"
	PathZaloPayReturn   = "/api/v1/payments/zalopay/return"
	PathBankWebhook     = "/api/v1/payments/bank-transfer/webhook"
)
