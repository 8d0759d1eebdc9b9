package main

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/goodgo/goodgo/internal/app"
)

// startServer runs the real GoodGo server in process on a loopback port with a fresh embedded data
// directory; extra adds (or overrides) environment variables. It returns the base URL.
func startServer(t *testing.T, extra ...string) string {
	t.Helper()
	base, _ := startStoppableServer(t, extra...)
	return base
}

// startStoppableServer is startServer that also returns a function stopping the server (and waiting for it).
func startStoppableServer(t *testing.T, extra ...string) (string, func()) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	base := "http://" + ln.Addr().String()
	env := append([]string{"GOODGO_DATA_DIR=" + t.TempDir(), "GOODGO_PUBLIC_URL=" + base, "GOODGO_LOG_LEVEL=error",
		"GOODGO_SHUTDOWN_TIMEOUT=20s"}, extra...)
	cfg, err := app.LoadConfig(env)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	a, err := app.New(ctx, cfg, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- a.Run(ctx, ln) }()
	stopped := false
	stop := func() {
		if stopped {
			return
		}
		stopped = true
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("server stopped with %v", err)
			}
		case <-time.After(60 * time.Second):
			t.Error("server did not stop")
		}
	}
	t.Cleanup(stop)
	return base, stop
}

var reportLine = regexp.MustCompile(`^(PASS|FAIL|SKIP)  ([a-z_.]+) +[0-9]+\.[0-9] ms(  .*)?$`)

// parseReport checks that every line of stdout is a report line or the summary, and returns the status of
// each check and the reasons given.
func parseReport(t *testing.T, stdout string) (status, why map[string]string, summary string) {
	t.Helper()
	status, why = map[string]string{}, map[string]string{}
	lines := strings.Split(strings.TrimRight(stdout, "\n"), "\n")
	for i, line := range lines {
		if i == len(lines)-1 {
			summary = line
			break
		}
		m := reportLine.FindStringSubmatch(line)
		if m == nil {
			t.Fatalf("stdout line %q is not a report line:\n%s", line, stdout)
		}
		status[m[2]] = m[1]
		why[m[2]] = strings.TrimSpace(m[3])
	}
	return status, why, summary
}

var allChecks = []string{"iam.register", "iam.login", "iam.refresh", "iam.mfa_enroll", "merchant.create_shop",
	"realtime.connect", "catalog.create_product", "catalog.list_products", "order.create_submit", "kitchen.ticket",
	"payment.cash", "payment.vnpay_redirect", "inventory.stock_levels", "storage.upload_signed_url",
	"realtime.order_event", "cleanup.archive_merchant"}

func TestSmokePassesAgainstTheRealServerAndSkipsVNPayWithoutAnAccount(t *testing.T) {
	base := startServer(t)
	var stdout, stderr bytes.Buffer
	code := run(context.Background(), []string{"smoke", "--url", base}, nil, &stdout, &stderr)
	status, why, summary := parseReport(t, stdout.String())
	if code != 0 {
		t.Fatalf("exit %d\n%s\nstderr: %s", code, stdout.String(), stderr.String())
	}
	for _, c := range allChecks {
		want := "PASS"
		if c == "payment.vnpay_redirect" {
			want = "SKIP"
		}
		if status[c] != want {
			t.Errorf("%s: %s (%s), want %s", c, status[c], why[c], want)
		}
	}
	if !strings.Contains(why["payment.vnpay_redirect"], "not configured") {
		t.Errorf("the VNPay skip does not say why: %q", why["payment.vnpay_redirect"])
	}
	if want := "15 passed, 0 failed, 1 skipped"; !strings.HasSuffix(summary, want) {
		t.Errorf("summary %q, want …%s", summary, want)
	}
	if stderr.Len() != 0 {
		t.Errorf("stderr: %s", stderr.String())
	}
}

func TestSmokeChecksTheVNPayPageWhenTheServerHasAnAccount(t *testing.T) {
	var opened int
	page := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Query().Get("vnp_SecureHash") != "" {
			opened++
		}
		_, _ = io.WriteString(w, "<html>VNPay sandbox</html>")
	}))
	t.Cleanup(page.Close)
	base := startServer(t, "GOODGO_VNPAY_TMN_CODE=SMOKE001", "GOODGO_VNPAY_HASH_SECRET=SMOKESECRETSMOKESECRETSMOKESECRET",
		"GOODGO_VNPAY_PAY_URL="+page.URL+"/paymentv2/vpcpay.html", "GOODGO_VNPAY_API_URL="+page.URL+"/merchant_webapi/api/transaction")
	var stdout, stderr bytes.Buffer
	code := run(context.Background(), []string{"smoke", "--url", base}, nil, &stdout, &stderr)
	status, why, _ := parseReport(t, stdout.String())
	if code != 0 || status["payment.vnpay_redirect"] != "PASS" {
		t.Fatalf("exit %d, vnpay %s (%s)\n%s", code, status["payment.vnpay_redirect"], why["payment.vnpay_redirect"], stdout.String())
	}
	if opened != 1 {
		t.Errorf("the VNPay page was opened %d times, want 1", opened)
	}
}

func TestSmokeFailsAndSaysWhyWhenTheServerIsBroken(t *testing.T) {
	broken := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/problem+json")
		w.WriteHeader(http.StatusServiceUnavailable)
		_, _ = io.WriteString(w, `{"status":503,"title":"Service Unavailable","detail":"database down"}`)
	}))
	t.Cleanup(broken.Close)
	var stdout, stderr bytes.Buffer
	code := run(context.Background(), []string{"smoke", "--url", broken.URL, "--timeout", "5s"}, nil, &stdout, &stderr)
	status, why, summary := parseReport(t, stdout.String())
	if code != 1 {
		t.Errorf("exit %d, want 1", code)
	}
	if status["iam.register"] != "FAIL" || !strings.Contains(why["iam.register"], "503: database down") {
		t.Errorf("register: %s %q", status["iam.register"], why["iam.register"])
	}
	if status["payment.cash"] != "SKIP" || !strings.Contains(why["payment.cash"], "needs") {
		t.Errorf("cash payment: %s %q", status["payment.cash"], why["payment.cash"])
	}
	if _, ok := status["cleanup.archive_merchant"]; ok {
		t.Error("clean-up reported although no merchant was made")
	}
	if !strings.Contains(summary, "0 passed, 1 failed, 14 skipped") {
		t.Errorf("summary %q", summary)
	}
}

func TestSmokeRefusesBadArguments(t *testing.T) {
	for _, args := range [][]string{{"smoke"}, {"smoke", "--url", "ftp://x"}, {"smoke", "--url", "http://x", "extra"}} {
		var stdout, stderr bytes.Buffer
		if code := run(context.Background(), args, nil, &stdout, &stderr); code != 2 || stdout.Len() != 0 || !strings.Contains(stderr.String(), "usage: goodgo smoke") {
			t.Errorf("%v: exit %d, stdout %q, stderr %q", args, code, stdout.String(), stderr.String())
		}
	}
}
