package sqsserver

import (
	"errors"
	"fmt"
	"net"
	"net/http"
	"sync"
	"time"
)

// Endpoint serves an http.Handler, such as a [Server], on a loopback
// address. Its methods are safe for concurrent use.
type Endpoint struct {
	url    string
	srv    *http.Server
	served chan error

	mu       sync.Mutex
	closed   bool
	handlers sync.WaitGroup

	closeOnce sync.Once
	closeErr  error
}

// ErrNotLoopback is returned by [Listen] for an address that is not a
// loopback IP address: the server has no authentication, so it serves
// only the machine it runs on.
var ErrNotLoopback = errors.New("sqsserver: not a loopback address")

// Listen serves h on addr, a loopback IP address and port such as
// "127.0.0.1:9324" (port 0 picks a free one), until [Endpoint.Close].
func Listen(addr string, h http.Handler) (*Endpoint, error) {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, fmt.Errorf("sqsserver: address %q: %w", addr, err)
	}
	if ip := net.ParseIP(host); ip == nil || !ip.IsLoopback() {
		return nil, fmt.Errorf("%w: %q (use 127.0.0.1 or [::1])", ErrNotLoopback, addr)
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("sqsserver: %w", err)
	}
	e := &Endpoint{url: "http://" + ln.Addr().String(), served: make(chan error, 1)}
	e.srv = &http.Server{Handler: e.track(h), ReadHeaderTimeout: 10 * time.Second}
	go func() { e.served <- e.srv.Serve(ln) }()
	return e, nil
}

// track counts the requests being served, so that Close can wait for
// them.
func (e *Endpoint) track(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		e.mu.Lock()
		if e.closed {
			e.mu.Unlock()
			WriteError(w, &Error{Code: "ServiceUnavailable", Message: "the server is closing", Status: http.StatusServiceUnavailable})
			return
		}
		e.handlers.Add(1)
		e.mu.Unlock()
		defer e.handlers.Done()
		h.ServeHTTP(w, r)
	})
}

// URL is the endpoint to give an SDK, such as "http://127.0.0.1:9324".
func (e *Endpoint) URL() string { return e.url }

// QueueURL returns the URL of the queue called name at this endpoint.
func (e *Endpoint) QueueURL(name string) string { return QueueURL(e.url, name) }

// Close stops serving: it closes the listener and the connections, which
// ends the long polls in progress, and returns once every request being
// served has been answered. Close is idempotent.
func (e *Endpoint) Close() error {
	e.closeOnce.Do(func() {
		e.mu.Lock()
		e.closed = true
		e.mu.Unlock()
		err := e.srv.Close()
		if serr := <-e.served; !errors.Is(serr, http.ErrServerClosed) {
			err = errors.Join(err, serr)
		}
		e.handlers.Wait()
		e.closeErr = err
	})
	return e.closeErr
}
