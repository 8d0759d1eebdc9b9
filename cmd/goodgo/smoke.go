package main

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"io"
	"mime/multipart"
	"net/http"
	"net/textproto"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/pquerna/otp/totp"
)

const smokeUsage = `usage: goodgo smoke --url URL [--timeout 20s] [--email-domain DOMAIN]

Runs the post-deployment smoke tests against a running GoodGo at URL: sign-up, login, token refresh, MFA
enrolment, shop creation, order → items → submit, kitchen ticket, cash payment, VNPay pay URL (SKIP when the
server has no VNPay account), product listing, stock levels, realtime stream, file upload and signed URL.
It works in a throwaway merchant (smoke-<random>@DOMAIN) and archives it at the end.

Prints one line per check (PASS, FAIL or SKIP, the check, its time, why) and a summary; nothing else goes to
standard output. Exit status 1 when a check failed.

`

// runSmoke is `goodgo smoke`.
func runSmoke(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("smoke", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() { fmt.Fprint(stderr, smokeUsage); fs.PrintDefaults() }
	rawURL := fs.String("url", "", "base URL of the deployment, e.g. https://api.goodgo.vn")
	timeout := fs.Duration("timeout", 20*time.Second, "time limit of each check")
	domain := fs.String("email-domain", "example.com", "domain of the throwaway account's email address")
	if err := fs.Parse(args); err != nil {
		return usageExit(err)
	}
	base, err := url.Parse(strings.TrimRight(*rawURL, "/"))
	if *rawURL == "" || err != nil || (base.Scheme != "http" && base.Scheme != "https") || base.Host == "" || fs.NArg() > 0 || *timeout <= 0 {
		fs.Usage()
		return 2
	}
	s := newSmoke(base, *timeout, *domain, stdout)
	if s.run(ctx) {
		return 0
	}
	return 1
}

// smoke runs the checks in order against one deployment, keeping what each check made for the next ones.
type smoke struct {
	base    *url.URL
	client  *http.Client
	timeout time.Duration
	out     io.Writer
	passed  map[string]bool

	email, password string
	access, refresh string
	shopID          string
	productID       string
	price           int64
	orderID         string
	stream          *eventStream
	counts          [3]int // passed, failed, skipped
}

func newSmoke(base *url.URL, timeout time.Duration, domain string, out io.Writer) *smoke {
	suffix := randomHex(6)
	return &smoke{
		base: base, timeout: timeout, out: out, passed: map[string]bool{},
		// Redirects are not followed: a check that expects one looks at it.
		client: &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }},
		email:  "smoke-" + suffix + "@" + domain, password: "Smoke-" + randomHex(12) + "-Go!",
	}
}

// check is one smoke test. needs names the checks whose results it uses; when one of them did not pass,
// it is skipped (the run has failed already).
type check struct {
	name  string
	needs []string
	run   func(ctx context.Context) (skip string, err error)
}

// run runs every check and the clean-up, prints the report and tells whether nothing failed.
func (s *smoke) run(ctx context.Context) bool {
	defer func() {
		if s.stream != nil {
			s.stream.close()
		}
	}()
	checks := []check{
		{"iam.register", nil, s.register},
		{"iam.login", []string{"iam.register"}, s.login},
		{"iam.refresh", []string{"iam.login"}, s.refreshToken},
		{"iam.mfa_enroll", []string{"iam.refresh"}, s.enrollMFA},
		{"merchant.create_shop", []string{"iam.mfa_enroll"}, s.createShop},
		{"realtime.connect", []string{"merchant.create_shop"}, s.connectStream},
		{"catalog.create_product", []string{"merchant.create_shop"}, s.createProduct},
		{"catalog.list_products", []string{"catalog.create_product"}, s.listProducts},
		{"order.create_submit", []string{"catalog.create_product"}, s.orderSubmit},
		{"kitchen.ticket", []string{"order.create_submit"}, s.kitchenTicket},
		{"payment.cash", []string{"order.create_submit"}, s.payCash},
		{"payment.vnpay_redirect", []string{"catalog.create_product"}, s.payVNPay},
		{"inventory.stock_levels", []string{"merchant.create_shop"}, s.stockLevels},
		{"storage.upload_signed_url", []string{"iam.mfa_enroll"}, s.uploadFile},
		{"realtime.order_event", []string{"realtime.connect", "order.create_submit"}, s.orderEvent},
	}
	for _, c := range checks {
		if missing := s.missing(c.needs); missing != "" {
			s.report("SKIP", c.name, 0, "needs "+missing+", which did not pass")
			continue
		}
		s.runCheck(ctx, c)
	}
	// The throwaway merchant goes whatever happened, as soon as there is a session to archive it with.
	if s.access != "" {
		s.runCheck(ctx, check{name: "cleanup.archive_merchant", run: s.archiveMerchant})
	} else if s.passed["iam.register"] {
		s.report("FAIL", "cleanup.archive_merchant", 0, "no session to archive the throwaway merchant "+s.email+" with")
	}
	fmt.Fprintf(s.out, "smoke %s: %d passed, %d failed, %d skipped\n", s.base, s.counts[0], s.counts[1], s.counts[2])
	return s.counts[1] == 0
}

