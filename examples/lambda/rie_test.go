package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"

	mega "github.com/sqs-mega/sqs-mega-go"
	"github.com/sqs-mega/sqs-mega-go/internal/awstest"
	"github.com/sqs-mega/sqs-mega-go/internal/testenv"
	"github.com/sqs-mega/sqs-mega-go/transport"
	"github.com/sqs-mega/sqs-mega-go/transport/sqs"
)

// The tests below build this program as bootstrap and run it under the
// AWS Lambda Runtime Interface Emulator, which serves the Lambda runtime
// API to it and takes invocations over HTTP, as Lambda would.

const rieInstall = "go install github.com/aws/aws-lambda-runtime-interface-emulator/cmd/aws-lambda-rie@v0.0.0-20261030222936-bef5c4ba774d"

const trustedTopic = "arn:aws:sns:us-east-1:123456789012:users"

// rie returns the emulator's path: $MEGA_TEST_RIE, else
// $(go env GOPATH)/bin/aws-lambda-rie, else aws-lambda-rie on PATH. Without
// one the test is skipped, or fails when MEGA_TEST_REQUIRE=1.
func rie(t *testing.T) string {
	t.Helper()
	if p := os.Getenv("MEGA_TEST_RIE"); p != "" {
		return p
	}
	if out, err := exec.Command("go", "env", "GOPATH").Output(); err == nil {
		for _, dir := range filepath.SplitList(strings.TrimSpace(string(out))) {
			p := filepath.Join(dir, "bin", "aws-lambda-rie")
			if _, err := os.Stat(p); err == nil {
				return p
			}
		}
	}
	if p, err := exec.LookPath("aws-lambda-rie"); err == nil {
		return p
	}
	how := "aws-lambda-rie not found (set MEGA_TEST_RIE, or install it: " + rieInstall + ")"
	if os.Getenv(testenv.RequireEnv) == "1" {
		t.Fatal(how + "; " + testenv.RequireEnv + "=1 forbids skipping")
	}
	t.Skip(how)
	return ""
}

