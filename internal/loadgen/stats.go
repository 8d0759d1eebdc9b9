package loadgen

import (
	"maps"
	"math"
	"math/bits"
	"sort"
	"sync"
	"sync/atomic"
	"time"
)

// Latencies are kept in a log-linear histogram (the HDR histogram's layout): values below 64 µs each have a
// bucket of their own, and every power of two above is cut into 64 equal buckets, so a bucket is at most
// 1/64 of its value wide and a percentile read from a bucket's midpoint is within 0.8 % of the true value.
// Memory is fixed (histBuckets counters, about 18 KB) however many samples arrive, and recording is one
// atomic add, so a thousand terminals record into the same histogram without a lock.
const (
	subBucketBits = 6
	subBuckets    = 1 << subBucketBits // 64
	maxExponent   = 33                 // values are clamped below 2^40 µs (about 12 days)
	histBuckets   = subBuckets*maxExponent + 2*subBuckets
	maxMicros     = 1<<(maxExponent+subBucketBits+1) - 1
)

// Histogram counts durations in microsecond buckets of bounded relative width. The zero value is ready to use
// and safe for concurrent Record calls.
type Histogram struct {
	counts [histBuckets]atomic.Uint64
	total  atomic.Uint64
}

// bucketOf returns the bucket of v microseconds.
func bucketOf(v uint64) int {
	if v > maxMicros {
		v = maxMicros
	}
	if v < 2*subBuckets {
		return int(v)
	}
	e := bits.Len64(v) - (subBucketBits + 1) // v>>e is in [64, 128)
	return subBuckets*e + int(v>>e)
}

// bucketRange returns the lowest value of bucket i and the bucket's width, in microseconds.
func bucketRange(i int) (lower, width uint64) {
	if i < 2*subBuckets {
		return uint64(i), 1
	}
	e := i/subBuckets - 1
	sub := uint64(i - subBuckets*e)
	return sub << e, 1 << e
}

// Record adds one sample; negative durations count as 0.
func (h *Histogram) Record(d time.Duration) {
	us := max(d.Microseconds(), 0)
	h.counts[bucketOf(uint64(us))].Add(1)
	h.total.Add(1)
}

// Count returns the number of samples recorded.
func (h *Histogram) Count() uint64 { return h.total.Load() }

// Quantile returns the duration below which a fraction q (0 < q ≤ 1) of the samples fall, read from the
// midpoint of the bucket holding that rank (the value itself below 128 µs); 0 when there are no samples. Call it once recording is over: a
// concurrent Record may or may not be seen.
func (h *Histogram) Quantile(q float64) time.Duration {
	var n uint64
	for i := range h.counts {
		n += h.counts[i].Load()
	}
	if n == 0 {
		return 0
	}
	rank := uint64(math.Ceil(q * float64(n)))
	rank = min(max(rank, 1), n)
	var seen uint64
	for i := range h.counts {
		seen += h.counts[i].Load()
		if seen >= rank {
			lower, width := bucketRange(i)
			if width == 1 {
				return time.Duration(lower) * time.Microsecond
			}
			return time.Duration(lower)*time.Microsecond + time.Duration(width)*time.Microsecond/2
		}
	}
	return 0 // not reached: seen ends at n
}

// opStats are the figures of one operation.
type opStats struct {
	latency Histogram
	errors  atomic.Int64
	// request is false for operations that are not HTTP requests (a KDS waiting for a ticket event): they
	// are reported, and their errors counted, but they are not requests.
	request bool
}

// Recorder collects what the terminals did, per operation, and the kitchen's commit-to-screen latency.
// It is safe for concurrent use; its memory does not grow with the number of samples.
type Recorder struct {
	mu      sync.RWMutex
	ops     map[string]*opStats
	kitchen Histogram
	limited atomic.Int64 // 429 answers

	causeMu sync.Mutex
	causes  map[string]map[string]int64 // operation → why it failed → how often
}

// NewRecorder returns an empty Recorder.
func NewRecorder() *Recorder {
	return &Recorder{ops: map[string]*opStats{}, causes: map[string]map[string]int64{}}
}

