package payment

import (
	"context"
	"net/http"

	"github.com/danielgtaylor/huma/v2"

	"github.com/goodgo/goodgo/internal/payment/banktransfer"
	"github.com/goodgo/goodgo/internal/payment/vnpay"
	"github.com/goodgo/goodgo/internal/payment/zalopay"
	"github.com/goodgo/goodgo/internal/platform/apperr"
	"github.com/goodgo/goodgo/internal/platform/httpapi"
	"github.com/goodgo/goodgo/internal/platform/money"
	"github.com/goodgo/goodgo/internal/platform/rbac"
	"github.com/goodgo/goodgo/internal/platform/tenant"
)

// Routes registers the payment operations: the staff's (payments, refunds, QR images, reconciliation) and
// the providers' public callbacks.
func (s *Service) Routes(api huma.API) {
	s.staffRoutes(api)
	s.reconcileRoutes(api)
	s.callbackRoutes(api)
	s.customerRoutes(api)
}

func (s *Service) staffRoutes(api huma.API) {
	tags := []string{"Payments"}
	pay := rbac.Operation("create-order-payment", http.MethodPost, "/api/v1/orders/{order_id}/payments",
		"Take a payment on an order: cash (with what was tendered: answers the change), wallet, or open a VietQR, "+
			"VNPay, MoMo or ZaloPay payment (answers the QR or the provider's page); Idempotency-Key pays once",
		tags, rbac.PaymentTake, http.StatusCreated)
	httpapi.SetRateClass(&pay, httpapi.ClassPayment)
	huma.Register(api, pay, func(ctx context.Context, in *payInput) (*payOutput, error) {
		p, m, err := httpapi.Caller(ctx)
		if err != nil {
			return nil, err
		}
		ip := ""
		if a, ok := httpapi.ClientIP(ctx); ok {
			ip = a.String()
		}
		res, err := s.Pay(ctx, m, in.OrderID, PayRequest{Method: in.Body.Method, Amount: in.Body.Amount, Tendered: in.Body.Tendered,
			WalletID: in.Body.WalletID, ReturnURL: in.Body.ReturnURL, ClientIP: ip}, p.UserID, rbac.ShopAccess(ctx, rbac.PaymentTake))
		return &payOutput{Body: res}, err
	})

	huma.Register(api, rbac.Operation("list-order-payments", http.MethodGet, "/api/v1/orders/{order_id}/payments",
		"The payments of an order, every status, each with its refunds", tags, rbac.OrderRead, 0),
		func(ctx context.Context, in *orderPath) (*paymentsOutput, error) {
			_, m, err := httpapi.Caller(ctx)
			if err != nil {
				return nil, err
			}
			items, err := s.ListOrder(ctx, m, in.OrderID, rbac.ShopAccess(ctx, rbac.OrderRead))
			out := &paymentsOutput{}
			out.Body.Items = items
			return out, err
		})

	huma.Register(api, rbac.Operation("get-payment", http.MethodGet, "/api/v1/payments/{payment_id}",
		"A payment with its refunds", tags, rbac.OrderRead, 0),
		func(ctx context.Context, in *paymentPath) (*paymentOutput, error) {
			_, m, err := httpapi.Caller(ctx)
			if err != nil {
				return nil, err
			}
			p, err := s.Get(ctx, m, in.PaymentID, rbac.ShopAccess(ctx, rbac.OrderRead))
			return &paymentOutput{Body: p}, err
		})

	huma.Register(api, rbac.Operation("cancel-payment", http.MethodPost, "/api/v1/payments/{payment_id}/cancel",
		"Cancel a pending payment: it stops holding its amount (money that still arrives is kept, unapplied, for a refund)",
		tags, rbac.PaymentTake, 0),
		func(ctx context.Context, in *paymentPath) (*paymentOutput, error) {
			p, m, err := httpapi.Caller(ctx)
			if err != nil {
				return nil, err
			}
			out, err := s.Cancel(ctx, m, in.PaymentID, p.UserID, rbac.ShopAccess(ctx, rbac.PaymentTake))
			return &paymentOutput{Body: out}, err
		})

	refund := rbac.Operation("refund-payment", http.MethodPost, "/api/v1/payments/{payment_id}/refunds",
		"Refund (part of) a payment with a reason: cash from the drawer, back to the wallet, or through the provider "+
			"(a provider refund may answer pending: it is resolved in the background); the order's balance reopens",
		tags, rbac.PaymentRefund, http.StatusCreated)
	httpapi.SetRateClass(&refund, httpapi.ClassPayment)
	huma.Register(api, refund, func(ctx context.Context, in *refundInput) (*refundOutput, error) {
		p, m, err := httpapi.Caller(ctx)
		if err != nil {
			return nil, err
		}
		r, err := s.Refund(ctx, m, in.PaymentID, in.Body.Amount, in.Body.Reason, p.UserID, rbac.ShopAccess(ctx, rbac.PaymentRefund))
		return &refundOutput{Body: r}, err
	})

	for _, format := range []string{FormatPNG, FormatSVG} {
		huma.Register(api, rbac.Operation("get-payment-qr-"+format, http.MethodGet, "/api/v1/payments/{payment_id}/qr."+format,
			"The VietQR of a pending VietQR payment as "+format, tags, rbac.PaymentTake, 0),
			func(ctx context.Context, in *paymentPath) (*imageOutput, error) {
				_, m, err := httpapi.Caller(ctx)
				if err != nil {
					return nil, err
				}
				b, ct, err := s.QRImage(ctx, m, in.PaymentID, format, rbac.ShopAccess(ctx, rbac.PaymentTake))
				if err != nil {
					return nil, err
				}
				return &imageOutput{ContentType: ct, CacheControl: "no-store", Body: b}, nil
			})
		o := huma.Operation{OperationID: "get-public-payment-qr-" + format, Method: http.MethodGet,
			Path:    "/api/v1/public/payments/{token}/qr." + format,
			Summary: "The VietQR of a pending payment for the customer's page, by the payment's public token", Tags: tags}
		rbac.Public(&o, "the customer's payment page shows the QR; the token is unguessable and names one payment")
		huma.Register(api, o, func(ctx context.Context, in *tokenPath) (*imageOutput, error) {
			b, ct, err := s.PublicQRImage(ctx, in.Token, format)
			if err != nil {
				return nil, err
			}
			return &imageOutput{ContentType: ct, CacheControl: "no-store", Body: b}, nil
		})
	}
}