func (s *smoke) missing(needs []string) string {
	for _, n := range needs {
		if !s.passed[n] {
			return n
		}
	}
	return ""
}

func (s *smoke) runCheck(ctx context.Context, c check) {
	cctx, cancel := context.WithTimeout(ctx, s.timeout)
	defer cancel()
	start := time.Now()
	skip, err := c.run(cctx)
	took := time.Since(start)
	switch {
	case err != nil:
		s.report("FAIL", c.name, took, err.Error())
	case skip != "":
		s.report("SKIP", c.name, took, skip)
	default:
		s.passed[c.name] = true
		s.report("PASS", c.name, took, "")
	}
}

func (s *smoke) report(status, name string, took time.Duration, why string) {
	switch status {
	case "PASS":
		s.counts[0]++
	case "FAIL":
		s.counts[1]++
	default:
		s.counts[2]++
	}
	line := fmt.Sprintf("%-4s  %-26s %7.1f ms", status, name, float64(took.Microseconds())/1000)
	if why != "" {
		line += "  " + strings.ReplaceAll(why, "\n", " ")
	}
	fmt.Fprintln(s.out, line)
}

// ---- the checks ----

type tokens struct {
	AccessToken  string `json:"access_token"`
	RefreshToken string `json:"refresh_token"`
	MFARequired  bool   `json:"mfa_required"`
	MFAToken     string `json:"mfa_token"`
}

func (s *smoke) register(ctx context.Context) (string, error) {
	body := map[string]any{"email": s.email, "password": s.password, "full_name": "GoodGo Smoke Test",
		"merchant_name": "GoodGo smoke " + time.Now().UTC().Format("2006-01-02 15:04:05")}
	var out struct {
		Merchant struct {
			ID string `json:"id"`
		} `json:"merchant"`
		tokens
	}
	if err := s.call(ctx, http.MethodPost, "/api/v1/auth/register", body, &out, http.StatusCreated); err != nil {
		return "", err
	}
	if out.Merchant.ID == "" {
		return "", errors.New("sign-up answered without a merchant id")
	}
	return "", nil
}

func (s *smoke) login(ctx context.Context) (string, error) {
	var t tokens
	if err := s.call(ctx, http.MethodPost, "/api/v1/auth/login", map[string]string{"email": s.email, "password": s.password}, &t, http.StatusOK); err != nil {
		return "", err
	}
	if t.AccessToken == "" || t.RefreshToken == "" {
		return "", fmt.Errorf("login answered without tokens (mfa_required %t)", t.MFARequired)
	}
	s.access, s.refresh = t.AccessToken, t.RefreshToken
	return "", nil
}

func (s *smoke) refreshToken(ctx context.Context) (string, error) {
	var t tokens
	if err := s.call(ctx, http.MethodPost, "/api/v1/auth/refresh", map[string]string{"refresh_token": s.refresh}, &t, http.StatusOK); err != nil {
		return "", err
	}
	if t.AccessToken == "" || t.RefreshToken == "" || t.RefreshToken == s.refresh {
		return "", errors.New("refresh did not rotate the refresh token")
	}
	s.access, s.refresh = t.AccessToken, t.RefreshToken
	var me struct {
		User struct {
			Email string `json:"email"`
		} `json:"user"`
	}
	if err := s.call(ctx, http.MethodGet, "/api/v1/me", nil, &me, http.StatusOK); err != nil {
		return "", fmt.Errorf("the refreshed access token: %w", err)
	}
	if !strings.EqualFold(me.User.Email, s.email) {
		return "", fmt.Errorf("/me with the refreshed token is %q, want %q", me.User.Email, s.email)
	}
	return "", nil
}

