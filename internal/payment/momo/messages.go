package momo

import (
	"encoding/json"
	"net/url"
	"strconv"
)

// CreateBody is the JSON of POST /v2/gateway/api/create.
type CreateBody struct {
	PartnerCode  string `json:"partnerCode"`
	PartnerName  string `json:"partnerName,omitempty"`
	StoreID      string `json:"storeId,omitempty"`
	RequestID    string `json:"requestId"`
	Amount       int64  `json:"amount"`
	OrderID      string `json:"orderId"`
	OrderInfo    string `json:"orderInfo"`
	RedirectURL  string `json:"redirectUrl"`
	IPNURL       string `json:"ipnUrl"`
	RequestType  string `json:"requestType"`
	ExtraData    string `json:"extraData"`
	Lang         string `json:"lang"`
	AutoCapture  *bool  `json:"autoCapture,omitempty"`
	OrderGroupID string `json:"orderGroupId,omitempty"`
	// AccessKey is sent as MoMo's official Go sample does; it is also part of the signature.
	AccessKey string `json:"accessKey"`
	Signature string `json:"signature"`
}

// RawSignature is accessKey&amount&extraData&ipnUrl&orderId&orderInfo&partnerCode&redirectUrl&requestId&requestType.
func (b CreateBody) RawSignature(accessKey string) string {
	return RawSignature(map[string]string{
		"accessKey": accessKey, "amount": strconv.FormatInt(b.Amount, 10), "extraData": b.ExtraData, "ipnUrl": b.IPNURL,
		"orderId": b.OrderID, "orderInfo": b.OrderInfo, "partnerCode": b.PartnerCode, "redirectUrl": b.RedirectURL,
		"requestId": b.RequestID, "requestType": b.RequestType,
	})
}

// CreateResponse is MoMo's answer to create (field names as MoMo's SDKs use them).
type CreateResponse struct {
	PartnerCode  string `json:"partnerCode"`
	RequestID    string `json:"requestId"`
	OrderID      string `json:"orderId"`
	Amount       int64  `json:"amount"`
	ResponseTime int64  `json:"responseTime"`
	Message      string `json:"message"`
	ResultCode   int    `json:"resultCode"`
	PayURL       string `json:"payUrl,omitempty"`
	Deeplink     string `json:"deeplink,omitempty"`
	QRCodeURL    string `json:"qrCodeUrl,omitempty"`
}

// QueryBody is the JSON of POST /v2/gateway/api/query.
type QueryBody struct {
	PartnerCode string `json:"partnerCode"`
	RequestID   string `json:"requestId"`
	OrderID     string `json:"orderId"`
	Lang        string `json:"lang"`
	Signature   string `json:"signature"`
}

// RawSignature is accessKey&orderId&partnerCode&requestId.
func (b QueryBody) RawSignature(accessKey string) string {
	return RawSignature(map[string]string{
		"accessKey": accessKey, "orderId": b.OrderID, "partnerCode": b.PartnerCode, "requestId": b.RequestID,
	})
}

// QueryResponse is MoMo's answer to query.
type QueryResponse struct {
	PartnerCode  string `json:"partnerCode"`
	RequestID    string `json:"requestId"`
	OrderID      string `json:"orderId"`
	ExtraData    string `json:"extraData"`
	Amount       int64  `json:"amount"`
	TransID      int64  `json:"transId"`
	PayType      string `json:"payType"`
	ResultCode   int    `json:"resultCode"`
	Message      string `json:"message"`
	ResponseTime int64  `json:"responseTime"`
}

// RefundBody is the JSON of POST /v2/gateway/api/refund. OrderID is a new id for the refund itself.
type RefundBody struct {
	PartnerCode string `json:"partnerCode"`
	OrderID     string `json:"orderId"`
	RequestID   string `json:"requestId"`
	Amount      int64  `json:"amount"`
	TransID     int64  `json:"transId"`
	Lang        string `json:"lang"`
	Description string `json:"description"`
	Signature   string `json:"signature"`
}

// RawSignature is accessKey&amount&description&orderId&partnerCode&requestId&transId.
func (b RefundBody) RawSignature(accessKey string) string {
	return RawSignature(map[string]string{
		"accessKey": accessKey, "amount": strconv.FormatInt(b.Amount, 10), "description": b.Description,
		"orderId": b.OrderID, "partnerCode": b.PartnerCode, "requestId": b.RequestID,
		"transId": strconv.FormatInt(b.TransID, 10),
	})
}

// RefundResponse is MoMo's answer to refund; TransID is the refund's own transaction id.
type RefundResponse struct {
	PartnerCode  string `json:"partnerCode"`
	OrderID      string `json:"orderId"`
	RequestID    string `json:"requestId"`
	Amount       int64  `json:"amount"`
	TransID      int64  `json:"transId"`
	ResultCode   int    `json:"resultCode"`
	Message      string `json:"message"`
	ResponseTime int64  `json:"responseTime"`
}

// IPNBody is the JSON MoMo POSTs to ipnUrl (and, as query parameters, appends to redirectUrl). Numbers are
// json.Number so the signature covers their text exactly as received.
type IPNBody struct {
	PartnerCode  string      `json:"partnerCode"`
	OrderID      string      `json:"orderId"`
	RequestID    string      `json:"requestId"`
	Amount       json.Number `json:"amount"`
	OrderInfo    string      `json:"orderInfo"`
	OrderType    string      `json:"orderType"`
	TransID      json.Number `json:"transId"`
	ResultCode   json.Number `json:"resultCode"`
	Message      string      `json:"message"`
	PayType      string      `json:"payType"`
	ResponseTime json.Number `json:"responseTime"`
	ExtraData    string      `json:"extraData"`
	Signature    string      `json:"signature"`
}

// RawSignature is accessKey&amount&extraData&message&orderId&orderInfo&orderType&partnerCode&payType&
// requestId&responseTime&resultCode&transId.
func (b IPNBody) RawSignature(accessKey string) string {
	return RawSignature(map[string]string{
		"accessKey": accessKey, "amount": string(b.Amount), "extraData": b.ExtraData, "message": b.Message,
		"orderId": b.OrderID, "orderInfo": b.OrderInfo, "orderType": b.OrderType, "partnerCode": b.PartnerCode,
		"payType": b.PayType, "requestId": b.RequestID, "responseTime": string(b.ResponseTime),
		"resultCode": string(b.ResultCode), "transId": string(b.TransID),
	})
}

// Values returns the fields as the query parameters MoMo appends to redirectUrl (signature included).
func (b IPNBody) Values() url.Values {
	v := url.Values{}
	for k, s := range map[string]string{
		"partnerCode": b.PartnerCode, "orderId": b.OrderID, "requestId": b.RequestID, "amount": string(b.Amount),
		"orderInfo": b.OrderInfo, "orderType": b.OrderType, "transId": string(b.TransID),
		"resultCode": string(b.ResultCode), "message": b.Message, "payType": b.PayType,
		"responseTime": string(b.ResponseTime), "extraData": b.ExtraData, "signature": b.Signature,
	} {
		v.Set(k, s)
	}
	return v
}
