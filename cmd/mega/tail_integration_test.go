package main

import (
	"bytes"
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sqs-mega/sqs-mega-go/internal/awstest"
	"github.com/sqs-mega/sqs-mega-go/transport"
	"github.com/sqs-mega/sqs-mega-go/transport/sqs"
)

// syncBuffer is a bytes.Buffer that a command writes to while the test
// reads it.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// startMega runs a command line in the background; the channel gets its
// exit code.
func startMega(ctx context.Context, args ...string) (stdout, stderr *syncBuffer, code <-chan int) {
	stdout, stderr = &syncBuffer{}, &syncBuffer{}
	c := make(chan int, 1)
	go func() { c <- run(ctx, &env{stdin: strings.NewReader(""), stdout: stdout, stderr: stderr}, args) }()
	return stdout, stderr, c
}

func exitWithin(t *testing.T, code <-chan int, d time.Duration, stderr *syncBuffer) int {
	t.Helper()
	select {
	case c := <-code:
		return c
	case <-time.After(d):
		t.Fatalf("the command did not return within %v; stderr %s", d, stderr)
		return 0
	}
}

func sendBodies(t *testing.T, q transport.Queue, bodies ...string) []string {
	t.Helper()
	batch := make([]transport.Outgoing, len(bodies))
	for i, b := range bodies {
		batch[i] = transport.Outgoing{Body: b}
	}
	var ids []string
	for _, r := range awstest.Send(t, q, batch...) {
		ids = append(ids, r.MessageID)
	}
	return ids
}

func TestTailPrintsMessagesAndLeavesThemInTheQueue(t *testing.T) {
	env, endpoint := cliEnv(t)
	q := env.Queue(t, sqs.QueueConfig{VisibilityTimeout: time.Hour})
	bodies := []string{
		`{"protocol": "mega", "version": 1, "event": {"name": "user:created", "timestamp": "2020-05-04T15:53:27Z"}}`,
		`{"order": 7, "total": 12345678901234567890.50}`,
		"hello world!",
		snsBody,
		`{"protocol": "mega", "version": 1, "event": {"name": "x"}}`,
	}
	ids := sendBodies(t, q, bodies...)

	// Twice: the first run must leave every message visible for the next.
	for round := 1; round <= 2; round++ {
		start := time.Now()
		code, out, errs := runCLI(t, "", "tail", "--queue-url", q.URL(), "--endpoint", endpoint, "--wait", "1")
		if code != exitOK {
			t.Fatalf("round %d: exit %d, stderr %s", round, code, errs)
		}
		if d := time.Since(start); d > 10*time.Second {
			t.Errorf("round %d: tail took %v to stop after a second without messages", round, d)
		}
		got := lines(out)
		if len(got) != len(bodies) {
			t.Fatalf("round %d: printed %d lines, want %d:\n%s", round, len(got), len(bodies), out)
		}
		for i, line := range got {
			m := decodeLine(t, line)
			if m["message_id"] != ids[i] {
				t.Errorf("line %d: message_id %v, want %s", i+1, m["message_id"], ids[i])
			}
			delete(m, "message_id")
			_, decoded, _ := runCLI(t, bodies[i], "decode")
			if g, w := mustJSON(t, m), mustJSON(t, decodeLine(t, decoded)); g != w {
				t.Errorf("line %d is %s\nwant the decode form %s", i+1, g, w)
			}
		}
		if c := env.Count(t, q); c.Visible != len(bodies) || c.InFlight != 0 {
			t.Errorf("round %d: after tail, %+v; want every message visible again at once", round, c)
		}
	}
}

func TestTailPatternAndDelete(t *testing.T) {
	env, endpoint := cliEnv(t)
	q := env.Queue(t, sqs.QueueConfig{VisibilityTimeout: time.Hour})
	ids := sendBodies(t, q,
		`{"protocol": "mega", "version": 1, "event": {"name": "user:created", "timestamp": "2020-05-04T15:53:27Z"}}`,
		`{"protocol": "mega", "version": 1, "event": {"name": "order:placed", "timestamp": "2020-05-04T15:53:27Z"}}`,
		`{"name": "user:imported"}`,
		"user:created",
	)
	code, out, errs := runCLI(t, "", "tail", "--queue-url", q.URL(), "--endpoint", endpoint, "--wait", "1",
		"-p", `{"name": {"$prefix": "user:"}}`, "--delete")
	if code != exitOK {
		t.Fatalf("exit %d, stderr %s", code, errs)
	}
	var printed []string
	for _, line := range lines(out) {
		printed = append(printed, fmt.Sprint(decodeLine(t, line)["message_id"]))
	}
	if want := []string{ids[0], ids[2]}; strings.Join(printed, " ") != strings.Join(want, " ") {
		t.Errorf("printed %v, want the user event and the user data %v", printed, want)
	}
	// The others are left, and visible at once.
	msgs := awstest.Receive(t, q, 2, 3*time.Second, transport.ReceiveRequest{})
	if len(msgs) != 2 || msgs[0].ID != ids[1] || msgs[1].ID != ids[3] {
		t.Errorf("left in the queue: %v; want the order event and the text", msgs)
	}
	if c := env.Count(t, q); c.Total() != 2 {
		t.Errorf("queue %+v; want only the two messages not printed", c)
	}
}