// enrollMFA turns TOTP on for the throwaway account, then signs in again through the second factor (with a
// recovery code: the TOTP code of this time step was just used to confirm).
func (s *smoke) enrollMFA(ctx context.Context) (string, error) {
	var enrol struct {
		Secret      string `json:"secret"`
		OTPAuthURL  string `json:"otpauth_url"`
		QRPNGBase64 string `json:"qr_png_base64"`
	}
	if err := s.call(ctx, http.MethodPost, "/api/v1/auth/mfa/totp/enroll", nil, &enrol, http.StatusOK); err != nil {
		return "", err
	}
	if enrol.Secret == "" || !strings.HasPrefix(enrol.OTPAuthURL, "otpauth://totp/") {
		return "", fmt.Errorf("enrolment answered secret %q, otpauth_url %q", enrol.Secret, enrol.OTPAuthURL)
	}
	code, err := totp.GenerateCode(enrol.Secret, time.Now())
	if err != nil {
		return "", fmt.Errorf("compute a TOTP code: %w", err)
	}
	var confirmed struct {
		RecoveryCodes []string `json:"recovery_codes"`
	}
	if err := s.call(ctx, http.MethodPost, "/api/v1/auth/mfa/totp/confirm", map[string]string{"code": code}, &confirmed, http.StatusOK); err != nil {
		return "", fmt.Errorf("confirm: %w", err)
	}
	if len(confirmed.RecoveryCodes) == 0 {
		return "", errors.New("confirmation gave no recovery codes")
	}
	var first tokens
	if err := s.call(ctx, http.MethodPost, "/api/v1/auth/login", map[string]string{"email": s.email, "password": s.password}, &first, http.StatusOK); err != nil {
		return "", fmt.Errorf("login after enrolment: %w", err)
	}
	if !first.MFARequired || first.MFAToken == "" || first.AccessToken != "" {
		return "", errors.New("login after enrolment did not ask for the second factor")
	}
	var t tokens
	if err := s.call(ctx, http.MethodPost, "/api/v1/auth/login/mfa", map[string]string{"mfa_token": first.MFAToken, "code": confirmed.RecoveryCodes[0]}, &t, http.StatusOK); err != nil {
		return "", fmt.Errorf("second factor: %w", err)
	}
	if t.AccessToken == "" {
		return "", errors.New("second factor gave no access token")
	}
	s.access, s.refresh = t.AccessToken, t.RefreshToken
	return "", nil
}

func (s *smoke) createShop(ctx context.Context) (string, error) {
	var shop struct {
		ID string `json:"id"`
	}
	body := map[string]any{"name": "Smoke shop", "business_type": "restaurant", "address": "1 Smoke St", "vat_rate_percent": 8}
	if err := s.call(ctx, http.MethodPost, "/api/v1/shops", body, &shop, http.StatusCreated); err != nil {
		return "", err
	}
	if shop.ID == "" {
		return "", errors.New("no shop id")
	}
	s.shopID = shop.ID
	return "", nil
}

func (s *smoke) createProduct(ctx context.Context) (string, error) {
	var cat struct {
		ID string `json:"id"`
	}
	if err := s.call(ctx, http.MethodPost, "/api/v1/categories", map[string]string{"name": "Smoke dishes", "station": "kitchen"}, &cat, http.StatusCreated); err != nil {
		return "", fmt.Errorf("category: %w", err)
	}
	var p struct {
		ID    string `json:"id"`
		Price int64  `json:"price"`
	}
	if err := s.call(ctx, http.MethodPost, "/api/v1/products", map[string]any{"name": "Phở smoke", "category_id": cat.ID, "price": 45000}, &p, http.StatusCreated); err != nil {
		return "", fmt.Errorf("product: %w", err)
	}
	if p.ID == "" || p.Price != 45000 {
		return "", fmt.Errorf("product answered id %q price %d", p.ID, p.Price)
	}
	s.productID, s.price = p.ID, p.Price
	return "", nil
}

