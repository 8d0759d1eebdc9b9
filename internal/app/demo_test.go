package app

import (
	"context"
	"strings"
	"testing"
)

// The demo merchant is made through the API on first start and its logins work; a second start reuses it.
func TestDemoDataIsSeededOnceAndItsLoginsWork(t *testing.T) {
	cfg := testConfig(t)
	cfg.Demo = true
	a, err := build(context.Background(), cfg, quietLog(), modules())
	if err != nil {
		t.Fatal(err)
	}
	logins, err := a.seedDemo()
	if err != nil {
		t.Fatal(err)
	}
	c := &demoClient{h: a.http.Handler()}
	tokens, err := c.do("POST", "/api/v1/auth/login", map[string]string{"email": demoEmail, "password": demoPassword}, 200)
	if err != nil {
		t.Fatal(err)
	}
	c.token = tokens["access_token"].(string)
	shops, err := c.do("GET", "/api/v1/shops", nil, 200)
	if err != nil || len(shops["items"].([]any)) != 2 {
		t.Fatalf("demo shops: %v, %v", shops, err)
	}
	shopID := shops["items"].([]any)[0].(map[string]any)["id"].(string)
	menu, err := c.do("GET", "/api/v1/public/shops/"+shopID+"/menu", nil, 200)
	if err != nil || len(menu["categories"].([]any)) == 0 {
		t.Fatalf("demo menu: %v, %v", menu, err)
	}
	// The karaoke's room types are priced: a two-hour evening quote uses the demo's rate plan.
	karaokeID := shops["items"].([]any)[1].(map[string]any)["id"].(string)
	for _, roomType := range []string{"small", "medium", "vip"} {
		quote, err := c.do("POST", "/api/v1/shops/"+karaokeID+"/rate-plans/"+roomType+"/quote", map[string]any{
			"starts_at": "2026-11-23T19:00:00+07:00", "ends_at": "2026-11-23T21:00:00+07:00"}, 200)
		if err != nil || quote["amount"].(float64) <= 0 {
			t.Errorf("quote for %s: %v, %v", roomType, quote, err)
		}
	}
	// The printed cashier PIN signs in.
	var staffID string
	for _, line := range strings.Split(logins, "\n") {
		if f := strings.Fields(line); len(f) > 0 && f[0] == "cashier" && strings.Contains(line, "2580") {
			staffID = f[len(f)-3]
		}
	}
	if staffID == "" {
		t.Fatalf("no cashier login printed:\n%s", logins)
	}
	pin := &demoClient{h: a.http.Handler()}
	if _, err := pin.do("POST", "/api/v1/auth/pin-login", map[string]string{"shop_id": shopID, "staff_id": staffID, "pin": "2580"}, 200); err != nil {
		t.Fatal(err)
	}
	if err := a.Close(context.Background()); err != nil {
		t.Fatal(err)
	}

	again, err := build(context.Background(), cfg, quietLog(), modules())
	if err != nil {
		t.Fatal(err)
	}
	defer again.Close(context.Background())
	second, err := again.seedDemo()
	if err != nil || second != logins {
		t.Fatalf("second start: %v\n%s\nwant the same logins", err, second)
	}
}
