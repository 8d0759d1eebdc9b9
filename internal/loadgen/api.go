package loadgen

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"

	"github.com/goodgo/goodgo/internal/platform/money"
)

// The parts of GoodGo's answers the terminals use (the server sends more).

type order struct {
	ID         string      `json:"id"`
	Status     string      `json:"status"`
	Version    int64       `json:"version"`
	SplitOf    string      `json:"split_of"`
	Totals     totals      `json:"totals"`
	Lines      []orderLine `json:"lines"`
	TimeCharge *struct {
		Running bool `json:"running"`
	} `json:"time_charge"`
}

type totals struct {
	Total     money.VND `json:"total"`
	Paid      money.VND `json:"paid"`
	AmountDue money.VND `json:"amount_due"`
}

type orderLine struct {
	ID     string `json:"id"`
	Status string `json:"status"`
}

// liveLines returns the ids of o's lines that are not voided.
func (o *order) liveLines() []string {
	var ids []string
	for _, l := range o.Lines {
		if l.Status != "voided" {
			ids = append(ids, l.ID)
		}
	}
	return ids
}

type submitted struct {
	Order   order `json:"order"`
	Tickets []struct {
		ID      string `json:"id"`
		Station string `json:"station"`
	} `json:"tickets"`
}

type splitResult struct {
	Order  order   `json:"order"`
	Checks []order `json:"checks"`
}

type payment struct {
	ID        string    `json:"id"`
	Status    string    `json:"status"`
	Amount    money.VND `json:"amount"`
	Reference string    `json:"reference"`
}

type payResult struct {
	Payment payment   `json:"payment"`
	Change  money.VND `json:"change"`
	Order   *order    `json:"order"`
}

type qrOrder struct {
	OrderID           string    `json:"order_id"`
	Status            string    `json:"status"`
	AmountDue         money.VND `json:"amount_due"`
	NeedsConfirmation bool      `json:"needs_confirmation"`
}

type created struct {
	ID      string `json:"id"`
	QRToken string `json:"qr_token"`
}

// Operation names that are not a scenario's own.
const (
	// OpRefresh renews a terminal's access token before it expires.
	OpRefresh = "auth.refresh"
	// OpBankWebhook is the load generator playing the bank-statement service: it reports the customer's
	// transfer for a VietQR payment.
	OpBankWebhook = "bank.webhook"
	// OpKDSConnect opens a kitchen display's SSE stream; a stream that ends during the run counts as an error.
	OpKDSConnect = "kds.connect"
	// OpKDSBump moves a ticket along on the kitchen display (new → preparing → ready).
	OpKDSBump = "kds.bump"
	// OpTicketEvent is a kitchen display waiting for a submitted ticket's event (not an HTTP request): its
	// latency is the commit-to-screen latency, its errors the tickets whose event did not come within 30 s.
	OpTicketEvent = "kds.ticket_event"
)

// The report endpoints the dashboard readers use; the scenario runs only when the server has them.
const (
	pathRevenue    = "/api/v1/reports/revenue"
	pathEndOfDay   = "/api/v1/shops/{shop_id}/reports/end-of-day"
	pathStaffPerfm = "/api/v1/reports/staff-performance"
)

// requiredPaths are the operations (OpenAPI paths) the load generator cannot do without.
var requiredPaths = []string{
	"/api/v1/auth/register", "/api/v1/auth/pin-login", "/api/v1/auth/refresh",
	"/api/v1/shops", "/api/v1/shops/{shop_id}", "/api/v1/shops/{shop_id}/payment-providers/{provider}",
	"/api/v1/shops/{shop_id}/areas", "/api/v1/shops/{shop_id}/tables", "/api/v1/shops/{shop_id}/rooms",
	"/api/v1/shops/{shop_id}/rate-plans/{room_type}", "/api/v1/shops/{shop_id}/staff",
	"/api/v1/categories", "/api/v1/modifier-groups", "/api/v1/products",
	"/api/v1/shops/{shop_id}/orders", "/api/v1/orders/{order_id}", "/api/v1/orders/{order_id}/lines",
	"/api/v1/orders/{order_id}/submit", "/api/v1/orders/{order_id}/split", "/api/v1/orders/{order_id}/bill",
	"/api/v1/orders/{order_id}/payments", "/api/v1/orders/{order_id}/close", "/api/v1/orders/{order_id}/cancel",
	"/api/v1/payments/{payment_id}", "/api/v1/payments/bank-transfer/webhook",
	"/api/v1/kitchen/tickets/{ticket_id}/bump",
	"/api/v1/public/shops/{shop_id}/menu", "/api/v1/public/tables/{qr_token}",
	"/api/v1/public/tables/{qr_token}/orders", "/api/v1/public/tables/{qr_token}/order",
}

// capabilities is what the server offers beyond the required operations.
type capabilities struct {
	reports     bool // the revenue and end-of-day reports
	staffReport bool // the staff-performance report
}

// probe reads the server's OpenAPI document: an error when an operation the load generator needs is missing
// (not a GoodGo, or another version), and which optional operations are there.
func probe(ctx context.Context, cl *client) (capabilities, error) {
	var doc struct {
		Paths map[string]json.RawMessage `json:"paths"`
	}
	if _, err := cl.do(ctx, call{op: "probe.openapi", method: http.MethodGet, path: "/openapi.json", want: http.StatusOK,
		out: &doc}); err != nil {
		return capabilities{}, fmt.Errorf("read the server's OpenAPI document: %w", err)
	}
	var missing []string
	for _, p := range requiredPaths {
		if _, ok := doc.Paths[p]; !ok {
			missing = append(missing, p)
		}
	}
	if len(missing) > 0 {
		return capabilities{}, fmt.Errorf("the server lacks operations the load generator needs: %s", strings.Join(missing, ", "))
	}
	_, revenue := doc.Paths[pathRevenue]
	_, eod := doc.Paths[pathEndOfDay]
	_, staff := doc.Paths[pathStaffPerfm]
	return capabilities{reports: revenue && eod, staffReport: revenue && eod && staff}, nil
}
