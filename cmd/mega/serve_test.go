package main

import (
	"bufio"
	"context"
	"errors"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/credentials"

	"github.com/sqs-mega/sqs-mega-go/transport"
	"github.com/sqs-mega/sqs-mega-go/transport/memory/sqsserver"
	"github.com/sqs-mega/sqs-mega-go/transport/sqs"
)

// serveForTest runs `mega serve` on a free port and returns the lines it
// printed first (the endpoint, then one per queue), a function that stops
// it, and its exit code once stopped.
func serveForTest(t *testing.T, queues ...string) (lines []string, stop func() int) {
	t.Helper()
	ctx, cancel := context.WithCancel(t.Context())
	pr, pw := io.Pipe()
	code := make(chan int, 1)
	stderr := &syncBuffer{}
	args := []string{"serve", "--addr", "127.0.0.1:0"}
	for _, q := range queues {
		args = append(args, "--queue", q)
	}
	go func() {
		code <- run(ctx, &env{stdin: strings.NewReader(""), stdout: pw, stderr: stderr}, args)
		pw.Close()
	}()
	sc := bufio.NewScanner(pr)
	for len(lines) < 1+len(queues) && sc.Scan() {
		lines = append(lines, sc.Text())
	}
	go io.Copy(io.Discard, pr)
	if len(lines) < 1+len(queues) {
		cancel()
		t.Fatalf("mega serve printed %q, then exited %d: %s", lines, <-code, stderr)
	}
	stopped := false
	stop = func() int {
		if stopped {
			return exitOK
		}
		stopped = true
		cancel()
		return exitWithin(t, code, 10*time.Second, stderr)
	}
	t.Cleanup(func() { stop() })
	return lines, stop
}

func TestServeIsAnSQSEndpoint(t *testing.T) {
	lines, stop := serveForTest(t, "jobs")
	endpoint, queueURL := lines[0], lines[1]
	if !strings.HasPrefix(endpoint, "http://127.0.0.1:") || queueURL != endpoint+"/000000000000/jobs" {
		t.Fatalf("mega serve printed %q", lines)
	}
	ctx := t.Context()
	q, err := sqs.Dial(ctx, queueURL,
		sqs.WithCredentials(credentials.NewStaticCredentialsProvider("test", "test", "")),
		sqs.WithHTTPClient(sqsserver.NewHTTPClient(nil)))
	if err != nil {
		t.Fatal(err)
	}
	res, err := q.Send(ctx, []transport.Outgoing{{Body: "hello", Attributes: map[string]transport.Attribute{"kind": transport.StringAttribute("greeting")}}})
	if err != nil || res[0].Err != nil {
		t.Fatalf("Send: %v %v", err, res)
	}
	receive := func(vis time.Duration) transport.Message {
		t.Helper()
		msgs, err := q.Receive(ctx, transport.ReceiveRequest{MaxMessages: 10, WaitTime: 5 * time.Second, VisibilityTimeout: vis})
		if err != nil || len(msgs) != 1 {
			t.Fatalf("Receive = %v, %v; want one message", msgs, err)
		}
		return msgs[0]
	}
	m := receive(time.Hour)
	if m.ID != res[0].MessageID || m.Body != "hello" || m.ReceiveCount != 1 || m.Attributes["kind"].StringValue != "greeting" {
		t.Fatalf("received %+v", m)
	}

	// Invisible while in flight; visible again once its visibility is
	// set to zero, with a new receipt handle.
	if msgs, err := q.Receive(ctx, transport.ReceiveRequest{MaxMessages: 10}); err != nil || len(msgs) != 0 {
		t.Fatalf("a message in flight was received again: %v, %v", msgs, err)
	}
	if errs, err := q.ChangeVisibility(ctx, []transport.VisibilityChange{{ReceiptHandle: m.ReceiptHandle}}); err != nil || errs[0] != nil {
		t.Fatalf("ChangeVisibility: %v %v", err, errs)
	}
	again := receive(time.Hour)
	if again.ID != m.ID || again.ReceiveCount != 2 || again.ReceiptHandle == m.ReceiptHandle {
		t.Fatalf("second delivery %+v after %+v", again, m)
	}
	// The first receipt is stale now.
	if errs, err := q.Delete(ctx, []string{m.ReceiptHandle}); err != nil || !errors.Is(errs[0], transport.ErrReceiptInvalid) {
		t.Errorf("Delete with a stale handle: %v %v; want ErrReceiptInvalid", err, errs)
	}
	if errs, err := q.Delete(ctx, []string{again.ReceiptHandle}); err != nil || errs[0] != nil {
		t.Fatalf("Delete: %v %v", err, errs)
	}
	info, err := q.Describe(ctx)
	if err != nil || info.ARN != "arn:aws:sqs:us-east-1:000000000000:jobs" {
		t.Errorf("Describe = %+v, %v", info, err)
	}
	if msgs, err := q.Receive(ctx, transport.ReceiveRequest{MaxMessages: 10, WaitTime: time.Second}); err != nil || len(msgs) != 0 {
		t.Errorf("the deleted message came back: %v, %v", msgs, err)
	}
	if code := stop(); code != exitOK {
		t.Errorf("mega serve exited %d when stopped, want 0", code)
	}
	if _, err := q.Send(ctx, []transport.Outgoing{{Body: "late"}}); err == nil {
		t.Error("the endpoint still answers after mega serve stopped")
	}
}

func TestServeRefusesRemoteAddresses(t *testing.T) {
	for _, addr := range []string{"0.0.0.0:9324", ":9324", "192.0.2.1:9324"} {
		t.Run(addr, func(t *testing.T) {
			stdout, stderr := &syncBuffer{}, &syncBuffer{}
			code := run(t.Context(), &env{stdin: strings.NewReader(""), stdout: stdout, stderr: stderr}, []string{"serve", "--addr", addr})
			if code != exitUsage || !strings.Contains(stderr.String(), "loopback") || stdout.String() != "" {
				t.Errorf("serve --addr %s: exit %d, stdout %q, stderr %q; want 2 and a word on loopback addresses", addr, code, stdout, stderr)
			}
		})
	}
}

func TestServeHelp(t *testing.T) {
	stdout, stderr := &syncBuffer{}, &syncBuffer{}
	if code := run(t.Context(), &env{stdin: strings.NewReader(""), stdout: stdout, stderr: stderr}, []string{"help", "serve"}); code != exitOK {
		t.Fatalf("help serve exited %d: %s", code, stderr)
	}
	for _, want := range []string{"Usage: mega serve", "--addr", "--queue", "127.0.0.1:9324"} {
		if !strings.Contains(stdout.String(), want) {
			t.Errorf("help lacks %q:\n%s", want, stdout)
		}
	}
}
