package sqsfake

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"math/rand/v2"
	"net"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

const (
	defaultMaxSize = 1 << 20 // MaximumMessageSize of a new queue, as on AWS since 2025
	maxRequestSize = 8 << 20 // a SendMessageBatch of 10 × 1 MiB bodies, JSON-escaped
	targetPrefix   = "AmazonSQS."
)

// Options configure a [Server]. The zero value is ready to use.
type Options struct {
	// Addr is the loopback address to listen on, such as "127.0.0.1:9324".
	// The default, "127.0.0.1:0", picks a free port.
	Addr string
	// Latency is waited before answering each request (see
	// [Server.SetLatency]).
	Latency time.Duration
	// Second is the length of one second of the API: VisibilityTimeout,
	// DelaySeconds and WaitTimeSeconds are multiples of it. The default is
	// time.Second; tests of redelivery set a few milliseconds.
	// Timestamps (SentTimestamp, ...) always use the real clock.
	Second time.Duration
	// Region and AccountID appear in queue URLs and ARNs. The defaults are
	// "us-east-1" and "000000000000".
	Region    string
	AccountID string
}

// Counts is a snapshot of request counts by API action ("SendMessage",
// "ReceiveMessage", ...). Actions never called are absent.
type Counts map[string]int64

// Total is the number of requests of all actions.
func (c Counts) Total() int64 {
	var n int64
	for _, v := range c {
		n += v
	}
	return n
}

// Sub returns the counts of c minus those of before, dropping zeros.
func (c Counts) Sub(before Counts) Counts {
	out := Counts{}
	for k, v := range c {
		if d := v - before[k]; d != 0 {
			out[k] = d
		}
	}
	return out
}

// QueueStats describes one queue at one moment.
type QueueStats struct {
	// Visible, InFlight and Delayed count the messages in each state, as
	// ApproximateNumberOfMessages, ...NotVisible and ...Delayed do.
	Visible, InFlight, Delayed int
	// Sent counts accepted messages; Received counts receipts, so a
	// message received twice counts twice; Removed counts messages deleted,
	// purged or moved to the dead-letter queue.
	Sent, Received, Removed uint64
}

// Server is an in-process SQS endpoint. Its methods are safe for
// concurrent use.
type Server struct {
	opts   Options
	url    string
	ln     net.Listener
	http   *http.Server
	served chan error

	latency   atomic.Int64
	intercept atomic.Pointer[func(action string) error]
	counts    [len(actionNames)]atomic.Int64
	active    [len(actionNames)]atomic.Int64 // requests being served
	peaks     [len(actionNames)]atomic.Int64 // most requests served at once
	otherMu   sync.Mutex
	other     map[string]int64 // unknown actions

	mu     sync.RWMutex
	queues map[string]*queue

	done      chan struct{} // closed by Close
	closeMu   sync.RWMutex
	closed    bool
	handlers  sync.WaitGroup
	closeOnce sync.Once
	closeErr  error
}