func (s *Service) reconcileRoutes(api huma.API) {
	tags := []string{"Payments"}
	huma.Register(api, rbac.Operation("list-shop-payments", http.MethodGet, "/api/v1/shops/{shop_id}/payments",
		"A shop's payments, newest first; status=unapplied lists money taken that no order counts (refund it)",
		tags, rbac.PaymentReconcile, 0),
		func(ctx context.Context, in *shopListInput) (*pageOutput[Payment], error) {
			_, m, err := httpapi.Caller(ctx)
			if err != nil {
				return nil, err
			}
			if err := s.shopVisible(ctx, m, in.ShopID); err != nil {
				return nil, err
			}
			items, next, err := s.ListShop(ctx, m, in.ShopID, in.Status, in.Cursor, in.Limit)
			out := &pageOutput[Payment]{}
			out.Body.Items, out.Body.NextCursor = items, next
			return out, err
		})
	huma.Register(api, rbac.Operation("list-bank-transfers", http.MethodGet, "/api/v1/shops/{shop_id}/bank-transfers",
		"The transfers the shop's bank-statement webhook reported, newest first (status=unmatched: for a manager)",
		tags, rbac.PaymentReconcile, 0),
		func(ctx context.Context, in *transferListInput) (*pageOutput[BankTransfer], error) {
			_, m, err := httpapi.Caller(ctx)
			if err != nil {
				return nil, err
			}
			if err := s.shopVisible(ctx, m, in.ShopID); err != nil {
				return nil, err
			}
			items, next, err := s.ListTransfers(ctx, m, in.ShopID, in.Status, in.Cursor, in.Limit)
			out := &pageOutput[BankTransfer]{}
			out.Body.Items, out.Body.NextCursor = items, next
			if out.Body.Items == nil {
				out.Body.Items = []BankTransfer{}
			}
			return out, err
		})
	huma.Register(api, rbac.Operation("assign-bank-transfer", http.MethodPost, "/api/v1/bank-transfers/{transfer_id}/assign",
		"Apply an unmatched transfer to an order of its shop, as a VietQR payment of its amount", tags, rbac.PaymentReconcile, 0),
		func(ctx context.Context, in *assignInput) (*transferOutput, error) {
			p, m, err := httpapi.Caller(ctx)
			if err != nil {
				return nil, err
			}
			t, err := s.AssignTransfer(ctx, m, in.TransferID, in.Body.OrderID, p.UserID, rbac.ShopAccess(ctx, rbac.PaymentReconcile))
			return &transferOutput{Body: t}, err
		})
	huma.Register(api, rbac.Operation("dismiss-bank-transfer", http.MethodPost, "/api/v1/bank-transfers/{transfer_id}/dismiss",
		"Set an unmatched transfer aside, with the reason", tags, rbac.PaymentReconcile, 0),
		func(ctx context.Context, in *dismissInput) (*transferOutput, error) {
			p, m, err := httpapi.Caller(ctx)
			if err != nil {
				return nil, err
			}
			t, err := s.DismissTransfer(ctx, m, in.TransferID, in.Body.Reason, p.UserID, rbac.ShopAccess(ctx, rbac.PaymentReconcile))
			return &transferOutput{Body: t}, err
		})
}

