package memory

import (
	"context"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/sqs-mega/sqs-mega-go/internal/ids"

	"github.com/sqs-mega/sqs-mega-go/transport"
)

// DefaultVisibilityTimeout is the visibility timeout of a queue created
// without one, as on SQS.
const DefaultVisibilityTimeout = 30 * time.Second

// QueueConfig configures a queue created with [Broker.CreateQueue]. The
// zero value is a standard queue with SQS's defaults. Like the other
// configuration types of this package, it is plain data that CreateQueue
// copies: safe to share once no goroutine modifies it.
type QueueConfig struct {
	// VisibilityTimeout is how long a received message stays invisible;
	// zero means the broker's default (30 s unless set with
	// WithVisibilityTimeout). At most transport.MaxVisibilityTimeout.
	VisibilityTimeout time.Duration
	// Delay postpones the delivery of every message sent to the queue
	// (DelaySeconds), at most transport.MaxDelay. A message's own delay
	// overrides it.
	Delay time.Duration
	// MaxMessageSize is the largest message accepted, counting its
	// attributes; zero means transport.MaxBodySize. From 1024 to
	// transport.MaxBodySize.
	MaxMessageSize int
	// ContentBasedDeduplication makes a FIFO queue derive a message's
	// deduplication id from its body when the sender gives none.
	ContentBasedDeduplication bool
	// Redrive, when set, moves a message to a dead-letter queue instead
	// of delivering it for a receive beyond Redrive.MaxReceiveCount.
	Redrive *Redrive
}

// Redrive is a queue's redrive policy: plain data, copied by
// CreateQueue.
type Redrive struct {
	// DeadLetterQueue is the name or ARN of an existing queue of the
	// same broker, FIFO if and only if the queue is.
	DeadLetterQueue string
	// MaxReceiveCount is how many times a message is delivered before
	// the next receive moves it to the dead-letter queue, from 1 to 1000.
	MaxReceiveCount int
}

// Stats counts the messages of a queue by state: a snapshot, plain
// data.
type Stats struct {
	// Visible messages can be received now (on a FIFO queue, some may
	// wait for their group, as SQS counts them).
	Visible int
	// InFlight messages were received and are invisible until deleted
	// or until their visibility timeout ends.
	InFlight int
	// Delayed messages were sent with a delay that has not passed.
	Delayed int
}

// Queue is an in-memory queue with the semantics of Amazon SQS. It
// implements [transport.Queue], [transport.Describer] and
// [transport.DeadLetterFinder]. Obtain one from [Broker.CreateQueue] or
// [Broker.Queue].
//
// Delivery follows SQS: a received message stays invisible for its
// visibility timeout and is delivered again, with a higher receive
// count, unless deleted first; each receive issues a new receipt handle
// and makes the previous ones invalid (stricter than SQS, so that code
// that keeps stale handles fails in tests); deleting a message already
// deleted succeeds, as on SQS. A FIFO queue delivers each message group
// in order, holds back a group while any of its messages is in flight,
// and drops a message whose deduplication id it saw within
// [DeduplicationWindow].
//
// Every operation costs O(log n) in the number of messages, or
// amortised O(1); no goroutine runs per message. Queue is safe for
// concurrent use.
type Queue struct {
	broker      *Broker
	name        string
	url         string
	arn         string
	fifo        bool
	incarnation uint64 // unique in the process: see incarnations
	// conf is replaced whole by SetConfig; readers load it once per
	// operation, so that each sees one configuration.
	conf   atomic.Pointer[queueConf]
	totals Totals // guarded by mu

	// policy is the access policy, read without a lock; policyMu orders
	// its writers, so that adding a statement loses no concurrent change.
	policyMu sync.Mutex
	policy   atomic.Pointer[queuePolicy]

	mu          sync.Mutex
	err         error // set once the queue is deleted or its broker closed
	nextSeq     uint64
	fifoSeq     uint64
	msgs        map[uint64]*message   // every message, by seq
	timed       indexedHeap[*message] // delayed and in-flight messages, by due time
	ready       indexedHeap[*message] // visible messages of a standard queue, by seq
	groups      map[string]*group     // FIFO groups with messages
	readyGroups indexedHeap[*group]   // ready FIFO groups
	inFlight    int
	delayed     int
	dedup       dedupCache
	// wake is closed, and cleared, when messages may have become
	// available; long polls wait on it. It is nil while nobody waits.
	wake chan struct{}
}

