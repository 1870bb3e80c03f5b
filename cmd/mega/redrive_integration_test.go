package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	mega "github.com/sqs-mega/sqs-mega-go"
	"github.com/sqs-mega/sqs-mega-go/internal/awstest"
	"github.com/sqs-mega/sqs-mega-go/transport"
	"github.com/sqs-mega/sqs-mega-go/transport/sqs"
)

// deadLetters puts n messages in the dead-letter queue as the consumer
// leaves them: bodies, attributes of their own and a reason. Every fifth
// has no reason, as when SQS moves a message itself.
func deadLetters(t *testing.T, dlq *sqs.Queue, n int) []transport.Outgoing {
	t.Helper()
	var all []transport.Outgoing
	for i := range n {
		o := transport.Outgoing{
			Body: fmt.Sprintf(`{"protocol": "mega", "version": 1, "event": {"name": "user:updated", "timestamp": "2020-05-04T15:53:27Z", "subject": "%d"}}`, i),
			Attributes: map[string]transport.Attribute{
				mega.AttrEncoding: transport.StringAttribute("json"),
				"tenant":          {DataType: "Number", StringValue: fmt.Sprint(i)},
				"trace":           {DataType: "Binary", BinaryValue: []byte{byte(i), 0, 0xff}},
			},
		}
		switch i % 5 {
		case 0:
		case 1:
			o.Attributes[mega.AttrDeadLetterReason] = transport.StringAttribute("retried 5 times: last error: timeout")
		default:
			o.Attributes[mega.AttrDeadLetterReason] = transport.StringAttribute("subscriber users: validation: object.current.id is required")
		}
		if dlq.FIFO() {
			o.GroupID = fmt.Sprintf("g%d", i%3)
			o.DeduplicationID = fmt.Sprintf("d%d", i)
		}
		all = append(all, o)
	}
	for rest := all; len(rest) > 0; {
		batch := rest[:min(len(rest), transport.MaxBatch)]
		rest = rest[len(batch):]
		awstest.Send(t, dlq, batch...)
	}
	return all
}

// inQueue receives every message of a queue and returns them by body,
// in the order received. It deletes them from FIFO queues, whose later
// messages of a group are out of reach while earlier ones are held, and
// keeps them invisible for a minute in standard queues.
func inQueue(t *testing.T, env *awstest.Env, q *sqs.Queue) (map[string]transport.Message, []transport.Message) {
	t.Helper()
	n := env.Count(t, q).Total()
	got := map[string]transport.Message{}
	var order []transport.Message
	for deadline := time.Now().Add(20 * time.Second); len(order) < n && time.Now().Before(deadline); {
		msgs, err := q.Receive(context.Background(), transport.ReceiveRequest{MaxMessages: 10, WaitTime: time.Second, VisibilityTimeout: time.Minute})
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range msgs {
			if _, dup := got[m.Body]; dup {
				t.Errorf("%.40s is in %s twice", m.Body, q.URL())
			}
			got[m.Body] = m
			order = append(order, m)
		}
		if q.FIFO() && len(msgs) > 0 {
			handles := make([]string, len(msgs))
			for i, m := range msgs {
				handles[i] = m.ReceiptHandle
			}
			if _, err := q.Delete(context.Background(), handles); err != nil {
				t.Fatal(err)
			}
		}
	}
	if len(order) < n {
		t.Fatalf("received %d of the %d messages of %s", len(order), n, q.URL())
	}
	return got, order
}

// objLines parses a command's output, one JSON object a line.
func objLines(t *testing.T, out string) []map[string]any {
	t.Helper()
	var objs []map[string]any
	for _, l := range lines(out) {
		if l == "" {
			continue
		}
		var o map[string]any
		if err := json.Unmarshal([]byte(l), &o); err != nil {
			t.Fatalf("line %q: %v", l, err)
		}
		objs = append(objs, o)
	}
	return objs
}