func (s *smoke) listProducts(ctx context.Context) (string, error) {
	var page struct {
		Items []struct {
			ID string `json:"id"`
		} `json:"items"`
	}
	if err := s.call(ctx, http.MethodGet, "/api/v1/products?limit=100", nil, &page, http.StatusOK); err != nil {
		return "", err
	}
	for _, p := range page.Items {
		if p.ID == s.productID {
			return "", nil
		}
	}
	return "", fmt.Errorf("the new product is not among the %d listed", len(page.Items))
}

type order struct {
	ID     string `json:"id"`
	Status string `json:"status"`
	Totals struct {
		Total     int64 `json:"total"`
		Paid      int64 `json:"paid"`
		AmountDue int64 `json:"amount_due"`
	} `json:"totals"`
}

// openOrderWithLine opens a takeaway order in the smoke shop with two of the smoke product.
func (s *smoke) openOrderWithLine(ctx context.Context) (order, error) {
	var o order
	if err := s.call(ctx, http.MethodPost, "/api/v1/shops/"+s.shopID+"/orders", map[string]any{"type": "takeaway"}, &o, http.StatusCreated); err != nil {
		return o, fmt.Errorf("open: %w", err)
	}
	if err := s.call(ctx, http.MethodPost, "/api/v1/orders/"+o.ID+"/lines", map[string]any{"product_id": s.productID, "quantity": 2}, &o, http.StatusCreated); err != nil {
		return o, fmt.Errorf("add line: %w", err)
	}
	if o.Totals.Total < 2*s.price {
		return o, fmt.Errorf("order total %d after two lines of %d", o.Totals.Total, s.price)
	}
	return o, nil
}

func (s *smoke) orderSubmit(ctx context.Context) (string, error) {
	o, err := s.openOrderWithLine(ctx)
	if err != nil {
		return "", err
	}
	var out struct {
		Order   order `json:"order"`
		Tickets []struct {
			ID      string `json:"id"`
			Station string `json:"station"`
		} `json:"tickets"`
	}
	if err := s.call(ctx, http.MethodPost, "/api/v1/orders/"+o.ID+"/submit", map[string]any{}, &out, http.StatusOK); err != nil {
		return "", fmt.Errorf("submit: %w", err)
	}
	if len(out.Tickets) == 0 {
		return "", errors.New("submit sent no ticket to the kitchen")
	}
	s.orderID = o.ID
	return "", nil
}

func (s *smoke) kitchenTicket(ctx context.Context) (string, error) {
	var list struct {
		Items []struct {
			ID      string `json:"id"`
			OrderID string `json:"order_id"`
			Status  string `json:"status"`
		} `json:"items"`
	}
	if err := s.call(ctx, http.MethodGet, "/api/v1/shops/"+s.shopID+"/kitchen/tickets", nil, &list, http.StatusOK); err != nil {
		return "", err
	}
	for _, t := range list.Items {
		if t.OrderID == s.orderID {
			return "", nil
		}
	}
	return "", fmt.Errorf("no ticket of order %s on the kitchen display (%d tickets)", s.orderID, len(list.Items))
}

func (s *smoke) payCash(ctx context.Context) (string, error) {
	var o order
	if err := s.call(ctx, http.MethodGet, "/api/v1/orders/"+s.orderID, nil, &o, http.StatusOK); err != nil {
		return "", err
	}
	due := o.Totals.AmountDue
	if due <= 0 {
		return "", fmt.Errorf("order %s has nothing due (%d)", o.ID, due)
	}
	tendered := (due/100000 + 1) * 100000
	var out struct {
		Payment struct {
			Status string `json:"status"`
			Amount int64  `json:"amount"`
		} `json:"payment"`
		Change int64 `json:"change"`
	}
	if err := s.call(ctx, http.MethodPost, "/api/v1/orders/"+o.ID+"/payments", map[string]any{"method": "cash", "amount": due, "tendered": tendered}, &out, http.StatusCreated); err != nil {
		return "", err
	}
	if out.Payment.Status != "succeeded" || out.Payment.Amount != due || out.Change != tendered-due {
		return "", fmt.Errorf("cash payment answered status %q amount %d change %d (due %d, tendered %d)", out.Payment.Status, out.Payment.Amount, out.Change, due, tendered)
	}
	if err := s.call(ctx, http.MethodGet, "/api/v1/orders/"+o.ID, nil, &o, http.StatusOK); err != nil {
		return "", err
	}
	if o.Totals.AmountDue != 0 {
		return "", fmt.Errorf("order still has %d due after the cash payment", o.Totals.AmountDue)
	}
	return "", nil
}

