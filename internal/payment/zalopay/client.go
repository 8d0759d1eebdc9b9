package zalopay

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/goodgo/goodgo/internal/platform/apperr"
	"github.com/goodgo/goodgo/internal/platform/money"
)

// Limits of create (spec §4).
const (
	MaxAppTransIDLen = 40
	MaxAppUserLen    = 50
	MaxDescription   = 256
	MinExpiry        = 300 * time.Second
	MaxExpiry        = 2592000 * time.Second
)

// refPattern is what we allow after the yymmdd_ prefixes: characters no form encoder disagrees on.
var refPattern = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_.-]*$`)

// CreateRequest is one order to create.
type CreateRequest struct {
	// Ref identifies the payment; the order's app_trans_id is yymmdd_<Ref> (GMT+7 date of creation), at
	// most 40 characters in all. Create the same Ref twice on one day and ZaloPay sees one order.
	Ref string
	// AppUser names the payer or the shop (≤ 50); required by ZaloPay.
	AppUser string
	// Amount in đồng, > 0.
	Amount money.VND
	// Description is shown to the payer (≤ 256); required.
	Description string
	// Item is the JSON array of items; empty means "[]".
	Item string
	// RedirectURL, when set, goes into embed_data as "redirecturl": ZaloPay sends the browser there.
	RedirectURL string
	// CallbackURL overrides the callback URL registered with ZaloPay (optional).
	CallbackURL string
	// BankCode preselects a method ("zalopayapp", a bank); empty lets the payer choose.
	BankCode string
	// ExpireAfter bounds the order's life (300 s – 30 days); 0 leaves ZaloPay's default (15 minutes).
	ExpireAfter time.Duration
}

// CreateResult is ZaloPay's accepted order.
type CreateResult struct {
	// AppTransID is the order's id: keep it to match the callback and to query.
	AppTransID string
	// OrderURL is ZaloPay's page for the order; QRCode the content of a QR to show; ZPTransToken and
	// OrderToken open the ZaloPay app.
	OrderURL     string
	QRCode       string
	ZPTransToken string
	OrderToken   string
}

// Create creates an order. Errors: apperr Invalid for a bad request; an *APIError (kind Unavailable) when
// ZaloPay answers anything but return_code 1; apperr Unavailable when it cannot be reached.
func (c *Client) Create(ctx context.Context, r CreateRequest) (*CreateResult, error) {
	now := c.clock.Now()
	transID := AppTransID(now, r.Ref)
	var fields []apperr.FieldError
	bad := func(field, msg string) { fields = append(fields, apperr.FieldError{Field: field, Message: msg}) }
	if !refPattern.MatchString(r.Ref) || len(transID) > MaxAppTransIDLen {
		bad("ref", "must be letters, digits, '_', '.', '-' and keep app_trans_id within 40 characters")
	}
	if r.AppUser == "" || utf8.RuneCountInString(r.AppUser) > MaxAppUserLen {
		bad("app_user", "must be 1–50 characters")
	}
	if r.Amount <= 0 {
		bad("amount", "must be above 0")
	}
	if r.Description == "" || utf8.RuneCountInString(r.Description) > MaxDescription {
		bad("description", "must be 1–256 characters")
	}
	item := r.Item
	if item == "" {
		item = "[]"
	}
	var items []json.RawMessage
	if json.Unmarshal([]byte(item), &items) != nil {
		bad("item", "must be a JSON array")
	}
	for field, raw := range map[string]string{"redirect_url": r.RedirectURL, "callback_url": r.CallbackURL} {
		if raw == "" {
			continue
		}
		if u, err := url.Parse(raw); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
			bad(field, "must be an absolute http(s) URL")
		}
	}
	if r.ExpireAfter != 0 && (r.ExpireAfter < MinExpiry || r.ExpireAfter > MaxExpiry) {
		bad("expire_after", "must be between 5 minutes and 30 days")
	}
	if len(fields) > 0 {
		return nil, &apperr.Error{Kind: apperr.Invalid, Message: "invalid ZaloPay order", Fields: fields}
	}
	embed := "{}"
	if r.RedirectURL != "" {
		b, _ := json.Marshal(map[string]string{"redirecturl": r.RedirectURL})
		embed = string(b)
	}
	f := CreateForm{AppID: c.appID(), AppUser: r.AppUser, AppTransID: transID, AppTime: strconv.FormatInt(now.UnixMilli(), 10),
		Amount: strconv.FormatInt(int64(r.Amount), 10), Item: item, EmbedData: embed, Description: r.Description,
		BankCode: r.BankCode, CallbackURL: r.CallbackURL}
	if r.ExpireAfter != 0 {
		f.ExpireDurationSeconds = strconv.FormatInt(int64(r.ExpireAfter/time.Second), 10)
	}
	f.MAC = MAC(c.cfg.Key1, f.MACData()...)
	var resp CreateResponse
	if err := c.post(ctx, PathCreate, f.Values(), &resp); err != nil {
		return nil, err
	}
	if resp.ReturnCode != ReturnSuccess {
		return nil, apiError(PathCreate, resp.ReturnCode, resp.SubReturnCode, message(resp.ReturnMessage, resp.SubReturnMessage))
	}
	return &CreateResult{AppTransID: transID, OrderURL: resp.OrderURL, QRCode: resp.QRCode,
		ZPTransToken: resp.ZPTransToken, OrderToken: resp.OrderToken}, nil
}

// QueryResult is an order's state as ZaloPay reports it.
type QueryResult struct {
	// ReturnCode is ReturnSuccess (paid), ReturnFailed or ReturnProcessing (pending: poll again until the
	// order expires).
	ReturnCode    int
	SubReturnCode int
	Message       string
	IsProcessing  bool
	Amount        money.VND
	// DiscountAmount is what ZaloPay's promotion paid.
	DiscountAmount money.VND
	// ZPTransID is ZaloPay's transaction id (0 until paid); refunds need it.
	ZPTransID  int64
	ServerTime time.Time
}

// Paid reports whether the order is paid.
func (r QueryResult) Paid() bool { return r.ReturnCode == ReturnSuccess }

// Query asks ZaloPay for the state of appTransID. A failed order is a result (ReturnFailed), not an error;
// errors are transport problems (apperr Unavailable) and a bad appTransID (apperr Invalid).
func (c *Client) Query(ctx context.Context, appTransID string) (*QueryResult, error) {
	if appTransID == "" || len(appTransID) > MaxAppTransIDLen {
		return nil, apperr.WithField("app_trans_id", "must be a ZaloPay app_trans_id")
	}
	f := QueryForm{AppID: c.appID(), AppTransID: appTransID}
	f.MAC = MAC(c.cfg.Key1, f.MACData(c.cfg.Key1)...)
	var resp QueryResponse
	if err := c.post(ctx, PathQuery, f.Values(), &resp); err != nil {
		return nil, err
	}
	switch resp.ReturnCode {
	case ReturnSuccess, ReturnFailed, ReturnProcessing:
	default:
		return nil, apiError(PathQuery, resp.ReturnCode, resp.SubReturnCode, message(resp.ReturnMessage, resp.SubReturnMessage))
	}
	return &QueryResult{ReturnCode: resp.ReturnCode, SubReturnCode: resp.SubReturnCode,
		Message: message(resp.ReturnMessage, resp.SubReturnMessage), IsProcessing: resp.IsProcessing,
		Amount: money.VND(resp.Amount), DiscountAmount: money.VND(resp.DiscountAmount), ZPTransID: resp.ZPTransID,
		ServerTime: time.UnixMilli(resp.ServerTime)}, nil
}

// RefundRequest refunds (part of) a paid order. Outside the spec: ZaloPay v2 refund as its public docs
// describe it.
type RefundRequest struct {
	// Ref identifies the refund; its m_refund_id is yymmdd_<app_id>_<Ref>.
	Ref string
	// ZPTransID is ZaloPay's id of the paid order.
	ZPTransID int64
	// Amount to refund in đồng, > 0.
	Amount money.VND
	// Description is the reason; required by ZaloPay.
	Description string
}

// RefundResult is ZaloPay's answer to a refund.
type RefundResult struct {
	// MRefundID is the refund's id: keep it to query the refund.
	MRefundID string
	// RefundID is ZaloPay's id of the refund.
	RefundID int64
	// ReturnCode is ReturnSuccess (refunded) or ReturnProcessing (ask QueryRefund later).
	ReturnCode int
	Message    string
}

// Refund asks ZaloPay to refund. return_code 2 is an *APIError; 1 and 3 are results.
func (c *Client) Refund(ctx context.Context, r RefundRequest) (*RefundResult, error) {
	now := c.clock.Now()
	refundID := RefundID(now, c.cfg.AppID, r.Ref)
	var fields []apperr.FieldError
	bad := func(field, msg string) { fields = append(fields, apperr.FieldError{Field: field, Message: msg}) }
	if !refPattern.MatchString(r.Ref) || len(refundID) > 64 { // 64: our sanity bound, ZaloPay publishes none we checked
		bad("ref", "must be letters, digits, '_', '.', '-', at most 64 characters with its prefix")
	}
	if r.ZPTransID <= 0 {
		bad("zp_trans_id", "must be ZaloPay's id of the paid order")
	}
	if r.Amount <= 0 {
		bad("amount", "must be above 0")
	}
	if r.Description == "" || strings.ContainsRune(r.Description, '|') {
		bad("description", "is required and must not contain '|'")
	}
	if len(fields) > 0 {
		return nil, &apperr.Error{Kind: apperr.Invalid, Message: "invalid ZaloPay refund", Fields: fields}
	}
	f := RefundForm{AppID: c.appID(), MRefundID: refundID, ZPTransID: strconv.FormatInt(r.ZPTransID, 10),
		Amount: strconv.FormatInt(int64(r.Amount), 10), Timestamp: strconv.FormatInt(now.UnixMilli(), 10), Description: r.Description}
	f.MAC = MAC(c.cfg.Key1, f.MACData()...)
	var resp RefundResponse
	if err := c.post(ctx, PathRefund, f.Values(), &resp); err != nil {
		return nil, err
	}
	if resp.ReturnCode != ReturnSuccess && resp.ReturnCode != ReturnProcessing {
		return nil, apiError(PathRefund, resp.ReturnCode, resp.SubReturnCode, message(resp.ReturnMessage, resp.SubReturnMessage))
	}
	return &RefundResult{MRefundID: refundID, RefundID: resp.RefundID, ReturnCode: resp.ReturnCode,
		Message: message(resp.ReturnMessage, resp.SubReturnMessage)}, nil
}

// QueryRefund asks for the state of a refund: ReturnSuccess, ReturnFailed or ReturnProcessing (outside
// the spec).
func (c *Client) QueryRefund(ctx context.Context, mRefundID string) (int, error) {
	if mRefundID == "" {
		return 0, apperr.WithField("m_refund_id", "is required")
	}
	f := QueryRefundForm{AppID: c.appID(), MRefundID: mRefundID, Timestamp: strconv.FormatInt(c.clock.Now().UnixMilli(), 10)}
	f.MAC = MAC(c.cfg.Key1, f.MACData()...)
	var resp QueryRefundResponse
	if err := c.post(ctx, PathQueryRefund, f.Values(), &resp); err != nil {
		return 0, err
	}
	switch resp.ReturnCode {
	case ReturnSuccess, ReturnFailed, ReturnProcessing:
		return resp.ReturnCode, nil
	}
	return 0, apiError(PathQueryRefund, resp.ReturnCode, resp.SubReturnCode, message(resp.ReturnMessage, resp.SubReturnMessage))
}

func (c *Client) appID() string { return strconv.FormatInt(c.cfg.AppID, 10) }

func message(main, sub string) string {
	if sub != "" && sub != main {
		return main + ": " + sub
	}
	return main
}

// post sends form to path and decodes the JSON answer into out.
func (c *Client) post(ctx context.Context, path string, form url.Values, out any) error {
	if c.cfg.Endpoint == "" {
		return apperr.E(apperr.Unknown, "ZaloPay Endpoint is not configured")
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.cfg.Endpoint+path, strings.NewReader(form.Encode()))
	if err != nil {
		return fmt.Errorf("zalopay: build request: %w", err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, err := c.http.Do(req)
	if err != nil {
		return apperr.Wrap(err, apperr.Unavailable, "ZaloPay is unreachable")
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return apperr.Wrap(err, apperr.Unavailable, "ZaloPay answer was cut off")
	}
	if resp.StatusCode/100 != 2 {
		return apperr.Wrap(fmt.Errorf("zalopay: HTTP %d: %.200s", resp.StatusCode, raw), apperr.Unavailable, "ZaloPay answered with an error status")
	}
	if err := json.Unmarshal(raw, out); err != nil {
		return apperr.Wrap(fmt.Errorf("%w: %v", ErrMalformed, err), apperr.Unavailable, "ZaloPay answer is not valid JSON")
	}
	return nil
}

// ---- callback ----

// Callback is a verified payment callback (sent only for paid orders).
type Callback struct {
	// Type is the callback type (1 = order payment).
	Type       int
	AppID      int64
	AppTransID string
	AppTime    time.Time
	AppUser    string
	Amount     money.VND
	EmbedData  string
	Item       string
	// ZPTransID is ZaloPay's transaction id: the dedupe key and the refund reference.
	ZPTransID      int64
	ServerTime     time.Time
	Channel        int
	MerchantUserID string
	UserFeeAmount  money.VND
	DiscountAmount money.VND
}

// VerifyCallback checks the raw JSON body of a callback: mac = HMAC-SHA256(key2, data) over data exactly as
// received, then parses data with exact integers. Errors, each an apperr Invalid wrapping a sentinel:
// ErrMalformed (body or data not the expected JSON, missing app_trans_id, non-integer or non-positive
// amount), ErrInvalidMAC, ErrWrongApp. Answer with ReplyFor(err).
func (c *Client) VerifyCallback(body []byte) (*Callback, error) {
	var b CallbackBody
	if err := json.Unmarshal(body, &b); err != nil {
		return nil, invalid(ErrMalformed, "callback body is not the expected JSON: %v", err)
	}
	if b.MAC == "" || !validMAC(b.MAC, MAC(c.cfg.Key2, b.Data)) {
		return nil, invalid(ErrInvalidMAC, "callback mac does not match")
	}
	var d CallbackData
	dec := json.NewDecoder(strings.NewReader(b.Data))
	dec.UseNumber()
	if err := dec.Decode(&d); err != nil {
		return nil, invalid(ErrMalformed, "callback data is not the expected JSON: %v", err)
	}
	ints := map[string]json.Number{"app_id": d.AppID, "amount": d.Amount, "zp_trans_id": d.ZPTransID}
	optional := map[string]json.Number{"app_time": d.AppTime, "server_time": d.ServerTime, "channel": d.Channel,
		"user_fee_amount": d.UserFeeAmount, "discount_amount": d.DiscountAmount}
	n := map[string]int64{}
	for name, v := range ints {
		x, err := strconv.ParseInt(string(v), 10, 64)
		if err != nil {
			return nil, invalid(ErrMalformed, "callback %s %q is not an integer", name, v)
		}
		n[name] = x
	}
	for name, v := range optional {
		if v == "" {
			continue
		}
		x, err := strconv.ParseInt(string(v), 10, 64)
		if err != nil {
			return nil, invalid(ErrMalformed, "callback %s %q is not an integer", name, v)
		}
		n[name] = x
	}
	if n["app_id"] != c.cfg.AppID {
		return nil, invalid(ErrWrongApp, "callback app_id %d is not this app", n["app_id"])
	}
	if d.AppTransID == "" || n["amount"] <= 0 || n["zp_trans_id"] <= 0 {
		return nil, invalid(ErrMalformed, "callback needs app_trans_id, amount > 0 and zp_trans_id")
	}
	return &Callback{Type: b.Type, AppID: n["app_id"], AppTransID: d.AppTransID, AppTime: time.UnixMilli(n["app_time"]),
		AppUser: d.AppUser, Amount: money.VND(n["amount"]), EmbedData: d.EmbedData, Item: d.Item, ZPTransID: n["zp_trans_id"],
		ServerTime: time.UnixMilli(n["server_time"]), Channel: int(n["channel"]), MerchantUserID: d.MerchantUserID,
		UserFeeAmount: money.VND(n["user_fee_amount"]), DiscountAmount: money.VND(n["discount_amount"])}, nil
}

// ReplyFor maps the outcome of handling a callback to its reply: nil → 1 success; a mac mismatch → -1;
// anything else (malformed data, a failed write) → 0, so ZaloPay sends it again.
func ReplyFor(err error) CallbackReply {
	switch {
	case err == nil:
		return ReplySuccess()
	case errors.Is(err, ErrInvalidMAC):
		return ReplyInvalidMAC()
	}
	msg := apperr.Message(err)
	if msg == "" {
		msg = "try again"
	}
	return ReplyRetry(msg)
}
