package mega

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/sqs-mega/sqs-mega-go/internal/lease"
	"github.com/sqs-mega/sqs-mega-go/transport"
)

// engine is the state of one Run: what it learned of the queue, the lease
// on what it received, its pollers and workers.
type engine struct {
	c     *Consumer
	cfg   *config
	log   *slog.Logger
	clock Clock
	stats *counters
	ctl   *control

	visibility time.Duration
	fifo       bool
	dlq        transport.Sender

	lease  *lease.Lease
	window *window
	gather sync.Mutex // one poller at a time waits for room, or two could each hold part of it
	work   chan []*lease.Msg

	stopping  chan struct{}   // closed when shutdown begins
	ctxDone   <-chan struct{} // Run's context's, seen by pollers before stopping is closed
	pollCtx   context.Context
	handleCtx context.Context // handlers': cancelled when the grace period ends, or at Stop

	pollersMu sync.Mutex
	active    int // pollers running
	pollers   sync.WaitGroup
	workers   sync.WaitGroup
}

// newEngine reads what a Run needs to know about the queue: whether it is
// FIFO, its visibility timeout, its dead-letter queue and the SNS topics
// its policy trusts.
func (c *Consumer) newEngine(ctx context.Context) (*engine, error) {
	e := &engine{c: c, cfg: &c.cfg, log: c.cfg.logger, clock: c.cfg.clock, stats: &c.stats, ctl: newControl()}
	e.visibility = c.cfg.visibility
	var info transport.QueueInfo
	described := false
	if d, ok := c.queue.(transport.Describer); ok {
		var err error
		if info, err = d.Describe(ctx); err != nil {
			return nil, fmt.Errorf("mega: describing the queue: %w", err)
		}
		described = true
		e.fifo = info.FIFO
		if e.visibility == 0 {
			e.visibility = info.VisibilityTimeout
		}
	}
	if e.visibility < time.Second {
		e.visibility = 30 * time.Second
	}
	e.dlq = c.cfg.deadLetter
	if e.dlq == nil {
		if f, ok := c.queue.(transport.DeadLetterFinder); ok {
			q, err := f.DeadLetterQueue(ctx)
			if err != nil {
				return nil, fmt.Errorf("mega: finding the dead-letter queue: %w", err)
			}
			if q != nil {
				e.dlq = q
			}
		}
	}
	if e.dlq == nil {
		if c.cfg.discardPoison {
			e.log.Warn("mega: no dead-letter queue: messages that cannot be processed will be logged and deleted")
		} else {
			e.log.Warn("mega: no dead-letter queue: messages that cannot be processed will be logged and left in the queue for 12 hours")
		}
	}
	e.trust(info, described)
	return e, nil
}

// trust sets the SNS topics whose envelopes the Run unwraps: those given
// with WithTopicARNs, or else those the queue's policy allows to send.
func (e *engine) trust(info transport.QueueInfo, described bool) {
	switch {
	case e.cfg.trustAnyTopic, len(e.cfg.topicARNs) > 0:
		e.c.router.trust(e.cfg.topicARNs)
		return
	}
	const how = "give the topics with WithTopicARNs, or WithTrustAnyTopic if only SNS can send to the queue"
	if !described {
		e.c.router.trust(nil)
		e.log.Warn("mega: the queue cannot describe its access policy: SNS envelopes will be treated as data; "+how, "queue", info.URL)
		return
	}
	topics, open, err := transport.SNSTopicsFromPolicy(info.Policy)
	e.c.router.trust(topics)
	switch {
	case err != nil:
		e.log.Warn("mega: the queue's access policy cannot be read: SNS envelopes will be treated as data; "+how, "queue", info.URL, "error", err)
	case open && len(topics) == 0:
		e.log.Warn("mega: the queue's access policy lets SNS send without naming a topic: SNS envelopes will be treated as data; "+how, "queue", info.URL)
	case len(topics) == 0:
		e.log.Warn("mega: the queue's access policy allows no SNS topic: SNS envelopes will be treated as data; "+how, "queue", info.URL)
	default:
		e.log.Debug("mega: trusting SNS envelopes from the topics of the queue's access policy", "topics", topics)
	}
}