// New starts a server listening on opts.Addr.
func New(opts Options) (*Server, error) {
	if opts.Addr == "" {
		opts.Addr = "127.0.0.1:0"
	}
	if opts.Second == 0 {
		opts.Second = time.Second
	}
	if opts.Region == "" {
		opts.Region = "us-east-1"
	}
	if opts.AccountID == "" {
		opts.AccountID = "000000000000"
	}
	var errs []error
	if opts.Second < 0 {
		errs = append(errs, fmt.Errorf("sqsfake: Second %v is negative", opts.Second))
	}
	if opts.Latency < 0 {
		errs = append(errs, fmt.Errorf("sqsfake: Latency %v is negative", opts.Latency))
	}
	host, _, err := net.SplitHostPort(opts.Addr)
	if err != nil {
		errs = append(errs, fmt.Errorf("sqsfake: Addr: %w", err))
	} else if ip := net.ParseIP(host); ip == nil || !ip.IsLoopback() {
		errs = append(errs, fmt.Errorf("sqsfake: Addr %q is not a loopback IP address", opts.Addr))
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	ln, err := net.Listen("tcp", opts.Addr)
	if err != nil {
		return nil, fmt.Errorf("sqsfake: %w", err)
	}
	s := &Server{
		opts:   opts,
		url:    "http://" + ln.Addr().String(),
		ln:     ln,
		served: make(chan error, 1),
		other:  map[string]int64{},
		queues: map[string]*queue{},
		done:   make(chan struct{}),
	}
	s.latency.Store(int64(opts.Latency))
	s.http = &http.Server{Handler: s, ReadHeaderTimeout: 10 * time.Second}
	go func() { s.served <- s.http.Serve(ln) }()
	return s, nil
}

// URL is the endpoint to give an SDK, such as "http://127.0.0.1:41234".
func (s *Server) URL() string { return s.url }

// Close stops the server: pending long polls return at once, connections
// are closed. It returns when every request handler has finished. Close is
// idempotent.
func (s *Server) Close() error {
	s.closeOnce.Do(func() {
		s.closeMu.Lock()
		s.closed = true
		close(s.done)
		s.closeMu.Unlock()
		err := s.http.Close()
		if serr := <-s.served; !errors.Is(serr, http.ErrServerClosed) {
			err = errors.Join(err, serr)
		}
		s.handlers.Wait()
		s.closeErr = err
	})
	return s.closeErr
}

// SetLatency sets the delay waited before answering each request from now
// on. A long poll's wait comes on top.
func (s *Server) SetLatency(d time.Duration) { s.latency.Store(int64(max(d, 0))) }

// Latency is the current injected latency.
func (s *Server) Latency() time.Duration { return time.Duration(s.latency.Load()) }

// SetIntercept installs fn, called with the action name of every request
// after the latency and before the action runs (nil removes it). When fn
// returns an [*Error] the server answers with it; another non-nil error
// becomes an InternalError (HTTP 500). fn must be safe for concurrent use.
func (s *Server) SetIntercept(fn func(action string) error) {
	if fn == nil {
		s.intercept.Store(nil)
		return
	}
	s.intercept.Store(&fn)
}

// Counts returns the number of requests received per action since the
// start or the last [Server.ResetCounts]. Requests are counted when they
// arrive, failed ones included.
func (s *Server) Counts() Counts {
	c := Counts{}
	for i := range s.counts {
		if n := s.counts[i].Load(); n != 0 {
			c[actionNames[i]] = n
		}
	}
	s.otherMu.Lock()
	maps.Copy(c, s.other)
	s.otherMu.Unlock()
	return c
}

// Peaks returns, per action, the largest number of requests that were
// being served at the same time since the start or the last
// [Server.ResetCounts]: for ReceiveMessage, the number of pollers a client
// really ran.
func (s *Server) Peaks() Counts {
	c := Counts{}
	for i := range s.peaks {
		if n := s.peaks[i].Load(); n != 0 {
			c[actionNames[i]] = n
		}
	}
	return c
}

// ResetCounts sets every request count and peak to zero.
func (s *Server) ResetCounts() {
	for i := range s.counts {
		s.counts[i].Store(0)
		s.peaks[i].Store(s.active[i].Load())
	}
	s.otherMu.Lock()
	clear(s.other)
	s.otherMu.Unlock()
}

// CreateQueue creates a standard queue, as the CreateQueue action does,
// without counting a request, and returns its URL.
func (s *Server) CreateQueue(name string, attributes map[string]string) (string, error) {
	q, err := s.createQueue(name, attributes)
	if err != nil {
		return "", err
	}
	return q.url, nil
}

// QueueStats describes the named queue; ok is false if it does not exist.
func (s *Server) QueueStats(name string) (stats QueueStats, ok bool) {
	s.mu.RLock()
	q := s.queues[name]
	s.mu.RUnlock()
	if q == nil {
		return QueueStats{}, false
	}
	q.mu.Lock()
	defer q.mu.Unlock()
	q.promote(time.Now())
	return QueueStats{
		Visible:  q.nReady,
		InFlight: q.nInflight,
		Delayed:  q.nDelayed,
		Sent:     q.sent,
		Received: q.received,
		Removed:  q.removed,
	}, true
}

// QueueNames lists the queues in name order.
func (s *Server) QueueNames() []string {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return slices.Sorted(maps.Keys(s.queues))
}

// ServeHTTP answers one request of the AWS JSON 1.0 protocol.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.closeMu.RLock()
	if s.closed {
		s.closeMu.RUnlock()
		writeError(w, &Error{Code: "ServiceUnavailable", Message: "the server is closing", Status: http.StatusServiceUnavailable})
		return
	}
	s.handlers.Add(1)
	s.closeMu.RUnlock()
	defer s.handlers.Done()

	action, ok := strings.CutPrefix(r.Header.Get("X-Amz-Target"), targetPrefix)
	if i, known := actionIndex[action]; known {
		s.counts[i].Add(1)
		n := s.active[i].Add(1)
		defer s.active[i].Add(-1)
		for p := s.peaks[i].Load(); n > p && !s.peaks[i].CompareAndSwap(p, n); p = s.peaks[i].Load() {
		}
	} else {
		s.countOther(action)
	}
	if d := s.Latency(); d > 0 && !s.sleep(r.Context(), d) {
		return
	}
	if r.Method != http.MethodPost || !ok {
		writeError(w, errorf("UnknownOperationException", "expected POST with X-Amz-Target: %s<Action> (only the AWS JSON 1.0 protocol is served)", targetPrefix))
		return
	}
	handle := handlers[action]
	if handle == nil {
		writeError(w, errorf("UnknownOperationException", "sqsfake does not implement %s", action))
		return
	}
	body, err := readBody(r)
	if err != nil {
		writeError(w, errorf("SerializationException", "reading the request: %v", err))
		return
	}
	if fn := s.intercept.Load(); fn != nil {
		if err := (*fn)(action); err != nil {
			var apiErr *Error
			if !errors.As(err, &apiErr) {
				apiErr = internalError(err)
			}
			writeError(w, apiErr)
			return
		}
	}
	out, apiErr := handle(s, r.Context(), body)
	if apiErr != nil {
		writeError(w, apiErr)
		return
	}
	writeJSON(w, http.StatusOK, out)
}