func (r *Recorder) op(name string, request bool) *opStats {
	r.mu.RLock()
	s := r.ops[name]
	r.mu.RUnlock()
	if s != nil {
		return s
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if s = r.ops[name]; s == nil {
		s = &opStats{request: request}
		r.ops[name] = s
	}
	return s
}

// Request records one HTTP request of operation op that took d; cause is why it failed, "" when it did not
// (an HTTP status, "timeout", "transport", "unexpected answer").
func (r *Recorder) Request(op string, d time.Duration, cause string) {
	s := r.op(op, true)
	s.latency.Record(d)
	if cause != "" {
		s.errors.Add(1)
		r.noteCause(op, cause)
	}
}

// Failed counts an error of operation op that is not a request of its own (a kitchen display's stream that
// ended during the run), with its cause.
func (r *Recorder) Failed(op, cause string) {
	r.op(op, true).errors.Add(1)
	r.noteCause(op, cause)
}

func (r *Recorder) noteCause(op, cause string) {
	r.causeMu.Lock()
	defer r.causeMu.Unlock()
	if r.causes[op] == nil {
		r.causes[op] = map[string]int64{}
	}
	r.causes[op][cause]++
}

// Causes returns, per operation that failed, how often each cause made it fail.
func (r *Recorder) Causes() map[string]map[string]int64 {
	r.causeMu.Lock()
	defer r.causeMu.Unlock()
	out := make(map[string]map[string]int64, len(r.causes))
	for op, m := range r.causes {
		out[op] = maps.Clone(m)
	}
	return out
}

// KitchenEvent records a ticket event that reached its kitchen display d after the submit that made it
// started. It is reported as kitchen_event_latency_ms and as the operation kds.ticket_event.
func (r *Recorder) KitchenEvent(d time.Duration) {
	r.kitchen.Record(d)
	r.op(OpTicketEvent, false).latency.Record(d)
}

// KitchenEventMissed records a submitted ticket whose event did not reach its kitchen display within
// ticketEventWait: an error of the operation kds.ticket_event.
func (r *Recorder) KitchenEventMissed() {
	s := r.op(OpTicketEvent, false)
	s.errors.Add(1)
	r.noteCause(OpTicketEvent, "no event within "+ticketEventWait.String())
}

// RateLimited counts a 429 answer (for the hint at the end of a run).
func (r *Recorder) RateLimited() { r.limited.Add(1) }

// Report summarises what was recorded over a run of the given length with the given number of terminals.
// requests counts HTTP requests; errors counts failed requests and ticket events that did not arrive in time.
func (r *Recorder) Report(elapsed time.Duration, terminals int) *Report {
	rep := &Report{DurationS: round(elapsed.Seconds(), 3), Terminals: terminals, Operations: map[string]OpReport{}}
	r.mu.RLock()
	names := make([]string, 0, len(r.ops))
	for name := range r.ops {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		s := r.ops[name]
		errs := s.errors.Load()
		n := int64(s.latency.Count())
		if !s.request {
			n += errs // a missed event has no latency sample
		}
		if n == 0 && errs == 0 {
			continue
		}
		rep.Operations[name] = OpReport{Count: n, Errors: errs, P50MS: millis(s.latency.Quantile(0.50)),
			P95MS: millis(s.latency.Quantile(0.95)), P99MS: millis(s.latency.Quantile(0.99))}
		rep.Errors += errs
		if s.request {
			rep.Requests += n
		}
	}
	r.mu.RUnlock()
	if rep.Requests > 0 {
		rep.ErrorRate = round(float64(rep.Errors)/float64(rep.Requests), 6)
	}
	if elapsed > 0 {
		rep.ThroughputRPS = round(float64(rep.Requests)/elapsed.Seconds(), 2)
	}
	rep.KitchenEventLatencyMS = Percentiles{P50: millis(r.kitchen.Quantile(0.50)), P95: millis(r.kitchen.Quantile(0.95)),
		P99: millis(r.kitchen.Quantile(0.99))}
	return rep
}

// millis is d in milliseconds, to the microsecond.
func millis(d time.Duration) float64 { return round(float64(d.Microseconds())/1000, 3) }

func round(v float64, places int) float64 {
	p := math.Pow10(places)
	return math.Round(v*p) / p
}
