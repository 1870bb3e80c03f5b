package memory

import (
	"crypto/sha256"
	"encoding/hex"
	"time"
)

// DeduplicationWindow is how long a FIFO queue or topic remembers a
// deduplication id: a message sent again with the same id within the
// window is accepted but not delivered.
const DeduplicationWindow = 5 * time.Minute

// contentDedupID is the deduplication id SQS and SNS derive from a body
// when content-based deduplication is on: the hex SHA-256 of the body.
func contentDedupID(body string) string {
	sum := sha256.Sum256([]byte(body))
	return hex.EncodeToString(sum[:])
}

// sequenceNumber formats a FIFO sequence number as SQS does: a decimal
// string, here of fixed width so that it also sorts as text.
func sequenceNumber(n uint64) string {
	var b [20]byte // a uint64 has at most 20 decimal digits
	for i := len(b) - 1; i >= 0; i-- {
		b[i] = '0' + byte(n%10)
		n /= 10
	}
	return string(b[:])
}

// group is a FIFO message group: its messages in queue order, of which
// at most a prefix is in flight. A group whose first message is visible
// and none of whose messages is in flight is ready, and sits in the
// queue's ready-group heap.
//
// Only messages near the front can be deleted or moved: a message is
// received only from the first MaxBatch of its group, and messages
// never move back, so removing one scans a short prefix.
type group struct {
	id       string
	msgs     []*message // msgs[head:] are the group's messages
	head     int
	inFlight int
	index    int // position in the ready-group heap, or -1
}

func (g *group) len() int              { return len(g.msgs) - g.head }
func (g *group) at(i int) *message     { return g.msgs[g.head+i] }
func (g *group) push(m *message)       { g.msgs = append(g.msgs, m) }
func (g *group) first() *message       { return g.msgs[g.head] }
func (g *group) ready() bool           { return g.len() > 0 && g.inFlight == 0 && g.first().state == visible }
func (g *group) headSeq() (seq uint64) { return g.first().seq }

// removeAt removes the message at position i.
func (g *group) removeAt(i int) {
	j := g.head + i
	if i < g.len()/2 {
		// Shift the front right by one: cheap near the front.
		copy(g.msgs[g.head+1:j+1], g.msgs[g.head:j])
		g.msgs[g.head] = nil
		g.head++
	} else {
		copy(g.msgs[j:], g.msgs[j+1:])
		g.msgs[len(g.msgs)-1] = nil
		g.msgs = g.msgs[:len(g.msgs)-1]
	}
	// Reclaim the dead front once it dominates the slice.
	if g.head > 32 && g.head > len(g.msgs)/2 {
		n := copy(g.msgs, g.msgs[g.head:])
		clear(g.msgs[n:])
		g.msgs = g.msgs[:n]
		g.head = 0
	}
}

// remove removes m from the group.
func (g *group) remove(m *message) {
	for i := range g.len() {
		if g.at(i) == m {
			g.removeAt(i)
			return
		}
	}
}

func (g *group) heapIndex() *int { return &g.index }

// byHead orders ready groups by their first message, so that the oldest
// deliverable message goes first.
func byHead(a, b *group) bool { return a.headSeq() < b.headSeq() }

// dedupCache remembers the deduplication ids of a FIFO queue or topic
// for DeduplicationWindow. Entries expire in the order they were added,
// so pruning is amortised O(1).
type dedupCache struct {
	seen  map[string]dedupEntry
	order []dedupKey // in the order added; order[head:] are live
	head  int
}

// dedupEntry is what a duplicate send reports: the original's ids.
type dedupEntry struct {
	messageID string
	seqNum    string
	expires   time.Time
}

type dedupKey struct {
	key     string
	expires time.Time
}

// lookup returns the entry for key if it has not expired at now.
func (c *dedupCache) lookup(key string, now time.Time) (dedupEntry, bool) {
	c.prune(now)
	e, ok := c.seen[key]
	return e, ok
}

// add remembers key until now+DeduplicationWindow.
func (c *dedupCache) add(key, messageID, seqNum string, now time.Time) {
	if c.seen == nil {
		c.seen = make(map[string]dedupEntry)
	}
	exp := now.Add(DeduplicationWindow)
	c.seen[key] = dedupEntry{messageID: messageID, seqNum: seqNum, expires: exp}
	c.order = append(c.order, dedupKey{key: key, expires: exp})
}

// prune forgets the entries expired at now.
func (c *dedupCache) prune(now time.Time) {
	for c.head < len(c.order) && !c.order[c.head].expires.After(now) {
		k := c.order[c.head]
		if e, ok := c.seen[k.key]; ok && e.expires.Equal(k.expires) {
			delete(c.seen, k.key)
		}
		c.order[c.head] = dedupKey{}
		c.head++
	}
	if c.head > 64 && c.head > len(c.order)/2 {
		n := copy(c.order, c.order[c.head:])
		clear(c.order[n:])
		c.order = c.order[:n]
		c.head = 0
	}
}
