package mega

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"runtime/debug"
	"slices"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/sqs-mega/sqs-mega-go/match"
	"github.com/sqs-mega/sqs-mega-go/protocol"
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
// it, successfully or with a permanent error (SPEC §4).
//
// Create it with NewConsumer, add subscribers with Subscribe, then call
// Run. A Consumer is safe for concurrent use; Subscribe may be called
// while it runs.
type Consumer struct {
	queue transport.Queue
	cfg   config
	dec   protocol.Decoder
	log   *slog.Logger
	stats counters

	mu     sync.Mutex // guards subs
	subs   []*compiled
	events match.Set // index into subs
	data   match.Set
	raw    atomic.Int32 // number of Raw subscribers

	running atomic.Bool

	// Set up by Run.
	visibility time.Duration
	fifo       bool
	dlq        transport.Sender
	deleter    *batcher[receipt]
	changer    *batcher[visibilityChange]
	opCtx      context.Context // for deletes and visibility changes
	slots      chan struct{}   // one per message in flight
	slotsMu    sync.Mutex      // one poller at a time gathers slots
	workers    chan struct{}   // one per message being handled
	flight     inflightSet
}

// session is the state of one Run that its goroutines share.
type session struct {
	pollCtx  context.Context // receives: cancelled at shutdown on cancel-safe queues
	hard     context.Context // handlers: cancelled when the grace period ends
	stopping <-chan struct{} // closed when shutdown begins
	pollers  sync.WaitGroup
	handlers sync.WaitGroup

	mu     sync.Mutex
	active int // pollers running
}

// receipt is a message to delete.
type receipt struct {
	handle, id string
	deadline   time.Time // when the message becomes visible again: no use deleting later
}

// visibilityChange is a change of a message's visibility.
type visibilityChange struct {
	handle, id string
	timeout    time.Duration
	why        string    // "retry", "heartbeat", "release"
	deadline   time.Time // when the message becomes visible again: no use changing it later
	beat       *inflight // for a heartbeat: the message whose deadline moves once it succeeds
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
	return &Consumer{
		queue: queue,
		cfg:   cfg,
		dec:   protocol.Decoder{TopicARNs: slices.Clone(cfg.topicARNs)},
		log:   cfg.logger,
	}, nil
}

// Subscribe adds subscribers. Their patterns are compiled now: an invalid
// pattern is an error matching ErrInvalidSubscriber that names the
// subscriber, the path in the pattern and the reason.
func (c *Consumer) Subscribe(subs ...Subscriber) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	compiled := make([]*compiled, 0, len(subs))
	for i, s := range subs {
		cs, err := compile(s, len(c.subs)+i+1)
		if err != nil {
			return err
		}
		compiled = append(compiled, cs)
	}
	for _, cs := range compiled {
		id := len(c.subs)
		c.subs = append(c.subs, cs)
		if cs.event != nil {
			c.events.Add(id, cs.event)
		}
		if cs.data != nil {
			c.data.Add(id, cs.data)
		}
		if cs.Raw {
			c.raw.Add(1)
		}
	}
	return nil
}

// Stats returns the consumer's counters.
func (c *Consumer) Stats() Stats { return c.stats.snapshot() }

