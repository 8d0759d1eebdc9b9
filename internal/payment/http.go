package payment

import (
	"context"
	"net/http"

	"github.com/danielgtaylor/huma/v2"

	"github.com/goodgo/goodgo/internal/platform/httpapi"
	"github.com/goodgo/goodgo/internal/platform/money"
	"github.com/goodgo/goodgo/internal/platform/rbac"
)

// Routes registers the payment operations.
func (s *Service) Routes(api huma.API) {
	o := huma.Operation{OperationID: "create-order-payment", Method: http.MethodPost, Path: "/api/v1/orders/{order_id}/payments",
		Summary: "Take a payment on an order (cash: with what was tendered, answers the change); Idempotency-Key pays once",
		Tags:    []string{"Payments"}, DefaultStatus: http.StatusCreated}
	rbac.Require(&o, rbac.PaymentTake)
	huma.Register(api, o, func(ctx context.Context, in *payInput) (*payOutput, error) {
		p, m, err := httpapi.Caller(ctx)
		if err != nil {
			return nil, err
		}
		res, err := s.PayCash(ctx, m, in.OrderID, in.Body.Amount, in.Body.Tendered, p.UserID, rbac.ShopAccess(ctx, rbac.PaymentTake))
		return &payOutput{Body: res}, err
	})
}

type payBody struct {
	Method   string    `json:"method" enum:"cash" doc:"cash today; vietqr, vnpay, momo, zalopay and wallet arrive with their providers."`
	Amount   money.VND `json:"amount" minimum:"1"`
	Tendered money.VND `json:"tendered,omitempty" minimum:"0" doc:"Cash handed over; the change is tendered − amount."`
}

type payInput struct {
	OrderID string `path:"order_id" maxLength:"64"`
	Body    payBody
}

type payOutput struct{ Body CashResult }
