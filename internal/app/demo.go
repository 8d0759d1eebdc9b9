package app

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
)

// The demo (GOODGO_DEMO=true, `make run`): on first start a demo merchant is created through the API
// itself — the same requests a new owner's browser would send — with a café and a karaoke shop, their
// menus from the templates, a floor, and staff with PINs. The logins are written to demo-logins.txt in
// the data directory and printed at every start, so `make run` always shows how to get in.

const (
	demoEmail    = "demo@goodgo.vn"
	demoPassword = "GoodGo-demo-2026"
	demoFile     = "demo-logins.txt"
)

// demoClient sends JSON requests to the application's own handler, as the demo owner once signed in.
type demoClient struct {
	h     http.Handler
	token string
}

func (c *demoClient) do(method, path string, body any, want int) (map[string]any, error) {
	var r io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return nil, err
		}
		r = bytes.NewReader(b)
	}
	req := httptest.NewRequest(method, path, r)
	req.RemoteAddr = "127.0.0.1:1"
	req.Header.Set("Content-Type", "application/json")
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	rec := httptest.NewRecorder()
	c.h.ServeHTTP(rec, req)
	var out map[string]any
	_ = json.Unmarshal(rec.Body.Bytes(), &out)
	if rec.Code != want {
		return out, fmt.Errorf("demo: %s %s: %d %s", method, path, rec.Code, strings.TrimSpace(rec.Body.String()))
	}
	return out, nil
}

func (c *demoClient) id(method, path string, body any) (string, error) {
	out, err := c.do(method, path, body, http.StatusCreated)
	if err != nil {
		return "", err
	}
	id, _ := out["id"].(string)
	return id, nil
}

// seedDemo creates the demo merchant unless it exists, and returns the text with the demo logins.
func (a *App) seedDemo() (string, error) {
	path := filepath.Join(a.cfg.DataDir, demoFile)
	if b, err := os.ReadFile(path); err == nil {
		return string(b), nil
	} else if !errors.Is(err, os.ErrNotExist) {
		return "", err
	}
	c := &demoClient{h: a.http.Handler()}
	reg, err := c.do("POST", "/api/v1/auth/register", map[string]string{"email": demoEmail, "password": demoPassword,
		"full_name": "Nguyễn Văn Chủ", "merchant_name": "GoodGo Demo"}, http.StatusCreated)
	if err != nil {
		return "", err
	}
	c.token, _ = reg["access_token"].(string)

	type staffLogin struct{ shop, name, role, id, pin string }
	var logins []staffLogin
	type shopSpec struct {
		name, kind, template string
		staff                []staffLogin
	}
	shops := []shopSpec{
		{"Cà Phê Phố Cổ", "cafe", "cafe", []staffLogin{{name: "Trần Thu Ngân", role: "cashier", pin: "2580"},
			{name: "Lê Phục Vụ", role: "waiter", pin: "3690"}, {name: "Phạm Pha Chế", role: "kitchen", pin: "4826"}}},
		{"Karaoke Hoàng Gia", "karaoke", "karaoke", []staffLogin{{name: "Võ Thu Ngân", role: "cashier", pin: "5937"}}},
	}
	var text strings.Builder
	fmt.Fprintf(&text, "GoodGo demo — owner: %s / %s\n", demoEmail, demoPassword)
	for _, s := range shops {
		shopID, err := c.id("POST", "/api/v1/shops", map[string]any{"name": s.name, "business_type": s.kind,
			"address": "Hoàn Kiếm, Hà Nội", "vat_rate_percent": 8})
		if err != nil {
			return "", err
		}
		if _, err := c.do("POST", "/api/v1/menu-templates/"+s.template+"/apply", nil, http.StatusOK); err != nil {
			return "", err
		}
		sp := "/api/v1/shops/" + shopID
		// VietQR codes pay into the demo bank account, the one the bank simulator (/sim/bank) reports transfers to.
		if _, err := c.do("PATCH", sp, map[string]any{"bank_bin": "970436", "bank_account_number": demoBankAccount,
			"bank_account_name": "GOODGO DEMO"}, http.StatusOK); err != nil {
			return "", err
		}
		if s.kind == "karaoke" {
			for i, t := range []string{"small", "small", "medium", "vip"} {
				if _, err := c.id("POST", sp+"/rooms", map[string]any{"name": fmt.Sprintf("Phòng %d", i+1), "room_type": t}); err != nil {
					return "", err
				}
			}
			// Day and evening prices per hour, dearer at weekends; 15-minute blocks, one hour at least.
			for roomType, day := range map[string]int{"small": 120000, "medium": 180000, "vip": 300000} {
				bands := []map[string]any{}
				for _, dt := range []struct {
					dayType string
					extra   int
				}{{"weekday", 0}, {"weekend", 30000}} {
					bands = append(bands,
						map[string]any{"day_type": dt.dayType, "start": "00:00", "end": "18:00", "price_per_hour": day + dt.extra},
						map[string]any{"day_type": dt.dayType, "start": "18:00", "end": "24:00", "price_per_hour": day + dt.extra + 40000})
				}
				if _, err := c.do("PUT", sp+"/rate-plans/"+roomType, map[string]any{"block_minutes": 15, "minimum_minutes": 60,
					"bands": bands}, http.StatusOK); err != nil {
					return "", err
				}
			}
		} else {
			for _, area := range []string{"Tầng 1", "Sân vườn"} {
				areaID, err := c.id("POST", sp+"/areas", map[string]any{"name": area})
				if err != nil {
					return "", err
				}
				for i := 1; i <= 4; i++ {
					name := fmt.Sprintf("%c%d", area[0], i)
					if _, err := c.id("POST", sp+"/tables", map[string]any{"area_id": areaID, "name": name, "seats": 4}); err != nil {
						return "", err
					}
				}
			}
		}
		fmt.Fprintf(&text, "  shop %q: %s\n", s.name, shopID)
		for _, st := range s.staff {
			st.shop = shopID
			if st.id, err = c.id("POST", sp+"/staff", map[string]any{"full_name": st.name, "role": st.role, "pin": st.pin}); err != nil {
				return "", err
			}
			logins = append(logins, st)
			fmt.Fprintf(&text, "    %-8s %-16s staff_id %s  PIN %s\n", st.role, st.name, st.id, st.pin)
		}
	}
	fmt.Fprintf(&text, "PIN sign-in: POST /api/v1/auth/pin-login {shop_id, staff_id, pin}\n")
	if err := os.WriteFile(path, []byte(text.String()), 0o600); err != nil {
		return "", err
	}
	return text.String(), nil
}