// Run receives and processes messages until ctx is cancelled, then shuts
// down gracefully: it stops receiving, lets the handlers under way finish
// within the grace period (then cancels their contexts), makes every
// message it still holds visible again at once, sends the pending deletes,
// and returns nil. It returns an error only when it cannot start.
//
// A long poll under way when ctx is cancelled is allowed to finish, unless
// the queue can abandon it without losing messages (the memory transport
// can), and what it brings is made visible again at once; so shutdown may
// take up to the receive wait time. Run may be called once.
func (c *Consumer) Run(ctx context.Context) error {
	if !c.running.CompareAndSwap(false, true) {
		return ErrRunning
	}
	c.mu.Lock()
	n := len(c.subs)
	c.mu.Unlock()
	if n == 0 {
		return ErrNoSubscribers
	}
	if err := c.setup(ctx); err != nil {
		return err
	}

	// hard is cancelled when the grace period ends: it is the handlers'
	// context. Deletes and visibility changes run on their own context,
	// cancelled only once the last of them is sent.
	hard, hardStop := context.WithCancel(context.WithoutCancel(ctx))
	defer hardStop()
	opCtx, opStop := context.WithCancel(context.WithoutCancel(ctx))
	defer opStop()
	c.opCtx = opCtx
	c.slots = make(chan struct{}, c.cfg.inFlight())
	c.workers = make(chan struct{}, c.cfg.concurrency)
	// As many batches of deletes (and of visibility changes) may be under
	// way as the messages held fill, so that the round trip of a delete
	// does not bound the throughput below what the receives bring.
	flights := max(4, cap(c.slots)/transport.MaxBatch)
	c.deleter = newBatcher(c.cfg.flushInterval, flights, c.flushDeletes)
	c.changer = newBatcher(c.cfg.flushInterval, flights, c.flushVisibility)

	heartbeatDone := make(chan struct{})
	heartbeatStop := make(chan struct{})
	go func() {
		defer close(heartbeatDone)
		c.heartbeat(heartbeatStop)
	}()

	// Polls are abandoned at shutdown only where that loses nothing.
	pollCtx, pollStop := context.WithCancel(hard)
	defer pollStop()
	if cs, ok := c.queue.(transport.CancelSafe); !ok || !cs.CancelSafe() {
		pollCtx = hard
	}
	// Pollers watch ctx itself, not a signal from this goroutine, so that
	// a poll that returns after the cancellation always sees it.
	s := &session{pollCtx: pollCtx, hard: hard, stopping: ctx.Done()}
	c.addPoller(s, true)
	c.log.Info("mega: consumer started", "max_pollers", c.cfg.pollers, "concurrency", c.cfg.concurrency,
		"max_in_flight", cap(c.slots), "visibility_timeout", c.visibility, "fifo", c.fifo,
		"dead_letter_queue", c.dlq != nil, "subscribers", n)

	<-ctx.Done()
	c.log.Info("mega: consumer stopping", "in_flight", c.flight.len(), "grace", c.cfg.grace)
	pollStop()
	grace := time.NewTimer(c.cfg.grace)
	defer grace.Stop()
	finished := make(chan struct{})
	go func() {
		s.pollers.Wait()
		s.handlers.Wait()
		close(finished)
	}()
	select {
	case <-finished:
	case <-grace.C:
		n := c.flight.len()
		c.log.Warn("mega: grace period over; cancelling handlers and releasing their messages", "in_flight", n)
		for _, it := range c.flight.all() {
			c.finish(it, outcomeRelease, 0, "")
		}
		hardStop()
		<-finished
	}
	close(heartbeatStop)
	<-heartbeatDone
	// The last deletes and visibility changes get a bounded time: during an
	// outage they would otherwise be retried until the messages' deadlines.
	closed := make(chan struct{})
	go func() {
		c.changer.close()
		c.deleter.close()
		close(closed)
	}()
	select {
	case <-closed:
	case <-time.After(max(c.cfg.grace, 10*time.Second)):
		c.log.Warn("mega: giving up the last deletes and visibility changes; their messages will be delivered again")
		opStop()
		<-closed
	}
	st := c.Stats()
	c.log.Info("mega: consumer stopped", "received", st.Received, "processed", st.Processed, "retried", st.Retried,
		"dead_lettered", st.DeadLettered, "unmatched", st.Unmatched, "deleted", st.Deleted, "released", st.Released)
	return nil
}

// setup reads what Run needs to know about the queue.
func (c *Consumer) setup(ctx context.Context) error {
	c.visibility = c.cfg.visibility
	if d, ok := c.queue.(transport.Describer); ok {
		info, err := d.Describe(ctx)
		if err != nil {
			return fmt.Errorf("mega: describing the queue: %w", err)
		}
		c.fifo = info.FIFO
		if c.visibility == 0 {
			c.visibility = info.VisibilityTimeout
		}
	}
	if c.visibility < time.Second {
		c.visibility = 30 * time.Second
	}
	c.dlq = c.cfg.deadLetter
	if c.dlq == nil {
		if f, ok := c.queue.(transport.DeadLetterFinder); ok {
			q, err := f.DeadLetterQueue(ctx)
			if err != nil {
				return fmt.Errorf("mega: finding the dead-letter queue: %w", err)
			}
			if q != nil {
				c.dlq = q
			}
		}
	}
	if c.dlq == nil {
		c.log.Warn("mega: no dead-letter queue: permanent failures will be logged and deleted")
	}
	return nil
}

