package app

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"testing"
)

// call sends a JSON request to the running server and decodes the JSON answer into out (when not nil).
func call(t testing.TB, method, url, token string, body, out any) int {
	t.Helper()
	var r io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		r = bytes.NewReader(b)
	}
	req, _ := http.NewRequest(method, url, r)
	req.Header.Set("Content-Type", "application/json")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	if out != nil {
		_ = json.NewDecoder(res.Body).Decode(out)
	}
	return res.StatusCode
}

// Through the real server: two owners sign up; each sees its own shop and gets 404 for the other's.
func TestSignUpAndShopsAreIsolatedBetweenMerchants(t *testing.T) {
	base, _ := start(t, testConfig(t), modules())
	type tokens struct {
		AccessToken string `json:"access_token"`
	}
	signUp := func(email, merchant string) string {
		var tk tokens
		code := call(t, "POST", base+"/api/v1/auth/register", "", map[string]string{"email": email,
			"password": "Quán ăn ngon 2026", "full_name": "Chủ quán", "merchant_name": merchant}, &tk)
		if code != 201 || tk.AccessToken == "" {
			t.Fatalf("register %s: %d", email, code)
		}
		return tk.AccessToken
	}
	a, b := signUp("a@example.vn", "Quán A"), signUp("b@example.vn", "Quán B")

	var me struct {
		Roles []string `json:"roles"`
	}
	if code := call(t, "GET", base+"/api/v1/me", a, nil, &me); code != 200 || len(me.Roles) == 0 || me.Roles[0] != "owner" {
		t.Fatalf("me: %d %+v", code, me)
	}
	var shop struct {
		ID        string `json:"id"`
		IsDefault bool   `json:"is_default"`
	}
	if code := call(t, "POST", base+"/api/v1/shops", a, map[string]any{"name": "Chi nhánh 1", "business_type": "restaurant",
		"address": "1 Lê Lợi, Q1", "vat_rate_percent": 8}, &shop); code != 201 || !shop.IsDefault {
		t.Fatalf("create shop: %d %+v", code, shop)
	}
	if code := call(t, "GET", base+"/api/v1/shops/"+shop.ID, a, nil, nil); code != 200 {
		t.Errorf("owner reads own shop: %d", code)
	}
	if code := call(t, "GET", base+"/api/v1/shops/"+shop.ID, b, nil, nil); code != 404 {
		t.Errorf("another merchant reads the shop: %d, want 404", code)
	}
	if code := call(t, "GET", base+"/api/v1/shops/"+shop.ID, "", nil, nil); code != 401 {
		t.Errorf("anonymous reads the shop: %d, want 401", code)
	}
	if code := call(t, "GET", base+"/api/v1/shops/"+shop.ID, "not-a-token", nil, nil); code != 401 {
		t.Errorf("forged token: %d, want 401", code)
	}
	var list struct {
		Items []struct{ ID string } `json:"items"`
	}
	if code := call(t, "GET", base+"/api/v1/shops", b, nil, &list); code != 200 || len(list.Items) != 0 {
		t.Errorf("merchant B lists %d shops (%d), want 0", len(list.Items), code)
	}

	// The owner adds a cashier with a PIN; the cashier signs in on the shop's terminal and may read the shop
	// but not change it.
	var staff struct {
		ID   string `json:"id"`
		Role string `json:"role"`
	}
	if code := call(t, "POST", base+"/api/v1/shops/"+shop.ID+"/staff", a, map[string]string{"full_name": "Trần Thị Bình",
		"role": "cashier", "pin": "4826"}, &staff); code != 201 || staff.ID == "" || staff.Role != "cashier" {
		t.Fatalf("create staff: %d %+v", code, staff)
	}
	if code := call(t, "POST", base+"/api/v1/shops/"+shop.ID+"/staff", a, map[string]string{"full_name": "X",
		"role": "owner", "pin": "1234"}, nil); code != 422 {
		t.Errorf("granting owner: %d, want 422", code)
	}
	var pin tokens
	if code := call(t, "POST", base+"/api/v1/auth/pin-login", "", map[string]string{"shop_id": shop.ID, "staff_id": staff.ID,
		"pin": "4826"}, &pin); code != 200 || pin.AccessToken == "" {
		t.Fatalf("pin login: %d", code)
	}
	if code := call(t, "GET", base+"/api/v1/shops/"+shop.ID, pin.AccessToken, nil, nil); code != 200 {
		t.Errorf("cashier reads her shop: %d", code)
	}
	if code := call(t, "PATCH", base+"/api/v1/shops/"+shop.ID, pin.AccessToken, map[string]any{"service_charge_percent": 5}, nil); code != 403 {
		t.Errorf("cashier changes the shop: %d, want 403", code)
	}
	if code := call(t, "POST", base+"/api/v1/auth/pin-login", "", map[string]string{"shop_id": shop.ID, "staff_id": staff.ID,
		"pin": "0000"}, nil); code != 401 {
		t.Errorf("wrong PIN: %d, want 401", code)
	}

	// The shop's realtime stream: its staff may open it, another merchant gets 404, nobody anonymous.
	stream := func(token string) (int, string) {
		req, _ := http.NewRequest("GET", base+"/api/v1/shops/"+shop.ID+"/events", nil)
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		return res.StatusCode, res.Header.Get("Content-Type")
	}
	if code, ct := stream(pin.AccessToken); code != 200 || ct != "text/event-stream" {
		t.Errorf("cashier opens the stream: %d %q", code, ct)
	}
	if code, _ := stream(b); code != 404 {
		t.Errorf("another merchant opens the stream: %d, want 404", code)
	}
	if code, _ := stream(""); code != 401 {
		t.Errorf("anonymous opens the stream: %d, want 401", code)
	}
}