func freePort(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

// function is the example running under the emulator.
type function struct {
	url string
}

// output collects what the emulator and the function write.
type output struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (o *output) Write(p []byte) (int, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.buf.Write(p)
}

func (o *output) String() string {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.buf.String()
}

// startFunction builds the example and starts it under the emulator with
// the given environment; the emulator is stopped when the test ends.
func startFunction(t *testing.T, env ...string) *function {
	t.Helper()
	emulator := rie(t)
	dir := t.TempDir()
	bootstrap := filepath.Join(dir, "bootstrap")
	build := exec.Command("go", "build", "-tags", "lambda.norpc", "-o", bootstrap, ".")
	build.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("building the example: %v\n%s", err, out)
	}
	addr, api := freePort(t), freePort(t)
	log := &output{}
	cmd := exec.Command(emulator, "--runtime-interface-emulator-address", addr, "--runtime-api-address", api, bootstrap)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(),
		"AWS_ACCESS_KEY_ID=test", "AWS_SECRET_ACCESS_KEY=test", "AWS_REGION="+testenv.Region,
		"AWS_LAMBDA_FUNCTION_NAME=mega-users", "AWS_LAMBDA_FUNCTION_TIMEOUT=60",
		"MEGA_TOPIC_ARNS="+trustedTopic)
	cmd.Env = append(cmd.Env, env...)
	cmd.Stdout, cmd.Stderr = log, log
	// Its own process group, so that stopping it stops the runtime it
	// started as well.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	pid := cmd.Process.Pid
	t.Cleanup(func() {
		_ = syscall.Kill(-pid, syscall.SIGKILL)
		_ = cmd.Wait()
		if t.Failed() {
			t.Logf("emulator output:\n%s", log.String())
		}
	})
	// Wait until the emulator listens.
	for deadline := time.Now().Add(30 * time.Second); ; {
		c, err := net.DialTimeout("tcp", addr, time.Second)
		if err == nil {
			c.Close()
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the emulator does not listen on %s: %v\n%s", addr, err, log.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
	return &function{url: "http://" + addr + "/2015-03-31/functions/function/invocations"}
}

// invoke posts an event and returns the function's answer.
func (f *function) invoke(t *testing.T, payload []byte) []byte {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodPost, f.url, bytes.NewReader(payload))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("invoking the function: %v", err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func failures(t *testing.T, answer []byte) []string {
	t.Helper()
	var resp events.SQSEventResponse
	if err := json.Unmarshal(answer, &resp); err != nil || resp.BatchItemFailures == nil {
		t.Fatalf("not an SQS event response: %s", answer)
	}
	ids := []string{}
	for _, f := range resp.BatchItemFailures {
		ids = append(ids, f.ItemIdentifier)
	}
	slices.Sort(ids)
	return ids
}

func testdata(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "..", "megalambda", "testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestEmulator answers each event with exactly the records that must come
// back.
func TestEmulator(t *testing.T) {
	f := startFunction(t)
	tests := []struct {
		name  string
		event []byte
		// want is the list of batchItemFailures, or for an error answer
		// the start of its message.
		want    []string
		wantErr string
		wantSNS bool
	}{
		// Retry asked for, an invalid MEGA payload and plain text without a
		// dead-letter queue come back; the rest (JSON, BSON, trusted and
		// forged SNS envelopes, unmatched) is done.
		{name: "standard", event: testdata(t, "sqs-standard.json"), want: []string{"invalid", "retry", "text"}},
		{name: "FIFO", event: testdata(t, "sqs-fifo.json"), want: []string{"a2", "a3", "c1"}},
		{name: "missing body and receipt handle", event: testdata(t, "sqs-missing-fields.json"), want: []string{"no-body", "no-receipt"}},
		{name: "SNS", event: testdata(t, "sns-ok.json"), wantSNS: true},
		{name: "SNS retry", event: testdata(t, "sns-retry.json"), wantErr: "megalambda: notification not processed: SNS message 95df01b4-retry"},
		{name: "no records", event: testdata(t, "sqs-no-records.json"), wantErr: "megalambda: event has no records"},
		{name: "not an SQS event", event: testdata(t, "s3-event.json"), wantErr: "megalambda: not an SQS or SNS event"},
		{name: "record without messageId", event: testdata(t, "sqs-missing-message-id.json"), wantErr: "megalambda: not an SQS or SNS event"},
		{name: "not JSON", event: []byte("hello"), wantErr: "megalambda: not an SQS or SNS event"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			answer := f.invoke(t, tt.event)
			switch {
			case tt.wantErr != "":
				var e struct{ ErrorMessage string }
				if err := json.Unmarshal(answer, &e); err != nil || !strings.HasPrefix(e.ErrorMessage, tt.wantErr) {
					t.Fatalf("answer %s, want an error %q", answer, tt.wantErr)
				}
			case tt.wantSNS:
				if string(answer) != "null" {
					t.Fatalf("answer %s, want null", answer)
				}
			default:
				if got := failures(t, answer); !slices.Equal(got, tt.want) {
					t.Fatalf("batchItemFailures %q, want %q (answer %s)", got, tt.want, answer)
				}
			}
		})
	}
}

// record returns the SQS record Lambda would deliver for a received
// message.
func record(m transport.Message, queueARN string) events.SQSMessage {
	r := events.SQSMessage{
		MessageId:         m.ID,
		ReceiptHandle:     m.ReceiptHandle,
		Body:              m.Body,
		Attributes:        m.System,
		MessageAttributes: map[string]events.SQSMessageAttribute{},
		EventSource:       "aws:sqs",
		EventSourceARN:    queueARN,
		AWSRegion:         testenv.Region,
	}
	for k, a := range m.Attributes {
		v := a.StringValue
		r.MessageAttributes[k] = events.SQSMessageAttribute{DataType: a.DataType, StringValue: &v}
	}
	return r
}

// TestEmulatorWithQueues runs the example on records received from a real
// queue (moto): the record to retry becomes visible again after the
// backoff, which the function sets with the record's receipt handle, and
// the record that cannot be processed is in the dead-letter queue, with
// its reason, before the function reports it done.
func TestEmulatorWithQueues(t *testing.T) {
	env := awstest.New(t)
	q := env.Queue(t, sqs.QueueConfig{})
	dlq := env.Queue(t, sqs.QueueConfig{})
	queueARN, err := q.ARN(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	f := startFunction(t, "MEGA_QUEUE_URL="+q.URL(), "MEGA_DLQ_URL="+dlq.URL())

	const (
		retryBody  = `{"protocol":"mega","version":1,"event":{"name":"user:created","timestamp":"2024-05-01T10:00:00Z","attributes":{"fail":true}}}`
		poisonBody = `not a MEGA message`
		okBody     = `{"protocol":"mega","version":1,"event":{"name":"user:created","timestamp":"2024-05-01T10:00:00Z"}}`
	)
	awstest.Send(t, q,
		transport.Outgoing{Body: retryBody},
		transport.Outgoing{Body: poisonBody, Attributes: map[string]transport.Attribute{"tenant": transport.StringAttribute("acme")}},
		transport.Outgoing{Body: okBody})
	// Held for 12 hours: only the function's visibility change can bring
	// a message back.
	msgs := awstest.Receive(t, q, 3, 30*time.Second, transport.ReceiveRequest{VisibilityTimeout: transport.MaxVisibilityTimeout})
	ev := events.SQSEvent{}
	ids := map[string]string{}
	for _, m := range msgs {
		ev.Records = append(ev.Records, record(m, queueARN))
		ids[m.Body] = m.ID
	}
	payload, _ := json.Marshal(ev)
	answer := f.invoke(t, payload)
	if got := failures(t, answer); !slices.Equal(got, []string{ids[retryBody]}) {
		t.Fatalf("batchItemFailures %q, want only the retry %s (answer %s)", got, ids[retryBody], answer)
	}

	copies := awstest.Receive(t, dlq, 1, 30*time.Second, transport.ReceiveRequest{})
	if c := copies[0]; c.Body != poisonBody || c.Attributes["tenant"].StringValue != "acme" ||
		!strings.Contains(c.Attributes[mega.AttrDeadLetterReason].StringValue, "not a MEGA message") {
		t.Errorf("dead-letter copy %+v", c)
	}

	// The backoff for a first receive is 1 s.
	back := awstest.Receive(t, q, 1, 30*time.Second, transport.ReceiveRequest{WaitTime: 5 * time.Second})
	if back[0].ID != ids[retryBody] || back[0].ReceiveCount != 2 {
		t.Errorf("came back: %s (receive %d), want the retry %s on its second receive", back[0].ID, back[0].ReceiveCount, ids[retryBody])
	}
}
