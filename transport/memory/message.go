package memory

import (
	"bytes"
	"strconv"
	"time"

	"github.com/sqs-mega/sqs-mega-go/transport"
)

// state is where a message stands in its queue.
type state uint8

const (
	// visible: ready to be received (on a FIFO queue, when its group
	// lets it).
	visible state = iota
	// delayed: sent with a delay that has not yet passed.
	delayed
	// inFlight: received, and invisible until its visibility timeout ends.
	inFlight
)

// message is a message in a queue. Every field is guarded by the
// queue's mutex.
type message struct {
	seq  uint64 // position in the queue, increasing with every send
	id   string
	body string
	// attrs is the queue's own copy: callers never see it, only copies.
	attrs   []namedAttribute
	groupID string
	dedupID string
	seqNum  string // FIFO sequence number
	sentAt  time.Time

	state        state
	receives     int
	firstReceive time.Time
	lastReceive  time.Time
	// due is when a delayed or in-flight message becomes visible.
	due time.Time
	// index is the message's position in the heap that holds it (the
	// timed heap when delayed or in flight, a standard queue's ready
	// heap when visible), or -1.
	index int
	group *group // FIFO queues only
}

// snapshot copies m into a transport.Message. receipt is empty for
// snapshots taken without receiving.
func (m *message) snapshot(receipt string) transport.Message {
	out := transport.Message{
		ID:              m.id,
		ReceiptHandle:   receipt,
		Body:            m.body,
		Attributes:      attributeMap(m.attrs),
		ReceiveCount:    m.receives,
		SentAt:          m.sentAt,
		GroupID:         m.groupID,
		DeduplicationID: m.dedupID,
		SequenceNumber:  m.seqNum,
	}
	n := 3
	if m.groupID != "" {
		n += 3
	}
	sys := make(map[string]string, n)
	sys["SenderId"] = accountID
	sys["SentTimestamp"] = strconv.FormatInt(m.sentAt.UnixMilli(), 10)
	sys["ApproximateReceiveCount"] = strconv.Itoa(m.receives)
	if !m.firstReceive.IsZero() {
		sys["ApproximateFirstReceiveTimestamp"] = strconv.FormatInt(m.firstReceive.UnixMilli(), 10)
	}
	if m.groupID != "" {
		sys["MessageGroupId"] = m.groupID
	}
	if m.dedupID != "" {
		sys["MessageDeduplicationId"] = m.dedupID
	}
	if m.seqNum != "" {
		sys["SequenceNumber"] = m.seqNum
	}
	out.System = sys
	return out
}

// namedAttribute is a message attribute as a queue holds it: a slice of
// them costs far less than a map, and a map is built only for receivers.
type namedAttribute struct {
	name string
	transport.Attribute
}

// storeAttributes copies attributes for a queue to hold, so that the
// sender's later changes do not reach it.
func storeAttributes(attrs map[string]transport.Attribute) []namedAttribute {
	if len(attrs) == 0 {
		return nil
	}
	out := make([]namedAttribute, 0, len(attrs))
	for k, a := range attrs {
		a.BinaryValue = bytes.Clone(a.BinaryValue)
		out = append(out, namedAttribute{name: k, Attribute: a})
	}
	return out
}

// attributeMap returns a receiver's own copy of attributes, or nil for
// none.
func attributeMap(attrs []namedAttribute) map[string]transport.Attribute {
	if len(attrs) == 0 {
		return nil
	}
	out := make(map[string]transport.Attribute, len(attrs))
	for _, a := range attrs {
		v := a.Attribute
		v.BinaryValue = bytes.Clone(v.BinaryValue)
		out[a.name] = v
	}
	return out
}

// msgHeap is a binary min-heap of messages that keeps each message's
// index current, so that a message can be removed or moved in O(log n).
// byDue orders by due time, else by queue position.
type msgHeap struct {
	items []*message
	byDue bool
}

func (h *msgHeap) Len() int { return len(h.items) }

func (h *msgHeap) less(i, j int) bool {
	a, b := h.items[i], h.items[j]
	if h.byDue && !a.due.Equal(b.due) {
		return a.due.Before(b.due)
	}
	return a.seq < b.seq
}

func (h *msgHeap) swap(i, j int) {
	h.items[i], h.items[j] = h.items[j], h.items[i]
	h.items[i].index = i
	h.items[j].index = j
}

func (h *msgHeap) up(j int) {
	for j > 0 {
		i := (j - 1) / 2
		if !h.less(j, i) {
			break
		}
		h.swap(i, j)
		j = i
	}
}

func (h *msgHeap) down(i int) bool {
	start := i
	n := len(h.items)
	for {
		l := 2*i + 1
		if l >= n {
			break
		}
		j := l
		if r := l + 1; r < n && h.less(r, l) {
			j = r
		}
		if !h.less(j, i) {
			break
		}
		h.swap(i, j)
		i = j
	}
	return i > start
}

// push adds m.
func (h *msgHeap) push(m *message) {
	m.index = len(h.items)
	h.items = append(h.items, m)
	h.up(m.index)
}

// peek returns the least message, or nil.
func (h *msgHeap) peek() *message {
	if len(h.items) == 0 {
		return nil
	}
	return h.items[0]
}

// pop removes and returns the least message, or nil.
func (h *msgHeap) pop() *message {
	if len(h.items) == 0 {
		return nil
	}
	return h.remove(h.items[0])
}

// remove removes m, which must be in h.
func (h *msgHeap) remove(m *message) *message {
	i := m.index
	n := len(h.items) - 1
	if i != n {
		h.swap(i, n)
	}
	h.items[n] = nil
	h.items = h.items[:n]
	if i != n && !h.down(i) {
		h.up(i)
	}
	m.index = -1
	return m
}

// fix restores the heap order after m's key changed.
func (h *msgHeap) fix(m *message) {
	if !h.down(m.index) {
		h.up(m.index)
	}
}

// reset empties the heap.
func (h *msgHeap) reset() {
	clear(h.items)
	h.items = h.items[:0]
}