// payVNPay asks for a VNPay payment of a new order and checks the pay URL the customer would be sent to. A
// server with no VNPay account answers 409 "vnpay is not set up": that is a SKIP, never a pass.
func (s *smoke) payVNPay(ctx context.Context) (skip string, err error) {
	o, err := s.openOrderWithLine(ctx)
	if err != nil {
		return "", err
	}
	// The order is cancelled whatever the outcome: the smoke merchant keeps no open order.
	defer func() {
		cerr := s.call(ctx, http.MethodPost, "/api/v1/orders/"+o.ID+"/cancel", map[string]string{"reason": "smoke test"}, nil, http.StatusOK)
		if cerr != nil && err == nil && skip == "" {
			err = fmt.Errorf("cancel the VNPay order: %w", cerr)
		}
	}()
	var out struct {
		Payment struct {
			ID     string `json:"id"`
			Method string `json:"method"`
			Status string `json:"status"`
		} `json:"payment"`
		PaymentURL string `json:"payment_url"`
	}
	returnURL := s.base.String() + "/pos"
	err = s.call(ctx, http.MethodPost, "/api/v1/orders/"+o.ID+"/payments", map[string]any{"method": "vnpay", "amount": o.Totals.AmountDue, "return_url": returnURL}, &out, http.StatusCreated)
	var apiErr *apiError
	if errors.As(err, &apiErr) && apiErr.status == http.StatusConflict && strings.Contains(strings.ToLower(apiErr.detail), "not set up") {
		return "VNPay not configured on this server (" + apiErr.detail + ")", nil
	}
	if err != nil {
		return "", err
	}
	if out.Payment.Method != "vnpay" || out.Payment.Status != "pending" {
		return "", fmt.Errorf("VNPay payment answered method %q status %q", out.Payment.Method, out.Payment.Status)
	}
	u, err := url.Parse(out.PaymentURL)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return "", fmt.Errorf("payment_url %q is not an absolute URL", out.PaymentURL)
	}
	q := u.Query()
	if want := strconv.FormatInt(o.Totals.AmountDue*100, 10); q.Get("vnp_Amount") != want {
		return "", fmt.Errorf("vnp_Amount %q, want %s (đồng × 100)", q.Get("vnp_Amount"), want)
	}
	for _, k := range []string{"vnp_TmnCode", "vnp_TxnRef", "vnp_ReturnUrl", "vnp_SecureHash"} {
		if q.Get(k) == "" {
			return "", fmt.Errorf("payment_url has no %s", k)
		}
	}
	// The customer's browser is sent there: the page must answer.
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, out.PaymentURL, nil)
	if err != nil {
		return "", err
	}
	res, err := s.client.Do(req)
	if err != nil {
		return "", fmt.Errorf("open the VNPay page: %w", err)
	}
	_, _ = io.Copy(io.Discard, res.Body)
	res.Body.Close()
	if res.StatusCode >= 400 {
		return "", fmt.Errorf("the VNPay page %s answered %d", u.Host, res.StatusCode)
	}
	return "", nil
}

