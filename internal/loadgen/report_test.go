package loadgen

import (
	"encoding/json"
	"maps"
	"slices"
	"strings"
	"testing"
	"time"
)

// keys returns the sorted keys of a JSON object.
func keys(t *testing.T, raw json.RawMessage) []string {
	t.Helper()
	var m map[string]json.RawMessage
	if err := json.Unmarshal(raw, &m); err != nil {
		t.Fatalf("not a JSON object: %s", raw)
	}
	return slices.Sorted(maps.Keys(m))
}

func TestReportJSONHasTheDocumentedShape(t *testing.T) {
	r := NewRecorder()
	r.Request("restaurant.submit", 12*time.Millisecond, "")
	r.Request("restaurant.submit", 18*time.Millisecond, "503")
	r.KitchenEvent(30 * time.Millisecond)
	raw, err := json.Marshal(r.Report(2*time.Second, 3))
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"duration_s", "error_rate", "errors", "kitchen_event_latency_ms", "operations", "requests", "terminals", "throughput_rps"}
	if got := keys(t, raw); !slices.Equal(got, want) {
		t.Errorf("top-level keys %v, want %v", got, want)
	}
	var top map[string]json.RawMessage
	_ = json.Unmarshal(raw, &top)
	if got := keys(t, top["kitchen_event_latency_ms"]); !slices.Equal(got, []string{"p50", "p95", "p99"}) {
		t.Errorf("kitchen latency keys %v", got)
	}
	var ops map[string]json.RawMessage
	_ = json.Unmarshal(top["operations"], &ops)
	if got := keys(t, ops["restaurant.submit"]); !slices.Equal(got, []string{"count", "errors", "p50_ms", "p95_ms", "p99_ms"}) {
		t.Errorf("operation keys %v", got)
	}
	var back Report
	if err := json.Unmarshal(raw, &back); err != nil {
		t.Fatal(err)
	}
	sub := back.Operations["restaurant.submit"]
	if back.DurationS != 2 || back.Terminals != 3 || back.Requests != 2 || back.Errors != 1 || back.ErrorRate != 0.5 ||
		back.ThroughputRPS != 1 || sub.Count != 2 || sub.Errors != 1 || sub.P50MS < 11.9 || sub.P50MS > 12.1 {
		t.Errorf("report %+v", back)
	}
}

func TestReportTableListsEveryOperation(t *testing.T) {
	r := NewRecorder()
	r.Request("karaoke.bill", 5*time.Millisecond, "")
	r.Request("qr.menu", time.Millisecond, "")
	var b strings.Builder
	if err := r.Report(time.Second, 2).WriteTable(&b); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	for _, want := range []string{"2 terminals", "requests 2 (2.0/s), errors 0", "karaoke.bill", "qr.menu", "p99 ms", "kitchen display"} {
		if !strings.Contains(out, want) {
			t.Errorf("table lacks %q:\n%s", want, out)
		}
	}
	if strings.Index(out, "karaoke.bill") > strings.Index(out, "qr.menu") {
		t.Errorf("operations are not in order:\n%s", out)
	}
}
