package lease

import (
	"time"

	"github.com/sqs-mega/sqs-mega-go/transport"
)

// heartbeat extends, in batches, the visibility of every held message
// (handled or waiting) once half of it has run out, counted from the
// receive request's start. It beats every eighth of the visibility, so
// that an extension leaves while at least three eighths remain: room for
// a slow round trip, and for a delete sent just before the next beat. A
// message's deadline moves only once its extension succeeded, so a failed
// one is tried again at the next beat.
func (l *Lease) heartbeat() {
	defer close(l.beatDone)
	interval := max(l.cfg.Visibility/8, 100*time.Millisecond)
	for sleep(l.clock, interval, l.beatStop) {
		now := l.clock.Now()
		for _, o := range l.due(now.Add(l.cfg.Visibility / 2)) {
			l.changes.add(o)
		}
		l.sweep(now)
	}
}

// due returns the extensions of the held messages whose visibility ends
// before soon and that no heartbeat is extending yet, and marks them as
// being extended.
func (l *Lease) due(soon time.Time) []op {
	l.mu.Lock()
	defer l.mu.Unlock()
	var out []op
	for _, m := range l.held {
		if m.state >= deleting || m.extending || m.expired || !m.deadline.Before(soon) {
			continue
		}
		t := min(l.cfg.Visibility, l.maxVisibilityLocked(m))
		if t <= 0 {
			continue // at SQS's 12 hours: the message comes back when they end
		}
		m.extending = true
		out = append(out, op{handle: m.handle, id: m.Message.ID, deadline: m.deadline, timeout: t, why: "heartbeat", beat: m})
	}
	return out
}

func (l *Lease) maxVisibilityLocked(m *Msg) time.Duration {
	left := transport.MaxVisibilityTimeout - l.clock.Now().Sub(m.received) - time.Second
	return max(0, left.Truncate(time.Second))
}

// extended records the outcome of a heartbeat: the new deadline, or the
// zero time when it failed; invalid is the queue's refusal of the receipt.
// The outcome of an extension made with a receipt that a newer copy has
// replaced since is ignored.
func (l *Lease) extended(o op, deadline time.Time, invalid error) {
	m := o.beat
	l.mu.Lock()
	defer l.mu.Unlock()
	m.extending = false
	if m.handle != o.handle || m.state >= deleting {
		return // a newer receipt took over, or the message is settled
	}
	switch {
	case invalid != nil:
		l.Counts.ExtendFailures.Add(1)
		m.expired = true
		if m.state == waiting {
			// Not started: the queue may hand it to someone else, so it
			// must not be handled here.
			l.dropLocked(m)
			return
		}
		l.log.Warn("mega: extending a message's visibility failed: its receipt is no longer valid; it may be handled elsewhere too",
			"message_id", m.Message.ID, "error", invalid)
	case deadline.IsZero():
		l.Counts.ExtendFailures.Add(1)
	default:
		l.Counts.Extended.Add(1)
		if deadline.After(m.deadline) {
			m.deadline = deadline
		}
	}
}
