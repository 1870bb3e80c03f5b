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
		{Kind: ledger.Processed, Key: "k-1", MessageID: "m-1", ReceiveCount: 1},
		{Kind: ledger.DeadLettered, Key: "k-2", MessageID: "m-2", ReceiveCount: 3, Note: "reason:\twith a tab\nand a newline"},
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
	for _, bad := range []ledger.Entry{{Kind: ledger.Sent}, {Kind: ledger.Sent, Key: "a\tb"}, {Kind: ledger.Sent, Key: "k", MessageID: "x\n"}} {
		w, _ := ledger.Open(path)
		if err := w.Record(bad); err == nil {
			t.Errorf("recorded %+v", bad)
		}
		w.Close()
	}
}

func TestPartialLastLineIsLeftOut(t *testing.T) {
	got, err := ledger.Parse(strings.NewReader("P\tk-1\tm\t1\t\"\"\nP\tk-2\tm\t1\t\"\""))
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

func TestCount(t *testing.T) {
	expected := map[string]ledger.Fate{
		"a": ledger.Process, "b": ledger.Process, "c": ledger.Process, "d": ledger.DeadLetter, "e": ledger.DeadLetter, "f": ledger.Process,
	}
	entries := []ledger.Entry{
		{Kind: ledger.Began, Key: "a"},
		{Kind: ledger.Processed, Key: "a"},
		{Kind: ledger.Processed, Key: "a"}, // a duplicate
		{Kind: ledger.Processed, Key: "b"},
		{Kind: ledger.DeadLettered, Key: "d"},
		{Kind: ledger.DeadLettered, Key: "f"}, // should have been processed
		{Kind: ledger.Processed, Key: "z"},    // sent, but the publisher never knew
		// c and e are lost
	}
	got := ledger.Count(expected, entries)
	want := ledger.Tally{Sent: 6, Processed: 2, Duplicates: 1, Lost: 2, DeadLettered: 2, Misrouted: []string{"f"}, Unconfirmed: 1, LostKeys: []string{"c", "e"}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got %+v\nwant %+v", got, want)
	}
	if s := got.String(); s != "sent=6 processed=2 duplicates=1 lost=2 dead_lettered=2" {
		t.Errorf("String() = %q", s)
	}
}
