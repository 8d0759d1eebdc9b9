package zalopay

import (
	"encoding/json"
	"errors"
	"testing"
)

// FuzzVerifyCallback feeds callback bodies to the verifier: as received, and with the data re-MACed with
// key2 (so the parsing of data runs too). It never panics; what it accepts carries a valid MAC, this app's id,
// an app_trans_id, a positive amount and a ZaloPay transaction id; and ReplyFor never answers success for
// an error.
func FuzzVerifyCallback(f *testing.F) {
	data := `{"app_id":2554,"app_trans_id":"260101_GGABC","app_time":1700000000000,"app_user":"goodgo","amount":50000,` +
		`"embed_data":"{}","item":"[]","zp_trans_id":260101000000001,"server_time":1700000001000,"channel":38,` +
		`"merchant_user_id":"","user_fee_amount":0,"discount_amount":0}`
	for _, seed := range []string{
		data,
		`{"app_id":2554,"app_trans_id":"x","amount":50000.5,"zp_trans_id":1}`,
		`{"app_id":2554,"app_trans_id":"x","amount":-1,"zp_trans_id":1}`,
		`{"app_id":1,"app_trans_id":"x","amount":1,"zp_trans_id":1}`,
		`{"app_id":"2554","app_trans_id":"x","amount":"1","zp_trans_id":"1"}`,
		`{"app_id":2554,"app_trans_id":"","amount":1,"zp_trans_id":99999999999999999999}`,
		`[]`, `null`, ``, `{`,
	} {
		f.Add(seed, true)
		body, _ := json.Marshal(CallbackBody{Data: seed, MAC: "00", Type: 1})
		f.Add(string(body), false)
	}
	c, err := New(Config{AppID: 2554, Key1: "FUZZKEY1", Key2: "FUZZKEY2"})
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, in string, mac bool) {
		body := []byte(in)
		if mac {
			body, _ = json.Marshal(CallbackBody{Data: in, MAC: MAC("FUZZKEY2", in), Type: 1})
		}
		cb, err := c.VerifyCallback(body)
		if err != nil {
			if ReplyFor(err).ReturnCode == ReplySuccess().ReturnCode {
				t.Fatalf("error %v replies success", err)
			}
			return
		}
		var b CallbackBody
		if err := json.Unmarshal(body, &b); err != nil || !validMAC(b.MAC, MAC("FUZZKEY2", b.Data)) {
			t.Fatalf("accepted a body without a valid MAC: %q", body)
		}
		if cb.AppID != 2554 || cb.AppTransID == "" || cb.Amount <= 0 || cb.ZPTransID <= 0 {
			t.Fatalf("accepted an incomplete callback %+v", cb)
		}
		b.MAC = MAC("FUZZKEY1", b.Data) // signed with the wrong key
		wrong, _ := json.Marshal(b)
		if _, err := c.VerifyCallback(wrong); !errors.Is(err, ErrInvalidMAC) {
			t.Fatalf("a MAC made with key1: %v, want an invalid MAC", err)
		}
	})
}