func TestDLQLeavesTheQueueAsItWas(t *testing.T) {
	env, endpoint := cliEnv(t)
	_, dlq := env.QueueWithDLQ(t, sqs.QueueConfig{}, 3)
	sent := deadLetters(t, dlq, 12)

	code, out, errs := runCLI(t, "", "dlq", "--queue-url", dlq.URL(), "--endpoint", endpoint)
	if code != exitOK {
		t.Fatalf("exit %d, stderr %s", code, errs)
	}
	shown := objLines(t, out)
	if len(shown) != len(sent) {
		t.Fatalf("%d lines, want %d:\n%s", len(shown), len(sent), out)
	}
	for _, o := range shown {
		if o["kind"] != "mega" || o["message_id"] == "" || o["receive_count"] != 1.0 || o["sent"] == nil || o["first_received"] == nil {
			t.Errorf("line %v: want the decoded event, its id, receive count, sent and first-received times", o)
		}
	}
	reasons := 0
	for _, o := range shown {
		if o["dead_letter_reason"] != nil {
			reasons++
		}
	}
	if reasons != 9 {
		t.Errorf("%d lines with a reason, want 9", reasons)
	}
	for _, want := range []string{
		"mega dlq: 12 messages shown, by reason:",
		"     6  failed in subscriber users",
		"     3  no reason attached",
		"     3  retried until the consumer's limit",
	} {
		if !strings.Contains(errs, want) {
			t.Errorf("stderr %q, want it to contain %q", errs, want)
		}
	}
	t.Run("pattern and max", func(t *testing.T) {
		code, out, errs := runCLI(t, "", "dlq", "--queue-url", dlq.URL(), "--endpoint", endpoint, "-p", `{"subject": {"$prefix": "1"}}`, "--max", "2")
		if got := objLines(t, out); code != exitOK || len(got) != 2 || !strings.HasPrefix(got[0]["payload"].(map[string]any)["event"].(map[string]any)["subject"].(string), "1") {
			t.Errorf("exit %d, output %s %s; want the 2 first events whose subject starts with 1", code, out, errs)
		}
	})

	// Unchanged: every message visible again at once, as it was.
	if c := env.Count(t, dlq); c.Visible != len(sent) || c.InFlight != 0 {
		t.Errorf("dead-letter queue %+v after dlq; want all %d visible", c, len(sent))
	}
	after, _ := inQueue(t, env, dlq)
	for _, o := range sent {
		m, ok := after[o.Body]
		if !ok || m.Attributes[mega.AttrDeadLetterReason].StringValue != o.Attributes[mega.AttrDeadLetterReason].StringValue || len(m.Attributes) != len(o.Attributes) {
			t.Errorf("%.40s: after dlq %+v", o.Body, m)
		}
	}

}

