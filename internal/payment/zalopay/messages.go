package zalopay

import (
	"encoding/json"
	"net/url"
)

// CreateForm is the form of POST /v2/create, every value as sent.
type CreateForm struct {
	AppID                 string
	AppUser               string
	AppTransID            string
	AppTime               string // unix milliseconds
	ExpireDurationSeconds string // optional
	Amount                string
	Item                  string // JSON array
	EmbedData             string // JSON object
	Description           string
	BankCode              string
	CallbackURL           string // optional
	MAC                   string
}

// MACData lists the signed values: app_id|app_trans_id|app_user|amount|app_time|embed_data|item.
func (f CreateForm) MACData() []string {
	return []string{f.AppID, f.AppTransID, f.AppUser, f.Amount, f.AppTime, f.EmbedData, f.Item}
}

// Values returns the form to send; optional fields that are empty are left out.
func (f CreateForm) Values() url.Values {
	v := url.Values{}
	for k, s := range map[string]string{"app_id": f.AppID, "app_user": f.AppUser, "app_trans_id": f.AppTransID,
		"app_time": f.AppTime, "expire_duration_seconds": f.ExpireDurationSeconds, "amount": f.Amount, "item": f.Item,
		"embed_data": f.EmbedData, "description": f.Description, "bank_code": f.BankCode, "callback_url": f.CallbackURL,
		"mac": f.MAC} {
		if s != "" || k == "bank_code" {
			v.Set(k, s)
		}
	}
	return v
}

// ParseCreateForm reads a received create form.
func ParseCreateForm(v url.Values) CreateForm {
	return CreateForm{AppID: v.Get("app_id"), AppUser: v.Get("app_user"), AppTransID: v.Get("app_trans_id"),
		AppTime: v.Get("app_time"), ExpireDurationSeconds: v.Get("expire_duration_seconds"), Amount: v.Get("amount"),
		Item: v.Get("item"), EmbedData: v.Get("embed_data"), Description: v.Get("description"),
		BankCode: v.Get("bank_code"), CallbackURL: v.Get("callback_url"), MAC: v.Get("mac")}
}

// CreateResponse is ZaloPay's answer to create.
type CreateResponse struct {
	ReturnCode       int    `json:"return_code"`
	ReturnMessage    string `json:"return_message"`
	SubReturnCode    int    `json:"sub_return_code"`
	SubReturnMessage string `json:"sub_return_message"`
	OrderURL         string `json:"order_url,omitempty"`
	ZPTransToken     string `json:"zp_trans_token,omitempty"`
	OrderToken       string `json:"order_token,omitempty"`
	QRCode           string `json:"qr_code,omitempty"`
}

// QueryForm is the form of POST /v2/query.
type QueryForm struct {
	AppID      string
	AppTransID string
	MAC        string
}

// MACData lists the signed values: app_id|app_trans_id|key1.
func (f QueryForm) MACData(key1 string) []string { return []string{f.AppID, f.AppTransID, key1} }

// Values returns the form to send.
func (f QueryForm) Values() url.Values {
	return url.Values{"app_id": {f.AppID}, "app_trans_id": {f.AppTransID}, "mac": {f.MAC}}
}

// ParseQueryForm reads a received query form.
func ParseQueryForm(v url.Values) QueryForm {
	return QueryForm{AppID: v.Get("app_id"), AppTransID: v.Get("app_trans_id"), MAC: v.Get("mac")}
}

// QueryResponse is ZaloPay's answer to query: return_code 1 paid, 2 failed, 3 pending or processing.
type QueryResponse struct {
	ReturnCode       int    `json:"return_code"`
	ReturnMessage    string `json:"return_message"`
	SubReturnCode    int    `json:"sub_return_code"`
	SubReturnMessage string `json:"sub_return_message"`
	IsProcessing     bool   `json:"is_processing"`
	Amount           int64  `json:"amount"`
	DiscountAmount   int64  `json:"discount_amount"`
	ZPTransID        int64  `json:"zp_trans_id"`
	ServerTime       int64  `json:"server_time"`
}

// CallbackBody is what ZaloPay POSTs to callback_url: data is a JSON document in a string, signed as is.
type CallbackBody struct {
	Data string `json:"data"`
	MAC  string `json:"mac"`
	Type int    `json:"type"`
}