func (s *smoke) stockLevels(ctx context.Context) (string, error) {
	var item struct {
		StockItemID string `json:"stock_item_id"`
	}
	if err := s.call(ctx, http.MethodPost, "/api/v1/shops/"+s.shopID+"/stock-items", map[string]any{"name": "Smoke rice noodles", "unit": "kg", "reorder_level": 2}, &item, http.StatusCreated); err != nil {
		return "", fmt.Errorf("stock item: %w", err)
	}
	if err := s.call(ctx, http.MethodPost, "/api/v1/shops/"+s.shopID+"/stock-movements", map[string]any{"stock_item_id": item.StockItemID, "kind": "receipt", "quantity": 5.5}, nil, http.StatusCreated); err != nil {
		return "", fmt.Errorf("receipt: %w", err)
	}
	var stock struct {
		Items []struct {
			StockItemID string  `json:"stock_item_id"`
			Quantity    float64 `json:"quantity"`
		} `json:"items"`
	}
	if err := s.call(ctx, http.MethodGet, "/api/v1/shops/"+s.shopID+"/stock", nil, &stock, http.StatusOK); err != nil {
		return "", err
	}
	for _, it := range stock.Items {
		if it.StockItemID == item.StockItemID {
			if it.Quantity != 5.5 {
				return "", fmt.Errorf("stock level %v after receiving 5.5", it.Quantity)
			}
			return "", nil
		}
	}
	return "", errors.New("the new stock item is not in the shop's stock levels")
}

func (s *smoke) uploadFile(ctx context.Context) (string, error) {
	img := image.NewRGBA(image.Rect(0, 0, 16, 16))
	for i := range img.Pix {
		img.Pix[i] = byte(i * 7)
	}
	img.Set(0, 0, color.RGBA{R: 0xd0, G: 0x10, B: 0x10, A: 0xff})
	var pngData bytes.Buffer
	if err := png.Encode(&pngData, img); err != nil {
		return "", err
	}
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	h := textproto.MIMEHeader{}
	h.Set("Content-Disposition", `form-data; name="file"; filename="smoke.png"`)
	h.Set("Content-Type", "image/png")
	part, err := mw.CreatePart(h)
	if err != nil {
		return "", err
	}
	if _, err := part.Write(pngData.Bytes()); err != nil {
		return "", err
	}
	if err := mw.Close(); err != nil {
		return "", err
	}
	var file struct {
		ID     string `json:"id"`
		URL    string `json:"url"`
		SHA256 string `json:"sha256"`
	}
	if err := s.send(ctx, http.MethodPost, "/api/v1/files", mw.FormDataContentType(), body.Bytes(), &file, http.StatusCreated); err != nil {
		return "", err
	}
	if file.URL == "" {
		return "", errors.New("the upload answered no signed URL")
	}
	link, err := s.base.Parse(file.URL)
	if err != nil {
		return "", fmt.Errorf("signed URL %q: %w", file.URL, err)
	}
	// The signed URL needs no token: it is what a receipt or a menu links to.
	status, got, err := s.fetch(ctx, link.String())
	if err != nil {
		return "", err
	}
	sum := sha256.Sum256(got)
	if status != http.StatusOK || hex.EncodeToString(sum[:]) != file.SHA256 {
		return "", fmt.Errorf("the signed URL answered %d with %d bytes (sha256 %x, the upload's %s)", status, len(got), sum, file.SHA256)
	}
	// A link whose signature was tampered with must not open.
	q := link.Query()
	for _, k := range []string{"sig", "X-Amz-Signature"} {
		if v := q.Get(k); v != "" {
			q.Set(k, tamper(v))
			tampered := *link
			tampered.RawQuery = q.Encode()
			status, _, err := s.fetch(ctx, tampered.String())
			if err != nil {
				return "", err
			}
			if status < 400 || status >= 500 {
				return "", fmt.Errorf("a tampered signature answered %d", status)
			}
		}
	}
	return "", nil
}

func (s *smoke) connectStream(ctx context.Context) (string, error) {
	// The stream outlives this check: it is read in the background until the run ends.
	st, err := openEventStream(context.WithoutCancel(ctx), ctx, s.client, s.url("/api/v1/shops/"+s.shopID+"/events"), s.access)
	if err != nil {
		return "", err
	}
	s.stream = st
	return "", nil
}

func (s *smoke) orderEvent(ctx context.Context) (string, error) {
	ev, err := s.stream.await(ctx, func(e sseEvent) bool { return strings.Contains(e.data, s.orderID) })
	if err != nil {
		return "", fmt.Errorf("no event about order %s on the shop's stream: %w", s.orderID, err)
	}
	if ev.name == "" {
		return "", errors.New("the order's event has no type")
	}
	return "", nil
}