func TestRedriveMovesEachMessageOnce(t *testing.T) {
	env, endpoint := cliEnv(t)
	for _, fifo := range []bool{false, true} {
		t.Run(fmt.Sprintf("fifo=%v", fifo), func(t *testing.T) {
			q, dlq := env.QueueWithDLQ(t, sqs.QueueConfig{FIFO: fifo}, 3)
			sent := deadLetters(t, dlq, 25)

			t.Run("dry run", func(t *testing.T) {
				code, out, errs := runCLI(t, "", "redrive", "--from", dlq.URL(), "--endpoint", endpoint, "--dry-run")
				want := 25
				if fifo {
					// Only the first messages of each group are in reach.
					want = len(objLines(t, out))
					if want == 0 || !strings.Contains(errs, "FIFO") {
						t.Errorf("stderr %s; want a word on FIFO groups", errs)
					}
				}
				if code != exitOK || len(objLines(t, out)) != want || !strings.Contains(errs, fmt.Sprintf("%d would move", want)) {
					t.Fatalf("exit %d, %d lines, stderr %s; want the %d that would move", code, len(lines(out)), errs, want)
				}
				if c, cq := env.Count(t, dlq), env.Count(t, q); c.Visible != 25 || c.InFlight != 0 || cq.Total() != 0 {
					t.Errorf("after a dry run: dead-letter queue %+v, queue %+v; want nothing moved, all visible", c, cq)
				}
			})

			// No --to: the queue whose redrive policy names the DLQ.
			code, out, errs := runCLI(t, "", "redrive", "--from", dlq.URL(), "--endpoint", endpoint)
			if code != exitOK {
				t.Fatalf("exit %d, stderr %s", code, errs)
			}
			if n := len(objLines(t, out)); n != 25 || !strings.Contains(errs, "to "+q.URL()) || !strings.Contains(errs, "25 moved") {
				t.Errorf("%d lines, stderr %s; want 25 moved to %s", n, errs, q.URL())
			}
			if c := env.Count(t, dlq); c.Total() != 0 {
				t.Errorf("dead-letter queue %+v after the redrive, want empty", c)
			}
			got, order := inQueue(t, env, q)
			if len(got) != 25 {
				t.Fatalf("%d messages in the queue, want 25", len(got))
			}
			for _, o := range sent {
				checkRedriven(t, got[o.Body], o)
			}
			if fifo {
				// Each group in the order it was sent.
				last := map[string]int{}
				for _, m := range order {
					i := slices.IndexFunc(sent, func(o transport.Outgoing) bool { return o.Body == m.Body })
					if prev, ok := last[m.GroupID]; ok && prev > i {
						t.Errorf("group %s: message %d after %d", m.GroupID, i, prev)
					}
					last[m.GroupID] = i
				}
			}
		})
	}
}

// checkRedriven checks that m is o moved back: body, attributes, reason
// moved, FIFO ids.
func checkRedriven(t *testing.T, m transport.Message, o transport.Outgoing) {
	t.Helper()
	if m.Body != o.Body {
		t.Errorf("%.40s: not moved", o.Body)
		return
	}
	want := map[string]transport.Attribute{}
	for k, v := range o.Attributes {
		want[k] = v
	}
	if r, ok := want[mega.AttrDeadLetterReason]; ok {
		delete(want, mega.AttrDeadLetterReason)
		want[mega.AttrPreviousDeadLetterReason] = r
	}
	if len(m.Attributes) != len(want) {
		t.Errorf("%.40s: attributes %v, want %v", o.Body, m.Attributes, want)
	}
	for k, w := range want {
		g := m.Attributes[k]
		if g.DataType != w.DataType || g.StringValue != w.StringValue || !slices.Equal(g.BinaryValue, w.BinaryValue) {
			t.Errorf("%.40s: attribute %s = %+v, want %+v", o.Body, k, g, w)
		}
	}
	if m.GroupID != o.GroupID || m.DeduplicationID != o.DeduplicationID {
		t.Errorf("%.40s: group %q, deduplication id %q; want %q, %q", o.Body, m.GroupID, m.DeduplicationID, o.GroupID, o.DeduplicationID)
	}
}

// cancelOnWrite cancels a context at the first write: the first message
// moved is printed once its batch was sent, before its deletes.
type cancelOnWrite struct {
	syncBuffer
	once   sync.Once
	cancel context.CancelFunc
}

func (c *cancelOnWrite) Write(p []byte) (int, error) {
	c.once.Do(c.cancel)
	return c.syncBuffer.Write(p)
}

