package kitchen

import (
	"context"
	"net/http"

	"github.com/danielgtaylor/huma/v2"

	"github.com/goodgo/goodgo/internal/platform/httpapi"
	"github.com/goodgo/goodgo/internal/platform/rbac"
)

// Routes registers the kitchen display's operations. Ticket routes carry no shop in their path: the handler
// loads the ticket and checks that the caller may work in its shop (404 otherwise, like another merchant's).
func (s *Service) Routes(api huma.API) {
	tags := []string{"Kitchen"}
	huma.Register(api, rbac.Operation("list-kitchen-tickets", http.MethodGet, "/api/v1/shops/{shop_id}/kitchen/tickets",
		"The shop's kitchen tickets, oldest first: live ones (new, preparing, ready) unless a status is given", tags, rbac.KitchenRead, 0),
		func(ctx context.Context, in *boardInput) (*ticketListOutput, error) {
			_, m, err := httpapi.Caller(ctx)
			if err != nil {
				return nil, err
			}
			if err := s.shops.CheckShop(ctx, m, in.ShopID); err != nil {
				return nil, err
			}
			out := &ticketListOutput{}
			out.Body.Items, err = s.Board(ctx, m, in.ShopID, in.Station, Status(in.Status))
			return out, err
		})
	huma.Register(api, rbac.Operation("get-kitchen-ticket", http.MethodGet, "/api/v1/kitchen/tickets/{ticket_id}",
		"One kitchen ticket", tags, rbac.KitchenRead, 0),
		func(ctx context.Context, in *ticketPath) (*ticketOutput, error) {
			_, m, err := httpapi.Caller(ctx)
			if err != nil {
				return nil, err
			}
			t, err := s.Ticket(ctx, m, in.TicketID)
			if err == nil {
				err = rbac.ShopAccess(ctx, rbac.KitchenRead)(t.ShopID)
			}
			return &ticketOutput{Body: t}, err
		})
	huma.Register(api, rbac.Operation("set-kitchen-ticket-status", http.MethodPost, "/api/v1/kitchen/tickets/{ticket_id}/status",
		"Move a ticket forward (new → preparing → ready → served); 409 with the ticket for a backward move", tags, rbac.KitchenWork, 0),
		func(ctx context.Context, in *statusInput) (*ticketOutput, error) {
			_, m, err := httpapi.Caller(ctx)
			if err != nil {
				return nil, err
			}
			t, err := s.SetStatus(ctx, m, in.TicketID, Status(in.Body.Status), rbac.ShopAccess(ctx, rbac.KitchenWork))
			return &ticketOutput{Body: t}, err
		})
	huma.Register(api, rbac.Operation("bump-kitchen-ticket", http.MethodPost, "/api/v1/kitchen/tickets/{ticket_id}/bump",
		"Move a ticket one status forward", tags, rbac.KitchenWork, 0),
		func(ctx context.Context, in *ticketPath) (*ticketOutput, error) {
			_, m, err := httpapi.Caller(ctx)
			if err != nil {
				return nil, err
			}
			t, err := s.Bump(ctx, m, in.TicketID, rbac.ShopAccess(ctx, rbac.KitchenWork))
			return &ticketOutput{Body: t}, err
		})
	huma.Register(api, rbac.Operation("recall-kitchen-ticket", http.MethodPost, "/api/v1/kitchen/tickets/{ticket_id}/recall",
		"Bring a ready or served ticket back to preparing", tags, rbac.KitchenWork, 0),
		func(ctx context.Context, in *ticketPath) (*ticketOutput, error) {
			_, m, err := httpapi.Caller(ctx)
			if err != nil {
				return nil, err
			}
			t, err := s.Recall(ctx, m, in.TicketID, rbac.ShopAccess(ctx, rbac.KitchenWork))
			return &ticketOutput{Body: t}, err
		})
}

type boardInput struct {
	ShopID  string `path:"shop_id" maxLength:"64"`
	Station string `query:"station" maxLength:"32" doc:"One station (kitchen, bar, grill, or the shop's own); all when empty."`
	Status  string `query:"status" enum:"new,preparing,ready,served,voided" doc:"One status; the live ones when empty."`
}

type ticketPath struct {
	TicketID string `path:"ticket_id" maxLength:"64"`
}

type ticketStatusBody struct {
	Status string `json:"status" enum:"preparing,ready,served"`
}

type statusInput struct {
	TicketID string `path:"ticket_id" maxLength:"64"`
	Body     ticketStatusBody
}

type ticketOutput struct{ Body Ticket }

type ticketListOutput struct {
	Body struct {
		Items []Ticket `json:"items"`
	}
}
