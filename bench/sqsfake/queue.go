package sqsfake

import (
	"container/heap"
	"encoding/base64"
	"encoding/binary"
	"strconv"
	"sync"
	"time"
)

type msgState uint8

const (
	stateReady    msgState = iota // in q.ready, receivable
	stateDelayed                  // in q.hidden, never received, DelaySeconds pending
	stateInflight                 // in q.hidden, received, visibility timeout pending
	stateGone                     // deleted, purged or moved; may linger in q.ready
)

type message struct {
	seq         uint64
	id          string
	body        string
	attrs       map[string]attributeValue
	traceHeader *attributeValue // the AWSTraceHeader system attribute
	size        int
	sentAt      time.Time
	firstRecvAt time.Time
	recvCount   int
	receipt     uint64 // number of the latest receipt; 0 before the first
	state       msgState
	visibleAt   time.Time
	index       int // position in q.hidden, -1 when not there
}

// queue is one standard queue. Messages live in msgs; the receivable ones
// are also in ready (FIFO, entries of gone messages are skipped lazily), the
// invisible ones in hidden (a min-heap on visibleAt). Every operation is
// O(1) or O(log n) in the depth.
type queue struct {
	name, url, arn string
	tag            uint64 // distinguishes receipt handles of re-created queues
	createdAt      time.Time

	mu         sync.Mutex
	modifiedAt time.Time
	attrs      queueAttributes
	msgs       map[uint64]*message
	ready      fifo
	hidden     hiddenHeap
	nReady     int
	nDelayed   int
	nInflight  int
	lastSeq    uint64
	lastRcpt   uint64
	deleted    bool
	waiters    int
	notify     chan struct{} // closed when messages become ready while waiters > 0
	sent       uint64
	received   uint64
	removed    uint64
}

// queueAttributes are the settable attributes of a queue, parsed.
type queueAttributes struct {
	visibilitySecs  int
	delaySecs       int
	waitSecs        int
	maxSize         int
	retentionSecs   int
	redrivePolicy   string
	dlqARN          string
	maxReceiveCount int
	other           map[string]string // Policy, SqsManagedSseEnabled, ... kept verbatim
}

func newQueue(name, url, arn string, tag uint64, now time.Time) *queue {
	return &queue{
		name:       name,
		url:        url,
		arn:        arn,
		tag:        tag,
		createdAt:  now,
		modifiedAt: now,
		attrs: queueAttributes{
			visibilitySecs: 30,
			maxSize:        defaultMaxSize,
			retentionSecs:  345600,
			other:          map[string]string{},
		},
		msgs:   map[uint64]*message{},
		notify: make(chan struct{}),
	}
}

// count adjusts the counter of messages in state s.
func (q *queue) count(s msgState, delta int) {
	switch s {
	case stateReady:
		q.nReady += delta
	case stateDelayed:
		q.nDelayed += delta
	case stateInflight:
		q.nInflight += delta
	}
}

func (q *queue) makeReady(m *message) {
	if m.index >= 0 {
		heap.Remove(&q.hidden, m.index)
	}
	q.count(m.state, -1)
	m.state = stateReady
	q.count(stateReady, 1)
	q.ready.push(m)
	q.wake()
}

func (q *queue) hide(m *message, s msgState, until time.Time) {
	q.count(m.state, -1)
	m.state = s
	q.count(s, 1)
	m.visibleAt = until
	if m.index >= 0 {
		heap.Fix(&q.hidden, m.index)
	} else {
		heap.Push(&q.hidden, m)
	}
}

func (q *queue) remove(m *message) {
	if m.index >= 0 {
		heap.Remove(&q.hidden, m.index)
	}
	q.count(m.state, -1)
	m.state = stateGone
	delete(q.msgs, m.seq)
	q.removed++
}

// wake releases the long polls waiting on the queue.
func (q *queue) wake() {
	if q.waiters > 0 {
		close(q.notify)
		q.notify = make(chan struct{})
		q.waiters = 0
	}
}

