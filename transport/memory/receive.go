package memory

// Receiving, deleting and changing the visibility of messages: the
// operations on received messages and their receipt handles.

import (
	"context"
	"fmt"
	"time"

	"github.com/sqs-mega/sqs-mega-go/transport"
)

// Receive receives up to req.MaxMessages messages (ReceiveMessage),
// waiting up to req.WaitTime for the first to arrive. It wakes as soon
// as a message is sent, or becomes visible again, and returns early
// with ctx.Err() when ctx ends. A message the queue's redrive policy
// condemns moves to the dead-letter queue instead of being delivered.
//
// MaxMessages outside 0..transport.MaxBatch, WaitTime outside
// 0..transport.MaxWaitTime and VisibilityTimeout outside
// 0..transport.MaxVisibilityTimeout fail with transport.ErrInvalidRequest.
func (q *Queue) Receive(ctx context.Context, req transport.ReceiveRequest) ([]transport.Message, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if err := transport.CheckReceive(req); err != nil {
		return nil, fmt.Errorf("memory: %w", err)
	}
	n := max(req.MaxMessages, 1)
	clock := q.broker.clock
	var deadline time.Time
	for {
		c := q.conf.Load()
		vis := req.VisibilityTimeout
		if vis == 0 {
			vis = c.vis
		}
		// Resolve the dead-letter queue before locking this one: the
		// broker's lock is never taken under a queue's.
		var dlq *Queue
		maxReceives := 0
		if r := c.cfg.Redrive; r != nil {
			dlq, _ = q.broker.queueByARN(q.broker.resolveARN(r.DeadLetterQueue))
			maxReceives = r.MaxReceiveCount
		}

		q.mu.Lock()
		if q.err != nil {
			err := q.err
			q.mu.Unlock()
			return nil, err
		}
		now := clock.Now()
		if deadline.IsZero() {
			deadline = now.Add(req.WaitTime)
		}
		out, moved := q.takeLocked(now, n, vis, dlq, maxReceives)
		var wake chan struct{}
		var next time.Time
		if len(out) == 0 && now.Before(deadline) {
			if q.wake == nil {
				q.wake = make(chan struct{})
			}
			wake = q.wake
			if m := q.timed.peek(); m != nil {
				next = m.due
			}
		}
		q.mu.Unlock()

		if len(moved) > 0 {
			dlq.acceptMoved(moved)
		}
		if wake == nil {
			return out, nil
		}

		wait := deadline.Sub(now)
		if !next.IsZero() && next.Sub(now) < wait {
			wait = next.Sub(now)
		}
		timeout := make(chan struct{})
		stop := clock.AfterFunc(wait, func() { close(timeout) })
		select {
		case <-ctx.Done():
			stop()
			return nil, ctx.Err()
		case <-wake:
		case <-timeout:
		}
		stop()
	}
}

// takeLocked receives up to n messages. Messages received maxReceives
// times already are taken out of the queue and returned in moved, for
// the caller to hand to dlq once this queue is unlocked.
func (q *Queue) takeLocked(now time.Time, n int, vis time.Duration, dlq *Queue, maxReceives int) (out []transport.Message, moved []*message) {
	q.promoteLocked(now)
	condemned := func(m *message) bool {
		if dlq != nil && m.receives >= maxReceives {
			q.totals.Removed++
			return true
		}
		return false
	}
	if !q.fifo {
		if avail := q.ready.Len(); avail > 0 {
			out = make([]transport.Message, 0, min(n, avail))
		}
		for len(out) < n {
			m := q.ready.pop()
			if m == nil {
				break
			}
			if condemned(m) {
				delete(q.msgs, m.seq)
				moved = append(moved, m)
				continue
			}
			out = append(out, q.deliverLocked(m, now, vis))
		}
		return out, moved
	}
	for len(out) < n {
		g := q.readyGroups.peek()
		if g == nil {
			break
		}
		if out == nil {
			out = make([]transport.Message, 0, n)
		}
		q.readyGroups.remove(g)
		// Take the group's visible messages from the front, in order, as
		// SQS does before it turns to another group.
		for i := 0; i < g.len() && len(out) < n; {
			m := g.at(i)
			if m.state != visible {
				break
			}
			if condemned(m) {
				g.removeAt(i)
				m.group = nil
				delete(q.msgs, m.seq)
				moved = append(moved, m)
				continue
			}
			out = append(out, q.deliverLocked(m, now, vis))
			i++
		}
		q.refreshGroupLocked(g)
	}
	return out, moved
}