// addPoller starts a poller, unless shutdown began or there are as many as
// allowed or too little room in flight for another full batch; first
// starts the first one whatever the room.
func (c *Consumer) addPoller(s *session, first bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	select {
	case <-s.stopping:
		return
	default:
	}
	if !first && (s.active >= c.cfg.pollers || cap(c.slots)-len(c.slots) < c.batch()) {
		return
	}
	s.active++
	s.pollers.Add(1)
	go func() {
		defer s.pollers.Done()
		c.poll(s)
	}()
}

// retirePoller lets a poller go, unless it is the last one.
func (s *session) retirePoller() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.active > 1 {
		s.active--
		return true
	}
	return false
}

// batch is how many messages a poller asks for.
func (c *Consumer) batch() int { return min(transport.MaxBatch, cap(c.slots)) }

// poll receives messages while there is room for them, until shutdown.
func (c *Consumer) poll(s *session) {
	want := c.batch()
	failures := 0
	for {
		// Back-pressure: wait for room for a full batch. One poller gathers
		// at a time, or two could each hold part of the room forever.
		got := 0
		c.slotsMu.Lock()
		for got < want {
			select {
			case c.slots <- struct{}{}:
				got++
			case <-s.stopping:
				c.slotsMu.Unlock()
				c.freeSlots(got)
				return
			}
		}
		c.slotsMu.Unlock()
		select {
		case <-s.stopping:
			c.freeSlots(got)
			return
		default:
		}
		// Always ask for the visibility the heartbeat works with: a queue
		// whose own is 0 would otherwise hand the message out again at once.
		req := transport.ReceiveRequest{MaxMessages: got, WaitTime: c.cfg.waitTime, VisibilityTimeout: c.visibility}
		msgs, err := c.queue.Receive(s.pollCtx, req)
		c.freeSlots(got - len(msgs))
		if err != nil {
			if s.pollCtx.Err() != nil {
				return
			}
			failures++
			wait := min(time.Duration(failures)*time.Second, 30*time.Second)
			c.log.Warn("mega: receive failed; retrying", "error", err, "retry_in", wait)
			select {
			case <-time.After(wait):
			case <-s.stopping:
				return
			}
			continue
		}
		failures = 0
		if len(msgs) == 0 {
			if s.retirePoller() {
				return // the queue is quiet: one poller is enough
			}
			continue
		}
		c.stats.received.Add(int64(len(msgs)))
		now := time.Now()
		items := make([]*inflight, len(msgs))
		for i := range msgs {
			items[i] = &inflight{msg: msgs[i], deadline: now.Add(c.visibility), received: now}
			c.flight.add(items[i])
		}
		select {
		case <-s.stopping:
			// The poll finished after shutdown began: give back what it brought.
			for _, it := range items {
				c.finish(it, outcomeRelease, 0, "")
			}
			return
		default:
		}
		if len(msgs) == got {
			c.addPoller(s, false) // a full batch: there may be more where it came from
		}
		c.dispatch(s, items)
	}
}

func (c *Consumer) freeSlots(n int) {
	for range n {
		<-c.slots
	}
}

// dispatch starts the handling of a batch: one goroutine per message, or
// on a FIFO queue one per message group, which handles the group's
// messages in order. Each message waits for a worker; messages still
// waiting when shutdown begins are given back at once.
func (c *Consumer) dispatch(s *session, items []*inflight) {
	if !c.fifo {
		for _, it := range items {
			s.handlers.Add(1)
			go func() {
				defer s.handlers.Done()
				if !c.acquireWorker(s) {
					c.finish(it, outcomeRelease, 0, "")
					return
				}
				defer func() { <-c.workers }()
				c.handle(s.hard, it)
			}()
		}
		return
	}
	var order []string
	groups := map[string][]*inflight{}
	for _, it := range items {
		g := it.msg.GroupID
		if _, ok := groups[g]; !ok {
			order = append(order, g)
		}
		groups[g] = append(groups[g], it)
	}
	for _, g := range order {
		group := groups[g]
		s.handlers.Add(1)
		go func() {
			defer s.handlers.Done()
			for i, it := range group {
				o := outcomeRelease
				if c.acquireWorker(s) {
					o = c.handle(s.hard, it)
					<-c.workers
				}
				if o == outcomeRetry || o == outcomeRelease {
					// Later messages of the group must wait for this one:
					// give them back, the queue keeps the group in order.
					for _, rest := range group[i:] {
						c.finish(rest, outcomeRelease, 0, "")
					}
					return
				}
			}
		}()
	}
}

