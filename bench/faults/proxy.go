package faults

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"slices"
	"sync"
	"sync/atomic"
	"time"
)

// Mode is how a [Proxy.Blackhole] window treats traffic.
type Mode uint8

const (
	// Hang accepts connections and requests during the window and never
	// answers those taken during it, nor the answers the server gives
	// during it, even after the window: they wait until the client gives
	// up. Requests that arrive after the window pass.
	Hang Mode = iota + 1
	// DeliverLate holds requests and answers during the window and lets
	// them through when it ends.
	DeliverLate
	// Refuse closes every connection when the window starts (with a TCP
	// reset) and refuses new ones until it ends.
	Refuse
)

func (m Mode) String() string {
	switch m {
	case Hang:
		return "hang"
	case DeliverLate:
		return "deliver-late"
	case Refuse:
		return "refuse"
	}
	return fmt.Sprintf("mode(%d)", m)
}

// Count is what a proxy saw of one action.
type Count struct {
	// Requests counts the requests that arrived, whatever became of them.
	Requests int64
	// Delayed, Throttled, ServerErrors, Resets and ResetsAfter count the
	// faults injected; Held counts requests or answers a blackhole took.
	Delayed, Throttled, ServerErrors, Resets, ResetsAfter, Held int64
	// Forwarded counts requests the server answered.
	Forwarded int64
}

// Faults is the number of faults injected.
func (c Count) Faults() int64 {
	return c.Delayed + c.Throttled + c.ServerErrors + c.Resets + c.ResetsAfter + c.Held
}

// Counts are a proxy's counts by action. Requests whose action could not
// be read are counted under "".
type Counts map[string]Count

// Total sums the counts of every action.
func (c Counts) Total() Count {
	var t Count
	for _, v := range c {
		t.Requests += v.Requests
		t.Delayed += v.Delayed
		t.Throttled += v.Throttled
		t.ServerErrors += v.ServerErrors
		t.Resets += v.Resets
		t.ResetsAfter += v.ResetsAfter
		t.Held += v.Held
		t.Forwarded += v.Forwarded
	}
	return t
}

// Options configure a [Proxy].
type Options struct {
	// Addr is the loopback address to listen on; "127.0.0.1:0", the
	// default, picks a free port.
	Addr string
	// Seed seeds the choices of rules with a probability; 0 picks one.
	Seed uint64
}

// Proxy forwards HTTP requests to a server on a loopback address,
// injecting faults. Its methods are safe for concurrent use.
type Proxy struct {
	target   *url.URL
	addr     string
	srv      *http.Server
	upstream *http.Transport
	done     chan struct{} // closed by Close
	serving  sync.WaitGroup

	mu      sync.Mutex
	ln      net.Listener // nil while a Refuse window is open
	conns   map[net.Conn]struct{}
	rules   []*installed
	window  *window // the current blackhole window, or nil
	rng     *rand.Rand
	counts  map[string]*counters
	closed  bool
	handler sync.WaitGroup
}

type installed struct {
	Rule
	used atomic.Int64
}

type window struct {
	mode  Mode
	ended chan struct{}
	once  sync.Once
}

func (w *window) end() { w.once.Do(func() { close(w.ended) }) }

type counters struct {
	requests, delayed, throttled, serverErrors, resets, resetsAfter, held, forwarded atomic.Int64
}

