package vnpaysim

import (
	"encoding/json"
	"io"
	"net/http"
	"strconv"

	"github.com/goodgo/goodgo/internal/payment/simkit"
	"github.com/goodgo/goodgo/internal/payment/vnpay"
	"github.com/goodgo/goodgo/internal/platform/money"
)

// apiAnswer is what querydr and refund answer: a code, a message and the transaction fields when found.
type apiAnswer struct {
	code, message string
	t             *Transaction
	amount        string // vnp_Amount to echo (×100)
	txnType       string
	txnNo         string
	status        string
}

// api serves querydr and refund: 02 unknown terminal, 97 bad checksum, 03 bad format, 94 duplicate
// request (or nothing left to refund), 91 transaction not found, 95 refund of an unsuccessful payment.
// Every answer is signed with the response order of its command.
func (s *Sim) api(w http.ResponseWriter, r *http.Request) {
	raw, err := io.ReadAll(io.LimitReader(r.Body, 64<<10))
	var head struct {
		Command vnpay.Text `json:"vnp_Command"`
	}
	if err != nil || json.Unmarshal(raw, &head) != nil {
		s.writeAPI(w, "", apiAnswer{code: "03", message: "Invalid request format"})
		return
	}
	switch head.Command {
	case vnpay.CommandQueryDR:
		var b vnpay.QueryDRBody
		if json.Unmarshal(raw, &b) != nil {
			s.writeAPI(w, vnpay.CommandQueryDR, apiAnswer{code: "03", message: "Invalid request format"})
			return
		}
		s.writeAPI(w, vnpay.CommandQueryDR, s.queryDR(b))
	case vnpay.CommandRefund:
		var b vnpay.RefundBody
		if json.Unmarshal(raw, &b) != nil {
			s.writeAPI(w, vnpay.CommandRefund, apiAnswer{code: "03", message: "Invalid request format"})
			return
		}
		s.writeAPI(w, vnpay.CommandRefund, s.refund(b))
	default:
		s.writeAPI(w, string(head.Command), apiAnswer{code: "03", message: "Unknown vnp_Command"})
	}
}