var (
	_ transport.Queue            = (*Queue)(nil)
	_ transport.Describer        = (*Queue)(nil)
	_ transport.DeadLetterFinder = (*Queue)(nil)
)

// queueConf is a queue's configuration with the defaults applied:
// immutable once stored.
type queueConf struct {
	cfg     QueueConfig
	vis     time.Duration
	maxSize int
}

func newConf(b *Broker, cfg QueueConfig) *queueConf {
	return &queueConf{
		cfg:     cfg,
		vis:     orDefault(cfg.VisibilityTimeout, b.visibility),
		maxSize: orDefault(cfg.MaxMessageSize, transport.MaxBodySize),
	}
}

func newQueue(b *Broker, name string, fifo bool, incarnation uint64, cfg QueueConfig) *Queue {
	q := &Queue{
		broker:      b,
		name:        name,
		url:         queueURL(name),
		arn:         queueARN(name),
		fifo:        fifo,
		incarnation: incarnation,
		msgs:        make(map[uint64]*message),
		timed:       indexedHeap[*message]{less: byDue},
		ready:       indexedHeap[*message]{less: bySeq},
		readyGroups: indexedHeap[*group]{less: byHead},
		groups:      make(map[string]*group),
	}
	q.conf.Store(newConf(b, cfg))
	return q
}

// Name returns the queue's name.
func (q *Queue) Name() string { return q.name }

// URL returns the queue's URL, in the form of an SQS queue URL.
func (q *Queue) URL() string { return q.url }

// ARN returns the queue's ARN, in the form of an SQS queue ARN.
func (q *Queue) ARN() string { return q.arn }

// FIFO reports whether the queue is a FIFO queue.
func (q *Queue) FIFO() bool { return q.fifo }

// Describe returns the queue's attributes.
func (q *Queue) Describe(ctx context.Context) (transport.QueueInfo, error) {
	if err := ctx.Err(); err != nil {
		return transport.QueueInfo{}, err
	}
	if err := q.alive(); err != nil {
		return transport.QueueInfo{}, err
	}
	c := q.conf.Load()
	info := transport.QueueInfo{
		URL:               q.url,
		ARN:               q.arn,
		FIFO:              q.fifo,
		VisibilityTimeout: c.vis,
		MaxMessageSize:    c.maxSize,
		Policy:            q.Policy(),
	}
	if r := c.cfg.Redrive; r != nil {
		info.DeadLetterTargetARN = q.broker.resolveARN(r.DeadLetterQueue)
		info.MaxReceiveCount = r.MaxReceiveCount
	}
	return info, nil
}

// DeadLetterQueue returns the queue the redrive policy names, or nil,
// nil when the queue has none. It fails with transport.ErrQueueNotFound
// when that queue has since been deleted.
func (q *Queue) DeadLetterQueue(ctx context.Context) (transport.Queue, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if err := q.alive(); err != nil {
		return nil, err
	}
	r := q.conf.Load().cfg.Redrive
	if r == nil {
		return nil, nil
	}
	dlq, err := q.broker.queueByARN(q.broker.resolveARN(r.DeadLetterQueue))
	if err != nil {
		return nil, err
	}
	return dlq, nil
}

// alive returns the error that ends the queue, or nil.
func (q *Queue) alive() error {
	q.mu.Lock()
	defer q.mu.Unlock()
	return q.err
}

// kill ends the queue with err: its messages go, and every call,
// including long polls already waiting, fails with err.
func (q *Queue) kill(err error) {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.err != nil {
		return
	}
	q.err = err
	q.purgeLocked()
	q.notifyLocked()
}