func TestTailMax(t *testing.T) {
	env, endpoint := cliEnv(t)
	tests := []struct {
		name string
		args []string
		left int
	}{
		{"kept", nil, 5},
		{"deleted", []string{"--delete"}, 3},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			q := env.Queue(t, sqs.QueueConfig{VisibilityTimeout: time.Hour})
			sendBodies(t, q, `{"n": 1}`, `{"n": 2}`, `{"n": 3}`, `{"n": 4}`, `{"n": 5}`)
			start := time.Now()
			code, out, errs := runCLI(t, "", append([]string{"tail", "--queue-url", q.URL(), "--endpoint", endpoint, "--max", "2", "--wait", "30"}, tt.args...)...)
			if code != exitOK || len(lines(out)) != 2 {
				t.Fatalf("exit %d, output %q, stderr %s; want two lines", code, out, errs)
			}
			if d := time.Since(start); d > 10*time.Second {
				t.Errorf("tail took %v; it should stop at the second message, not wait", d)
			}
			if c := env.Count(t, q); c.Visible != tt.left || c.InFlight != 0 {
				t.Errorf("queue %+v; want %d messages, all visible", c, tt.left)
			}
		})
	}
}

func TestTailFollowsNewMessagesUntilInterrupted(t *testing.T) {
	env, endpoint := cliEnv(t)
	q := env.Queue(t, sqs.QueueConfig{VisibilityTimeout: time.Hour})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	stdout, stderr, code := startMega(ctx, "tail", "--queue-url", q.URL(), "--endpoint", endpoint, "--wait", "60")
	for i := range 2 {
		// Sent while tail is waiting: it prints them as they come.
		sendBodies(t, q, fmt.Sprintf(`{"n": %d}`, i))
		awstest.Eventually(t, 10*time.Second, fmt.Sprintf("tail prints message %d", i+1), func() bool {
			return strings.Count(stdout.String(), "\n") == i+1
		})
	}
	cancel() // Ctrl-C
	if c := exitWithin(t, code, 5*time.Second, stderr); c != exitOK {
		t.Errorf("exit %d after Ctrl-C, stderr %s", c, stderr)
	}
	if c := env.Count(t, q); c.Visible != 2 || c.InFlight != 0 {
		t.Errorf("queue %+v after Ctrl-C; want both messages visible again at once", c)
	}
}

func TestTailStopsWhenTheQueueStaysEmpty(t *testing.T) {
	env, endpoint := cliEnv(t)
	q := env.Queue(t, sqs.QueueConfig{})
	start := time.Now()
	code, out, errs := runCLI(t, "", "tail", "--queue-url", q.URL(), "--endpoint", endpoint, "--wait", "2")
	d := time.Since(start)
	if code != exitOK || out != "" {
		t.Errorf("exit %d, output %q, stderr %s; want nothing printed", code, out, errs)
	}
	if d < 2*time.Second || d > 6*time.Second {
		t.Errorf("tail returned after %v; want about the 2s of --wait", d)
	}
}

func TestTailQueueErrors(t *testing.T) {
	env, endpoint := cliEnv(t)
	q := env.Queue(t, sqs.QueueConfig{})
	code, out, errs := runCLI(t, "", "tail", "--queue-url", q.URL()+"-missing", "--endpoint", endpoint)
	if code != exitFailure || out != "" || !strings.Contains(errs, "does not exist") {
		t.Errorf("exit %d, output %q, stderr %q; want 1 and the queue said not to exist", code, out, errs)
	}
}

// TestTailKeepsHeldMessagesInvisible runs tail three times longer than
// the visibility timeout it receives with: it must keep the message it
// holds invisible, not let it come back and receive it again, which would
// raise its receive count towards the queue's redrive limit.
func TestTailKeepsHeldMessagesInvisible(t *testing.T) {
	t.Parallel()
	servers := awstest.New(t)
	q := servers.Queue(t, sqs.QueueConfig{})
	sendBodies(t, q, `{"n": 1}`)
	stdout, stderr := &syncBuffer{}, &syncBuffer{}
	tl := &tailer{
		e:          &env{stdout: stdout, stderr: stderr},
		queue:      q,
		wait:       6 * time.Second,
		visibility: 2 * time.Second,
	}
	if c := tl.run(context.Background()); c != exitOK {
		t.Errorf("exit %d, stderr %s", c, stderr)
	}
	if n := strings.Count(stdout.String(), "\n"); n != 1 {
		t.Errorf("printed %d lines, want the message once:\n%s", n, stdout)
	}
	msgs := awstest.Receive(t, q, 1, 3*time.Second, transport.ReceiveRequest{})
	if n := msgs[0].ReceiveCount; n != 2 {
		t.Errorf("receive count %d after tail's receive and this one, want 2: tail should have received it once", n)
	}
}