// acquireWorker waits for a free worker; it reports false when shutdown
// began first.
func (c *Consumer) acquireWorker(s *session) bool {
	select {
	case <-s.stopping:
		return false
	default:
	}
	select {
	case c.workers <- struct{}{}:
		return true
	case <-s.stopping:
		return false
	}
}

// handle decodes a message, runs the matching subscribers and settles the
// message; it returns the outcome.
func (c *Consumer) handle(ctx context.Context, it *inflight) (o outcome) {
	if it.settled() {
		// Released at the end of the grace period while it waited its turn
		// in its FIFO group: it is someone else's now.
		return outcomeRelease
	}
	tm := it.msg
	log := c.log.With("message_id", tm.ID, "receive_count", tm.ReceiveCount)
	dm, err := c.dec.Decode(tm.Body)
	if log.Enabled(ctx, slog.LevelDebug) {
		log.Debug("mega: message received", "kind", dm.Kind.String(), "body", tm.Body)
	}
	m := &Message{
		Message:      dm,
		ID:           tm.ID,
		Body:         tm.Body,
		ReceiveCount: tm.ReceiveCount,
		Attributes:   tm.Attributes,
		System:       tm.System,
		GroupID:      tm.GroupID,
		SentAt:       tm.SentAt,
	}
	var subs []*compiled
	switch dm.Kind {
	case protocol.KindInvalid:
		return c.finish(it, outcomeDeadLetter, 0, err.Error())
	case protocol.KindNone:
		// An SNS subscription (un)confirmation: nothing to process.
		c.stats.unmatched.Add(1)
		return c.finish(it, outcomeDone, 0, "")
	case protocol.KindMega:
		subs = c.matching(&c.events, dm.Document(), false)
	case protocol.KindData:
		subs = c.matching(&c.data, dm.Data, false)
	case protocol.KindText, protocol.KindBinary:
		if c.raw.Load() == 0 {
			return c.finish(it, outcomeDeadLetter, 0, fmt.Sprintf("not a MEGA message: the body is %s, not a JSON or BSON document", describeKind(dm.Kind)))
		}
		subs = c.matching(nil, nil, true)
	}
	if len(subs) == 0 {
		c.stats.unmatched.Add(1)
		log.Debug("mega: no subscriber matches the message", "kind", dm.Kind.String())
		if c.cfg.keepUnmatched {
			return c.finish(it, outcomeLeave, 0, "")
		}
		return c.finish(it, outcomeDone, 0, "")
	}

	var (
		retry   bool
		delay   time.Duration
		reasons []string
		lastErr error
	)
	for _, s := range subs {
		err := c.run(ctx, s, m)
		if ctx.Err() != nil && it.settled() {
			return outcomeRelease // released at the end of the grace period
		}
		so, d := classify(err)
		switch so {
		case outcomeRetry:
			retry = true
			delay = max(delay, d)
			var r *RetryError
			if !errors.As(err, &r) {
				c.stats.handlerErrors.Add(1)
				lastErr = err
				log.Warn("mega: subscriber failed; the message will be retried", "subscriber", s.Name, "error", err)
			} else {
				log.Debug("mega: subscriber asked for a retry", "subscriber", s.Name, "delay", d)
			}
		case outcomeDeadLetter:
			reasons = append(reasons, fmt.Sprintf("subscriber %s: %v", s.Name, err))
		}
	}
	switch {
	case retry && c.cfg.maxReceives > 0 && tm.ReceiveCount >= c.cfg.maxReceives:
		reason := fmt.Sprintf("retried %d times", tm.ReceiveCount)
		if lastErr != nil {
			reason += ": last error: " + lastErr.Error()
		}
		return c.finish(it, outcomeDeadLetter, 0, strings.Join(append(reasons, reason), "; "))
	case retry:
		if delay == 0 {
			delay = backoff(tm.ReceiveCount, c.cfg.backoffBase, c.cfg.backoffMax)
		}
		return c.finish(it, outcomeRetry, delay, "")
	case len(reasons) > 0:
		return c.finish(it, outcomeDeadLetter, 0, strings.Join(reasons, "; "))
	}
	c.stats.processed.Add(1)
	return c.finish(it, outcomeDone, 0, "")
}

