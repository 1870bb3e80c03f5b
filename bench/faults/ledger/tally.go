package ledger

import (
	"fmt"
	"sort"
)

// Fate is what should become of a message.
type Fate uint8

const (
	// Process: every message so marked must be processed.
	Process Fate = iota + 1
	// DeadLetter: the message must end in the dead-letter queue.
	DeadLetter
)

// Tally is the outcome of a test, message by message. A sent message is
// the one the queue confirmed: its key and the message id of its Sent
// record. Handlings count under that id; a handling of another id with
// the same key is a copy (a send whose answer was lost went through and
// was sent again). Copies in the dead-letter queue have ids of their own
// and count under their key.
//
// A handling is a Began record and the Processed, Failed or Refused
// record that ends it (none if the process died or exited first). Each
// handling of a sent message after its first is either a retry, asked for
// by the failure that ended the handling before it, or a duplicate,
// which nothing asked for. Duplicates are classified by cause, in this
// order: SameTime, the message was still being handled by another
// handling in the same process; AfterKill, the handling before it was in
// a process killed since (Killed record); Other, every other.
type Tally struct {
	// Sent counts the messages the queue confirmed.
	Sent int
	// Processed counts the sent messages processed at least once.
	Processed int
	// Lost counts the sent messages neither processed nor dead-lettered.
	Lost int
	// Handlings counts the handlings of sent messages.
	Handlings int
	// Retries counts the handlings after a failed one.
	Retries int
	// Duplicates counts the handlings that nothing asked for beyond the
	// first; SameTime, AfterKill and Other classify them.
	Duplicates int
	// SameTime counts the duplicates that began while another handling
	// of the same message was under way in the same process.
	SameTime int
	// AfterKill counts the duplicates whose handling before was in a
	// process killed since.
	AfterKill int
	// Other counts the remaining duplicates.
	Other int
	// Reprocessed counts the successful processings beyond the first.
	Reprocessed int
	// DeadLettered counts the sent messages with a copy in the
	// dead-letter queue.
	DeadLettered int
	// DLQCopies counts the copies of sent messages in the dead-letter
	// queue; ExtraDLQCopies those beyond one per message, of which
	// ExtraDLQAfterKill followed a permanent failure in a process killed
	// since (the copy was sent, the delete was not).
	DLQCopies, ExtraDLQCopies, ExtraDLQAfterKill int
	// Copies counts the handlings of copies of sent messages: sends whose
	// answer was lost, which went through and were sent again.
	Copies int
	// Unconfirmed counts the keys handled or dead-lettered of which no
	// send was confirmed.
	Unconfirmed int
	// Misrouted lists messages that met the other fate: dead-lettered when
	// they should have been processed, or processed when they should have
	// been dead-lettered.
	Misrouted []string
	// LostKeys lists up to 20 lost messages.
	LostKeys []string
}

// handling is the state of one message id during a count.
type handling struct {
	count     int
	lastPID   int
	lastEnd   Kind        // 0 while under way
	open      map[int]int // handlings under way, by process
	refusedBy map[int]int // permanent failures, by process
	processed int
}

// Count tallies entries, in the order they were recorded, against the
// expected fate of every message sent. The message id of a key is the
// one its Sent record confirmed; a key expected without one is counted
// by key.
func Count(expected map[string]Fate, entries []Entry) Tally {
	t := Tally{Sent: len(expected)}
	confirmed := map[string]string{} // key → message id
	killed := map[int]bool{}
	for _, e := range entries {
		switch e.Kind {
		case Sent:
			if _, ok := expected[e.Key]; ok {
				confirmed[e.Key] = e.MessageID
			}
		case Killed:
			killed[e.PID] = true
		}
	}
	// id returns the id under which a record of key counts, and whether
	// it is a copy of a sent message.
	id := func(e Entry) (string, bool) {
		c, ok := confirmed[e.Key]
		if !ok || c == "" {
			return e.Key, false
		}
		return c, e.MessageID != c
	}
	byID := map[string]*handling{}
	get := func(k string) *handling {
		h := byID[k]
		if h == nil {
			h = &handling{open: map[int]int{}, refusedBy: map[int]int{}}
			byID[k] = h
		}
		return h
	}
	dead := map[string]int{} // key → copies in the dead-letter queue
	unconfirmed := map[string]bool{}
	for _, e := range entries {
		switch e.Kind {
		case Began, Processed, Failed, Refused:
		case DeadLettered:
			if _, ok := expected[e.Key]; !ok {
				unconfirmed[e.Key] = true
			}
			dead[e.Key]++
			continue
		default:
			continue
		}
		if _, ok := expected[e.Key]; !ok {
			unconfirmed[e.Key] = true
			continue
		}
		k, copy := id(e)
		if copy {
			if e.Kind == Began {
				t.Copies++
			}
			continue
		}
		h := get(k)
		switch e.Kind {
		case Began:
			t.Handlings++
			switch {
			case h.count == 0:
			case h.open[e.PID] > 0:
				t.Duplicates++
				t.SameTime++
			case h.lastEnd == Failed:
				t.Retries++
			case killed[h.lastPID] && h.lastPID != e.PID:
				t.Duplicates++
				t.AfterKill++
			default:
				t.Duplicates++
				t.Other++
			}
			h.count++
			h.open[e.PID]++
			h.lastPID, h.lastEnd = e.PID, 0
		default:
			if h.open[e.PID] > 0 {
				h.open[e.PID]--
			}
			if e.PID == h.lastPID {
				h.lastEnd = e.Kind
			}
			switch e.Kind {
			case Processed:
				h.processed++
			case Refused:
				h.refusedBy[e.PID]++
			}
		}
	}
	var lost []string
	for key, fate := range expected {
		k, _ := id(Entry{Key: key, MessageID: confirmed[key]})
		h := byID[k]
		p := h != nil && h.processed > 0
		d := dead[key]
		if p {
			t.Processed++
			t.Reprocessed += h.processed - 1
		}
		if d > 0 {
			t.DeadLettered++
			t.DLQCopies += d
			t.ExtraDLQCopies += d - 1
			if d > 1 && h != nil {
				byKill := 0
				for pid, n := range h.refusedBy {
					if killed[pid] {
						byKill += n
					}
				}
				t.ExtraDLQAfterKill += min(d-1, byKill)
			}
		}
		switch {
		case !p && d == 0:
			lost = append(lost, key)
		case fate == Process && !p, fate == DeadLetter && p:
			t.Misrouted = append(t.Misrouted, key)
		}
	}
	t.Unconfirmed = len(unconfirmed)
	t.Lost = len(lost)
	sort.Strings(lost)
	sort.Strings(t.Misrouted)
	if len(lost) > 20 {
		lost = lost[:20]
	}
	t.LostKeys = lost
	return t
}

// String writes the figures as key=value pairs.
func (t Tally) String() string {
	return fmt.Sprintf("sent=%d processed=%d lost=%d duplicates=%d same_time=%d dead_lettered=%d dlq_copies=%d",
		t.Sent, t.Processed, t.Lost, t.Duplicates, t.SameTime, t.DeadLettered, t.DLQCopies)
}