func (s *smoke) archiveMerchant(ctx context.Context) (string, error) {
	if err := s.call(ctx, http.MethodDelete, "/api/v1/merchant", nil, nil, http.StatusNoContent); err != nil {
		return "", fmt.Errorf("archive the throwaway merchant %s: %w", s.email, err)
	}
	return "", nil
}

// ---- HTTP ----

// apiError is an answer with an unexpected status; detail is the problem's detail (or the body's start).
type apiError struct {
	method, path string
	status       int
	detail       string
}

func (e *apiError) Error() string {
	return fmt.Sprintf("%s %s answered %d: %s", e.method, e.path, e.status, e.detail)
}

func (s *smoke) url(path string) string { return s.base.String() + path }

// call sends body as JSON (nil: no body) with the session's token and decodes the answer into out (nil:
// ignored); an answer other than want is an *apiError.
func (s *smoke) call(ctx context.Context, method, path string, body, out any, want int) error {
	var data []byte
	if body != nil {
		var err error
		if data, err = json.Marshal(body); err != nil {
			return err
		}
	}
	return s.send(ctx, method, path, "application/json", data, out, want)
}

func (s *smoke) send(ctx context.Context, method, path, contentType string, data []byte, out any, want int) error {
	var rd io.Reader
	if data != nil {
		rd = bytes.NewReader(data)
	}
	req, err := http.NewRequestWithContext(ctx, method, s.url(path), rd)
	if err != nil {
		return err
	}
	if data != nil {
		req.Header.Set("Content-Type", contentType)
	}
	req.Header.Set("Accept", "application/json")
	req.Header.Set("User-Agent", "goodgo-smoke")
	if method != http.MethodGet {
		req.Header.Set("Idempotency-Key", newUUID())
	}
	if s.access != "" {
		req.Header.Set("Authorization", "Bearer "+s.access)
	}
	res, err := s.client.Do(req)
	if err != nil {
		return err
	}
	defer res.Body.Close()
	b, err := io.ReadAll(io.LimitReader(res.Body, 4<<20))
	if err != nil {
		return fmt.Errorf("%s %s: read the answer: %w", method, path, err)
	}
	if res.StatusCode != want {
		var p struct {
			Detail string `json:"detail"`
			Title  string `json:"title"`
			Errors []struct {
				Message  string `json:"message"`
				Location string `json:"location"`
			} `json:"errors"`
		}
		detail := strings.TrimSpace(string(b))
		if json.Unmarshal(b, &p) == nil && (p.Detail != "" || p.Title != "") {
			detail = p.Detail
			if detail == "" {
				detail = p.Title
			}
			for _, e := range p.Errors {
				detail += "; " + e.Location + ": " + e.Message
			}
		}
		if len(detail) > 300 {
			detail = detail[:300] + "…"
		}
		return &apiError{method: method, path: path, status: res.StatusCode, detail: detail}
	}
	if out != nil {
		if err := json.Unmarshal(b, out); err != nil {
			return fmt.Errorf("%s %s: decode the answer: %w", method, path, err)
		}
	}
	return nil
}

// fetch GETs an absolute URL without the session's token.
func (s *smoke) fetch(ctx context.Context, u string) (int, []byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return 0, nil, err
	}
	res, err := s.client.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer res.Body.Close()
	b, err := io.ReadAll(io.LimitReader(res.Body, 16<<20))
	return res.StatusCode, b, err
}

// ---- the realtime stream ----

type sseEvent struct{ name, id, data string }

// eventStream reads a server-sent event stream in the background and keeps its events for await.
type eventStream struct {
	cancel  context.CancelFunc
	mu      sync.Mutex
	events  []sseEvent
	err     error
	changed chan struct{} // closed and replaced at every new event and at the end
}

