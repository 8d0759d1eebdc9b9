package wallet

import (
	"context"
	"net/http"

	"github.com/danielgtaylor/huma/v2"

	"github.com/goodgo/goodgo/internal/platform/httpapi"
	"github.com/goodgo/goodgo/internal/platform/money"
	"github.com/goodgo/goodgo/internal/platform/rbac"
)

// Routes registers the wallet operations on api. Wallets are merchant-wide: reading them needs
// rbac.WalletRead, opening one rbac.WalletWrite; a top-up also needs WalletWrite in the shop where the money
// is taken, and a reversal rbac.PaymentRefund in the top-up's shop. Spends and refunds have no operation of
// their own: the payment module posts them with its payments. Types that appear in the API are named
// Wallet… because huma names schemas by Go type name across the whole API.
func (s *Service) Routes(api huma.API) {
	huma.Register(api, op("create-wallet", http.MethodPost, "/api/v1/wallets",
		"Open a customer's stored-value wallet (409 with the existing wallet when the phone has one)", rbac.WalletWrite,
		http.StatusCreated),
		func(ctx context.Context, in *createInput) (*walletOutput, error) {
			_, m, err := httpapi.Caller(ctx)
			if err != nil {
				return nil, err
			}
			w, err := s.Create(ctx, m, in.Body.Phone, in.Body.Name)
			return &walletOutput{Body: w}, err
		})
	huma.Register(api, op("list-wallets", http.MethodGet, "/api/v1/wallets",
		"The merchant's wallets, newest first; with phone, the wallet of that phone (none or one)", rbac.WalletRead, 0),
		func(ctx context.Context, in *listInput) (*pageOutput, error) {
			_, m, err := httpapi.Caller(ctx)
			if err != nil {
				return nil, err
			}
			page, err := s.List(ctx, m, in.Phone, in.Limit, in.Cursor)
			return &pageOutput{Body: page}, err
		})
	huma.Register(api, op("get-wallet", http.MethodGet, "/api/v1/wallets/{wallet_id}",
		"A wallet and its balance", rbac.WalletRead, 0),
		func(ctx context.Context, in *walletPath) (*walletOutput, error) {
			_, m, err := httpapi.Caller(ctx)
			if err != nil {
				return nil, err
			}
			w, err := s.Get(ctx, m, in.WalletID)
			return &walletOutput{Body: w}, err
		})
	huma.Register(api, op("list-wallet-entries", http.MethodGet, "/api/v1/wallets/{wallet_id}/entries",
		"A wallet's history: its ledger entries with their transactions, newest first", rbac.WalletRead, 0),
		func(ctx context.Context, in *entriesInput) (*entryPageOutput, error) {
			_, m, err := httpapi.Caller(ctx)
			if err != nil {
				return nil, err
			}
			page, err := s.Entries(ctx, m, in.WalletID, in.Limit, in.Cursor)
			return &entryPageOutput{Body: page}, err
		})
	huma.Register(api, op("create-wallet-top-up", http.MethodPost, "/api/v1/wallets/{wallet_id}/top-ups",
		"Top up a wallet with money taken in a shop (cash goes into your open shift's drawer)", rbac.WalletWrite,
		http.StatusCreated),
		func(ctx context.Context, in *topUpInput) (*txnOutput, error) {
			p, m, err := httpapi.Caller(ctx)
			if err != nil {
				return nil, err
			}
			t, err := s.TopUp(ctx, m, in.WalletID, TopUp(in.Body), p.UserID, rbac.ShopAccess(ctx, rbac.WalletWrite))
			return &txnOutput{Body: t}, err
		})
	huma.Register(api, op("reverse-wallet-top-up", http.MethodPost, "/api/v1/wallets/{wallet_id}/top-ups/{txn_id}/reverse",
		"Hand a top-up back (once; never more than the wallet holds)", rbac.PaymentRefund, http.StatusCreated),
		func(ctx context.Context, in *reverseInput) (*txnOutput, error) {
			p, m, err := httpapi.Caller(ctx)
			if err != nil {
				return nil, err
			}
			t, err := s.ReverseTopUp(ctx, m, in.WalletID, in.TxnID, in.Body.Reason, p.UserID, rbac.ShopAccess(ctx, rbac.PaymentRefund))
			return &txnOutput{Body: t}, err
		})
}

func op(id, method, path, summary string, perm rbac.Permission, status int) huma.Operation {
	return rbac.Operation(id, method, path, summary, []string{"Wallets"}, perm, status)
}

// WalletCreateBody opens a wallet.
type WalletCreateBody struct {
	Phone string `json:"phone" minLength:"9" maxLength:"20" doc:"A Vietnamese mobile number: 0912 345 678, +84 912 345 678 …"`
	Name  string `json:"name" minLength:"1" maxLength:"100"`
}

// WalletTopUpBody is a top-up.
type WalletTopUpBody struct {
	Amount    money.VND `json:"amount" minimum:"1" maximum:"1000000000"`
	Method    string    `json:"method" enum:"cash,bank_transfer,card,vnpay,momo,zalopay" doc:"How the customer paid; recorded as the funding account."`
	ShopID    string    `json:"shop_id" minLength:"1" maxLength:"64" doc:"The shop where the money is taken."`
	Reference string    `json:"reference,omitempty" maxLength:"100" doc:"An outside reference (bank transaction, provider payment); unique when given."`
}

// WalletReverseBody reverses a top-up.
type WalletReverseBody struct {
	Reason string `json:"reason" minLength:"1" maxLength:"500"`
}

type walletPath struct {
	WalletID string `path:"wallet_id" maxLength:"64"`
}

// Inputs repeat their parameters: huma reads parameters from the input struct's own fields only.
type createInput struct {
	Body WalletCreateBody
}

type listInput struct {
	Phone  string `query:"phone" maxLength:"20" doc:"Only the wallet of this phone."`
	Limit  int    `query:"limit" minimum:"1" maximum:"200" default:"50" doc:"Page size."`
	Cursor string `query:"cursor" maxLength:"64" doc:"next_cursor of the previous page."`
}

type entriesInput struct {
	WalletID string `path:"wallet_id" maxLength:"64"`
	Limit    int    `query:"limit" minimum:"1" maximum:"200" default:"50" doc:"Page size."`
	Cursor   string `query:"cursor" maxLength:"64" doc:"next_cursor of the previous page."`
}

type topUpInput struct {
	WalletID string `path:"wallet_id" maxLength:"64"`
	Body     WalletTopUpBody
}

type reverseInput struct {
	WalletID string `path:"wallet_id" maxLength:"64"`
	TxnID    string `path:"txn_id" maxLength:"64"`
	Body     WalletReverseBody
}

type walletOutput struct{ Body Wallet }
type pageOutput struct{ Body WalletPage }
type entryPageOutput struct{ Body WalletEntryPage }
type txnOutput struct{ Body WalletTxn }
