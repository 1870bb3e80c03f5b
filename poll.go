package mega

import (
	"time"

	"github.com/sqs-mega/sqs-mega-go/internal/lease"
	"github.com/sqs-mega/sqs-mega-go/transport"
)

// addPoller starts a poller, unless shutdown began or there are as many as
// allowed or as the pipe needs (window.pollers), or too little room for
// another full batch; first starts the first one whatever the room.
func (e *engine) addPoller(first bool) {
	e.pollersMu.Lock()
	defer e.pollersMu.Unlock()
	select {
	case <-e.stopping:
		return
	default:
	}
	if !first && (e.active >= min(e.cfg.pollers, e.needed()) || !e.window.room(e.batch())) {
		return
	}
	e.active++
	e.pollers.Add(1)
	go func() {
		defer e.pollers.Done()
		e.poll()
	}()
}

// retire lets a poller go when there are more than keep, and always keeps
// one; the caller then returns.
func (e *engine) retire(keep int) bool {
	e.pollersMu.Lock()
	defer e.pollersMu.Unlock()
	if e.active > max(1, keep) {
		e.active--
		return true
	}
	return false
}

// needed is how many pollers the pipe needs (window.pollers): on a short
// round trip, a few receives at once keep the handlers busy, and more
// would only hold messages back.
func (e *engine) needed() int { return e.window.pollers(e.batch()) }

// batch is how many messages a poller asks for.
func (e *engine) batch() int { return min(transport.MaxBatch, e.window.floor) }

// poll receives messages while there is room for them, until shutdown.
// Room is taken for each message asked for and given back for each that
// did not come, or came again while held, or once handled: so the
// messages held never exceed the window.
func (e *engine) poll() {
	want := e.batch()
	failures := 0
	for {
		// Back-pressure: wait for room for a full batch.
		got := want
		e.gather.Lock()
		ok := e.window.acquire(got)
		e.gather.Unlock()
		if !ok {
			return
		}
		if e.shuttingDown() {
			e.window.release(got, false)
			return
		}
		// Always ask for the visibility the heartbeat works with: a queue
		// whose own is 0 would otherwise hand the message out again at
		// once. Deadlines count from the request's start.
		req := transport.ReceiveRequest{MaxMessages: got, WaitTime: e.cfg.waitTime, VisibilityTimeout: e.visibility}
		sent := e.clock.Now()
		rctx, span, start := e.startReceive(e.pollCtx) // telemetry
		msgs, err := e.c.queue.Receive(rctx, req)
		link := e.endReceive(rctx, span, start, len(msgs), err) // telemetry
		if err != nil {
			e.window.release(got, false)
			if e.pollCtx.Err() != nil {
				return
			}
			failures++
			wait := min(time.Duration(failures)*time.Second, 30*time.Second)
			e.log.Warn("mega: receive failed; retrying", "error", err, "retry_in", wait)
			if !e.sleep(wait) {
				return
			}
			continue
		}
		failures = 0
		e.stats.received.Add(int64(len(msgs)))
		fresh := e.lease.Hold(msgs, sent)
		linkReceive(fresh, link) // telemetry
		e.window.release(got-len(fresh), false)
		if e.shuttingDown() {
			// The poll finished after shutdown began: give back what it brought.
			for _, m := range fresh {
				m.Release()
			}
			e.window.release(len(fresh), false)
			return
		}
		if len(msgs) == 0 {
			if e.retire(1) {
				return // the queue is quiet: one poller is enough
			}
			continue
		}
		if len(msgs) == got {
			// A full batch: there may be more where it came from.
			now := e.clock.Now()
			e.window.observe(now.Sub(sent), now)
			if len(e.work) < e.cfg.concurrency {
				// Fewer messages wait than there are handlers: the
				// window, not the handlers, holds the consumer back. Open
				// it, and add a poller more, by two batches a full receive.
				e.window.grow(2 * e.batch())
				e.addPoller(false)
				e.addPoller(false)
			}
		}
		e.dispatch(fresh)
		if e.retire(e.needed()) {
			return
		}
	}
}

// sleep waits d on the consumer's clock; it reports false when shutdown
// began first.
func (e *engine) sleep(d time.Duration) bool {
	ch := make(chan struct{})
	stop := e.clock.AfterFunc(d, func() { close(ch) })
	select {
	case <-ch:
		return true
	case <-e.stopping:
		stop()
		return false
	}
}

// dispatch hands received messages to the workers: one at a time, or on
// a FIFO queue the messages of one group together, to be handled in
// order.
func (e *engine) dispatch(msgs []*lease.Msg) {
	if !e.fifo {
		for _, m := range msgs {
			e.work <- []*lease.Msg{m}
		}
		return
	}
	var order []string
	groups := map[string][]*lease.Msg{}
	for _, m := range msgs {
		g := m.Message.GroupID
		if _, ok := groups[g]; !ok {
			order = append(order, g)
		}
		groups[g] = append(groups[g], m)
	}
	for _, g := range order {
		e.work <- groups[g]
	}
}