func describeKind(k protocol.Kind) string {
	if k == protocol.KindBinary {
		return "binary data"
	}
	return "plain text"
}

// matching returns the subscribers a document matches, in the order they
// were added; with raw, the Raw subscribers.
func (c *Consumer) matching(set *match.Set, doc any, raw bool) []*compiled {
	c.mu.Lock()
	subs := c.subs
	c.mu.Unlock()
	if raw {
		var out []*compiled
		for _, s := range subs {
			if s.Raw {
				out = append(out, s)
			}
		}
		return out
	}
	var buf [8]int
	ids := set.Matches(doc, buf[:0])
	sort.Ints(ids)
	out := make([]*compiled, 0, len(ids))
	for _, id := range ids {
		if id < len(subs) { // a subscriber added since subs was read waits for the next message
			out = append(out, subs[id])
		}
	}
	return out
}

// run calls one subscriber's Validate and Process, turning a panic into a
// retriable error and a validation error into a permanent one.
func (c *Consumer) run(ctx context.Context, s *compiled, m *Message) (err error) {
	defer func() {
		if v := recover(); v != nil {
			err = &PanicError{Value: v, Stack: debug.Stack()}
		}
	}()
	if s.Validate != nil {
		if err := s.Validate(ctx, m); err != nil {
			var p *PermanentError
			if errors.As(err, &p) {
				return err
			}
			return Permanent(fmt.Errorf("validation failed: %w", err))
		}
	}
	return s.Process(ctx, m)
}

// finish settles a message once: it queues the delete, the visibility
// change or the dead-lettering its outcome calls for, stops its heartbeat
// and frees its slot. Later calls for the same message do nothing.
func (c *Consumer) finish(it *inflight, o outcome, delay time.Duration, reason string) outcome {
	if !it.settle() {
		return outcomeRelease
	}
	deadline := c.flight.remove(it)
	defer func() { <-c.slots }()
	tm := it.msg
	switch o {
	case outcomeDone:
		c.deleter.add(receipt{handle: tm.ReceiptHandle, id: tm.ID, deadline: deadline})
	case outcomeRetry:
		c.stats.retried.Add(1)
		c.changer.add(visibilityChange{handle: tm.ReceiptHandle, id: tm.ID, timeout: min(delay, transport.MaxVisibilityTimeout), why: "retry", deadline: deadline})
	case outcomeRelease:
		c.stats.released.Add(1)
		c.changer.add(visibilityChange{handle: tm.ReceiptHandle, id: tm.ID, why: "release", deadline: deadline})
	case outcomeDeadLetter:
		if err := c.deadLetter(tm, reason); err != nil {
			c.log.Error("mega: sending to the dead-letter queue failed; the message will be retried",
				"message_id", tm.ID, "reason", reason, "error", err)
			c.stats.retried.Add(1)
			d := backoff(tm.ReceiveCount, c.cfg.backoffBase, c.cfg.backoffMax)
			c.changer.add(visibilityChange{handle: tm.ReceiptHandle, id: tm.ID, timeout: d, why: "retry", deadline: deadline})
			return outcomeRetry
		}
		c.stats.deadLettered.Add(1)
		c.deleter.add(receipt{handle: tm.ReceiptHandle, id: tm.ID, deadline: deadline})
	case outcomeLeave:
	}
	return o
}