// promote makes ready the hidden messages whose time has come.
func (q *queue) promote(now time.Time) {
	for len(q.hidden) > 0 && !q.hidden[0].visibleAt.After(now) {
		q.makeReady(q.hidden[0])
	}
}

// add enqueues a new message; delay is in wall-clock time.
func (q *queue) add(m *message, delay time.Duration, now time.Time) {
	q.lastSeq++
	m.seq = q.lastSeq
	m.index = -1
	m.state = stateGone
	q.msgs[m.seq] = m
	q.sent++
	if delay > 0 {
		q.hide(m, stateDelayed, now.Add(delay))
		return
	}
	q.makeReady(m)
}

// take receives up to max ready messages, making them invisible for vis.
// Messages over the redrive policy's maxReceiveCount are removed and
// returned in dead, for the caller to move to the dead-letter queue.
func (q *queue) take(max int, vis time.Duration, now time.Time) (got, dead []*message) {
	q.promote(now)
	var again []*message
	for len(got) < max {
		m := q.ready.pop()
		if m == nil {
			break
		}
		if m.state != stateReady {
			continue
		}
		if q.attrs.maxReceiveCount > 0 && m.recvCount >= q.attrs.maxReceiveCount && q.attrs.dlqARN != "" {
			q.remove(m)
			dead = append(dead, m)
			continue
		}
		m.recvCount++
		if m.recvCount == 1 {
			m.firstRecvAt = now
		}
		q.lastRcpt++
		m.receipt = q.lastRcpt
		q.received++
		got = append(got, m)
		if vis <= 0 {
			again = append(again, m)
			continue
		}
		q.hide(m, stateInflight, now.Add(vis))
	}
	for _, m := range again {
		// Visible at once, but not twice in the same answer.
		q.count(m.state, -1)
		m.state = stateGone
		q.makeReady(m)
	}
	return got, dead
}

// purge drops every message. Their receipt handles then find nothing, as
// those of deleted messages do.
func (q *queue) purge() {
	q.removed += uint64(len(q.msgs))
	q.msgs = map[uint64]*message{}
	q.ready = fifo{}
	q.hidden = nil
	q.nReady, q.nDelayed, q.nInflight = 0, 0, 0
}

// Receipt handles carry the queue's tag, the message's sequence number and
// the receipt number, so that a lookup costs one map access.
func (q *queue) receiptHandle(m *message) string {
	var b [24]byte
	binary.BigEndian.PutUint64(b[0:], q.tag)
	binary.BigEndian.PutUint64(b[8:], m.seq)
	binary.BigEndian.PutUint64(b[16:], m.receipt)
	return base64.RawURLEncoding.EncodeToString(b[:])
}

type receiptState int

const (
	receiptCurrent receiptState = iota // the latest receipt of a live message
	receiptStale                       // the message was received again since
	receiptGone                        // the message is deleted
	receiptInvalid                     // not a receipt handle of this queue
)

// lookup resolves a receipt handle.
func (q *queue) lookup(handle string) (*message, receiptState) {
	if len(handle) != base64.RawURLEncoding.EncodedLen(24) {
		return nil, receiptInvalid
	}
	var b [24]byte
	if _, err := base64.RawURLEncoding.Decode(b[:], []byte(handle)); err != nil {
		return nil, receiptInvalid
	}
	seq := binary.BigEndian.Uint64(b[8:])
	rcpt := binary.BigEndian.Uint64(b[16:])
	if binary.BigEndian.Uint64(b[0:]) != q.tag || seq == 0 || seq > q.lastSeq || rcpt == 0 || rcpt > q.lastRcpt {
		return nil, receiptInvalid
	}
	m, ok := q.msgs[seq]
	switch {
	case !ok:
		return nil, receiptGone
	case m.receipt != rcpt:
		return m, receiptStale
	default:
		return m, receiptCurrent
	}
}

// delete removes the message of a receipt handle. A stale handle succeeds
// without deleting, as AWS documents; a handle of a deleted message succeeds.
func (q *queue) delete(handle string) *Error {
	m, st := q.lookup(handle)
	switch st {
	case receiptInvalid:
		return errReceiptInvalid(handle)
	case receiptCurrent:
		q.remove(m)
	}
	return nil
}