// New starts a proxy to target, the base URL of a server on a loopback
// address such as "http://127.0.0.1:5000".
func New(target string, opts Options) (*Proxy, error) {
	u, err := url.Parse(target)
	if err != nil || u.Scheme != "http" || u.Host == "" {
		return nil, fmt.Errorf("faults: target %q: want http://127.0.0.1:PORT", target)
	}
	if ip := net.ParseIP(u.Hostname()); ip == nil || !ip.IsLoopback() {
		return nil, fmt.Errorf("faults: target %q is not on a loopback address", target)
	}
	if opts.Addr == "" {
		opts.Addr = "127.0.0.1:0"
	}
	host, _, err := net.SplitHostPort(opts.Addr)
	if err != nil {
		return nil, fmt.Errorf("faults: Addr: %w", err)
	}
	if ip := net.ParseIP(host); ip == nil || !ip.IsLoopback() {
		return nil, fmt.Errorf("faults: Addr %q is not a loopback address", opts.Addr)
	}
	ln, err := net.Listen("tcp", opts.Addr)
	if err != nil {
		return nil, fmt.Errorf("faults: %w", err)
	}
	seed := opts.Seed
	if seed == 0 {
		seed = rand.Uint64()
	}
	p := &Proxy{
		target: u,
		addr:   ln.Addr().String(),
		upstream: &http.Transport{
			Proxy:               nil,
			DialContext:         (&net.Dialer{Timeout: 5 * time.Second}).DialContext,
			MaxIdleConnsPerHost: 64,
			IdleConnTimeout:     30 * time.Second,
		},
		done:   make(chan struct{}),
		ln:     ln,
		conns:  map[net.Conn]struct{}{},
		rng:    rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15)),
		counts: map[string]*counters{},
	}
	p.srv = &http.Server{Handler: http.HandlerFunc(p.serve), ConnState: p.track, ReadHeaderTimeout: 30 * time.Second}
	p.start(ln)
	return p, nil
}

func (p *Proxy) start(ln net.Listener) {
	p.serving.Add(1)
	go func() {
		defer p.serving.Done()
		p.srv.Serve(ln)
	}()
}

// URL is the proxy's base URL, to give a client as its endpoint.
func (p *Proxy) URL() string { return "http://" + p.addr }

// Close stops the proxy: it closes the listener and every connection and
// releases the requests a blackhole holds. It returns when every request
// handler has returned. Close is idempotent.
func (p *Proxy) Close() error {
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		return nil
	}
	p.closed = true
	close(p.done)
	if p.window != nil {
		p.window.end()
		p.window = nil
	}
	p.mu.Unlock()
	err := p.srv.Close()
	p.serving.Wait()
	p.handler.Wait()
	p.upstream.CloseIdleConnections()
	return err
}

// Inject installs a rule and returns the function that removes it. Rules
// apply in the order they were installed: every Latency rule that applies
// delays the request, then the first other rule that applies decides its
// fate.
func (p *Proxy) Inject(r Rule) (remove func(), err error) {
	if err := r.validate(); err != nil {
		return nil, err
	}
	in := &installed{Rule: r}
	in.Actions = slices.Clone(r.Actions)
	p.mu.Lock()
	p.rules = append(p.rules, in)
	p.mu.Unlock()
	return func() {
		p.mu.Lock()
		defer p.mu.Unlock()
		p.rules = slices.DeleteFunc(p.rules, func(x *installed) bool { return x == in })
	}, nil
}

// Schedule installs a rule start from now, for d, and returns at once; the
// function it returns cancels the schedule (and removes the rule if it is
// installed). Closing the proxy cancels it too.
func (p *Proxy) Schedule(r Rule, start, d time.Duration) (cancel func(), err error) {
	if err := r.validate(); err != nil {
		return nil, err
	}
	stop := make(chan struct{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		t := time.NewTimer(start)
		defer t.Stop()
		select {
		case <-t.C:
		case <-stop:
			return
		case <-p.done:
			return
		}
		remove, err := p.Inject(r)
		if err != nil {
			return
		}
		defer remove()
		t.Reset(d)
		select {
		case <-t.C:
		case <-stop:
		case <-p.done:
		}
	}()
	var once sync.Once
	return func() {
		once.Do(func() { close(stop) })
		<-done
	}, nil
}

// Clear removes every rule. A blackhole window under way goes on.
func (p *Proxy) Clear() {
	p.mu.Lock()
	p.rules = nil
	p.mu.Unlock()
}

// StartBlackhole opens a blackhole window of the given mode and returns
// the function that ends it (it may be called more than once). A window
// already open is ended first.
func (p *Proxy) StartBlackhole(mode Mode) (end func(), err error) {
	if mode < Hang || mode > Refuse {
		return nil, fmt.Errorf("faults: unknown blackhole mode %d", mode)
	}
	w := &window{mode: mode, ended: make(chan struct{})}
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		return nil, errors.New("faults: proxy closed")
	}
	old := p.window
	p.window = w
	var conns []net.Conn
	if mode == Refuse && p.ln != nil {
		p.ln.Close()
		p.ln = nil
		for c := range p.conns {
			conns = append(conns, c)
		}
	}
	p.mu.Unlock()
	if old != nil {
		old.end()
	}
	for _, c := range conns {
		resetConn(c)
	}
	return func() { p.endWindow(w) }, nil
}