func (s *Sim) queryDR(b vnpay.QueryDRBody) apiAnswer {
	if string(b.TmnCode) != s.cfg.TmnCode {
		return apiAnswer{code: "02", message: "Invalid TmnCode"}
	}
	if !b.Valid(s.cfg.HashSecret) {
		return apiAnswer{code: "97", message: "Invalid checksum"}
	}
	if b.RequestID == "" || b.Version != vnpay.Version || b.TxnRef == "" || b.OrderInfo == "" || b.IPAddr == "" ||
		!isDate(b.TransactionDate) || !isDate(b.CreateDate) {
		return apiAnswer{code: "03", message: "Invalid request format"}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	t, refused := s.lookup(b.RequestID, b.TxnRef, b.TransactionDate)
	if refused != nil {
		return *refused
	}
	status, no := t.TransactionStatus, t.TransactionNo
	if !t.Done {
		status, no = "01", "" // not completed yet
	}
	tx := t.Transaction
	return apiAnswer{code: "00", message: "QueryDR Success", t: &tx, amount: t.amountRaw, txnType: vnpay.TypePay,
		txnNo: no, status: status}
}

func (s *Sim) refund(b vnpay.RefundBody) apiAnswer {
	if string(b.TmnCode) != s.cfg.TmnCode {
		return apiAnswer{code: "02", message: "Invalid TmnCode"}
	}
	if !b.Valid(s.cfg.HashSecret) {
		return apiAnswer{code: "97", message: "Invalid checksum"}
	}
	amount, err := strconv.ParseInt(string(b.Amount), 10, 64)
	if b.RequestID == "" || b.Version != vnpay.Version || b.TxnRef == "" || b.OrderInfo == "" || b.IPAddr == "" ||
		b.CreateBy == "" || b.TransactionNo == "" || !isDate(b.TransactionDate) || !isDate(b.CreateDate) ||
		(b.TransactionType != vnpay.TypeFullRefund && b.TransactionType != vnpay.TypePartialRefund) ||
		err != nil || amount <= 0 || amount%100 != 0 {
		return apiAnswer{code: "03", message: "Invalid request format"}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	t, refused := s.lookup(b.RequestID, b.TxnRef, b.TransactionDate)
	if refused != nil {
		return *refused
	}
	if !t.Done || t.TransactionStatus != "00" {
		return apiAnswer{code: "95", message: "Transaction not successful, refund refused"}
	}
	if b.TransactionNo != "0" && string(b.TransactionNo) != t.TransactionNo {
		return apiAnswer{code: "91", message: "Transaction not found"}
	}
	left := t.Amount - t.Refunded
	want := money.VND(amount / 100)
	switch {
	case left == 0:
		return apiAnswer{code: "94", message: "Refund already requested"}
	case want > left, b.TransactionType == vnpay.TypeFullRefund && want != left:
		return apiAnswer{code: "03", message: "Invalid refund amount"}
	}
	t.Refunded += want
	s.nextNo++
	tx := t.Transaction
	return apiAnswer{code: "00", message: "Refund success", t: &tx, amount: string(b.Amount), txnType: string(b.TransactionType),
		txnNo: strconv.FormatInt(s.nextNo, 10), status: "05"}
}

// lookup records requestID and finds the transaction txnRef created at date: 94 for a request id seen
// before, 91 for no such transaction. Callers hold s.mu.
func (s *Sim) lookup(requestID, txnRef, date vnpay.Text) (*txn, *apiAnswer) {
	if s.requestIDs[string(requestID)] {
		return nil, &apiAnswer{code: "94", message: "Duplicate request"}
	}
	s.requestIDs[string(requestID)] = true
	t, ok := s.txns[string(txnRef)]
	if !ok || t.CreateDate != string(date) {
		return nil, &apiAnswer{code: "91", message: "Transaction not found"}
	}
	return t, nil
}

// writeAPI answers with a's fields in the response shape of command, signed with the terminal's secret.
// Answers 02 and 97 go unsigned: the simulator cannot trust the caller's terminal or secret, and an
// unsigned code lets the client report VNPay's rejection (ErrChecksum) instead of a hash mismatch.
func (s *Sim) writeAPI(w http.ResponseWriter, command string, a apiAnswer) {
	var t Transaction
	if a.t != nil {
		t = *a.t
	}
	q := vnpay.QueryDRResponse{ResponseID: vnpay.Text(simkit.RandomHex(8)), Command: vnpay.Text(command),
		ResponseCode: vnpay.Text(a.code), Message: vnpay.Text(a.message), TmnCode: vnpay.Text(s.cfg.TmnCode),
		TxnRef: vnpay.Text(t.TxnRef), Amount: vnpay.Text(a.amount), BankCode: vnpay.Text(t.BankCode),
		PayDate: vnpay.Text(t.PayDate), TransactionNo: vnpay.Text(a.txnNo), TransactionType: vnpay.Text(a.txnType),
		TransactionStatus: vnpay.Text(a.status), OrderInfo: vnpay.Text(t.OrderInfo)}
	signed := a.code != "02" && a.code != "97"
	var out any
	if command == vnpay.CommandRefund {
		r := vnpay.RefundResponse{ResponseID: q.ResponseID, Command: q.Command, ResponseCode: q.ResponseCode,
			Message: q.Message, TmnCode: q.TmnCode, TxnRef: q.TxnRef, Amount: q.Amount, BankCode: q.BankCode,
			PayDate: q.PayDate, TransactionNo: q.TransactionNo, TransactionType: q.TransactionType,
			TransactionStatus: q.TransactionStatus, OrderInfo: q.OrderInfo}
		if signed {
			r.Sign(s.cfg.HashSecret)
		}
		out = r
	} else {
		if signed {
			q.Sign(s.cfg.HashSecret)
		}
		out = q
	}
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(out)
}

func isDate(t vnpay.Text) bool {
	_, err := vnpay.ParseDate(string(t))
	return err == nil
}