// notifyLocked wakes the long polls waiting on the queue.
func (q *Queue) notifyLocked() {
	if q.wake != nil {
		close(q.wake)
		q.wake = nil
	}
}

// Send sends up to transport.MaxBatch messages (SendMessageBatch). A
// call that breaks a batch rule fails as a whole with
// transport.ErrInvalidRequest (or transport.ErrTooLarge when the batch
// carries more than transport.MaxBodySize bytes); an entry that breaks a
// message rule fails alone, with an error wrapping
// transport.ErrInvalidRequest or transport.ErrTooLarge and a
// *transport.EntryError carrying the SQS error code.
//
// On a FIFO queue a message needs a GroupID, and a DeduplicationID
// unless the queue deduplicates by content; a duplicate within
// DeduplicationWindow succeeds with the original's message id and
// sequence number and is not delivered again.
func (q *Queue) Send(ctx context.Context, batch []transport.Outgoing) ([]transport.SendResult, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if err := checkSendBatch(batch, transport.MaxBodySize); err != nil {
		return nil, err
	}
	results := make([]transport.SendResult, len(batch))
	msgs := make([]*message, len(batch))
	c := q.conf.Load()
	for i, o := range batch {
		m, err := q.prepare(c, o)
		if err != nil {
			results[i].Err = err
			continue
		}
		msgs[i] = m
	}

	q.mu.Lock()
	defer q.mu.Unlock()
	if q.err != nil {
		return nil, q.err
	}
	now := q.broker.clock.Now()
	for i, m := range msgs {
		if m != nil {
			results[i].MessageID, results[i].SequenceNumber = q.enqueueLocked(m, batch[i].Delay, c.cfg.Delay, now)
		}
	}
	q.notifyLocked()
	return results, nil
}

// prepare checks o against the queue's rules and builds its message.
func (q *Queue) prepare(c *queueConf, o transport.Outgoing) (*message, error) {
	rules := transport.SendRules{MaxSize: c.maxSize, FIFO: q.fifo, ContentDeduplication: c.cfg.ContentBasedDeduplication}
	if err := transport.CheckSend(o, rules); err != nil {
		return nil, err
	}
	m := &message{
		id:      ids.UUID(),
		body:    o.Body,
		attrs:   storeAttributes(o.Attributes),
		groupID: o.GroupID,
		index:   -1,
	}
	switch {
	case !q.fifo:
	case o.DeduplicationID != "":
		m.dedupID = o.DeduplicationID
	default:
		m.dedupID = contentDedupID(o.Body)
	}
	return m, nil
}

// enqueueLocked adds a prepared message, or drops it as a duplicate, and
// returns the message id and sequence number Send reports. A zero delay
// means the queue's, queueDelay.
func (q *Queue) enqueueLocked(m *message, delay, queueDelay time.Duration, now time.Time) (id, seqNum string) {
	if q.fifo {
		if e, dup := q.dedup.lookup(m.dedupID, now); dup {
			return e.messageID, e.seqNum
		}
		q.fifoSeq++
		m.seqNum = sequenceNumber(q.fifoSeq)
		q.dedup.add(m.dedupID, m.id, m.seqNum, now)
	}
	if delay == 0 {
		delay = queueDelay
	}
	q.totals.Sent++
	m.sentAt = now
	q.insertLocked(m, delay, now)
	return m.id, m.seqNum
}

// insertLocked places m at the back of the queue, visible or delayed.
func (q *Queue) insertLocked(m *message, delay time.Duration, now time.Time) {
	m.seq = q.nextSeq
	q.nextSeq++
	q.msgs[m.seq] = m
	m.index = -1
	if q.fifo {
		g := q.groups[m.groupID]
		if g == nil {
			g = &group{id: m.groupID, index: -1}
			q.groups[m.groupID] = g
		}
		m.group = g
		g.push(m)
	}
	if delay > 0 {
		m.state = delayed
		m.due = now.Add(delay)
		q.timed.push(m)
		q.delayed++
		return
	}
	m.state = visible
	if q.fifo {
		q.refreshGroupLocked(m.group)
	} else {
		q.ready.push(m)
	}
}

