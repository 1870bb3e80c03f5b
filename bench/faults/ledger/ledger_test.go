package ledger_test

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"testing"

	"github.com/sqs-mega/sqs-mega-go/bench/faults/ledger"
)

func TestRecordAndRead(t *testing.T) {
	path := filepath.Join(t.TempDir(), "ledger")
	w, err := ledger.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	want := []ledger.Entry{
		{Kind: ledger.Processed, Key: "k-1", MessageID: "m-1", ReceiveCount: 1, PID: 42},
		{Kind: ledger.DeadLettered, Key: "k-2", MessageID: "m-2", ReceiveCount: 3, Note: "reason:\twith a tab\nand a newline"},
		{Kind: ledger.Killed, PID: 43},
	}
	for _, e := range want {
		if err := w.Record(e); err != nil {
			t.Fatal(err)
		}
	}
	w.Close()
	// Another writer appends.
	w2, err := ledger.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	third := ledger.Entry{Kind: ledger.Began, Key: "k-3"}
	if err := w2.Record(third); err != nil {
		t.Fatal(err)
	}
	w2.Close()
	got, err := ledger.Read(path)
	if err != nil {
		t.Fatal(err)
	}
	if want = append(want, third); !reflect.DeepEqual(got, want) {
		t.Errorf("read %+v, want %+v", got, want)
	}
	if err := w2.Record(third); err == nil {
		t.Error("a closed writer recorded")
	}
	for _, bad := range []ledger.Entry{{Kind: ledger.Sent}, {Kind: ledger.Sent, Key: "a\tb"}, {Kind: ledger.Sent, Key: "k", MessageID: "x\n"}, {Kind: ledger.Killed, Key: "k", PID: 1}} {
		w, _ := ledger.Open(path)
		if err := w.Record(bad); err == nil {
			t.Errorf("recorded %+v", bad)
		}
		w.Close()
	}
}

func TestPartialLastLineIsLeftOut(t *testing.T) {
	got, err := ledger.Parse(strings.NewReader("P\tk-1\tm\t1\t7\t\"\"\nP\tk-2\tm\t1\t7\t\"\""))
	if err != nil || len(got) != 1 || got[0].Key != "k-1" {
		t.Errorf("got %+v, %v; want the complete line only", got, err)
	}
	if _, err := ledger.Parse(strings.NewReader("garbage\n")); err == nil {
		t.Error("a malformed line was accepted")
	}
}

func TestConcurrentWriters(t *testing.T) {
	path := filepath.Join(t.TempDir(), "ledger")
	w, err := ledger.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() {
			for i := range 50 {
				if err := w.Record(ledger.Entry{Kind: ledger.Processed, Key: fmt.Sprintf("k-%d-%d", g, i)}); err != nil {
					t.Error(err)
				}
			}
		})
	}
	wg.Wait()
	got, err := ledger.Read(path)
	if err != nil || len(got) != 400 {
		t.Fatalf("read %d entries, %v; want 400", len(got), err)
	}
}

// A record survives the kill -9 of the process that wrote it, a moment
// after Record returned.
func TestRecordSurvivesKill(t *testing.T) {
	if os.Getenv("LEDGER_CHILD") != "" {
		w, err := ledger.Open(os.Getenv("LEDGER_CHILD"))
		if err != nil {
			os.Exit(2)
		}
		if err := w.Record(ledger.Entry{Kind: ledger.Processed, Key: "before-kill"}); err != nil {
			os.Exit(2)
		}
		os.Stdout.WriteString("recorded\n")
		select {} // wait for the kill
	}
	path := filepath.Join(t.TempDir(), "ledger")
	cmd := exec.Command(os.Args[0], "-test.run=^TestRecordSurvivesKill$")
	cmd.Env = append(os.Environ(), "LEDGER_CHILD="+path)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, len("recorded\n"))
	if _, err := out.Read(buf); err != nil || string(buf) != "recorded\n" {
		cmd.Process.Kill()
		t.Fatalf("child said %q, %v", buf, err)
	}
	cmd.Process.Kill() // SIGKILL
	cmd.Wait()
	got, err := ledger.Read(path)
	if err != nil || len(got) != 1 || got[0].Key != "before-kill" {
		t.Errorf("after the kill: %+v, %v", got, err)
	}
}