type tablePayInput struct {
	Token string `path:"qr_token" minLength:"8" maxLength:"64"`
	Body  struct {
		Method  string `json:"method" enum:"vietqr,vnpay,momo,zalopay"`
		OrderID string `json:"order_id,omitempty" maxLength:"64" doc:"At a shared table, the party's own order."`
	}
}

type customerPaymentOutput struct{ Body CustomerPayment }

// customerRoutes registers what a customer's phone may do with money: pay their table's order.
func (s *Service) customerRoutes(api huma.API) {
	o := huma.Operation{OperationID: "pay-from-table", Method: http.MethodPost, Path: "/api/v1/public/tables/{qr_token}/payments",
		Summary: "A customer pays what their table's order owes by VietQR, VNPay, MoMo or ZaloPay (the same waiting payment if asked again)",
		Tags:    []string{"Public"}, DefaultStatus: http.StatusCreated}
	rbac.Public(&o, "customers pay from the table's QR code without an account")
	huma.Register(api, o, func(ctx context.Context, in *tablePayInput) (*customerPaymentOutput, error) {
		ip := ""
		if addr, ok := httpapi.ClientIP(ctx); ok && addr.IsValid() {
			ip = addr.String()
		}
		p, err := s.PayFromTable(ctx, in.Token, in.Body.OrderID, in.Body.Method, ip)
		return &customerPaymentOutput{Body: p}, apperr.Located(err, "body")
	})
}

func (s *Service) callbackRoutes(api huma.API) {
	tags := []string{"Payment callbacks"}
	public := func(id, method, path, summary string, status int) huma.Operation {
		o := huma.Operation{OperationID: id, Method: method, Path: path, Summary: summary, Tags: tags, DefaultStatus: status}
		rbac.Public(&o, "payment provider callback: authenticated by the provider's signature")
		httpapi.SetRateClass(&o, httpapi.ClassCallbacks)
		return o
	}
	huma.Register(api, public("vnpay-ipn", http.MethodGet, PathVNPayIPN,
		"VNPay's IPN: answers VNPay's RspCode (00, 01, 02, 04, 97, 99)", http.StatusOK),
		func(ctx context.Context, in *rawQueryInput) (*vnpayAnswerOutput, error) {
			return &vnpayAnswerOutput{Body: s.HandleVNPayIPN(ctx, in.raw)}, nil
		})
	returns := []struct {
		id, path, name string
		read           func(context.Context, string) ReturnView
	}{
		{"vnpay-return", PathVNPayReturn, "VNPay", s.VNPayReturn},
		{"momo-return", PathMoMoReturn, "MoMo", s.MoMoReturn},
		{"zalopay-return", PathZaloPayReturn, "ZaloPay", s.ZaloPayReturn},
	}
	for _, r := range returns {
		huma.Register(api, public(r.id, http.MethodGet, r.path,
			"Where "+r.name+" sends the customer's browser back: display only (redirects to the payment's return_url "+
				"when it has one), it changes nothing", http.StatusOK),
			func(ctx context.Context, in *rawQueryInput) (*returnOutput, error) {
				view := r.read(ctx, in.raw)
				if view.RedirectURL != "" {
					return &returnOutput{Status: http.StatusSeeOther, Location: view.RedirectURL}, nil
				}
				return &returnOutput{Status: http.StatusOK, Body: &view}, nil
			})
	}
	huma.Register(api, public("momo-ipn", http.MethodPost, PathMoMoIPN,
		"MoMo's IPN: 204 once recorded (or a replay); a 4xx for a forged, malformed or unknown notification", http.StatusNoContent),
		func(ctx context.Context, in *rawBodyInput) (*struct{}, error) {
			return nil, s.HandleMoMoIPN(ctx, in.RawBody)
		})
	huma.Register(api, public("zalopay-callback", http.MethodPost, PathZaloPayCallback,
		"ZaloPay's payment callback: answers return_code 1 (recorded), -1 (mac mismatch) or 0 (not recorded)", http.StatusOK),
		func(ctx context.Context, in *rawBodyInput) (*zalopayReplyOutput, error) {
			return &zalopayReplyOutput{Body: s.HandleZaloPayCallback(ctx, in.RawBody)}, nil
		})
	huma.Register(api, public("bank-transfer-webhook", http.MethodPost, PathBankWebhook,
		"A bank-statement service's webhook (SePay format, header Authorization: Apikey <key>): "+
			`{"success": true} once the transfer is recorded`, http.StatusOK),
		func(ctx context.Context, in *webhookInput) (*webhookOutput, error) {
			if err := s.HandleBankWebhook(ctx, in.RawBody, in.header); err != nil {
				return nil, err
			}
			out := &webhookOutput{}
			out.Body.Success = true
			return out, nil
		})
}

