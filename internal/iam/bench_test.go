package iam

import (
	"net/http"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/goodgo/goodgo/internal/platform/httpapi"
)

// latencies collects request durations from several goroutines.
type latencies struct {
	mu sync.Mutex
	d  []time.Duration
}

func (l *latencies) add(d time.Duration) {
	l.mu.Lock()
	l.d = append(l.d, d)
	l.mu.Unlock()
}

// quantile returns the q-quantile (0 < q ≤ 1) of the recorded durations, in milliseconds.
func (l *latencies) quantile(q float64) float64 {
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.d) == 0 {
		return 0
	}
	s := slices.Clone(l.d)
	slices.Sort(s)
	i := min(len(s)-1, int(float64(len(s))*q))
	return float64(s[i]) / float64(time.Millisecond)
}

// BenchmarkLoginUnderLoad measures sign-ins with the real argon2id cost (19 MiB, t=2) through the whole HTTP
// stack while, in the "+reads" cases, two goroutines keep sending cheap authenticated GETs (/api/v1/me,
// standing in for order traffic). It reports sign-ins per second, their p50/p99, and the p50/p99 of the
// GETs, so the effect of the hashing semaphore on other traffic shows ("reads-only" is the baseline of the
// GETs alone). Rate limits are off.
//
//	go test -run '^$' -bench LoginUnderLoad -benchtime 40x ./internal/iam/
func BenchmarkLoginUnderLoad(b *testing.B) {
	cases := []struct {
		name    string
		slots   int // hasher concurrency; 0 = the default (one per CPU)
		logins  bool
		readers int
	}{
		{"reads-only", 0, false, 0},
		{"logins-only", 0, true, 0},
		{"logins+reads/slots=NumCPU", 0, true, 2},
		{"logins+reads/slots=1", 1, true, 2},
	}
	off := map[httpapi.Class]httpapi.Limit{}
	for c := range httpapi.DefaultLimits() {
		off[c] = httpapi.Limit{}
	}
	for _, bc := range cases {
		b.Run(bc.name, func(b *testing.B) {
			a := newTestAPI(b, sqliteDB(b), apiOptions{
				hasher: HasherConfig{Params: DefaultArgon2Params(), Concurrency: bc.slots},
				limits: off,
			})
			o := a.register("bench@example.vn")
			var reads latencies
			var readCount atomic.Int64
			stop := make(chan struct{})
			var wg sync.WaitGroup
			for range bc.readers {
				wg.Go(func() {
					for {
						select {
						case <-stop:
							return
						default:
						}
						t0 := time.Now()
						if r := a.do("GET", "/api/v1/me", o.access, nil); r.code != http.StatusOK {
							b.Errorf("GET /me: %d", r.code)
							return
						}
						reads.add(time.Since(t0))
						readCount.Add(1)
					}
				})
			}

			var logins latencies
			b.ResetTimer()
			start := time.Now()
			if bc.logins {
				// Twice as many concurrent sign-ins as CPUs: a storm that has to queue on the semaphore.
				b.SetParallelism(2)
				b.RunParallel(func(pb *testing.PB) {
					for pb.Next() {
						t0 := time.Now()
						if r := a.login(o.email, o.password); r.code != http.StatusOK {
							b.Errorf("login: %d %s", r.code, r.raw)
							return
						}
						logins.add(time.Since(t0))
					}
				})
			} else {
				// Reads alone, one goroutine per CPU: the baseline for the GET latencies.
				b.RunParallel(func(pb *testing.PB) {
					for pb.Next() {
						t0 := time.Now()
						if r := a.do("GET", "/api/v1/me", o.access, nil); r.code != http.StatusOK {
							b.Errorf("GET /me: %d", r.code)
							return
						}
						reads.add(time.Since(t0))
						readCount.Add(1)
					}
				})
			}
			elapsed := time.Since(start)
			b.StopTimer()
			close(stop)
			wg.Wait()

			if bc.logins {
				b.ReportMetric(float64(b.N)/elapsed.Seconds(), "logins/s")
				b.ReportMetric(logins.quantile(0.50), "login-p50-ms")
				b.ReportMetric(logins.quantile(0.99), "login-p99-ms")
			}
			if !bc.logins || bc.readers > 0 {
				b.ReportMetric(float64(readCount.Load())/elapsed.Seconds(), "gets/s")
				b.ReportMetric(reads.quantile(0.50), "get-p50-ms")
				b.ReportMetric(reads.quantile(0.99), "get-p99-ms")
			}
			b.ReportMetric(float64(runtime.GOMAXPROCS(0)), "procs")
		})
	}
}