// run runs the engine until ctx ends or Drain or Stop is called, then
// shuts it down.
func (e *engine) run(ctx context.Context) {
	cfg := e.cfg
	e.window = newWindow(cfg, e.clock.Now())
	e.work = make(chan []*lease.Msg, e.window.ceiling)
	e.stopping = make(chan struct{})
	e.ctxDone = ctx.Done()
	// As many batches of deletes (and of visibility changes) may be under
	// way as the messages held fill, so that the round trip of a delete
	// does not bound the throughput below what the receives bring.
	e.lease = lease.New(lease.Config{
		Queue:         e.c.queue,
		Visibility:    e.visibility,
		Clock:         e.clock,
		Logger:        e.log,
		FlushInterval: cfg.flushInterval,
		Flights:       max(4, e.window.ceiling/transport.MaxBatch),
		Counts:        &e.stats.lease,
	})
	defer e.observe()() // telemetry: gauges of the lease

	handleCtx, handleStop := context.WithCancel(context.WithoutCancel(ctx))
	defer handleStop()
	e.handleCtx = handleCtx
	// Polls are abandoned at shutdown only where that loses nothing.
	pollCtx, pollStop := context.WithCancel(handleCtx)
	defer pollStop()
	e.pollCtx = pollCtx
	if cs, ok := e.c.queue.(transport.CancelSafe); !ok || !cs.CancelSafe() {
		e.pollCtx = handleCtx
	}

	for range cfg.concurrency {
		e.workers.Add(1)
		go func() {
			defer e.workers.Done()
			e.worker()
		}()
	}
	e.addPoller(true)
	e.log.Info("mega: consumer started", "max_pollers", cfg.pollers, "concurrency", cfg.concurrency,
		"in_flight", e.window.size(), "max_in_flight", e.window.ceiling, "visibility_timeout", e.visibility, "fifo", e.fifo,
		"dead_letter_queue", e.dlq != nil, "subscribers", e.c.router.len())

	stopNow := false
	select {
	case <-ctx.Done():
	case <-e.ctl.drain:
	case <-e.ctl.stop:
		stopNow = true
	}
	e.log.Info("mega: consumer stopping", "held", e.lease.Len(), "grace", cfg.grace, "now", stopNow)
	close(e.stopping)
	e.window.stop()
	pollStop()
	// Messages not yet handled go back at once: they would only wait.
	e.lease.ReleaseWaiting()
	finished := make(chan struct{})
	go func() {
		e.pollers.Wait()
		close(e.work)
		e.workers.Wait()
		close(finished)
	}()
	if stopNow {
		e.giveUp(handleStop)
	} else {
		graceOver := make(chan struct{})
		cancelGrace := e.clock.AfterFunc(cfg.grace, func() { close(graceOver) })
		select {
		case <-finished:
		case <-graceOver:
			e.log.Warn("mega: grace period over; cancelling handlers and releasing their messages", "held", e.lease.Len())
			e.giveUp(handleStop)
		case <-e.ctl.stop:
			e.giveUp(handleStop)
		}
		cancelGrace()
	}
	<-finished
	// A poll that returned after shutdown began gave back what it brought;
	// whatever is left goes back too.
	e.lease.ReleaseAll()
	// The last deletes and visibility changes get a bounded time: during an
	// outage they would otherwise be retried until the messages' deadlines.
	e.lease.Close(max(cfg.grace, 10*time.Second))
	st := e.c.Stats()
	e.log.Info("mega: consumer stopped", "received", st.Received, "processed", st.Processed, "retried", st.Retried,
		"dead_lettered", st.DeadLettered, "unmatched", st.Unmatched, "deleted", st.Deleted, "released", st.Released)
}

// shuttingDown reports whether shutdown began or was asked for. Pollers
// ask it, not only stopping, so that a poll that returns after the
// cancellation always sees it, whichever goroutine runs first.
func (e *engine) shuttingDown() bool {
	for _, ch := range []<-chan struct{}{e.stopping, e.ctxDone, e.ctl.drain, e.ctl.stop} {
		select {
		case <-ch:
			return true
		default:
		}
	}
	return false
}

// giveUp releases every message held and cancels the handlers.
func (e *engine) giveUp(cancelHandlers context.CancelFunc) {
	e.lease.ReleaseAll()
	cancelHandlers()
}
