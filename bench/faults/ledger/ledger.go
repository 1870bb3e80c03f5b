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
	"strconv"
	"strings"
	"sync"
)

// Kind is the kind of a record.
type Kind byte

const (
	// Sent: the publisher had the message accepted by the queue, which
	// confirmed it with the record's message id.
	Sent Kind = 'S'
	// Began: a handler started on the message.
	Began Kind = 'B'
	// Processed: a handler finished with the message successfully.
	Processed Kind = 'P'
	// Failed: a handler returned a retriable error or panicked (or was
	// cut short by a shutdown): the message is to be delivered again.
	Failed Kind = 'F'
	// Refused: a handler failed permanently: the message is to be
	// dead-lettered.
	Refused Kind = 'R'
	// DeadLettered: the message was found in the dead-letter queue.
	DeadLettered Kind = 'D'
	// Killed: the process PID was killed (SIGKILL) by the test. The
	// record has no key.
	Killed Kind = 'K'
)

// Entry is one record.
type Entry struct {
	Kind Kind
	// Key identifies the message in the test, across redeliveries and
	// copies (the dead-lettered copy has another message id).
	Key string
	// MessageID is the queue's id of the message: the id the queue
	// confirmed for a Sent record, the id of the copy handled for the
	// others.
	MessageID string
	// ReceiveCount is the message's receive count when it was handled.
	ReceiveCount int
	// PID is the process that handled the message, or that was killed.
	PID int
	// Note is free text: the reason of a failure or of a dead-lettered
	// message.
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
	if (e.Key == "") != (e.Kind == Killed) || strings.ContainsAny(e.Key, "\t\n") || strings.ContainsAny(e.MessageID, "\t\n") {
		return fmt.Errorf("ledger: key %q or message id %q holds a tab or newline, or the key is missing (or given to a Killed record)", e.Key, e.MessageID)
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
	b = strconv.AppendInt(b, int64(e.PID), 10)
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
		f := strings.SplitN(strings.TrimSuffix(line, "\n"), "\t", 6)
		if len(f) != 6 || len(f[0]) != 1 || (f[1] == "") != (Kind(f[0][0]) == Killed) {
			return nil, fmt.Errorf("ledger: line %d is malformed: %q", n, line)
		}
		rc, err := strconv.Atoi(f[3])
		if err != nil {
			return nil, fmt.Errorf("ledger: line %d: receive count: %w", n, err)
		}
		pid, err := strconv.Atoi(f[4])
		if err != nil {
			return nil, fmt.Errorf("ledger: line %d: pid: %w", n, err)
		}
		note, err := strconv.Unquote(f[5])
		if err != nil {
			return nil, fmt.Errorf("ledger: line %d: note: %w", n, err)
		}
		out = append(out, Entry{Kind: Kind(f[0][0]), Key: f[1], MessageID: f[2], ReceiveCount: rc, PID: pid, Note: note})
	}
}
