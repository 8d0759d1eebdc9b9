package loadgen

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// maxBody caps how much of an answer is read; GoodGo's answers are far smaller.
const maxBody = 8 << 20

// errAborted is returned for a request cut short because the run was interrupted: it is not recorded.
var errAborted = errors.New("run interrupted")

// client sends the terminals' requests over one shared transport and records each as an operation.
type client struct {
	base    string
	hc      *http.Client // requests: no client timeout, each request has its own deadline
	timeout time.Duration
	rec     *Recorder
	log     *slog.Logger

	logged *sync.Map // operation and cause → *atomic.Int64: errors logged so far (the first few are)
}

// newClient returns a client of the server at base. conns is how many connections may be open at once
// (one per terminal and stream, plus a margin): every one of them stays idle between requests instead of
// being closed and opened again.
func newClient(base string, conns int, timeout time.Duration, rec *Recorder, log *slog.Logger) *client {
	tr := &http.Transport{
		Proxy:                 http.ProxyFromEnvironment,
		DialContext:           (&net.Dialer{Timeout: 10 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
		ForceAttemptHTTP2:     true,
		MaxIdleConns:          conns,
		MaxIdleConnsPerHost:   conns,
		IdleConnTimeout:       90 * time.Second,
		TLSHandshakeTimeout:   10 * time.Second,
		ExpectContinueTimeout: time.Second,
	}
	return &client{base: strings.TrimRight(base, "/"), hc: &http.Client{Transport: tr}, timeout: timeout, rec: rec, log: log,
		logged: &sync.Map{}}
}

// recordingTo returns a client on the same connections that records into rec.
func (cl *client) recordingTo(rec *Recorder) *client {
	c := *cl
	c.rec, c.logged = rec, &sync.Map{}
	return &c
}

// session is a signed-in user's tokens, refreshed before they expire. A kitchen display's session is used by
// its stream and its cook at once, hence the lock.
type session struct {
	mu              sync.Mutex
	access, refresh string
	expires         time.Time
}

// bearer returns the access token.
func (s *session) bearer() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.access
}

// tokens is the answer of register, login, PIN login and refresh.
type tokens struct {
	AccessToken  string `json:"access_token"`
	RefreshToken string `json:"refresh_token"`
	ExpiresIn    int    `json:"expires_in"`
}

func (t tokens) session(now time.Time) *session {
	return &session{access: t.AccessToken, refresh: t.RefreshToken, expires: now.Add(time.Duration(t.ExpiresIn) * time.Second)}
}

// call is one request.
type call struct {
	op     string // operation name, e.g. restaurant.add_line
	method string
	path   string // below the base URL, with the query
	sess   *session
	body   any // JSON-encoded, or sent as is when []byte
	// idem sends a fresh Idempotency-Key, as terminals do on every write.
	idem bool
	// want is the status of success; out, when set, receives its JSON body.
	want int
	out  any
	// resolves lists other statuses the workflow copes with (a 409 it then resolves): not errors.
	resolves []int
	// check, when set, vets the decoded answer of a success; an error makes the request an error.
	check func() error
	// header adds request headers (If-None-Match, the bank's Authorization).
	header [][2]string
	// etag, when set, receives the answer's ETag.
	etag *string
}

var (
	// errTimeout: the request had no answer within the client's timeout.
	errTimeout = errors.New("no answer")
	// errBadAnswer: a success whose body is not what the workflow expects.
	errBadAnswer = errors.New("unexpected answer")
)

// causeOf names why err failed a request: its HTTP status, "timeout", "unexpected answer" or "transport";
// "" for nil.
func causeOf(err error) string {
	var se *statusError
	switch {
	case err == nil:
		return ""
	case errors.As(err, &se):
		return strconv.Itoa(se.status)
	case errors.Is(err, errTimeout):
		return "timeout"
	case errors.Is(err, errBadAnswer):
		return "unexpected answer"
	}
	return "transport"
}

// statusError is an answer the workflow did not expect.
type statusError struct {
	method, path string
	status       int
	detail       string
	retryAfter   string // the Retry-After header of a 429
}

func (e *statusError) Error() string {
	return fmt.Sprintf("%s %s: %d %s", e.method, e.path, e.status, e.detail)
}

// statusOf returns the HTTP status of err, or 0.
func statusOf(err error) int {
	var se *statusError
	if errors.As(err, &se) {
		return se.status
	}
	return 0
}

// do sends c, records it under c.op and returns the status. The error is nil for c.want and the statuses
// in c.resolves; otherwise (5xx, unexpected 4xx, timeout, transport failure, an answer failing c.check) it
// says what went wrong and the request counts as an error. When ctx ends the request is not recorded and
// errAborted is returned.
func (cl *client) do(ctx context.Context, c call) (int, error) {
	status, elapsed, err := cl.send(ctx, c)
	if errors.Is(err, errAborted) {
		return status, err
	}
	cl.rec.Request(c.op, elapsed, causeOf(err))
	if err != nil {
		cl.logError(c.op, err)
	}
	return status, err
}

// send performs c and reports its status and duration without recording them.
func (cl *client) send(ctx context.Context, c call) (int, time.Duration, error) {
	var body io.Reader
	switch b := c.body.(type) {
	case nil:
	case []byte:
		body = bytes.NewReader(b)
	default:
		raw, err := json.Marshal(b)
		if err != nil {
			return 0, 0, fmt.Errorf("%s: encode body: %w", c.op, err)
		}
		body = bytes.NewReader(raw)
	}
	rctx, cancel := context.WithTimeout(ctx, cl.timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(rctx, c.method, cl.base+c.path, body)
	if err != nil {
		return 0, 0, fmt.Errorf("%s: %w", c.op, err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	req.Header.Set("Accept", "application/json")
	if c.sess != nil {
		req.Header.Set("Authorization", "Bearer "+c.sess.bearer())
	}
	if c.idem {
		req.Header.Set("Idempotency-Key", newKey())
	}
	for _, h := range c.header {
		req.Header.Set(h[0], h[1])
	}
	start := time.Now()
	res, err := cl.hc.Do(req)
	if err != nil {
		elapsed := time.Since(start)
		if ctx.Err() != nil {
			return 0, elapsed, errAborted
		}
		if rctx.Err() != nil {
			return 0, elapsed, fmt.Errorf("%s %s: %w within %s", c.method, c.path, errTimeout, cl.timeout)
		}
		return 0, elapsed, fmt.Errorf("%s %s: %w", c.method, c.path, err)
	}
	raw, err := io.ReadAll(io.LimitReader(res.Body, maxBody))
	res.Body.Close()
	elapsed := time.Since(start)
	if err != nil {
		if ctx.Err() != nil {
			return res.StatusCode, elapsed, errAborted
		}
		return res.StatusCode, elapsed, fmt.Errorf("%s %s: reading the answer: %w", c.method, c.path, err)
	}
	if res.StatusCode == http.StatusTooManyRequests {
		cl.rec.RateLimited()
	}
	if c.etag != nil {
		*c.etag = res.Header.Get("ETag")
	}
	switch {
	case res.StatusCode == c.want:
		if c.out != nil && len(raw) > 0 {
			if err := json.Unmarshal(raw, c.out); err != nil {
				return res.StatusCode, elapsed, fmt.Errorf("%s %s: %w: not the expected JSON: %w", c.method, c.path, errBadAnswer, err)
			}
		}
		if c.check != nil {
			if err := c.check(); err != nil {
				return res.StatusCode, elapsed, fmt.Errorf("%s %s: %w: %w", c.method, c.path, errBadAnswer, err)
			}
		}
		return res.StatusCode, elapsed, nil
	case slices.Contains(c.resolves, res.StatusCode):
		return res.StatusCode, elapsed, nil
	}
	return res.StatusCode, elapsed, &statusError{method: c.method, path: c.path, status: res.StatusCode,
		detail: problemDetail(raw), retryAfter: res.Header.Get("Retry-After")}
}

// problemDetail is the detail of a problem answer, or the start of the body.
func problemDetail(raw []byte) string {
	var p struct {
		Detail string `json:"detail"`
		Errors []struct {
			Location string `json:"location"`
			Message  string `json:"message"`
		} `json:"errors"`
	}
	if json.Unmarshal(raw, &p) == nil && p.Detail != "" {
		for _, e := range p.Errors {
			p.Detail += "; " + e.Location + ": " + e.Message
		}
		return p.Detail
	}
	s := strings.TrimSpace(string(raw))
	if len(s) > 200 {
		s = s[:200] + "…"
	}
	return s
}

// errorsLogged is how many errors of each operation and cause are logged in full; the rest are only counted
// (and summed up at the end of the run).
const errorsLogged = 3

func (cl *client) logError(op string, err error) {
	key := op + " " + causeOf(err)
	v, _ := cl.logged.LoadOrStore(key, new(atomic.Int64))
	n := v.(*atomic.Int64).Add(1)
	if n <= errorsLogged {
		cl.log.Warn("request failed", "op", op, "err", err)
	}
	if n == errorsLogged {
		cl.log.Warn("further errors of this operation and cause are counted, not logged", "op", op, "cause", causeOf(err))
	}
}

// authorize refreshes sess when its access token is about to expire (auth.refresh).
func (cl *client) authorize(ctx context.Context, sess *session) error {
	if sess == nil {
		return nil
	}
	sess.mu.Lock()
	defer sess.mu.Unlock()
	if time.Until(sess.expires) > time.Minute {
		return nil
	}
	var t tokens
	if _, err := cl.do(ctx, call{op: OpRefresh, method: http.MethodPost, path: "/api/v1/auth/refresh",
		body: map[string]string{"refresh_token": sess.refresh}, want: http.StatusOK, out: &t}); err != nil {
		return err
	}
	sess.access, sess.refresh = t.AccessToken, t.RefreshToken
	sess.expires = time.Now().Add(time.Duration(t.ExpiresIn) * time.Second)
	return nil
}

// newKey returns a random UUID (version 4) for an Idempotency-Key.
func newKey() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	var out [36]byte
	hex.Encode(out[0:8], b[0:4])
	out[8] = '-'
	hex.Encode(out[9:13], b[4:6])
	out[13] = '-'
	hex.Encode(out[14:18], b[6:8])
	out[18] = '-'
	hex.Encode(out[19:23], b[8:10])
	out[23] = '-'
	hex.Encode(out[24:], b[10:])
	return string(out[:])
}

// retryAfter is how long a 429 asks to wait (its Retry-After in seconds), bounded to [1 s, 60 s]; 5 s when it
// does not say.
func retryAfter(err error) time.Duration {
	var se *statusError
	if !errors.As(err, &se) {
		return 5 * time.Second
	}
	n, err := strconv.Atoi(strings.TrimSpace(se.retryAfter))
	if err != nil || n < 1 {
		return 5 * time.Second
	}
	return time.Duration(min(n, 60)) * time.Second
}
