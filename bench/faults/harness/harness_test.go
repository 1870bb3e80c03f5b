package harness_test

import (
	"context"
	"errors"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	mega "github.com/sqs-mega/sqs-mega-go"
	"github.com/sqs-mega/sqs-mega-go/bench/faults/harness"
	"github.com/sqs-mega/sqs-mega-go/bench/faults/ledger"
	"github.com/sqs-mega/sqs-mega-go/protocol"
)

// received returns the message a consumer would hand to a subscriber for
// an entry: its body encoded and decoded again.
func received(t *testing.T, e mega.Entry, withAttributes bool) *mega.Message {
	t.Helper()
	body, err := protocol.Encode(e.Payload)
	if err != nil {
		t.Fatal(err)
	}
	dm, err := protocol.Decode(body)
	if err != nil {
		t.Fatal(err)
	}
	m := &mega.Message{Message: dm, ID: "m-1", Body: body, ReceiveCount: 2}
	if withAttributes {
		m.Attributes = e.Attributes
	}
	return m
}

func TestEventCarriesKeyAndWork(t *testing.T) {
	e := harness.Event("k-000001", 1500*time.Millisecond)
	for _, attrs := range []bool{true, false} {
		m := received(t, e, attrs)
		if k := harness.Key(m); k != "k-000001" {
			t.Errorf("key %q (attributes %v)", k, attrs)
		}
		if d := harness.Work(m); d != 1500*time.Millisecond {
			t.Errorf("work %v", d)
		}
	}
}

func TestRecorderSubscriber(t *testing.T) {
	path := filepath.Join(t.TempDir(), "ledger")
	w, err := ledger.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	rec := harness.NewRecorder(w)
	sub := rec.Subscriber(time.Hour)
	if err := sub.Process(context.Background(), received(t, harness.Event("quick", 0), true)); err != nil {
		t.Fatal(err)
	}
	// A handler cut short by its context fails, and records no processing.
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := sub.Process(ctx, received(t, harness.Event("slow", time.Minute), true)); !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled handler: %v", err)
	}
	if keys, total := rec.ProcessedKeys(); keys != 1 || total != 1 {
		t.Errorf("processed %d keys, %d in all; want 1", keys, total)
	}
	if began, processed := rec.Times("slow"); began != 1 || processed != 0 {
		t.Errorf("slow: began %d, processed %d", began, processed)
	}
	es, err := ledger.Read(path)
	if err != nil {
		t.Fatal(err)
	}
	kinds := ""
	for _, e := range es {
		kinds += string(e.Kind) + e.Key + " "
	}
	if kinds != "Bquick Pquick Bslow Fslow " {
		t.Errorf("ledger %q", kinds)
	}
}

// Wrap ends every handling it begins with the record of its outcome, a
// panic too, and lets the panic go on to the consumer.
func TestWrapRecordsOutcomes(t *testing.T) {
	path := filepath.Join(t.TempDir(), "ledger")
	w, err := ledger.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	rec := harness.NewRecorder(w)
	outcomes := map[string]func() error{
		"ok":        func() error { return nil },
		"failed":    func() error { return errors.New("database down") },
		"permanent": func() error { return mega.Permanent(errors.New("refused")) },
		"panic":     func() error { panic("bug") },
	}
	for _, key := range []string{"ok", "failed", "permanent", "panic"} {
		process := rec.Wrap(func(context.Context, *mega.Message) error { return outcomes[key]() })
		func() {
			defer func() {
				if v := recover(); (v != nil) != (key == "panic") {
					t.Errorf("%s: recovered %v", key, v)
				}
			}()
			process(context.Background(), received(t, harness.Event(key, 0), true))
		}()
	}
	es, err := ledger.Read(path)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, e := range es {
		if e.PID != os.Getpid() || e.MessageID != "m-1" || e.ReceiveCount != 2 {
			t.Errorf("record %+v: want this process, message m-1, receive count 2", e)
		}
		got = append(got, string(e.Kind)+e.Key)
	}
	if s := strings.Join(got, " "); s != "Bok Pok Bfailed Ffailed Bpermanent Rpermanent Bpanic Fpanic" {
		t.Errorf("ledger %q", s)
	}
}

// The chaos handlers choose the same way for the same seed, key and
// receive count, in the fractions asked for.
func TestChaosIsReproducible(t *testing.T) {
	c := harness.Chaos{Seed: 7, Permanent: 0.05, Fail: 0.08, Panic: 0.04, Slow: 0.03}
	counts := map[harness.Behaviour]int{}
	const n = 20000
	for i := range n {
		key := "k-" + strconv.Itoa(i)
		b := c.Choose(key, 1+i%3)
		if again := c.Choose(key, 1+i%3); again != b {
			t.Fatalf("%s: %v then %v", key, b, again)
		}
		if c.Refuses(key) != (b == harness.Refuse) {
			t.Fatalf("%s: Refuses %v, Choose %v", key, c.Refuses(key), b)
		}
		counts[b]++
	}
	other := c
	other.Seed++
	differ := 0
	for i := range 1000 {
		key := "k-" + strconv.Itoa(i)
		if c.Choose(key, 1) != other.Choose(key, 1) {
			differ++
		}
	}
	if differ == 0 {
		t.Error("another seed made the same choices")
	}
	for b, want := range map[harness.Behaviour]float64{harness.Refuse: 0.05, harness.Fail: 0.08 * 0.95, harness.Panic: 0.04 * 0.95, harness.Slow: 0.03 * 0.95} {
		got := float64(counts[b]) / n
		if math.Abs(got-want) > 0.01 {
			t.Errorf("%v: %.3f of the handlings, want %.3f", b, got, want)
		}
	}
}

// The chaos subscriber does what Choose says, and its records say so.
func TestChaosSubscriber(t *testing.T) {
	path := filepath.Join(t.TempDir(), "ledger")
	w, err := ledger.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	c := harness.Chaos{Seed: 3, Permanent: 0.2, Fail: 0.3, Panic: 0.2, Slow: 0.1, SlowWork: time.Millisecond}
	sub := c.Subscriber(harness.NewRecorder(w), time.Hour)
	want := map[harness.Behaviour]ledger.Kind{harness.Succeed: ledger.Processed, harness.Slow: ledger.Processed,
		harness.Fail: ledger.Failed, harness.Panic: ledger.Failed, harness.Refuse: ledger.Refused}
	seen := map[harness.Behaviour]bool{}
	for i := range 40 {
		key := "k-" + strconv.Itoa(i)
		m := received(t, harness.Event(key, 0), true)
		b := c.Choose(key, m.ReceiveCount)
		seen[b] = true
		var err error
		func() {
			defer func() {
				if v := recover(); (v != nil) != (b == harness.Panic) {
					t.Errorf("%s (%v): recovered %v", key, b, v)
				}
			}()
			err = sub.Process(context.Background(), m)
		}()
		var perm *mega.PermanentError
		switch {
		case b == harness.Refuse && !errors.As(err, &perm), b == harness.Fail && (!errors.Is(err, harness.ErrChaos) || errors.As(err, &perm)),
			(b == harness.Succeed || b == harness.Slow) && err != nil:
			t.Errorf("%s (%v): %v", key, b, err)
		}
		es, _ := ledger.Read(path)
		if last := es[len(es)-1]; last.Key != key || last.Kind != want[b] {
			t.Errorf("%s (%v): last record %+v, want %c", key, b, last, want[b])
		}
	}
	if len(seen) != 5 {
		t.Errorf("40 messages met only %v", seen)
	}
}
