package merchant

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"
	"unicode"

	"github.com/goodgo/goodgo/internal/merchant/merchantdb"
	"github.com/goodgo/goodgo/internal/platform/apperr"
	"github.com/goodgo/goodgo/internal/platform/tenant"
)

// Payment-provider accounts of a shop. Each provider has one public account reference (what its callbacks
// carry, so a callback finds the shop) and secrets that sign requests. Secrets are sealed with the
// application key, bound to the shop and provider (a sealed value copied to another row does not open),
// never logged and never returned by the API: reading a provider shows which secrets are set, not them.

// Sealer encrypts secrets at rest (internal/platform/secretbox.Box).
type Sealer interface {
	SealString(plaintext, ad []byte) (string, error)
	OpenString(sealed string, ad []byte) ([]byte, error)
}

// ProviderSpec says what a provider's account is made of.
type ProviderSpec struct {
	// Ref names the public account reference ("tmn_code" for VNPay).
	Ref string
	// Secrets names the secret values, all required.
	Secrets []string
}

// Providers are the payment providers a shop may configure, with the names their documents use.
var Providers = map[string]ProviderSpec{
	"vnpay":         {Ref: "tmn_code", Secrets: []string{"hash_secret"}},
	"momo":          {Ref: "partner_code", Secrets: []string{"access_key", "secret_key"}},
	"zalopay":       {Ref: "app_id", Secrets: []string{"key1", "key2"}},
	"bank_transfer": {Ref: "account_number", Secrets: []string{"api_key"}},
}

