package loadgen

import (
	"math"
	"math/rand/v2"
	"slices"
	"sync"
	"testing"
	"time"
)

func TestEveryValueFallsInTheBucketThatCoversIt(t *testing.T) {
	values := []uint64{0, 1, 63, 64, 127, 128, 129, 255, 256, 1000, 4095, 4096, 123456, 1 << 30, maxMicros, maxMicros + 1, math.MaxUint64}
	rng := rand.New(rand.NewPCG(1, 2))
	for range 10000 {
		values = append(values, rng.Uint64N(1<<uint(1+rng.IntN(40))))
	}
	prev := -1
	slices.Sort(values)
	for _, v := range values {
		i := bucketOf(v)
		if i < 0 || i >= histBuckets {
			t.Fatalf("value %d: bucket %d out of range", v, i)
		}
		if i < prev {
			t.Fatalf("value %d: bucket %d below the previous value's %d", v, i, prev)
		}
		prev = i
		lower, width := bucketRange(i)
		clamped := min(v, maxMicros)
		if clamped < lower || clamped >= lower+width {
			t.Fatalf("value %d in bucket %d = [%d, %d)", v, i, lower, lower+width)
		}
		if lower >= 2*subBuckets && float64(width)/float64(lower) > 1.0/subBuckets {
			t.Fatalf("bucket %d is %d wide at %d: over 1/%d", i, width, lower, subBuckets)
		}
	}
}

func TestQuantilesAreWithinOnePercentOfTheExactOnes(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 7))
	var h Histogram
	var exact []time.Duration
	for range 50000 {
		// Latencies spread over four orders of magnitude, like a loaded server's.
		d := time.Duration(math.Exp(rng.Float64()*9.2)*1000) * time.Nanosecond * 1000
		h.Record(d)
		exact = append(exact, d)
	}
	slices.Sort(exact)
	for _, q := range []float64{0.01, 0.5, 0.9, 0.95, 0.99, 0.999, 1} {
		want := exact[int(math.Ceil(q*float64(len(exact))))-1]
		got := h.Quantile(q)
		if rel := math.Abs(float64(got-want)) / float64(want); rel > 0.01 {
			t.Errorf("q%.3f = %v, want %v (off by %.2f %%)", q, got, want, 100*rel)
		}
	}
	if got := h.Count(); got != 50000 {
		t.Errorf("count %d", got)
	}
}

func TestQuantileOfSmallSamples(t *testing.T) {
	var h Histogram
	if got := h.Quantile(0.99); got != 0 {
		t.Errorf("empty histogram: %v", got)
	}
	for _, ms := range []int{10, 20, 30, 40} {
		h.Record(time.Duration(ms) * time.Millisecond)
	}
	tests := []struct {
		q    float64
		want time.Duration
	}{{0.25, 10 * time.Millisecond}, {0.5, 20 * time.Millisecond}, {0.75, 30 * time.Millisecond}, {0.99, 40 * time.Millisecond}}
	for _, tt := range tests {
		got := h.Quantile(tt.q)
		if math.Abs(float64(got-tt.want))/float64(tt.want) > 0.008 {
			t.Errorf("q%.2f = %v, want about %v", tt.q, got, tt.want)
		}
	}
	h.Record(-time.Second)
	if got := h.Quantile(0.01); got != 0 {
		t.Errorf("a negative duration counts as 0, quantile %v", got)
	}
}

func TestRecorderCountsConcurrentRequests(t *testing.T) {
	r := NewRecorder()
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 1000 {
				cause := ""
				if i%100 == 0 {
					cause = "500"
				}
				r.Request("restaurant.add_line", time.Duration(i)*time.Microsecond, cause)
				if g == 0 {
					r.Request("restaurant.submit", time.Millisecond, "")
				}
			}
		}()
	}
	wg.Wait()
	rep := r.Report(10*time.Second, 8)
	add := rep.Operations["restaurant.add_line"]
	if add.Count != 8000 || add.Errors != 80 {
		t.Errorf("add_line %+v, want 8000 with 80 errors", add)
	}
	if c := r.Causes(); len(c) != 1 || c["restaurant.add_line"]["500"] != 80 {
		t.Errorf("causes %v, want 80 × 500 on add_line", c)
	}
	if rep.Requests != 9000 || rep.Errors != 80 || rep.ErrorRate != round(80.0/9000, 6) || rep.ThroughputRPS != 900 {
		t.Errorf("report %+v", rep)
	}
}

func TestKitchenEventsAreReportedButAreNotRequests(t *testing.T) {
	r := NewRecorder()
	r.Request("restaurant.submit", 5*time.Millisecond, "")
	r.KitchenEvent(40 * time.Millisecond)
	r.KitchenEvent(60 * time.Millisecond)
	r.KitchenEventMissed()
	r.Failed(OpKDSConnect, "stream ended")
	rep := r.Report(time.Second, 1)
	if rep.Requests != 1 {
		t.Errorf("requests %d, want only the submit", rep.Requests)
	}
	if rep.Errors != 2 {
		t.Errorf("errors %d, want the missed event and the dropped stream", rep.Errors)
	}
	ev := rep.Operations[OpTicketEvent]
	if ev.Count != 3 || ev.Errors != 1 {
		t.Errorf("%s: %+v, want 3 awaited with 1 missed", OpTicketEvent, ev)
	}
	if k := rep.KitchenEventLatencyMS; math.Abs(k.P99-60) > 0.5 || math.Abs(k.P50-40) > 0.4 {
		t.Errorf("kitchen latency %+v", k)
	}
	if c := r.Causes(); c[OpTicketEvent]["no event within 30s"] != 1 || c[OpKDSConnect]["stream ended"] != 1 {
		t.Errorf("causes %v", c)
	}
	if c := rep.Operations[OpKDSConnect]; c.Count != 0 || c.Errors != 1 {
		t.Errorf("%s: %+v", OpKDSConnect, c)
	}
}
