package mega

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"

	"github.com/sqs-mega/sqs-mega-go/transport"
)

// AttrDeadLetterReason is the message attribute that says why a message
// was sent to the dead-letter queue.
const AttrDeadLetterReason = "mega.dead-letter-reason"

// maxReasonLen bounds the reason attribute, so that it cannot push a
// message over the size limit by much.
const maxReasonLen = 1024

// Consumer receives messages from a queue and hands each to every
// subscriber whose pattern matches it, with at-least-once delivery: a
// message is deleted only once every matching subscriber has finished with
// it, successfully or with a permanent error (SPEC §4). One process never
// handles two copies of one message at once.
//
// Create it with NewConsumer, add subscribers with Subscribe, then call
// Run. A Consumer is safe for concurrent use; Subscribe may be called
// while it runs.
type Consumer struct {
	queue  transport.Queue
	cfg    config
	router *Router
	stats  counters

	running atomic.Bool
	mu      sync.Mutex
	ctl     *control // of the Run under way, or nil
}

// control lets Drain and Stop reach the Run under way.
type control struct {
	drain, stop         chan struct{}
	drainOnce, stopOnce sync.Once
}

func newControl() *control {
	return &control{drain: make(chan struct{}), stop: make(chan struct{})}
}

// NewConsumer returns a consumer of queue.
func NewConsumer(queue transport.Queue, opts ...Option) (*Consumer, error) {
	if queue == nil {
		return nil, fmt.Errorf("%w: nil queue", ErrInvalidOption)
	}
	cfg := defaults()
	for _, o := range opts {
		if err := o(&cfg); err != nil {
			return nil, err
		}
	}
	cfg.tel.source = queue // telemetry: the destination spans and metrics name
	return &Consumer{queue: queue, cfg: cfg, router: newRouter(cfg)}, nil
}

// Subscribe adds subscribers. Their patterns are compiled now: an invalid
// pattern is an error matching ErrInvalidSubscriber that names the
// subscriber, the path in the pattern and the reason.
func (c *Consumer) Subscribe(subs ...Subscriber) error { return c.router.Subscribe(subs...) }

// Stats returns the consumer's counters.
func (c *Consumer) Stats() Stats {
	s := c.stats.snapshot()
	s.HandlerErrors = c.router.handlerErrors.Load()
	return s
}

// Run receives and processes messages until ctx is cancelled or [Consumer.Drain]
// is called, then shuts down gracefully: it stops receiving, makes the
// messages not yet handled visible again at once, lets the handlers under
// way finish within the grace period (then cancels their contexts and
// releases their messages), sends the pending deletes, and returns nil.
// [Consumer.Stop] shuts down at once instead. Run returns an error only
// when it cannot start; it may be called again once it returned.
//
// A long poll under way at shutdown is allowed to finish, unless the
// queue can abandon it without losing messages (the memory transport
// can), and what it brings is made visible again at once; so shutdown may
// take up to the receive wait time.
func (c *Consumer) Run(ctx context.Context) error {
	if !c.running.CompareAndSwap(false, true) {
		return ErrRunning
	}
	defer c.running.Store(false)
	if c.router.len() == 0 {
		return ErrNoSubscribers
	}
	e, err := c.newEngine(ctx)
	if err != nil {
		return err
	}
	c.mu.Lock()
	c.ctl = e.ctl
	c.mu.Unlock()
	defer func() {
		c.mu.Lock()
		c.ctl = nil
		c.mu.Unlock()
	}()
	e.run(ctx)
	return nil
}

// Drain shuts the Run under way down gracefully, as the cancellation of
// its context does: no more receives, handlers under way finish within
// the grace period. It returns at once; Run returns when it is done.
func (c *Consumer) Drain() {
	c.mu.Lock()
	ctl := c.ctl
	c.mu.Unlock()
	if ctl != nil {
		ctl.drainOnce.Do(func() { close(ctl.drain) })
	}
}

// Stop shuts the Run under way down now: no more receives, the handlers'
// contexts are cancelled at once and every message held is made visible
// again at once. It returns at once; Run returns when it is done.
func (c *Consumer) Stop() {
	c.mu.Lock()
	ctl := c.ctl
	c.mu.Unlock()
	if ctl != nil {
		ctl.stopOnce.Do(func() { close(ctl.stop) })
	}
}