// ProviderNames lists Providers' names, sorted.
func ProviderNames() []string {
	names := make([]string, 0, len(Providers))
	for n := range Providers {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// ProviderAccount is a shop's account at a provider as the API shows it: no secret values.
type ProviderAccount struct {
	Provider   string    `json:"provider"`
	RefName    string    `json:"account_ref_name" doc:"What account_ref is for this provider, e.g. tmn_code."`
	AccountRef string    `json:"account_ref"`
	SecretsSet []string  `json:"secrets_set" doc:"The secrets stored (sealed); their values are never returned."`
	UpdatedAt  time.Time `json:"updated_at"`
}

// ProviderCredentials is a shop's account at a provider with its secrets, for the payment module.
type ProviderCredentials struct {
	MerchantID tenant.ID
	ShopID     string
	Provider   string
	AccountRef string
	Secrets    map[string]string
}

func sealAD(shopID, provider string) []byte {
	return []byte("shop-provider:" + shopID + ":" + provider)
}

// SetProviderCredentials stores (or replaces) shop shopID's account at provider. It returns an
// apperr.Invalid error for an unknown provider, a missing reference or a missing or unknown secret.
func (s *Service) SetProviderCredentials(ctx context.Context, m tenant.ID, shopID, provider, accountRef string, secrets map[string]string, actor string) (ProviderAccount, error) {
	if s.secrets == nil {
		return ProviderAccount{}, errors.New("set provider credentials: no sealer wired")
	}
	spec, ok := Providers[provider]
	if !ok {
		return ProviderAccount{}, apperr.WithField("path.provider", "must be one of "+strings.Join(ProviderNames(), ", "))
	}
	var f fieldErrors
	accountRef = strings.TrimSpace(accountRef)
	if accountRef == "" || len(accountRef) > 64 || strings.IndexFunc(accountRef, unicode.IsSpace) >= 0 {
		f.add("body.account_ref", "the "+spec.Ref+": 1 to 64 characters without spaces")
	}
	for _, name := range spec.Secrets {
		if v := secrets[name]; v == "" || len(v) > 512 {
			f.add("body.secrets."+name, "required, at most 512 characters")
		}
	}
	for name := range secrets {
		if !slices.Contains(spec.Secrets, name) {
			f.add("body.secrets."+name, provider+" takes only "+strings.Join(spec.Secrets, ", "))
		}
	}
	if err := f.err(); err != nil {
		return ProviderAccount{}, err
	}
	plain, err := json.Marshal(secrets)
	if err != nil {
		return ProviderAccount{}, fmt.Errorf("encode secrets: %w", err)
	}
	sealed, err := s.secrets.SealString(plain, sealAD(shopID, provider))
	if err != nil {
		return ProviderAccount{}, fmt.Errorf("seal secrets: %w", err)
	}
	var out ProviderAccount
	err = s.db.WithTx(ctx, m, func(tx *sql.Tx) error {
		q := merchantdb.New(tx)
		if _, err := liveShop(ctx, q, m, shopID); err != nil {
			return err
		}
		now := s.now()
		if err := q.UpsertProviderCredential(ctx, merchantdb.UpsertProviderCredentialParams{ShopID: shopID,
			Provider: provider, MerchantID: string(m), AccountRef: accountRef, Sealed: sealed, UpdatedBy: actor,
			UpdatedAt: now}); err != nil {
			return fmt.Errorf("store credentials: %w", err)
		}
		out = ProviderAccount{Provider: provider, RefName: spec.Ref, AccountRef: accountRef,
			SecretsSet: slices.Clone(spec.Secrets), UpdatedAt: now}
		return s.audit(ctx, tx, m, AuditRecord{Event: AuditProviderSet, Actor: actor,
			Detail: map[string]any{"shop_id": shopID, "provider": provider, "account_ref": accountRef}})
	})
	if err != nil {
		return ProviderAccount{}, fmt.Errorf("set %s credentials of shop %s: %w", provider, shopID, err)
	}
	return out, nil
}

// ProviderAccounts lists the providers configured for shop shopID, without secret values.
func (s *Service) ProviderAccounts(ctx context.Context, m tenant.ID, shopID string) ([]ProviderAccount, error) {
	var out []ProviderAccount
	err := s.db.ReadTx(ctx, m, func(tx *sql.Tx) error {
		q := merchantdb.New(tx)
		if _, err := loadShop(ctx, q, m, shopID); err != nil {
			return err
		}
		rows, err := q.ListProviderCredentials(ctx, merchantdb.ListProviderCredentialsParams{MerchantID: string(m), ShopID: shopID})
		if err != nil {
			return fmt.Errorf("list credentials: %w", err)
		}
		out = make([]ProviderAccount, 0, len(rows))
		for _, r := range rows {
			spec := Providers[r.Provider]
			out = append(out, ProviderAccount{Provider: r.Provider, RefName: spec.Ref, AccountRef: r.AccountRef,
				SecretsSet: slices.Clone(spec.Secrets), UpdatedAt: r.UpdatedAt.UTC()})
		}
		return nil
	})
	return out, err
}

// RemoveProviderCredentials deletes shop shopID's account at provider.
func (s *Service) RemoveProviderCredentials(ctx context.Context, m tenant.ID, shopID, provider, actor string) error {
	return s.db.WithTx(ctx, m, func(tx *sql.Tx) error {
		n, err := merchantdb.New(tx).DeleteProviderCredential(ctx, merchantdb.DeleteProviderCredentialParams{
			MerchantID: string(m), ShopID: shopID, Provider: provider})
		if err != nil {
			return fmt.Errorf("delete credentials: %w", err)
		}
		if n == 0 {
			return apperr.E(apperr.NotFound, "no %s account is set for this shop", provider)
		}
		return s.audit(ctx, tx, m, AuditRecord{Event: AuditProviderRemoved, Actor: actor,
			Detail: map[string]any{"shop_id": shopID, "provider": provider}})
	})
}

// Credentials returns shop shopID's account at provider with its secrets opened, for the payment module
// (NotFound when none is set).
func (s *Service) Credentials(ctx context.Context, m tenant.ID, shopID, provider string) (ProviderCredentials, error) {
	var row merchantdb.ShopProviderCredential
	err := s.db.ReadTx(ctx, m, func(tx *sql.Tx) error {
		var err error
		row, err = merchantdb.New(tx).GetProviderCredential(ctx, merchantdb.GetProviderCredentialParams{
			MerchantID: string(m), ShopID: shopID, Provider: provider})
		return err
	})
	if err != nil {
		return ProviderCredentials{}, notFound(err, provider+" account")
	}
	return s.openCredentials(row)
}

// FindCredentials returns the live shops' accounts at provider with reference accountRef, secrets opened:
// how a provider callback, which carries only the reference, finds its shop. It is a cross-tenant path
// (db.WithSystemTx reading shop_provider_credentials and shops).
func (s *Service) FindCredentials(ctx context.Context, provider, accountRef string) ([]ProviderCredentials, error) {
	var rows []merchantdb.ShopProviderCredential
	err := s.db.WithSystemTx(ctx, "find the shop of a payment-provider callback", func(tx *sql.Tx) error {
		var err error
		rows, err = merchantdb.New(tx).FindProviderCredentials(ctx, merchantdb.FindProviderCredentialsParams{
			Provider: provider, AccountRef: accountRef})
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("find %s account %s: %w", provider, accountRef, err)
	}
	out := make([]ProviderCredentials, 0, len(rows))
	for _, r := range rows {
		c, err := s.openCredentials(r)
		if err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, nil
}

func (s *Service) openCredentials(r merchantdb.ShopProviderCredential) (ProviderCredentials, error) {
	if s.secrets == nil {
		return ProviderCredentials{}, errors.New("open provider credentials: no sealer wired")
	}
	plain, err := s.secrets.OpenString(r.Sealed, sealAD(r.ShopID, r.Provider))
	if err != nil {
		return ProviderCredentials{}, fmt.Errorf("open %s credentials of shop %s: %w", r.Provider, r.ShopID, err)
	}
	var secrets map[string]string
	if err := json.Unmarshal(plain, &secrets); err != nil {
		return ProviderCredentials{}, fmt.Errorf("decode %s credentials of shop %s: %w", r.Provider, r.ShopID, err)
	}
	return ProviderCredentials{MerchantID: tenant.ID(r.MerchantID), ShopID: r.ShopID, Provider: r.Provider,
		AccountRef: r.AccountRef, Secrets: secrets}, nil
}

// ShopRef names a shop of a merchant.
type ShopRef struct {
	MerchantID tenant.ID
	ShopID     string
}

// ShopsByBankAccount returns the live shops whose bank account (shop settings) is number: how a bank-transfer
// webhook signed with the deployment's key finds its shop. A cross-tenant path (db.WithSystemTx over shops).
func (s *Service) ShopsByBankAccount(ctx context.Context, number string) ([]ShopRef, error) {
	if number == "" {
		return nil, nil
	}
	var out []ShopRef
	err := s.db.WithSystemTx(ctx, "find the shops of a bank account named by a bank-transfer webhook", func(tx *sql.Tx) error {
		rows, err := merchantdb.New(tx).FindShopsByBankAccount(ctx, number)
		if err != nil {
			return err
		}
		for _, r := range rows {
			out = append(out, ShopRef{MerchantID: tenant.ID(r.MerchantID), ShopID: r.ID})
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("find shops of bank account: %w", err)
	}
	return out, nil
}
