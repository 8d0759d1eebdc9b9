package loadgen

import (
	"context"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"slices"
	"sync"
	"testing"
	"time"
)

// The restaurant, karaoke and QR workflows run against the real server in cmd/goodgo's end-to-end test. The
// dashboard readers need the report endpoints, which that server may not have: here a small stand-in checks
// the requests they send.
func TestDashboardReaderAsksForTheShopsReportsOfToday(t *testing.T) {
	var mu sync.Mutex
	var got []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		got = append(got, r.Method+" "+r.URL.Path+"?"+r.URL.RawQuery+" "+r.Header.Get("Authorization"))
		mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{}`))
	}))
	t.Cleanup(srv.Close)
	// The requests for the local day (GMT+7) the reader saw, with or without the staff report.
	want := func(day time.Time, staffReport bool) []string {
		to, from := day.Format(time.DateOnly), day.AddDate(0, 0, -6).Format(time.DateOnly)
		out := []string{
			"GET /api/v1/reports/revenue?from=" + from + "&shop_id=s1&to=" + to + " Bearer mgr",
			"GET /api/v1/shops/s1/reports/end-of-day?date=" + to + " Bearer mgr",
		}
		if staffReport {
			out = append(out, "GET /api/v1/reports/staff-performance?from="+from+"&shop_id=s1&to="+to+" Bearer mgr")
		}
		return out
	}
	for _, staffReport := range []bool{false, true} {
		got = nil
		rec := NewRecorder()
		e := &env{cl: newClient(srv.URL, 2, time.Minute, rec, slog.New(slog.DiscardHandler)), hard: context.Background(),
			caps: capabilities{reports: true, staffReport: staffReport}, log: slog.New(slog.DiscardHandler)}
		term := &terminal{scenario: Dashboard, shop: &shop{id: "s1"}, sess: &session{access: "mgr", expires: time.Now().Add(time.Hour)}}
		before := time.Now().In(vietnam)
		if err := newWorker(term, e, context.Background(), context.Background(), 1).dashboard(); err != nil {
			t.Fatal(err)
		}
		after := time.Now().In(vietnam) // differs from before only across midnight
		if !slices.Equal(got, want(before, staffReport)) && !slices.Equal(got, want(after, staffReport)) {
			t.Errorf("staff report %v: requests\n%v\nwant\n%v", staffReport, got, want(before, staffReport))
		}
		ops := rec.Report(time.Second, 1).Operations
		if ops["dashboard.revenue"].Count != 1 || ops["dashboard.end_of_day"].Count != 1 ||
			(ops["dashboard.staff_performance"].Count == 1) != staffReport {
			t.Errorf("operations %v", ops)
		}
	}
}
