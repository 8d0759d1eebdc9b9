package loadgen

import (
	"fmt"
	"io"
	"sort"
	"text/tabwriter"
)

// Report is the result of a run; its JSON form is what `goodgo loadgen --json` prints.
type Report struct {
	// DurationS is how long the terminals ran, in seconds: from the start to the last one stopping after its
	// graceful stop (the set-up excluded).
	DurationS float64 `json:"duration_s"`
	// Terminals is the number of simulated terminals and customers.
	Terminals int `json:"terminals"`
	// Requests counts the HTTP requests the terminals sent.
	Requests int64 `json:"requests"`
	// Errors counts the failed requests (5xx, timeouts, transport failures, unexpected 4xx) and the tickets
	// whose event did not reach their kitchen display within 30 s.
	Errors int64 `json:"errors"`
	// ErrorRate is Errors ÷ Requests.
	ErrorRate float64 `json:"error_rate"`
	// ThroughputRPS is Requests ÷ DurationS.
	ThroughputRPS float64 `json:"throughput_rps"`
	// Operations has the figures of each operation that ran, by name (e.g. restaurant.add_line).
	Operations map[string]OpReport `json:"operations"`
	// KitchenEventLatencyMS is the time from the start of the submit that made a ticket to the kitchen
	// display reading the ticket's event on its SSE stream.
	KitchenEventLatencyMS Percentiles `json:"kitchen_event_latency_ms"`
}

// OpReport is the figures of one operation: how often it ran, how often it failed, and its latency.
type OpReport struct {
	Count  int64   `json:"count"`
	Errors int64   `json:"errors"`
	P50MS  float64 `json:"p50_ms"`
	P95MS  float64 `json:"p95_ms"`
	P99MS  float64 `json:"p99_ms"`
}

// Percentiles are latency percentiles in milliseconds.
type Percentiles struct {
	P50 float64 `json:"p50"`
	P95 float64 `json:"p95"`
	P99 float64 `json:"p99"`
}

// WriteTable writes the report as a table for people.
func (r *Report) WriteTable(w io.Writer) error {
	fmt.Fprintf(w, "GoodGo load test: %d terminals for %.1f s\n", r.Terminals, r.DurationS)
	fmt.Fprintf(w, "requests %d (%.1f/s), errors %d (%.3f %%)\n\n", r.Requests, r.ThroughputRPS, r.Errors, 100*r.ErrorRate)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "operation\tcount\terrors\tp50 ms\tp95 ms\tp99 ms")
	names := make([]string, 0, len(r.Operations))
	for name := range r.Operations {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		o := r.Operations[name]
		fmt.Fprintf(tw, "%s\t%d\t%d\t%.1f\t%.1f\t%.1f\n", name, o.Count, o.Errors, o.P50MS, o.P95MS, o.P99MS)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	k := r.KitchenEventLatencyMS
	_, err := fmt.Fprintf(w, "\nkitchen display, submit → ticket event: p50 %.1f ms, p95 %.1f ms, p99 %.1f ms\n", k.P50, k.P95, k.P99)
	return err
}
