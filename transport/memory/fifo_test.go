package memory_test

import (
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/sqs-mega/sqs-mega-go/transport"
	"github.com/sqs-mega/sqs-mega-go/transport/memory"
)

func TestFIFOGroupBlocking(t *testing.T) {
	f := newFixture(t)
	q := f.queue("q.fifo", memory.QueueConfig{VisibilityTimeout: time.Minute, ContentBasedDeduplication: true})
	f.send(q, fifoMsg("a", "", "a1"), fifoMsg("a", "", "a2"), fifoMsg("a", "", "a3"), fifoMsg("a", "", "a4"))

	batch := f.receive(q, 2)
	if got := bodies(batch); !slices.Equal(got, []string{"a1", "a2"}) {
		t.Fatalf("first receive = %v, want [a1 a2]", got)
	}
	f.expectEmpty(q)

	// Deleting one of two messages in flight leaves the group blocked.
	f.delete(q, batch[1])
	f.expectEmpty(q)

	// a1 visible again, a2 deleted: a1 comes back, before a3.
	if err := f.changeVisibility(q, batch[0], 0); err != nil {
		t.Fatal(err)
	}
	again := f.receive(q, 10)
	if got := bodies(again); !slices.Equal(got, []string{"a1", "a3", "a4"}) {
		t.Fatalf("after releasing a1 = %v, want [a1 a3 a4]", got)
	}
	if again[0].ReceiveCount != 2 || again[1].ReceiveCount != 1 {
		t.Errorf("receive counts %d, %d", again[0].ReceiveCount, again[1].ReceiveCount)
	}

	// A message whose timeout ends while another of its group is still in
	// flight waits for it.
	if err := f.changeVisibility(q, again[0], 0); err != nil {
		t.Fatal(err)
	}
	f.expectEmpty(q)
	f.delete(q, again[1], again[2])
	if m := f.receiveOne(q); m.Body != "a1" || m.ReceiveCount != 3 {
		t.Errorf("got %q (ReceiveCount %d), want a1 a third time", m.Body, m.ReceiveCount)
	}
}

func TestFIFOGroupsInterleave(t *testing.T) {
	f := newFixture(t)
	q := f.queue("q.fifo", memory.QueueConfig{ContentBasedDeduplication: true})
	f.send(q, fifoMsg("a", "", "a1"), fifoMsg("b", "", "b1"), fifoMsg("a", "", "a2"), fifoMsg("c", "", "c1"), fifoMsg("b", "", "b2"))

	// One receive takes as much as it can of the oldest group, then moves
	// on to the next oldest.
	if got := bodies(f.receive(q, 3)); !slices.Equal(got, []string{"a1", "a2", "b1"}) {
		t.Fatalf("got %v, want [a1 a2 b1]", got)
	}
	if got := bodies(f.receive(q, 10)); !slices.Equal(got, []string{"c1"}) {
		t.Fatalf("got %v, want [c1] while a and b are in flight", got)
	}
	if s := q.Stats(); s != (memory.Stats{Visible: 1, InFlight: 4}) {
		t.Errorf("Stats = %+v: b2 waits for its group but counts as visible", s)
	}
}

func TestFIFODeduplication(t *testing.T) {
	f := newFixture(t)
	q := f.queue("q.fifo", memory.QueueConfig{ContentBasedDeduplication: true})

	first := f.send(q, fifoMsg("g", "id-1", "original"))[0]
	dup := f.send(q, fifoMsg("other-group", "id-1", "another body"))[0]
	if dup.MessageID != first.MessageID || dup.SequenceNumber != first.SequenceNumber {
		t.Errorf("a duplicate reported %+v, want the original's ids %+v", dup, first)
	}
	content := f.send(q, fifoMsg("g", "", "same body"), fifoMsg("g", "", "same body"))
	if content[0].MessageID != content[1].MessageID {
		t.Error("content-based deduplication let two identical bodies through")
	}
	if q.Len() != 2 {
		t.Fatalf("Len = %d, want 2", q.Len())
	}

	// Deletion does not end the window.
	msgs := f.receive(q, 10)
	f.delete(q, msgs...)
	f.send(q, fifoMsg("g", "id-1", "too soon"))
	if q.Len() != 0 {
		t.Fatal("a deduplication id was forgotten when its message was deleted")
	}

	f.clock.Advance(memory.DeduplicationWindow - time.Nanosecond)
	f.send(q, fifoMsg("g", "id-1", "still too soon"))
	if q.Len() != 0 {
		t.Fatal("a deduplication id was forgotten before the window ended")
	}
	f.clock.Advance(time.Nanosecond)
	later := f.send(q, fifoMsg("g", "id-1", "later"))[0]
	if later.MessageID == first.MessageID || q.Len() != 1 {
		t.Errorf("after the window, the id is not new (Len %d)", q.Len())
	}
	if later.SequenceNumber <= first.SequenceNumber {
		t.Errorf("sequence numbers went from %s to %s", first.SequenceNumber, later.SequenceNumber)
	}
	m := f.receiveOne(q)
	if m.SequenceNumber != later.SequenceNumber || m.DeduplicationID != "id-1" || m.System["SequenceNumber"] != later.SequenceNumber {
		t.Errorf("received %+v", m)
	}
}

func TestFIFOManyGroupsOrder(t *testing.T) {
	f := newFixture(t)
	q := f.queue("q.fifo", memory.QueueConfig{ContentBasedDeduplication: true})
	const groups, per = 50, 40
	for i := range per {
		var batch []transport.Outgoing
		for g := range groups {
			batch = append(batch, fifoMsg(fmt.Sprint("g", g), "", fmt.Sprintf("%d/%d", g, i)))
			if len(batch) == transport.MaxBatch {
				f.send(q, batch...)
				batch = nil
			}
		}
	}
	next := make(map[string]int)
	for received := 0; received < groups*per; {
		msgs := f.receive(q, 10)
		if len(msgs) == 0 {
			t.Fatalf("stalled after %d messages", received)
		}
		for _, m := range msgs {
			var g, i int
			if _, err := fmt.Sscanf(m.Body, "%d/%d", &g, &i); err != nil {
				t.Fatal(err)
			}
			if i != next[m.GroupID] {
				t.Fatalf("group %s: got message %d, want %d", m.GroupID, i, next[m.GroupID])
			}
			next[m.GroupID]++
		}
		received += len(msgs)
		f.delete(q, msgs...)
	}
	if q.Len() != 0 {
		t.Errorf("Len = %d at the end", q.Len())
	}
}

func bodies(msgs []transport.Message) []string {
	out := make([]string, len(msgs))
	for i, m := range msgs {
		out[i] = m.Body
	}
	return out
}
