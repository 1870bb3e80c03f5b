package lease

import (
	"context"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"go.opentelemetry.io/otel/trace"

	"github.com/sqs-mega/sqs-mega-go/transport"
)

// Queue is what a Lease needs of a queue.
type Queue interface {
	Delete(ctx context.Context, receiptHandles []string) ([]error, error)
	ChangeVisibility(ctx context.Context, changes []transport.VisibilityChange) ([]error, error)
}

// Config configures a Lease.
type Config struct {
	Queue Queue
	// Visibility is the visibility timeout asked for at each receive and
	// set by each extension.
	Visibility time.Duration
	// Clock defaults to the system clock.
	Clock Clock
	// Logger defaults to slog.Default().
	Logger *slog.Logger
	// FlushInterval is how long a delete or a change of visibility waits
	// for others to fill a batch (default 20 ms). It is a window of real
	// time, not of the Clock: it trades latency for fewer requests and
	// decides nothing.
	FlushInterval time.Duration
	// Flights is how many batches of each kind may be under way at once
	// (default 4).
	Flights int
	// Counts receives the lease's counts; nil: the lease keeps its own.
	Counts *Counts
}

// Counts are a lease's counters.
type Counts struct {
	// Deleted: messages deleted.
	Deleted atomic.Int64
	// DeleteFailures: deletes given up (the message comes back).
	DeleteFailures atomic.Int64
	// Extended: heartbeat extensions that succeeded.
	Extended atomic.Int64
	// ExtendFailures: heartbeat extensions that failed (tried again at
	// the next beat while the message is held).
	ExtendFailures atomic.Int64
	// Duplicates: copies of a held message received again and not handed
	// out, their receipt handle taken over.
	Duplicates atomic.Int64
	// Expired: held messages dropped unhandled because their receipt
	// expired before their handling started.
	Expired atomic.Int64
	// Released: messages made visible again at once.
	Released atomic.Int64
}

// Lease holds received messages until they are settled. It is safe for
// concurrent use.
type Lease struct {
	cfg     Config
	log     *slog.Logger
	clock   Clock
	deletes *batcher[op]
	changes *batcher[op]
	// Counts are the lease's counters (Config.Counts when given).
	Counts *Counts

	mu   sync.Mutex
	held map[string]*Msg // by message id

	opCtx    context.Context // cancelled when Close gives up the last operations
	opStop   context.CancelFunc
	beatStop chan struct{}
	beatDone chan struct{}
}

// state of a held message.
const (
	waiting  = iota // held, its handling not started
	running         // being handled
	covering        // being settled with a request that needs it held (a dead-letter copy)
	deleting        // settled by a delete not yet confirmed: a copy received meanwhile is deleted too
	done            // settled or dropped
)

// Msg is a held message.
type Msg struct {
	// Message is the message as first received; its ReceiptHandle is
	// that of the first receipt: settle through the Lease, which uses the
	// newest.
	Message transport.Message
	// Link is the span context of the receive that brought the message,
	// or nil when it was not traced: the message's processing links to
	// it. The messages of one receive share it.
	Link *trace.SpanContext

	l *Lease
	// guarded by l.mu
	handle    string
	deadline  time.Time
	state     int
	extending bool
	expired   bool // the queue refused the receipt: the message may be someone else's
	received  time.Time
	after     func()    // called once a delete is confirmed
	tombUntil time.Time // a delete that failed: until then a copy received is deleted, not handled
}