type payBody struct {
	Method    string    `json:"method" enum:"cash,wallet,vietqr,vnpay,momo,zalopay"`
	Amount    money.VND `json:"amount" minimum:"1"`
	Tendered  money.VND `json:"tendered,omitempty" minimum:"0" doc:"Cash handed over; the change is tendered − amount."`
	WalletID  string    `json:"wallet_id,omitempty" maxLength:"64" doc:"The customer wallet to spend from (wallet)."`
	ReturnURL string    `json:"return_url,omitempty" maxLength:"1000" doc:"Where the customer's browser goes after paying (VNPay, MoMo, ZaloPay)."`
}

type payInput struct {
	OrderID string `path:"order_id" maxLength:"64"`
	Body    payBody
}

type payOutput struct{ Body PayResult }

type orderPath struct {
	OrderID string `path:"order_id" maxLength:"64"`
}

type paymentPath struct {
	PaymentID string `path:"payment_id" maxLength:"64"`
}

type tokenPath struct {
	Token string `path:"token" maxLength:"64"`
}

type paymentOutput struct{ Body Payment }

type paymentsOutput struct {
	Body struct {
		Items []Payment `json:"items"`
	}
}

type refundInput struct {
	PaymentID string `path:"payment_id" maxLength:"64"`
	Body      struct {
		Amount money.VND `json:"amount" minimum:"1"`
		Reason string    `json:"reason" minLength:"1" maxLength:"500"`
	}
}

type refundOutput struct{ Body Refund }

type imageOutput struct {
	ContentType  string `header:"Content-Type"`
	CacheControl string `header:"Cache-Control"`
	Body         []byte
}

type shopListInput struct {
	ShopID string `path:"shop_id" maxLength:"64"`
	Status string `query:"status" enum:"pending,succeeded,failed,refunded,unapplied," doc:"unapplied: money taken that no order counts"`
	Cursor string `query:"cursor" maxLength:"64"`
	Limit  int    `query:"limit" minimum:"0" maximum:"200"`
}

type transferListInput struct {
	ShopID string `path:"shop_id" maxLength:"64"`
	Status string `query:"status" enum:"matched,partial,unmatched,ignored,assigned,dismissed,"`
	Cursor string `query:"cursor" maxLength:"64"`
	Limit  int    `query:"limit" minimum:"0" maximum:"200"`
}

type pageOutput[T any] struct {
	Body struct {
		Items      []T    `json:"items"`
		NextCursor string `json:"next_cursor"`
	}
}

type assignInput struct {
	TransferID string `path:"transfer_id" maxLength:"64"`
	Body       struct {
		OrderID string `json:"order_id" minLength:"1" maxLength:"64"`
	}
}

type dismissInput struct {
	TransferID string `path:"transfer_id" maxLength:"64"`
	Body       struct {
		Reason string `json:"reason" minLength:"1" maxLength:"500"`
	}
}

type transferOutput struct{ Body BankTransfer }

// rawQueryInput takes the query string exactly as received: VNPay's signature covers it as sent.
type rawQueryInput struct{ raw string }

// Resolve captures the raw query.
func (in *rawQueryInput) Resolve(ctx huma.Context) []error {
	in.raw = ctx.URL().RawQuery
	return nil
}

// rawBodyInput takes the body exactly as received: signatures cover it as sent.
type rawBodyInput struct {
	RawBody []byte
}

// webhookInput is a raw body with the headers that authenticate it.
type webhookInput struct {
	RawBody []byte
	header  http.Header
}

// Resolve captures the authenticating headers.
func (in *webhookInput) Resolve(ctx huma.Context) []error {
	in.header = http.Header{}
	for _, k := range []string{"Authorization", banktransfer.SignatureHeader} {
		if v := ctx.Header(k); v != "" {
			in.header.Set(k, v)
		}
	}
	return nil
}

type vnpayAnswerOutput struct{ Body vnpay.IPNAnswer }

type zalopayReplyOutput struct{ Body zalopay.CallbackReply }

type returnOutput struct {
	Status   int
	Location string `header:"Location"`
	Body     *ReturnView
}

type webhookOutput struct {
	Body struct {
		Success bool `json:"success"`
	}
}

// shopVisible refuses a shop that is not a live shop of m (404, as for every shop's route) or that the caller
// may not reconcile.
func (s *Service) shopVisible(ctx context.Context, m tenant.ID, shopID string) error {
	if err := s.accounts.CheckShop(ctx, m, shopID); err != nil {
		return err
	}
	return rbac.ShopAccess(ctx, rbac.PaymentReconcile)(shopID)
}