// refreshGroupLocked puts g in, or takes it out of, the ready-group heap
// after its messages changed, and forgets it when it is empty.
func (q *Queue) refreshGroupLocked(g *group) {
	if g.len() == 0 {
		if g.index >= 0 {
			q.readyGroups.remove(g)
		}
		delete(q.groups, g.id)
		return
	}
	switch ready := g.ready(); {
	case ready && g.index < 0:
		q.readyGroups.push(g)
	case ready:
		q.readyGroups.fix(g)
	case g.index >= 0:
		q.readyGroups.remove(g)
	}
}

// promoteLocked makes visible every delayed or in-flight message whose
// time has come.
func (q *Queue) promoteLocked(now time.Time) {
	for m := q.timed.peek(); m != nil && !m.due.After(now); m = q.timed.peek() {
		q.timed.pop()
		switch m.state {
		case inFlight:
			q.inFlight--
			if m.group != nil {
				m.group.inFlight--
			}
		case delayed:
			q.delayed--
		}
		m.state = visible
		if q.fifo {
			q.refreshGroupLocked(m.group)
		} else {
			q.ready.push(m)
		}
	}
}

// removeLocked takes m out of the queue, whatever its state.
func (q *Queue) removeLocked(m *message) {
	switch m.state {
	case inFlight:
		q.timed.remove(m)
		q.inFlight--
		if m.group != nil {
			m.group.inFlight--
		}
	case delayed:
		q.timed.remove(m)
		q.delayed--
	case visible:
		if !q.fifo {
			q.ready.remove(m)
		}
	}
	if g := m.group; g != nil {
		g.remove(m)
		q.refreshGroupLocked(g)
		m.group = nil
	}
	delete(q.msgs, m.seq)
}

// Stats counts the queue's messages by state. It returns zero counts for
// a queue that was deleted or whose broker was closed.
func (q *Queue) Stats() Stats {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.promoteLocked(q.broker.clock.Now())
	return Stats{
		Visible:  len(q.msgs) - q.inFlight - q.delayed,
		InFlight: q.inFlight,
		Delayed:  q.delayed,
	}
}

// Len returns the number of messages in the queue, whether visible, in
// flight or delayed.
func (q *Queue) Len() int {
	q.mu.Lock()
	defer q.mu.Unlock()
	return len(q.msgs)
}

// Messages returns a copy of every message in the queue, in the order
// they were sent, without receiving them: ReceiveCount says how often
// each was received so far, and ReceiptHandle is empty. It is meant for
// tests, such as inspecting what reached a dead-letter queue.
func (q *Queue) Messages() []transport.Message {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.promoteLocked(q.broker.clock.Now())
	all := make([]*message, 0, len(q.msgs))
	for _, m := range q.msgs {
		all = append(all, m)
	}
	slices.SortFunc(all, func(a, b *message) int {
		switch {
		case a.seq < b.seq:
			return -1
		case a.seq > b.seq:
			return 1
		}
		return 0
	})
	out := make([]transport.Message, len(all))
	for i, m := range all {
		out[i] = m.snapshot("")
	}
	return out
}

// Purge deletes every message in the queue, in flight or not
// (PurgeQueue). FIFO deduplication ids are still remembered. It fails
// only when the queue was deleted or its broker closed.
func (q *Queue) Purge() error {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.err != nil {
		return q.err
	}
	q.purgeLocked()
	return nil
}

func (q *Queue) purgeLocked() {
	q.totals.Removed += uint64(len(q.msgs))
	clear(q.msgs)
	q.timed.reset()
	q.ready.reset()
	q.readyGroups.reset()
	clear(q.groups)
	q.inFlight = 0
	q.delayed = 0
}
