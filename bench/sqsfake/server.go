package sqsfake

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"math/rand/v2"
	"net/http"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/sqs-mega/sqs-mega-go/transport/memory"
	"github.com/sqs-mega/sqs-mega-go/transport/memory/sqsserver"
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
	Second time.Duration
	// ShortPollSeed, when not zero, seeds the draw that decides what a
	// short poll finds, so that runs repeat; zero seeds it at random.
	ShortPollSeed uint64
	// ExactShortPolls makes short polls return every available message,
	// up to MaxNumberOfMessages, instead of sampling as SQS does.
	ExactShortPolls bool
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

// Error is an error answer of the SQS API; an intercept function (see
// [Server.SetIntercept]) may return one to make the server answer with it.
type Error = sqsserver.Error

// actionCounter counts the requests of one action.
type actionCounter struct {
	count, active, peak atomic.Int64
}

// Server is an in-process SQS endpoint. Its methods are safe for
// concurrent use.
type Server struct {
	broker *memory.Broker
	api    *sqsserver.Server
	ep     *sqsserver.Endpoint

	latency   atomic.Int64
	intercept atomic.Pointer[func(action string) error]
	actions   map[string]*actionCounter // fixed at New
	otherMu   sync.Mutex
	other     map[string]int64 // unknown actions

	done      chan struct{} // closed by Close
	closeOnce sync.Once
	closeErr  error
}

// New starts a server listening on opts.Addr.
func New(opts Options) (*Server, error) {
	if opts.Addr == "" {
		opts.Addr = "127.0.0.1:0"
	}
	var errs []error
	if opts.Second < 0 {
		errs = append(errs, fmt.Errorf("sqsfake: Second %v is negative", opts.Second))
	}
	if opts.Latency < 0 {
		errs = append(errs, fmt.Errorf("sqsfake: Latency %v is negative", opts.Latency))
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	seed := opts.ShortPollSeed
	if seed == 0 {
		seed = rand.Uint64()
	}
	sampling := rand.New(rand.NewPCG(seed, seed))
	if opts.ExactShortPolls {
		sampling = nil
	}
	s := &Server{
		broker:  memory.New(),
		actions: map[string]*actionCounter{},
		other:   map[string]int64{},
		done:    make(chan struct{}),
	}
	s.api = sqsserver.New(s.broker, sqsserver.WithSecond(opts.Second), sqsserver.WithShortPollSampling(sampling))
	for _, a := range sqsserver.Actions() {
		s.actions[a] = new(actionCounter)
	}
	s.latency.Store(int64(opts.Latency))
	ep, err := sqsserver.Listen(opts.Addr, http.HandlerFunc(s.serveHTTP))
	if err != nil {
		s.broker.Close()
		return nil, fmt.Errorf("sqsfake: %w", err)
	}
	s.ep = ep
	return s, nil
}

// URL is the endpoint to give an SDK, such as "http://127.0.0.1:41234".
func (s *Server) URL() string { return s.ep.URL() }

// Broker returns the broker holding the server's queues.
func (s *Server) Broker() *memory.Broker { return s.broker }

// Close stops the server: pending long polls and latencies end at once,
// connections are closed. It returns when every request handler has
// finished. Close is idempotent.
func (s *Server) Close() error {
	s.closeOnce.Do(func() {
		close(s.done)
		s.closeErr = s.ep.Close()
		s.broker.Close()
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
	for a, n := range s.actions {
		if v := n.count.Load(); v != 0 {
			c[a] = v
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
	for a, n := range s.actions {
		if v := n.peak.Load(); v != 0 {
			c[a] = v
		}
	}
	return c
}

// ResetCounts sets every request count and peak to zero.
func (s *Server) ResetCounts() {
	for _, n := range s.actions {
		n.count.Store(0)
		n.peak.Store(n.active.Load())
	}
	s.otherMu.Lock()
	clear(s.other)
	s.otherMu.Unlock()
}

// CreateQueue creates a queue, as the CreateQueue action does, without
// counting a request, and returns its URL.
func (s *Server) CreateQueue(name string, attributes map[string]string) (string, error) {
	q, err := s.api.CreateQueue(name, attributes)
	if err != nil {
		return "", err
	}
	return s.ep.QueueURL(q.Name()), nil
}

// QueueStats describes the named queue; ok is false if it does not exist.
func (s *Server) QueueStats(name string) (stats QueueStats, ok bool) {
	q, err := s.broker.Queue(name)
	if err != nil {
		return QueueStats{}, false
	}
	st, t := q.Stats(), q.Totals()
	return QueueStats{
		Visible:  st.Visible,
		InFlight: st.InFlight,
		Delayed:  st.Delayed,
		Sent:     t.Sent,
		Received: t.Received,
		Removed:  t.Removed,
	}, true
}

// QueueNames lists the queues in name order.
func (s *Server) QueueNames() []string {
	var names []string
	for _, q := range s.broker.Queues() {
		names = append(names, q.Name())
	}
	return slices.Sorted(slices.Values(names))
}

// serveHTTP counts a request, waits the latency, runs the intercept and
// hands the request to the SQS endpoint.
func (s *Server) serveHTTP(w http.ResponseWriter, r *http.Request) {
	action := sqsserver.Action(r)
	if n := s.actions[action]; n != nil {
		n.count.Add(1)
		active := n.active.Add(1)
		defer n.active.Add(-1)
		for p := n.peak.Load(); active > p && !n.peak.CompareAndSwap(p, active); p = n.peak.Load() {
		}
	} else {
		s.countOther(action)
	}
	if d := s.Latency(); d > 0 && !s.sleep(r.Context(), d) {
		return
	}
	if fn := s.intercept.Load(); fn != nil {
		if err := (*fn)(action); err != nil {
			var apiErr *Error
			if !errors.As(err, &apiErr) {
				apiErr = &Error{Code: "InternalError", Message: err.Error(), Status: http.StatusInternalServerError}
			}
			sqsserver.WriteError(w, apiErr)
			return
		}
	}
	s.api.ServeHTTP(w, r)
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