// sent, began, ... build the records of one handling.
func rec(kind ledger.Kind, key, id string, pid int) ledger.Entry {
	return ledger.Entry{Kind: kind, Key: key, MessageID: id, PID: pid}
}

func TestCount(t *testing.T) {
	expected := map[string]ledger.Fate{
		"a": ledger.Process, "b": ledger.Process, "c": ledger.Process, "d": ledger.DeadLetter, "e": ledger.DeadLetter, "f": ledger.Process,
		"g": ledger.Process,
	}
	var es []ledger.Entry
	for _, k := range []string{"a", "b", "c", "d", "e", "f", "g"} {
		es = append(es, rec(ledger.Sent, k, "id-"+k, 0))
	}
	es = append(es,
		// a: processed, then processed again by the same live process: a
		// duplicate of no known cause.
		rec(ledger.Began, "a", "id-a", 1), rec(ledger.Processed, "a", "id-a", 1),
		rec(ledger.Began, "a", "id-a", 1), rec(ledger.Processed, "a", "id-a", 1),
		// b: failed, retried (asked), processed.
		rec(ledger.Began, "b", "id-b", 1), rec(ledger.Failed, "b", "id-b", 1),
		rec(ledger.Began, "b", "id-b", 1), rec(ledger.Processed, "b", "id-b", 1),
		// c: lost, although a copy of it (another id: its send's answer
		// was lost) was processed.
		rec(ledger.Began, "c", "id-c2", 1), rec(ledger.Processed, "c", "id-c2", 1),
		// d: refused by process 2, which was killed before deleting it,
		// then refused again: two copies in the dead-letter queue.
		rec(ledger.Began, "d", "id-d", 2), rec(ledger.Refused, "d", "id-d", 2),
		rec(ledger.DeadLettered, "d", "dlq-1", 0),
		ledger.Entry{Kind: ledger.Killed, PID: 2},
		rec(ledger.Began, "d", "id-d", 3), rec(ledger.Refused, "d", "id-d", 3),
		rec(ledger.DeadLettered, "d", "dlq-2", 0),
		// e is lost. f: dead-lettered when it should have been processed.
		rec(ledger.DeadLettered, "f", "dlq-3", 0),
		// g: handled twice at once by process 3, then again by process 4
		// after process 3 was killed.
		rec(ledger.Began, "g", "id-g", 3), rec(ledger.Began, "g", "id-g", 3),
		rec(ledger.Processed, "g", "id-g", 3), rec(ledger.Processed, "g", "id-g", 3),
		ledger.Entry{Kind: ledger.Killed, PID: 3},
		rec(ledger.Began, "g", "id-g", 4), rec(ledger.Processed, "g", "id-g", 4),
		// z: handled, but its send was never confirmed.
		rec(ledger.Began, "z", "id-z", 1), rec(ledger.Processed, "z", "id-z", 1),
	)
	got := ledger.Count(expected, es)
	want := ledger.Tally{
		Sent: 7, Processed: 3, Lost: 2, Handlings: 9, Retries: 1,
		Duplicates: 4, SameTime: 1, AfterKill: 2, Other: 1, Reprocessed: 1 + 2,
		DeadLettered: 2, DLQCopies: 3, ExtraDLQCopies: 1, ExtraDLQAfterKill: 1,
		Copies: 1, Unconfirmed: 1, Misrouted: []string{"f"}, LostKeys: []string{"c", "e"},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got  %#v\nwant %#v", got, want)
	}
	if s := got.String(); s != "sent=7 processed=3 lost=2 duplicates=4 same_time=1 dead_lettered=2 dlq_copies=3" {
		t.Errorf("String() = %q", s)
	}
}
