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

func (m *message) heapIndex() *int { return &m.index }

// byDue orders messages by due time, then by queue position.
func byDue(a, b *message) bool {
	if !a.due.Equal(b.due) {
		return a.due.Before(b.due)
	}
	return a.seq < b.seq
}

// bySeq orders messages by queue position.
func bySeq(a, b *message) bool { return a.seq < b.seq }