// deadLetter sends a copy of the message, with the reason, to the
// dead-letter queue; without one it logs the message at error level.
func (c *Consumer) deadLetter(tm transport.Message, reason string) error {
	if len(reason) > maxReasonLen {
		reason = reason[:maxReasonLen-len("…")] + "…"
	}
	if c.dlq == nil {
		c.log.Error("mega: dropping a message that cannot be processed (no dead-letter queue)",
			"message_id", tm.ID, "reason", reason)
		return nil
	}
	out := transport.Outgoing{
		Body:       tm.Body,
		Attributes: make(map[string]transport.Attribute, len(tm.Attributes)+1),
	}
	names := make([]string, 0, len(tm.Attributes))
	for k := range tm.Attributes {
		names = append(names, k)
	}
	sort.Strings(names)
	for i, k := range names {
		if i == transport.MaxAttributes-1 {
			c.log.Warn("mega: the dead-lettered copy leaves out attributes to make room for the reason",
				"message_id", tm.ID, "left_out", names[i:])
			break
		}
		out.Attributes[k] = tm.Attributes[k]
	}
	out.Attributes[AttrDeadLetterReason] = transport.StringAttribute(reason)
	if c.fifo {
		out.GroupID = tm.GroupID
		out.DeduplicationID = tm.ID
	}
	c.log.Warn("mega: sending a message to the dead-letter queue", "message_id", tm.ID, "reason", reason)
	ctx, cancel := context.WithTimeout(c.opCtx, 30*time.Second)
	defer cancel()
	err := sendOne(ctx, c.dlq, out)
	if errors.Is(err, transport.ErrTooLarge) {
		// No room for the reason: send the message as it came, the reason
		// stays in the log above.
		delete(out.Attributes, AttrDeadLetterReason)
		err = sendOne(ctx, c.dlq, out)
	}
	return err
}

func sendOne(ctx context.Context, s transport.Sender, out transport.Outgoing) error {
	res, err := s.Send(ctx, []transport.Outgoing{out})
	if err != nil {
		return err
	}
	if len(res) != 1 {
		return fmt.Errorf("mega: queue answered %d results for 1 message", len(res))
	}
	return res[0].Err
}

// A delete or visibility change that fails is tried again, with growing
// pauses, for as long as it can still matter: until shortly before the
// message becomes visible again on its own (then it is delivered again,
// which at-least-once allows), or until the consumer gives up its last
// operations at the end of a shutdown.
const (
	opMargin   = 500 * time.Millisecond
	opMaxPause = 5 * time.Second
)

// retrying runs op on items until it succeeds for each or may stop: op
// returns the items to try again; live reports whether an item is still
// worth trying at a time.
func retrying[T any](c *Consumer, items []T, live func(T, time.Time) bool, op func([]T) []T) (gaveUp []T) {
	pause := 200 * time.Millisecond
	for {
		items = op(items)
		if len(items) == 0 {
			return nil
		}
		now := time.Now()
		var keep []T
		for _, it := range items {
			if live(it, now.Add(pause)) {
				keep = append(keep, it)
			} else {
				gaveUp = append(gaveUp, it)
			}
		}
		if len(keep) == 0 {
			return gaveUp
		}
		t := time.NewTimer(pause)
		select {
		case <-t.C:
		case <-c.opCtx.Done():
			t.Stop()
			return append(gaveUp, keep...)
		}
		items = keep
		pause = min(2*pause, opMaxPause)
	}
}

// hopeless reports whether trying an operation again cannot help: the
// queue is gone, or refuses the request itself.
func hopeless(err error) bool {
	return errors.Is(err, transport.ErrQueueNotFound) || errors.Is(err, transport.ErrInvalidRequest) ||
		errors.Is(err, transport.ErrClosed)
}

func (c *Consumer) flushDeletes(items []receipt) {
	var lastErr error
	gaveUp := retrying(c, items,
		func(r receipt, at time.Time) bool { return !hopeless(lastErr) && at.Before(r.deadline.Add(-opMargin)) },
		func(items []receipt) []receipt {
			handles := make([]string, len(items))
			for i, r := range items {
				handles[i] = r.handle
			}
			ctx, cancel := context.WithTimeout(c.opCtx, 30*time.Second)
			errs, err := c.queue.Delete(ctx, handles)
			cancel()
			if err != nil {
				lastErr = err
				return items
			}
			var again []receipt
			for i, e := range errs {
				switch {
				case e == nil:
					c.stats.deleted.Add(1)
				case errors.Is(e, transport.ErrReceiptInvalid):
					c.log.Warn("mega: deleting a message failed: its receipt is no longer valid; it may be processed again",
						"message_id", items[i].id, "error", e)
				default:
					lastErr = e
					again = append(again, items[i])
				}
			}
			return again
		})
	for _, r := range gaveUp {
		c.stats.deleteFailures.Add(1)
		c.log.Error("mega: deleting a message failed; it will be delivered again", "message_id", r.id, "error", lastErr)
	}
}