// CallbackData is the document inside CallbackBody.Data. Numbers are json.Number: exact, and zp_trans_id
// exceeds what a float64 holds exactly.
type CallbackData struct {
	AppID          json.Number `json:"app_id"`
	AppTransID     string      `json:"app_trans_id"`
	AppTime        json.Number `json:"app_time"`
	AppUser        string      `json:"app_user"`
	Amount         json.Number `json:"amount"`
	EmbedData      string      `json:"embed_data"`
	Item           string      `json:"item"`
	ZPTransID      json.Number `json:"zp_trans_id"`
	ServerTime     json.Number `json:"server_time"`
	Channel        json.Number `json:"channel"`
	MerchantUserID string      `json:"merchant_user_id"`
	UserFeeAmount  json.Number `json:"user_fee_amount"`
	DiscountAmount json.Number `json:"discount_amount"`
}

// CallbackReply is the JSON reply to a callback.
type CallbackReply struct {
	ReturnCode    int    `json:"return_code"`
	ReturnMessage string `json:"return_message"`
}

// ReplySuccess tells ZaloPay the callback is recorded (return_code 1).
func ReplySuccess() CallbackReply { return CallbackReply{ReturnCode: 1, ReturnMessage: "success"} }

// ReplyInvalidMAC tells ZaloPay the mac did not match (return_code -1).
func ReplyInvalidMAC() CallbackReply {
	return CallbackReply{ReturnCode: -1, ReturnMessage: "mac not equal"}
}

// ReplyRetry asks ZaloPay to send the callback again (return_code 0), e.g. when the database is down.
func ReplyRetry(message string) CallbackReply {
	return CallbackReply{ReturnCode: 0, ReturnMessage: message}
}

// RefundForm is the form of POST /v2/refund (outside the spec: ZaloPay's public v2 docs).
type RefundForm struct {
	AppID       string
	MRefundID   string
	ZPTransID   string
	Amount      string
	Timestamp   string // unix milliseconds
	Description string
	MAC         string
}

// MACData lists the signed values: app_id|zp_trans_id|amount|description|timestamp.
func (f RefundForm) MACData() []string {
	return []string{f.AppID, f.ZPTransID, f.Amount, f.Description, f.Timestamp}
}

// Values returns the form to send.
func (f RefundForm) Values() url.Values {
	return url.Values{"app_id": {f.AppID}, "m_refund_id": {f.MRefundID}, "zp_trans_id": {f.ZPTransID},
		"amount": {f.Amount}, "timestamp": {f.Timestamp}, "description": {f.Description}, "mac": {f.MAC}}
}

// ParseRefundForm reads a received refund form.
func ParseRefundForm(v url.Values) RefundForm {
	return RefundForm{AppID: v.Get("app_id"), MRefundID: v.Get("m_refund_id"), ZPTransID: v.Get("zp_trans_id"),
		Amount: v.Get("amount"), Timestamp: v.Get("timestamp"), Description: v.Get("description"), MAC: v.Get("mac")}
}

// RefundResponse is ZaloPay's answer to refund: return_code 1 refunded, 2 failed, 3 processing.
type RefundResponse struct {
	ReturnCode       int    `json:"return_code"`
	ReturnMessage    string `json:"return_message"`
	SubReturnCode    int    `json:"sub_return_code"`
	SubReturnMessage string `json:"sub_return_message"`
	RefundID         int64  `json:"refund_id"`
}

// QueryRefundForm is the form of POST /v2/query_refund (outside the spec).
type QueryRefundForm struct {
	AppID     string
	MRefundID string
	Timestamp string
	MAC       string
}

// MACData lists the signed values: app_id|m_refund_id|timestamp.
func (f QueryRefundForm) MACData() []string { return []string{f.AppID, f.MRefundID, f.Timestamp} }

// Values returns the form to send.
func (f QueryRefundForm) Values() url.Values {
	return url.Values{"app_id": {f.AppID}, "m_refund_id": {f.MRefundID}, "timestamp": {f.Timestamp}, "mac": {f.MAC}}
}

// ParseQueryRefundForm reads a received query_refund form.
func ParseQueryRefundForm(v url.Values) QueryRefundForm {
	return QueryRefundForm{AppID: v.Get("app_id"), MRefundID: v.Get("m_refund_id"), Timestamp: v.Get("timestamp"), MAC: v.Get("mac")}
}

// QueryRefundResponse is ZaloPay's answer to query_refund: 1 refunded, 2 failed, 3 processing.
type QueryRefundResponse struct {
	ReturnCode       int    `json:"return_code"`
	ReturnMessage    string `json:"return_message"`
	SubReturnCode    int    `json:"sub_return_code"`
	SubReturnMessage string `json:"sub_return_message"`
}