// Blackhole opens a blackhole window of the given mode for d and returns
// at once; the channel it returns is closed when the window has ended.
func (p *Proxy) Blackhole(mode Mode, d time.Duration) (<-chan struct{}, error) {
	end, err := p.StartBlackhole(mode)
	if err != nil {
		return nil, err
	}
	ended := make(chan struct{})
	go func() {
		defer close(ended)
		t := time.NewTimer(d)
		defer t.Stop()
		select {
		case <-t.C:
		case <-p.done:
		}
		end()
	}()
	return ended, nil
}

func (p *Proxy) endWindow(w *window) {
	p.mu.Lock()
	defer p.mu.Unlock()
	w.end()
	if p.window != w {
		return
	}
	p.window = nil
	if p.ln == nil && !p.closed {
		// Listen again on the same address; a loopback port we held a
		// moment ago is free unless another process grabbed it.
		var err error
		for range 50 {
			var ln net.Listener
			if ln, err = net.Listen("tcp", p.addr); err == nil {
				p.ln = ln
				p.start(ln)
				return
			}
			time.Sleep(20 * time.Millisecond)
		}
		panic(fmt.Sprintf("faults: listening again on %s after a refuse window: %v", p.addr, err))
	}
}

// Counts returns the counts by action.
func (p *Proxy) Counts() Counts {
	p.mu.Lock()
	defer p.mu.Unlock()
	out := make(Counts, len(p.counts))
	for k, c := range p.counts {
		out[k] = Count{
			Requests:     c.requests.Load(),
			Delayed:      c.delayed.Load(),
			Throttled:    c.throttled.Load(),
			ServerErrors: c.serverErrors.Load(),
			Resets:       c.resets.Load(),
			ResetsAfter:  c.resetsAfter.Load(),
			Held:         c.held.Load(),
			Forwarded:    c.forwarded.Load(),
		}
	}
	return out
}

// ResetCounts sets every count to zero.
func (p *Proxy) ResetCounts() {
	p.mu.Lock()
	clear(p.counts)
	p.mu.Unlock()
}

func (p *Proxy) track(c net.Conn, state http.ConnState) {
	p.mu.Lock()
	defer p.mu.Unlock()
	switch state {
	case http.StateNew:
		p.conns[c] = struct{}{}
	case http.StateHijacked, http.StateClosed:
		delete(p.conns, c)
	}
}

func (p *Proxy) counters(action string) *counters {
	p.mu.Lock()
	defer p.mu.Unlock()
	c := p.counts[action]
	if c == nil {
		c = &counters{}
		p.counts[action] = c
	}
	return c
}

// plan picks the faults for one request: its total latency before it is
// forwarded and after the server answered, and the deciding fault, if
// any.
func (p *Proxy) plan(action string) (delay, after time.Duration, decisive Fault) {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, r := range p.rules {
		if !r.appliesTo(action) {
			continue
		}
		if decisive.kind != 0 && r.Fault.kind != kindLatency && r.Fault.kind != kindSlowAnswer {
			continue
		}
		if r.Probability > 0 && r.Probability < 1 && p.rng.Float64() >= r.Probability {
			continue
		}
		if r.Limit > 0 && r.used.Add(1) > int64(r.Limit) {
			continue
		}
		switch r.Fault.kind {
		case kindLatency:
			delay += r.Fault.latency
		case kindSlowAnswer:
			after += r.Fault.latency
		default:
			decisive = r.Fault
		}
	}
	return delay, after, decisive
}

// currentWindow returns the blackhole window under way, if any.
func (p *Proxy) currentWindow() *window {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.window
}