func (c *Consumer) flushVisibility(items []visibilityChange) {
	var lastErr error
	gaveUp := retrying(c, items,
		func(v visibilityChange, at time.Time) bool {
			return !hopeless(lastErr) && at.Before(v.deadline.Add(-opMargin))
		},
		func(items []visibilityChange) []visibilityChange {
			changes := make([]transport.VisibilityChange, len(items))
			for i, v := range items {
				changes[i] = transport.VisibilityChange{ReceiptHandle: v.handle, Timeout: v.timeout}
			}
			sent := time.Now()
			ctx, cancel := context.WithTimeout(c.opCtx, 30*time.Second)
			errs, err := c.queue.ChangeVisibility(ctx, changes)
			cancel()
			if err != nil {
				lastErr = err
				return items
			}
			var again []visibilityChange
			for i, e := range errs {
				v := items[i]
				switch {
				case e == nil:
					if v.beat != nil {
						c.flight.extended(v.beat, sent.Add(v.timeout))
					}
				case errors.Is(e, transport.ErrReceiptInvalid):
					c.log.Warn("mega: changing a message's visibility failed: its receipt is no longer valid",
						"message_id", v.id, "change", v.why, "error", e)
					if v.beat != nil {
						c.flight.extended(v.beat, time.Time{})
					}
				default:
					lastErr = e
					again = append(again, v)
				}
			}
			return again
		})
	for _, v := range gaveUp {
		if v.beat != nil {
			// The next beat tries again, while the message is still held.
			c.flight.extended(v.beat, time.Time{})
			continue
		}
		c.log.Error("mega: changing a message's visibility failed", "message_id", v.id, "change", v.why, "error", lastErr)
	}
}

// heartbeat extends the visibility of messages still being handled when
// half of it has run out. A message's deadline moves only once the
// extension succeeded, so a failed one is tried again at the next beat.
func (c *Consumer) heartbeat(stop <-chan struct{}) {
	interval := max(c.visibility/4, 250*time.Millisecond)
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-stop:
			return
		case now := <-t.C:
			for _, d := range c.flight.due(now.Add(c.visibility / 2)) {
				c.changer.add(visibilityChange{
					handle: d.it.msg.ReceiptHandle, id: d.it.msg.ID, timeout: c.visibility,
					why: "heartbeat", deadline: d.deadline, beat: d.it,
				})
			}
		}
	}
}

// inflight is a received message not yet settled.
type inflight struct {
	msg       transport.Message
	received  time.Time
	deadline  time.Time // guarded by inflightSet.mu
	extending bool      // a heartbeat is under way; guarded by inflightSet.mu
	done      atomic.Bool
}

func (it *inflight) settle() bool  { return it.done.CompareAndSwap(false, true) }
func (it *inflight) settled() bool { return it.done.Load() }

// inflightSet holds the messages in flight, for the heartbeat and for the
// release at shutdown.
type inflightSet struct {
	mu sync.Mutex
	m  map[*inflight]struct{}
}

func (s *inflightSet) add(it *inflight) {
	s.mu.Lock()
	if s.m == nil {
		s.m = make(map[*inflight]struct{})
	}
	s.m[it] = struct{}{}
	s.mu.Unlock()
}

// remove forgets a message and returns when its visibility ends.
func (s *inflightSet) remove(it *inflight) time.Time {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.m, it)
	return it.deadline
}

// extended records the outcome of a heartbeat: the new deadline, or the
// zero time when it failed.
func (s *inflightSet) extended(it *inflight, deadline time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	it.extending = false
	if deadline.After(it.deadline) {
		it.deadline = deadline
	}
}

func (s *inflightSet) len() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.m)
}

func (s *inflightSet) all() []*inflight {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]*inflight, 0, len(s.m))
	for it := range s.m {
		out = append(out, it)
	}
	return out
}

// due returns the messages whose visibility ends before soon and that no
// heartbeat is extending yet, and marks them as being extended.
func (s *inflightSet) due(soon time.Time) []dueBeat {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []dueBeat
	for it := range s.m {
		if !it.extending && it.deadline.Before(soon) {
			it.extending = true
			out = append(out, dueBeat{it, it.deadline})
		}
	}
	return out
}

// dueBeat is a message a heartbeat must extend, and its current deadline.
type dueBeat struct {
	it       *inflight
	deadline time.Time
}