// changeVisibility sets the visibility timeout of an in-flight message.
func (q *queue) changeVisibility(handle string, vis time.Duration, now time.Time) *Error {
	q.promote(now)
	m, st := q.lookup(handle)
	switch st {
	case receiptInvalid, receiptGone:
		return errReceiptInvalid(handle)
	case receiptStale:
		return errInvalidParameter("Value %s for parameter ReceiptHandle is invalid. Reason: The receipt handle has expired.", handle)
	}
	if m.state != stateInflight {
		return &Error{Code: "MessageNotInflight", Message: "The message referred to isn't in flight."}
	}
	if vis <= 0 {
		q.makeReady(m)
		return nil
	}
	q.hide(m, stateInflight, now.Add(vis))
	return nil
}

func errReceiptInvalid(handle string) *Error {
	return errorf("ReceiptHandleIsInvalid", "The input receipt handle %q is not a valid receipt handle.", handle)
}

// attributes answers GetQueueAttributes for the given names ("All" for all).
func (q *queue) attributes(names []string, now time.Time) map[string]string {
	q.promote(now)
	all := map[string]string{
		"QueueArn":                              q.arn,
		"ApproximateNumberOfMessages":           strconv.Itoa(q.nReady),
		"ApproximateNumberOfMessagesNotVisible": strconv.Itoa(q.nInflight),
		"ApproximateNumberOfMessagesDelayed":    strconv.Itoa(q.nDelayed),
		"CreatedTimestamp":                      strconv.FormatInt(q.createdAt.Unix(), 10),
		"LastModifiedTimestamp":                 strconv.FormatInt(q.modifiedAt.Unix(), 10),
		"VisibilityTimeout":                     strconv.Itoa(q.attrs.visibilitySecs),
		"DelaySeconds":                          strconv.Itoa(q.attrs.delaySecs),
		"ReceiveMessageWaitTimeSeconds":         strconv.Itoa(q.attrs.waitSecs),
		"MaximumMessageSize":                    strconv.Itoa(q.attrs.maxSize),
		"MessageRetentionPeriod":                strconv.Itoa(q.attrs.retentionSecs),
	}
	if q.attrs.redrivePolicy != "" {
		all["RedrivePolicy"] = q.attrs.redrivePolicy
	}
	for k, v := range q.attrs.other {
		all[k] = v
	}
	out := map[string]string{}
	for _, n := range names {
		if n == "All" {
			return all
		}
		if v, ok := all[n]; ok {
			out[n] = v
		}
	}
	return out
}

// fifo is a queue of messages with amortised O(1) push and pop.
type fifo struct {
	buf  []*message
	head int
}

func (f *fifo) push(m *message) { f.buf = append(f.buf, m) }

func (f *fifo) pop() *message {
	if f.head == len(f.buf) {
		return nil
	}
	m := f.buf[f.head]
	f.buf[f.head] = nil
	f.head++
	if f.head == len(f.buf) {
		f.buf, f.head = f.buf[:0], 0
	} else if f.head >= 1024 && f.head*2 >= len(f.buf) {
		n := copy(f.buf, f.buf[f.head:])
		clear(f.buf[n:])
		f.buf, f.head = f.buf[:n], 0
	}
	return m
}

// hiddenHeap orders invisible messages by the time they become visible.
type hiddenHeap []*message

func (h hiddenHeap) Len() int           { return len(h) }
func (h hiddenHeap) Less(i, j int) bool { return h[i].visibleAt.Before(h[j].visibleAt) }
func (h hiddenHeap) Swap(i, j int) {
	h[i], h[j] = h[j], h[i]
	h[i].index = i
	h[j].index = j
}

func (h *hiddenHeap) Push(x any) {
	m := x.(*message)
	m.index = len(*h)
	*h = append(*h, m)
}

func (h *hiddenHeap) Pop() any {
	old := *h
	n := len(old)
	m := old[n-1]
	old[n-1] = nil
	m.index = -1
	*h = old[:n-1]
	return m
}
