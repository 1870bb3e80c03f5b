package harness_test

import (
	"context"
	"errors"
	"path/filepath"
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
	if kinds != "Bquick Pquick Bslow " {
		t.Errorf("ledger %q", kinds)
	}
}