// deliverLocked marks a visible message, already out of the ready
// structures, as received, and returns what the receiver gets.
func (q *Queue) deliverLocked(m *message, now time.Time, vis time.Duration) transport.Message {
	m.receives++
	q.totals.Received++
	if m.firstReceive.IsZero() {
		m.firstReceive = now
	}
	m.lastReceive = now
	m.state = inFlight
	m.due = now.Add(vis)
	q.timed.push(m)
	q.inFlight++
	if m.group != nil {
		m.group.inFlight++
	}
	return m.snapshot(receipt{queue: q.incarnation, seq: m.seq, receives: uint32(m.receives)}.String())
}

// acceptMoved appends messages moved from a source queue by its redrive
// policy. They keep their ids, bodies, attributes, timestamps and
// receive counts, as on SQS. If this queue is gone, they are lost.
func (q *Queue) acceptMoved(msgs []*message) {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.err != nil {
		return
	}
	now := q.broker.clock.Now()
	for _, m := range msgs {
		q.insertLocked(m, 0, now)
	}
	q.totals.Sent += uint64(len(msgs))
	q.notifyLocked()
}

// lookupLocked finds the message a receipt handle names. It returns
// nil, nil for a handle this queue issued to a message that is no
// longer in it (deleted, moved or purged).
func (q *Queue) lookupLocked(handle string) (*message, error) {
	r, ok := parseReceipt(handle)
	if !ok || r.queue != q.incarnation || r.seq >= q.nextSeq || r.receives == 0 {
		return nil, entryError(transport.ErrReceiptInvalid, "ReceiptHandleIsInvalid",
			"the receipt handle %q is not a valid receipt handle of queue %s", handle, q.name)
	}
	m := q.msgs[r.seq]
	if m == nil {
		return nil, nil
	}
	if uint32(m.receives) != r.receives {
		return nil, entryError(transport.ErrReceiptInvalid, "ReceiptHandleIsInvalid",
			"the receipt handle %q has expired: the message was received again", handle)
	}
	return m, nil
}

// Delete deletes up to transport.MaxBatch received messages
// (DeleteMessageBatch). A handle this queue never issued, or one made
// stale by a later receive of its message, fails its entry with an error
// wrapping transport.ErrReceiptInvalid. Deleting a message that is
// already gone succeeds, as on SQS.
func (q *Queue) Delete(ctx context.Context, receiptHandles []string) ([]error, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if err := transport.CheckBatchSize(len(receiptHandles)); err != nil {
		return nil, fmt.Errorf("memory: %w", err)
	}
	errs := make([]error, len(receiptHandles))
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.err != nil {
		return nil, q.err
	}
	for i, h := range receiptHandles {
		m, err := q.lookupLocked(h)
		if err != nil {
			errs[i] = err
			continue
		}
		if m != nil {
			q.removeLocked(m)
			q.totals.Removed++
		}
	}
	if q.fifo {
		// A deletion may have unblocked a group.
		q.notifyLocked()
	}
	return errs, nil
}

// ChangeVisibility changes the visibility timeout of up to
// transport.MaxBatch received messages (ChangeMessageVisibilityBatch),
// counting the new timeout from now; zero makes a message visible at
// once. An entry fails with an error wrapping transport.ErrReceiptInvalid
// when its handle is not current or its message is no longer in flight,
// and with one wrapping transport.ErrInvalidRequest when the timeout is
// out of range or would keep the message invisible for more than
// transport.MaxVisibilityTimeout after it was received.
func (q *Queue) ChangeVisibility(ctx context.Context, changes []transport.VisibilityChange) ([]error, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if err := transport.CheckBatchSize(len(changes)); err != nil {
		return nil, fmt.Errorf("memory: %w", err)
	}
	errs := make([]error, len(changes))
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.err != nil {
		return nil, q.err
	}
	now := q.broker.clock.Now()
	q.promoteLocked(now)
	for i, c := range changes {
		if err := transport.CheckVisibilityTimeout(c.Timeout); err != nil {
			errs[i] = err
			continue
		}
		m, err := q.lookupLocked(c.ReceiptHandle)
		switch {
		case err != nil:
			errs[i] = err
			continue
		case m == nil:
			errs[i] = entryError(transport.ErrReceiptInvalid, "ReceiptHandleIsInvalid",
				"the message of receipt handle %q is no longer in the queue", c.ReceiptHandle)
			continue
		case m.state != inFlight:
			errs[i] = entryError(transport.ErrReceiptInvalid, "MessageNotInflight",
				"the message of receipt handle %q is not in flight: its visibility timeout ended", c.ReceiptHandle)
			continue
		}
		due := now.Add(c.Timeout)
		if due.Sub(m.lastReceive) > transport.MaxVisibilityTimeout {
			errs[i] = entryError(transport.ErrInvalidRequest, "InvalidParameterValue",
				"the message would stay invisible more than %v after it was received", transport.MaxVisibilityTimeout)
			continue
		}
		m.due = due
		q.timed.fix(m)
	}
	q.promoteLocked(now)
	q.notifyLocked()
	return errs, nil
}