// New returns a Lease and starts its heartbeat; Close stops it.
func New(cfg Config) *Lease {
	if cfg.Clock == nil {
		cfg.Clock = System{}
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.FlushInterval <= 0 {
		cfg.FlushInterval = 20 * time.Millisecond
	}
	if cfg.Flights < 1 {
		cfg.Flights = 4
	}
	if cfg.Visibility < time.Second {
		cfg.Visibility = 30 * time.Second
	}
	if cfg.Counts == nil {
		cfg.Counts = new(Counts)
	}
	l := &Lease{
		Counts:   cfg.Counts,
		cfg:      cfg,
		log:      cfg.Logger,
		clock:    cfg.Clock,
		held:     make(map[string]*Msg),
		beatStop: make(chan struct{}),
		beatDone: make(chan struct{}),
	}
	l.opCtx, l.opStop = context.WithCancel(context.Background())
	l.deletes = newBatcher(cfg.FlushInterval, cfg.Flights, l.flushDeletes)
	l.changes = newBatcher(cfg.FlushInterval, cfg.Flights, l.flushChanges)
	go l.heartbeat()
	return l
}

// Now reads the lease's clock.
func (l *Lease) Now() time.Time { return l.clock.Now() }

// Hold takes messages a receive brought; requested is when that receive
// was sent, from which their visibility is counted. It returns the
// messages to handle: a copy of a message already held is not handed out
// again (its newer receipt handle replaces the held one, which the queue
// no longer honours).
func (l *Lease) Hold(msgs []transport.Message, requested time.Time) []*Msg {
	deadline := requested.Add(l.cfg.Visibility)
	out := make([]*Msg, 0, len(msgs))
	var redelete []op
	l.mu.Lock()
	defer func() {
		l.mu.Unlock()
		for _, o := range redelete {
			l.deletes.add(o)
		}
	}()
	for _, m := range msgs {
		key := m.ID
		if key == "" {
			key = "receipt:" + m.ReceiptHandle
		}
		if h, ok := l.held[key]; ok {
			if h.state == deleting {
				// It was handled, and its delete is under way or failed:
				// delete it with the new receipt, do not handle it again.
				h.handle = m.ReceiptHandle
				h.tombUntil = time.Time{}
				redelete = append(redelete, op{handle: h.handle, id: m.ID, deadline: deadline, msg: h, after: h.after})
				l.Counts.Duplicates.Add(1)
				continue
			}
			h.handle = m.ReceiptHandle
			h.deadline = deadline
			h.received = requested
			h.expired = false
			l.Counts.Duplicates.Add(1)
			l.log.Debug("mega: a held message was received again; its new receipt is kept, the copy not handled",
				"message_id", m.ID, "receive_count", m.ReceiveCount)
			continue
		}
		h := &Msg{Message: m, l: l, handle: m.ReceiptHandle, deadline: deadline, received: requested}
		l.held[key] = h
		out = append(out, h)
	}
	return out
}

func (m *Msg) key() string {
	if m.Message.ID == "" {
		return "receipt:" + m.Message.ReceiptHandle
	}
	return m.Message.ID
}

// Start marks the message as being handled. It reports false when the
// message must not be handled: it was settled already (released at
// shutdown, say), or its receipt expired while it waited (the queue may
// have handed it to someone else: it is dropped, not handled).
func (m *Msg) Start() bool {
	l := m.l
	l.mu.Lock()
	defer l.mu.Unlock()
	if m.state != waiting {
		return false
	}
	if m.expired || !l.clock.Now().Before(m.deadline) {
		l.dropLocked(m)
		return false
	}
	m.state = running
	return true
}

// Deadline is when the message becomes visible again unless extended.
func (m *Msg) Deadline() time.Time {
	m.l.mu.Lock()
	defer m.l.mu.Unlock()
	return m.deadline
}

// Settled reports whether the message was settled or dropped.
func (m *Msg) Settled() bool {
	m.l.mu.Lock()
	defer m.l.mu.Unlock()
	return m.state >= deleting
}

func (l *Lease) dropLocked(m *Msg) {
	m.state = done
	if l.held[m.key()] == m {
		delete(l.held, m.key())
	}
	l.Counts.Expired.Add(1)
	l.log.Warn("mega: dropping a held message whose receipt expired before its handling started; the queue delivers it again",
		"message_id", m.Message.ID)
}

// Cover keeps the message held, and its heartbeat going, while a request
// that needs it held is made (a dead-letter copy is sent); settle it
// afterwards. It reports false when the message was settled already.
func (m *Msg) Cover() bool {
	l := m.l
	l.mu.Lock()
	defer l.mu.Unlock()
	if m.state >= deleting {
		return false
	}
	m.state = covering
	return true
}

// settle takes the message out of the lease, once: it returns its
// receipt handle and deadline, and false when it was settled already.
func (m *Msg) settle() (string, time.Time, bool) {
	return m.settleAs(done)
}

func (m *Msg) settleAs(state int) (string, time.Time, bool) {
	l := m.l
	l.mu.Lock()
	defer l.mu.Unlock()
	if m.state >= deleting {
		return "", time.Time{}, false
	}
	m.state = state
	if state == done && l.held[m.key()] == m {
		delete(l.held, m.key())
	}
	return m.handle, m.deadline, true
}

// Delete settles the message by deleting it. It reports false when the
// message was settled already. Until the queue confirms the delete, a
// copy of the message received again is not handed out but deleted too.
func (m *Msg) Delete() bool { return m.DeleteThen(nil) }

// DeleteThen is Delete, calling after (when not nil) once the queue has
// confirmed the delete, and only then.
func (m *Msg) DeleteThen(after func()) bool {
	if after != nil {
		after = sync.OnceFunc(after) // a copy's delete may succeed too
	}
	h, deadline, ok := m.settleAs(deleting)
	if ok {
		m.l.mu.Lock()
		m.after = after
		m.l.mu.Unlock()
		m.l.deletes.add(op{handle: h, id: m.Message.ID, deadline: deadline, msg: m, after: after})
	}
	return ok
}

// tombstoneFor is how long a message whose delete failed (its receipt
// expired first, or the queue could not be reached) is remembered: the
// queue delivers it again, and a copy that reaches this process meanwhile
// is deleted with its new receipt instead of being handled again.
func (l *Lease) tombstoneFor() time.Duration { return max(4*l.cfg.Visibility, time.Minute) }

// tombstone remembers a message whose delete made with handle failed,
// unless a copy received since took over with another receipt.
func (l *Lease) tombstone(o op) {
	if o.msg == nil {
		return
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if m := o.msg; m.handle == o.handle {
		m.tombUntil = l.clock.Now().Add(l.tombstoneFor())
	}
}

// sweep forgets the tombstones that have had their time.
func (l *Lease) sweep(now time.Time) {
	l.mu.Lock()
	defer l.mu.Unlock()
	for k, m := range l.held {
		if m.state == deleting && !m.tombUntil.IsZero() && now.After(m.tombUntil) {
			m.state = done
			delete(l.held, k)
		}
	}
}

// deleted forgets a message once the delete made with handle is over,
// unless a copy received since took over with another receipt.
func (l *Lease) deleted(o op) {
	if o.msg == nil {
		return
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	m := o.msg
	if m.handle != o.handle {
		return
	}
	m.state = done
	if l.held[m.key()] == m {
		delete(l.held, m.key())
	}
}

// ChangeVisibility settles the message by setting its visibility timeout
// to d (capped so that it stays within SQS's 12 hours from the receive);
// why names the change in logs. It reports false when the message was
// settled already.
func (m *Msg) ChangeVisibility(d time.Duration, why string) bool {
	h, deadline, ok := m.settle()
	if ok {
		d = min(d, m.l.MaxVisibility(m))
		m.l.changes.add(op{handle: h, id: m.Message.ID, deadline: deadline, timeout: d, why: why})
	}
	return ok
}

// Release settles the message by making it visible again at once.
func (m *Msg) Release() bool {
	ok := m.ChangeVisibility(0, "release")
	if ok {
		m.l.Counts.Released.Add(1)
	}
	return ok
}

// Forget settles the message by leaving it alone: it becomes visible when
// its visibility timeout ends.
func (m *Msg) Forget() bool {
	_, _, ok := m.settle()
	return ok
}

// MaxVisibility is the longest visibility the message can still be given:
// SQS counts its 12 hours from the receive, and wants whole seconds.
func (l *Lease) MaxVisibility(m *Msg) time.Duration {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.maxVisibilityLocked(m)
}

// Len is the number of messages held, those whose delete is under way
// or failed recently included.
func (l *Lease) Len() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.held)
}

// ReleaseWaiting releases every held message whose handling has not
// started, and returns how many.
func (l *Lease) ReleaseWaiting() int {
	return l.releaseIf(func(m *Msg) bool { return m.state == waiting })
}

// ReleaseAll releases every held message, handled or not: their handlers'
// later settling does nothing.
func (l *Lease) ReleaseAll() int { return l.releaseIf(func(*Msg) bool { return true }) }

func (l *Lease) releaseIf(f func(*Msg) bool) int {
	l.mu.Lock()
	var ms []*Msg
	for _, m := range l.held {
		if f(m) {
			ms = append(ms, m)
		}
	}
	l.mu.Unlock()
	n := 0
	for _, m := range ms {
		if m.Release() {
			n++
		}
	}
	return n
}

// Close stops the heartbeat and sends the settling operations queued,
// giving up those still failing after wait (their messages come back when
// their visibility ends, as at-least-once allows). Messages still held
// are left as they are: release them first.
func (l *Lease) Close(wait time.Duration) {
	select {
	case <-l.beatStop:
		return // closed already
	default:
	}
	close(l.beatStop)
	<-l.beatDone
	closed := make(chan struct{})
	go func() {
		l.changes.close()
		l.deletes.close()
		close(closed)
	}()
	t := time.NewTimer(wait)
	defer t.Stop()
	select {
	case <-closed:
	case <-t.C:
		l.log.Warn("mega: giving up the last deletes and visibility changes; their messages will be delivered again")
		l.opStop()
		<-closed
	}
	l.opStop()
}
