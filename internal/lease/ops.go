package lease

import (
	"context"
	"errors"
	"time"

	"github.com/sqs-mega/sqs-mega-go/transport"
)

// op is a delete or a change of visibility of one message.
type op struct {
	handle, id string
	deadline   time.Time     // when the message becomes visible again: no use settling it later
	timeout    time.Duration // the new visibility (changes)
	why        string        // "retry", "release", "heartbeat", …
	beat       *Msg          // for a heartbeat: the held message whose deadline moves once it succeeds
	msg        *Msg          // for a delete: the message, forgotten once it is over
	after      func()        // for a delete: called once it succeeded
}

// A delete or visibility change that fails is tried again, with growing
// pauses, for as long as it can still matter: until shortly before the
// message becomes visible again on its own (then it is delivered again,
// which at-least-once allows), or until Close gives up its last
// operations.
const (
	opMargin   = 500 * time.Millisecond
	opMaxPause = 5 * time.Second
	opTimeout  = 30 * time.Second
)

// retrying runs send on items until it succeeds for each or may stop:
// send returns the items to try again and the last error; an item is
// tried again while its deadline has not come and the error may pass.
func (l *Lease) retrying(items []op, send func([]op) ([]op, error)) (gaveUp []op, lastErr error) {
	pause := 200 * time.Millisecond
	for {
		var err error
		items, err = send(items)
		if err != nil {
			lastErr = err
		}
		if len(items) == 0 {
			return gaveUp, lastErr
		}
		next := l.clock.Now().Add(pause)
		var keep []op
		for _, it := range items {
			if !hopeless(lastErr) && next.Before(it.deadline.Add(-opMargin)) {
				keep = append(keep, it)
			} else {
				gaveUp = append(gaveUp, it)
			}
		}
		if len(keep) == 0 {
			return gaveUp, lastErr
		}
		if !sleep(l.clock, pause, l.opCtx.Done()) {
			return append(gaveUp, keep...), lastErr
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

func (l *Lease) flushDeletes(items []op) {
	gaveUp, lastErr := l.retrying(items, func(items []op) ([]op, error) {
		handles := make([]string, len(items))
		for i, r := range items {
			handles[i] = r.handle
		}
		ctx, cancel := context.WithTimeout(l.opCtx, opTimeout)
		errs, err := l.cfg.Queue.Delete(ctx, handles)
		cancel()
		if err != nil {
			return items, err
		}
		var again []op
		var last error
		for i, e := range errs {
			switch {
			case e == nil:
				l.Counts.Deleted.Add(1)
				if items[i].after != nil {
					items[i].after()
				}
				l.deleted(items[i])
			case errors.Is(e, transport.ErrReceiptInvalid):
				l.log.Warn("mega: deleting a message failed: its receipt is no longer valid; should it come back here, it is deleted, not handled again",
					"message_id", items[i].id, "error", e)
				l.tombstone(items[i])
			default:
				last = e
				again = append(again, items[i])
			}
		}
		return again, last
	})
	for _, r := range gaveUp {
		l.Counts.DeleteFailures.Add(1)
		l.log.Error("mega: deleting a message failed; it will be delivered again (to this process: deleted, not handled again)", "message_id", r.id, "error", lastErr)
		l.tombstone(r)
	}
}

func (l *Lease) flushChanges(items []op) {
	gaveUp, lastErr := l.retrying(items, func(items []op) ([]op, error) {
		changes := make([]transport.VisibilityChange, len(items))
		for i, v := range items {
			changes[i] = transport.VisibilityChange{ReceiptHandle: v.handle, Timeout: v.timeout}
		}
		sent := l.clock.Now()
		ctx, cancel := context.WithTimeout(l.opCtx, opTimeout)
		errs, err := l.cfg.Queue.ChangeVisibility(ctx, changes)
		cancel()
		if err != nil {
			return items, err
		}
		var again []op
		var last error
		for i, e := range errs {
			v := items[i]
			switch {
			case e == nil:
				if v.beat != nil {
					l.extended(v, sent.Add(v.timeout), nil)
				}
			case errors.Is(e, transport.ErrReceiptInvalid):
				if v.beat != nil {
					l.extended(v, time.Time{}, e)
					continue
				}
				l.log.Warn("mega: changing a message's visibility failed: its receipt is no longer valid",
					"message_id", v.id, "change", v.why, "error", e)
			default:
				last = e
				again = append(again, v)
			}
		}
		return again, last
	})
	for _, v := range gaveUp {
		if v.beat != nil {
			// The next beat tries again, while the message is still held.
			l.extended(v, time.Time{}, nil)
			continue
		}
		l.log.Error("mega: changing a message's visibility failed", "message_id", v.id, "change", v.why, "error", lastErr)
	}
}
