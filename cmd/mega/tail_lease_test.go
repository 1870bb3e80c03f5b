package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	mega "github.com/sqs-mega/sqs-mega-go"
	"github.com/sqs-mega/sqs-mega-go/offload"
	"github.com/sqs-mega/sqs-mega-go/protocol"
	"github.com/sqs-mega/sqs-mega-go/transport"
	"github.com/sqs-mega/sqs-mega-go/transport/memory"
)

// failingWriter accepts n writes, then fails every one.
type failingWriter struct {
	n     int
	lines []string
}

func (w *failingWriter) Write(p []byte) (int, error) {
	if w.n == 0 {
		return 0, errors.New("no space left on device")
	}
	w.n--
	w.lines = append(w.lines, string(p))
	return len(p), nil
}

// `mega tail --delete` deletes a message only once its line is written:
// when the output fails, the rest goes back to the queue at once and tail
// exits with a failure.
func TestTailDeletesOnlyWhatItWrote(t *testing.T) {
	for _, out := range []string{"after-two-lines", "dev-full"} {
		t.Run(out, func(t *testing.T) {
			b := memory.New()
			defer b.Close()
			q, err := b.CreateQueue("tail", memory.QueueConfig{VisibilityTimeout: time.Hour})
			if err != nil {
				t.Fatal(err)
			}
			for i := range 5 {
				if _, err := q.Send(context.Background(), []transport.Outgoing{{Body: fmt.Sprintf(`{"n": %d}`, i)}}); err != nil {
					t.Fatal(err)
				}
			}
			stderr := &syncBuffer{}
			e := &env{stderr: stderr}
			want := 2
			switch out {
			case "after-two-lines":
				e.stdout = &failingWriter{n: 2}
			case "dev-full":
				f, err := os.OpenFile("/dev/full", os.O_WRONLY, 0)
				if err != nil {
					t.Skip("no /dev/full here")
				}
				defer f.Close()
				e.stdout = f
				want = 0
			}
			tl := &tailer{e: e, queue: q, delete: true, wait: time.Second}
			if c := tl.run(context.Background()); c != exitFailure {
				t.Errorf("exit %d, want %d: a failed write must fail tail", c, exitFailure)
			}
			if !strings.Contains(stderr.String(), "writing the line of message") {
				t.Errorf("stderr %q does not say the write failed", stderr)
			}
			// Only what was written is deleted; the rest is visible again at
			// once, not after the hour-long visibility timeout.
			if st := q.Stats(); st.Visible != 5-want || st.InFlight != 0 || q.Len() != 5-want {
				t.Errorf("queue %+v (%d messages) after %d lines written; want %d visible", st, q.Len(), want, 5-want)
			}
		})
	}
}

// With buckets given, tail prints the payload a pointer leads to, and a
// pointer into another bucket as an error, deleting only the first.
func TestTailResolvesLargePayloads(t *testing.T) {
	b := memory.New()
	defer b.Close()
	q, err := b.CreateQueue("tail-large", memory.QueueConfig{VisibilityTimeout: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	store := offload.NewMemory("payloads", "elsewhere")
	p, err := mega.NewPublisher(q, mega.WithLargePayloads(mega.LargePayloads{Store: store, Bucket: "payloads", Always: true}))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p.Publish(context.Background(), mega.Entry{Payload: protocol.NewData(map[string]any{"big": "payload"})}); err != nil {
		t.Fatal(err)
	}
	if err := store.Put(context.Background(), "elsewhere", "k", `{"x":1}`); err != nil {
		t.Fatal(err)
	}
	forged := []transport.Outgoing{{
		Body:       `["software.amazon.payloadoffloading.PayloadS3Pointer",{"s3BucketName":"elsewhere","s3Key":"k"}]`,
		Attributes: map[string]transport.Attribute{offload.SizeAttribute: {DataType: "Number", StringValue: "7"}},
	}}
	if res, err := q.Send(context.Background(), forged); err != nil || res[0].Err != nil {
		t.Fatal(err, res)
	}
	resolver, err := mega.NewResolver(store, mega.WithTrustedBuckets("payloads"))
	if err != nil {
		t.Fatal(err)
	}
	stdout, stderr := &syncBuffer{}, &syncBuffer{}
	tl := &tailer{e: &env{stdout: stdout, stderr: stderr}, queue: q, delete: true, wait: time.Second, resolver: resolver}
	if c := tl.run(context.Background()); c != exitOK {
		t.Fatalf("exit %d, stderr %s", c, stderr)
	}
	out := stdout.String()
	if !strings.Contains(out, `"big":"payload"`) || !strings.Contains(out, "not trusted") {
		t.Errorf("tail printed:\n%s\nwant the resolved payload and the refused pointer", out)
	}
	if q.Len() != 1 {
		t.Errorf("queue holds %d messages; want only the refused pointer left", q.Len())
	}
}
