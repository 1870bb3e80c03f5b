// Package ledger records what a fault test sent and what its handlers
// did, in a file that survives the crash of the process that writes it,
// and tallies the records against what was expected.
//
// A record is one line, written with a single write(2) on a file opened
// for appending and synced before Record returns: a handler that records
// a message before it returns has left a trace that outlives a kill -9 a
// moment later (and a crash of the machine, which the fault tests do not
// simulate). Several processes may append to one file.
package ledger

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"sort"
	"strconv"
	"strings"
	"sync"
)

// Kind is the kind of a record.
type Kind byte

const (
	// Sent: the publisher had the message accepted by the queue.
	Sent Kind = 'S'
	// Began: a handler started on the message.
	Began Kind = 'B'
	// Processed: a handler finished with the message successfully.
	Processed Kind = 'P'
	// DeadLettered: the message was found in the dead-letter queue.
	DeadLettered Kind = 'D'
)

// Entry is one record.
type Entry struct {
	Kind Kind
	// Key identifies the message in the test, across redeliveries and
	// copies (the dead-lettered copy has another message id).
	Key string
	// MessageID is the queue's id of the message.
	MessageID string
	// ReceiveCount is the message's receive count when it was handled.
	ReceiveCount int
	// Note is free text: the reason of a dead-lettered message.
	Note string
}

// Writer appends records to a file. It is safe for concurrent use.
type Writer struct {
	mu  sync.Mutex
	f   *os.File
	buf []byte
}

// Open opens path for appending, creating it if needed.
func Open(path string) (*Writer, error) {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o644)
	if err != nil {
		return nil, fmt.Errorf("ledger: %w", err)
	}
	return &Writer{f: f}, nil
}

// Record appends one entry and syncs the file.
func (w *Writer) Record(e Entry) error {
	if e.Key == "" || strings.ContainsAny(e.Key, "\t\n") || strings.ContainsAny(e.MessageID, "\t\n") {
		return fmt.Errorf("ledger: key %q or message id %q is empty or holds a tab or newline", e.Key, e.MessageID)
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.f == nil {
		return errors.New("ledger: closed")
	}
	b := w.buf[:0]
	b = append(b, byte(e.Kind), '\t')
	b = append(b, e.Key...)
	b = append(b, '\t')
	b = append(b, e.MessageID...)
	b = append(b, '\t')
	b = strconv.AppendInt(b, int64(e.ReceiveCount), 10)
	b = append(b, '\t')
	b = strconv.AppendQuote(b, e.Note)
	b = append(b, '\n')
	w.buf = b
	if _, err := w.f.Write(b); err != nil {
		return fmt.Errorf("ledger: %w", err)
	}
	if err := w.f.Sync(); err != nil {
		return fmt.Errorf("ledger: %w", err)
	}
	return nil
}

// Close closes the file. Close is idempotent.
func (w *Writer) Close() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.f == nil {
		return nil
	}
	err := w.f.Close()
	w.f = nil
	return err
}

// Read reads every record of a file. A last line without its newline, the
// trace of a write cut short, is left out.
func Read(path string) ([]Entry, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("ledger: %w", err)
	}
	defer f.Close()
	return Parse(f)
}

// Parse reads records from r, as Read does.
func Parse(r io.Reader) ([]Entry, error) {
	var out []Entry
	br := bufio.NewReader(r)
	for n := 1; ; n++ {
		line, err := br.ReadString('\n')
		if err == io.EOF {
			return out, nil // a partial last line, if any, is left out
		}
		if err != nil {
			return nil, fmt.Errorf("ledger: %w", err)
		}
		f := strings.SplitN(strings.TrimSuffix(line, "\n"), "\t", 5)
		if len(f) != 5 || len(f[0]) != 1 || f[1] == "" {
			return nil, fmt.Errorf("ledger: line %d is malformed: %q", n, line)
		}
		rc, err := strconv.Atoi(f[3])
		if err != nil {
			return nil, fmt.Errorf("ledger: line %d: receive count: %w", n, err)
		}
		note, err := strconv.Unquote(f[4])
		if err != nil {
			return nil, fmt.Errorf("ledger: line %d: note: %w", n, err)
		}
		out = append(out, Entry{Kind: Kind(f[0][0]), Key: f[1], MessageID: f[2], ReceiveCount: rc, Note: note})
	}
}

// Fate is what should become of a message.
type Fate uint8

const (
	// Process: every message so marked must be processed.
	Process Fate = iota + 1
	// DeadLetter: the message must end in the dead-letter queue.
	DeadLetter
)

// Tally is the outcome of a test, message by message.
type Tally struct {
	// Sent counts the messages the publisher had accepted.
	Sent int
	// Processed counts the sent messages processed at least once.
	Processed int
	// Duplicates counts the processings beyond the first, and the copies
	// in the dead-letter queue beyond the first.
	Duplicates int
	// Lost counts the sent messages that were neither processed nor
	// dead-lettered.
	Lost int
	// DeadLettered counts the sent messages found in the dead-letter queue.
	DeadLettered int
	// Misrouted lists messages that met the other fate: dead-lettered when
	// they should have been processed, or processed when they should have
	// been dead-lettered.
	Misrouted []string
	// Unconfirmed counts the messages handled whose publishing was not
	// confirmed: a send whose answer was lost went through anyway.
	Unconfirmed int
	// LostKeys lists up to 20 lost messages.
	LostKeys []string
}

// Count tallies entries against the expected fate of every message sent.
func Count(expected map[string]Fate, entries []Entry) Tally {
	t := Tally{Sent: len(expected)}
	processed := map[string]int{}
	dead := map[string]int{}
	for _, e := range entries {
		switch e.Kind {
		case Processed:
			processed[e.Key]++
		case DeadLettered:
			dead[e.Key]++
		}
	}
	for key, n := range processed {
		t.Duplicates += n - 1
		if _, ok := expected[key]; !ok && dead[key] == 0 {
			t.Unconfirmed++
		}
	}
	for key, n := range dead {
		t.Duplicates += n - 1
		if _, ok := expected[key]; !ok && processed[key] == 0 {
			t.Unconfirmed++
		}
	}
	var lost []string
	for key, fate := range expected {
		p, d := processed[key] > 0, dead[key] > 0
		if p {
			t.Processed++
		}
		if d {
			t.DeadLettered++
		}
		switch {
		case !p && !d:
			lost = append(lost, key)
		case fate == Process && !p, fate == DeadLetter && p:
			t.Misrouted = append(t.Misrouted, key)
		}
	}
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
	return fmt.Sprintf("sent=%d processed=%d duplicates=%d lost=%d dead_lettered=%d", t.Sent, t.Processed, t.Duplicates, t.Lost, t.DeadLettered)
}