func (p *Proxy) serve(w http.ResponseWriter, r *http.Request) {
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		resetHTTP(w)
		return
	}
	p.handler.Add(1)
	p.mu.Unlock()
	defer p.handler.Done()

	body, err := io.ReadAll(r.Body)
	if err != nil {
		return // the client went away
	}
	action, query := actionOf(r, body)
	c := p.counters(action)
	c.requests.Add(1)

	if win := p.currentWindow(); win != nil {
		c.held.Add(1)
		if !p.hold(r.Context(), win) {
			resetHTTP(w)
			return
		}
	}
	delay, after, fault := p.plan(action)
	if delay > 0 || after > 0 {
		c.delayed.Add(1)
	}
	if delay > 0 {
		if !p.sleep(r.Context(), delay) {
			resetHTTP(w)
			return
		}
	}
	switch fault.kind {
	case kindThrottle:
		c.throttled.Add(1)
		writeError(w, query, fault.status, fault.code, "Rate exceeded")
		return
	case kindServerError:
		c.serverErrors.Add(1)
		writeError(w, query, fault.status, fault.code, "injected server error")
		return
	case kindReset:
		c.resets.Add(1)
		resetHTTP(w)
		return
	}

	resp, err := p.forward(r, body)
	if err != nil {
		if r.Context().Err() != nil {
			resetHTTP(w)
			return
		}
		writeError(w, query, http.StatusBadGateway, "InternalError", "faults: forwarding: "+err.Error())
		return
	}
	if fault.kind == kindResetAfter {
		c.resetsAfter.Add(1)
		resetHTTP(w)
		return
	}
	if after > 0 && !p.sleep(r.Context(), after) {
		resetHTTP(w)
		return
	}
	if win := p.currentWindow(); win != nil {
		// The answer comes back while the network is gone.
		c.held.Add(1)
		if !p.hold(r.Context(), win) {
			resetHTTP(w)
			return
		}
	}
	c.forwarded.Add(1)
	h := w.Header()
	for k, v := range resp.header {
		h[k] = v
	}
	h.Set("Content-Length", fmt.Sprint(len(resp.body)))
	w.WriteHeader(resp.status)
	w.Write(resp.body)
}

// hold keeps a request in a blackhole window. It reports whether the
// request may go on: false when it must never be answered (its connection
// is then reset: the client has gone, or the proxy is closing), or when
// the client or the proxy gave up.
func (p *Proxy) hold(ctx context.Context, win *window) bool {
	switch win.mode {
	case DeliverLate:
		select {
		case <-win.ended:
			return true
		case <-ctx.Done():
		case <-p.done:
		}
		return false
	case Refuse:
		// Its connection was reset when the window opened, or it arrived
		// on a connection accepted just before.
		return false
	}
	select { // Hang: never answered
	case <-ctx.Done():
	case <-p.done:
	}
	return false
}

func (p *Proxy) sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
	case <-p.done:
	}
	return false
}

type response struct {
	status int
	header http.Header
	body   []byte
}

// hopHeaders are the headers of one connection, not to be forwarded.
var hopHeaders = []string{"Connection", "Keep-Alive", "Proxy-Authenticate", "Proxy-Authorization", "Te", "Trailer", "Transfer-Encoding", "Upgrade"}

func (p *Proxy) forward(r *http.Request, body []byte) (*response, error) {
	u := *p.target
	u.Path = r.URL.Path
	u.RawPath = r.URL.RawPath
	u.RawQuery = r.URL.RawQuery
	out, err := http.NewRequestWithContext(r.Context(), r.Method, u.String(), bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	out.Header = r.Header.Clone()
	for _, h := range hopHeaders {
		out.Header.Del(h)
	}
	out.Host = r.Host
	out.ContentLength = int64(len(body))
	resp, err := p.upstream.RoundTrip(out)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, err
	}
	h := maps.Clone(resp.Header)
	for _, k := range hopHeaders {
		delete(h, k)
	}
	return &response{status: resp.StatusCode, header: h, body: b}, nil
}

// resetHTTP resets the connection of a request: the client reads a TCP
// reset, not an answer.
func resetHTTP(w http.ResponseWriter) {
	hj, ok := w.(http.Hijacker)
	if !ok {
		panic("faults: the connection cannot be hijacked")
	}
	conn, _, err := hj.Hijack()
	if err != nil {
		return
	}
	resetConn(conn)
}

func resetConn(c net.Conn) {
	if tc, ok := c.(*net.TCPConn); ok {
		tc.SetLinger(0) // close with RST, not FIN
	}
	c.Close()
}