// An interrupted redrive loses nothing: each message is in one queue, the
// dead-letter queue's visible at once.
func TestRedriveInterruptedLosesNothing(t *testing.T) {
	srv, endpoint := cliEnv(t)
	check := func(t *testing.T, q, dlq *sqs.Queue, sent []transport.Outgoing, printed int) {
		t.Helper()
		moved, _ := inQueue(t, srv, q)
		left, _ := inQueue(t, srv, dlq)
		if len(moved) != printed {
			t.Errorf("%d messages printed, %d moved", printed, len(moved))
		}
		for _, o := range sent {
			m, in := moved[o.Body]
			_, stayed := left[o.Body]
			switch {
			case in && stayed:
				t.Errorf("%.40s is in both queues", o.Body)
			case in:
				checkRedriven(t, m, o)
			case !stayed:
				t.Errorf("%.40s is lost", o.Body)
			}
		}
	}

	t.Run("cancelled", func(t *testing.T) {
		q, dlq := srv.QueueWithDLQ(t, sqs.QueueConfig{}, 3)
		sent := deadLetters(t, dlq, 25)
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		stdout := &cancelOnWrite{cancel: cancel}
		var stderr syncBuffer
		code := run(ctx, &env{stdin: strings.NewReader(""), stdout: stdout, stderr: &stderr}, []string{"redrive", "--from", dlq.URL(), "--to", q.URL(), "--endpoint", endpoint})
		printed := len(objLines(t, stdout.String()))
		if code != exitFailure || !strings.Contains(stderr.String(), "interrupted") || printed == 0 || printed == 25 {
			t.Fatalf("exit %d, %d printed, stderr %s; want an interruption after the first batch", code, printed, stderr.String())
		}
		if c := srv.Count(t, dlq); c.InFlight != 0 || c.Visible != 25-printed {
			t.Errorf("dead-letter queue %+v; want the %d not moved visible at once", c, 25-printed)
		}
		check(t, q, dlq, sent, printed)
	})

	t.Run("SIGINT", func(t *testing.T) {
		bin := filepath.Join(t.TempDir(), "mega")
		if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
			t.Fatalf("go build: %v\n%s", err, out)
		}
		q, dlq := srv.QueueWithDLQ(t, sqs.QueueConfig{}, 3)
		sent := deadLetters(t, dlq, 60)
		cmd := exec.Command(bin, "redrive", "--from", dlq.URL(), "--to", q.URL(), "--endpoint", endpoint)
		stdout, err := cmd.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		var stderr syncBuffer
		cmd.Stderr = &stderr
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		r := bufio.NewReader(stdout)
		first, err := r.ReadString('\n')
		if err != nil {
			t.Fatalf("no message moved: %v, stderr %s", err, stderr.String())
		}
		if err := cmd.Process.Signal(syscall.SIGINT); err != nil {
			t.Fatal(err)
		}
		rest, _ := io.ReadAll(r)
		err = cmd.Wait()
		printed := len(objLines(t, first+string(rest)))
		// A run that ended before the signal arrived exits 0; otherwise it
		// says it was interrupted.
		if err != nil && !strings.Contains(stderr.String(), "interrupted") {
			t.Errorf("exit %v, stderr %s", err, stderr.String())
		}
		if c := srv.Count(t, dlq); c.InFlight != 0 {
			t.Errorf("dead-letter queue %+v: messages left invisible", c)
		}
		t.Logf("%d of %d moved before the interruption", printed, len(sent))
		check(t, q, dlq, sent, printed)
	})
}

func TestRedriveUsageAgainstTheServer(t *testing.T) {
	env, endpoint := cliEnv(t)
	q := env.Queue(t, sqs.QueueConfig{})
	fifo := env.Queue(t, sqs.QueueConfig{FIFO: true})
	gone := strings.TrimSuffix(q.URL(), "/"+filepath.Base(q.URL())) + "/nope"
	for _, tt := range []struct {
		name string
		args []string
		want string
	}{
		{"no source queue", []string{"redrive", "--from", q.URL()}, "no queue names " + q.URL() + " as its dead-letter queue: give --to"},
		{"missing queue", []string{"redrive", "--from", gone}, "the SQS queue " + gone + " does not exist"},
		{"FIFO to standard", []string{"redrive", "--from", fifo.URL(), "--to", q.URL()}, "is a FIFO queue and " + q.URL() + " is not"},
		{"dlq of a missing queue", []string{"dlq", "--queue-url", gone}, "the SQS queue " + gone + " does not exist"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			code, out, errs := runCLI(t, "", append(tt.args, "--endpoint", endpoint)...)
			if code != exitUsage || out != "" || !strings.Contains(errs, tt.want) || strings.Count(errs, "\n") != 1 {
				t.Errorf("exit %d, stdout %q, stderr %q; want exit 2 and one line saying %q", code, out, errs, tt.want)
			}
		})
	}
}