// openEventStream connects with the token and waits (within dialCtx) for the server's ": connected" hello; the
// stream then lives until close or the end of streamCtx.
func openEventStream(streamCtx, dialCtx context.Context, client *http.Client, u, token string) (*eventStream, error) {
	ctx, cancel := context.WithCancel(streamCtx)
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		cancel()
		return nil, err
	}
	req.Header.Set("Accept", "text/event-stream")
	req.Header.Set("Authorization", "Bearer "+token)
	type dialed struct {
		res *http.Response
		err error
	}
	ch := make(chan dialed, 1)
	go func() {
		res, err := client.Do(req)
		ch <- dialed{res, err}
	}()
	var res *http.Response
	select {
	case d := <-ch:
		if d.err != nil {
			cancel()
			return nil, d.err
		}
		res = d.res
	case <-dialCtx.Done():
		cancel()
		return nil, fmt.Errorf("connect: %w", dialCtx.Err())
	}
	if res.StatusCode != http.StatusOK || !strings.HasPrefix(res.Header.Get("Content-Type"), "text/event-stream") {
		res.Body.Close()
		cancel()
		return nil, fmt.Errorf("the stream answered %d %s", res.StatusCode, res.Header.Get("Content-Type"))
	}
	st := &eventStream{cancel: cancel, changed: make(chan struct{})}
	hello := make(chan error, 1)
	go st.read(res.Body, hello)
	select {
	case err := <-hello:
		if err != nil {
			st.close()
			return nil, err
		}
	case <-dialCtx.Done():
		st.close()
		return nil, fmt.Errorf("no hello on the stream: %w", dialCtx.Err())
	}
	return st, nil
}

func (st *eventStream) read(body io.ReadCloser, hello chan<- error) {
	defer body.Close()
	sc := bufio.NewScanner(body)
	sc.Buffer(make([]byte, 64<<10), 4<<20)
	greeted := false
	var ev sseEvent
	for sc.Scan() {
		line := sc.Text()
		switch {
		case line == ": connected" && !greeted:
			greeted = true
			hello <- nil
		case strings.HasPrefix(line, "event:"):
			ev.name = strings.TrimSpace(strings.TrimPrefix(line, "event:"))
		case strings.HasPrefix(line, "id:"):
			ev.id = strings.TrimSpace(strings.TrimPrefix(line, "id:"))
		case strings.HasPrefix(line, "data:"):
			ev.data += strings.TrimPrefix(strings.TrimPrefix(line, "data:"), " ")
		case line == "" && (ev.name != "" || ev.data != ""):
			st.add(ev, nil)
			ev = sseEvent{}
		}
	}
	err := sc.Err()
	if err == nil {
		err = io.EOF
	}
	if !greeted {
		hello <- fmt.Errorf("the stream ended before its hello: %w", err)
	}
	st.add(sseEvent{}, fmt.Errorf("stream ended: %w", err))
}

func (st *eventStream) add(ev sseEvent, err error) {
	st.mu.Lock()
	defer st.mu.Unlock()
	if err != nil {
		st.err = err
	} else {
		st.events = append(st.events, ev)
	}
	close(st.changed)
	st.changed = make(chan struct{})
}

// await returns the first event (received so far or later) that match accepts.
func (st *eventStream) await(ctx context.Context, match func(sseEvent) bool) (sseEvent, error) {
	seen := 0
	for {
		st.mu.Lock()
		for ; seen < len(st.events); seen++ {
			if match(st.events[seen]) {
				ev := st.events[seen]
				st.mu.Unlock()
				return ev, nil
			}
		}
		err, changed := st.err, st.changed
		st.mu.Unlock()
		if err != nil {
			return sseEvent{}, err
		}
		select {
		case <-changed:
		case <-ctx.Done():
			return sseEvent{}, ctx.Err()
		}
	}
}

func (st *eventStream) close() { st.cancel() }

// ---- small helpers ----

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b) // crypto/rand.Read never fails on supported platforms
	return hex.EncodeToString(b)
}

// newUUID is a random (version 4) UUID for Idempotency-Key headers.
func newUUID() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	h := hex.EncodeToString(b)
	return h[:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]
}

// tamper changes a character in the middle of a signature to another digit: a middle character carries
// full bits in hex and base64 alike (a last base64 character may not), and a digit has no other case that a
// case-insensitive hex decoder would read as the same value.
func tamper(s string) string {
	i := len(s) / 2
	repl := byte('0')
	if s[i] == '0' {
		repl = '1'
	}
	return s[:i] + string(repl) + s[i+1:]
}