func (s *Server) countOther(action string) {
	if action == "" {
		action = "Unknown"
	}
	s.otherMu.Lock()
	s.other[action]++
	s.otherMu.Unlock()
}

// sleep waits d; it reports false if the request or the server ended first.
func (s *Server) sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	case <-s.done:
		return false
	}
}

func readBody(r *http.Request) ([]byte, error) {
	if r.ContentLength > maxRequestSize {
		return nil, fmt.Errorf("request of %d bytes exceeds %d", r.ContentLength, maxRequestSize)
	}
	if r.ContentLength > 0 {
		buf := make([]byte, r.ContentLength)
		_, err := io.ReadFull(r.Body, buf)
		return buf, err
	}
	return io.ReadAll(io.LimitReader(r.Body, maxRequestSize))
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		writeError(w, internalError(err))
		return
	}
	h := w.Header()
	h["Content-Type"] = []string{"application/x-amz-json-1.0"}
	h["Content-Length"] = []string{strconv.Itoa(len(b))}
	h["X-Amzn-Requestid"] = []string{newUUID()}
	w.WriteHeader(status)
	w.Write(b)
}

func writeError(w http.ResponseWriter, e *Error) {
	info := e.info()
	w.Header().Set("X-Amzn-Query-Error", info.queryCode+";"+info.fault)
	b, _ := json.Marshal(struct {
		Type    string `json:"__type"`
		Message string `json:"message"`
	}{e.typeName(), e.Message})
	h := w.Header()
	h["Content-Type"] = []string{"application/x-amz-json-1.0"}
	h["Content-Length"] = []string{strconv.Itoa(len(b))}
	h["X-Amzn-Requestid"] = []string{newUUID()}
	w.WriteHeader(info.status)
	w.Write(b)
}

// newUUID returns a random version-4 UUID, the form of SQS message ids.
func newUUID() string {
	a, b := rand.Uint64(), rand.Uint64()
	a = a&^0xf000 | 0x4000     // version 4
	b = b&^(0xc<<60) | 0x8<<60 // RFC 4122 variant
	const hexd = "0123456789abcdef"
	var out [36]byte
	j := 0
	put := func(v uint64, bits int) {
		for shift := bits - 4; shift >= 0; shift -= 4 {
			out[j] = hexd[(v>>uint(shift))&0xf]
			j++
		}
	}
	put(a>>32, 32)
	out[j] = '-'
	j++
	put(a>>16&0xffff, 16)
	out[j] = '-'
	j++
	put(a&0xffff, 16)
	out[j] = '-'
	j++
	put(b>>48, 16)
	out[j] = '-'
	j++
	put(b&0xffffffffffff, 48)
	return string(out[:])
}
