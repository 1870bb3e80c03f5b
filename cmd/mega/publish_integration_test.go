package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	mega "github.com/sqs-mega/sqs-mega-go"
	"github.com/sqs-mega/sqs-mega-go/internal/awstest"
	"github.com/sqs-mega/sqs-mega-go/internal/testenv"
	"github.com/sqs-mega/sqs-mega-go/protocol"
	"github.com/sqs-mega/sqs-mega-go/transport"
	"github.com/sqs-mega/sqs-mega-go/transport/sns"
	"github.com/sqs-mega/sqs-mega-go/transport/sqs"
)

// cliEnv prepares a test of a command against the test server: the AWS
// configuration chain isolated, the server's clients and its endpoint.
func cliEnv(t *testing.T) (*awstest.Env, string) {
	t.Helper()
	endpoint := testenv.Endpoint(t)
	isolateAWS(t)
	return awstest.New(t), endpoint
}

// lines splits a command's output into its lines.
func lines(out string) []string {
	return strings.Split(strings.TrimSuffix(out, "\n"), "\n")
}

// receivedByID receives n messages and returns them by message id, decoded.
func receivedByID(t *testing.T, q transport.Queue, n int) map[string]mega.Message {
	t.Helper()
	got := map[string]mega.Message{}
	for _, m := range awstest.Receive(t, q, n, 10*time.Second, transport.ReceiveRequest{VisibilityTimeout: time.Minute}) {
		dm, err := protocol.Decode(m.Body)
		if err != nil {
			t.Fatalf("received body %q: %v", m.Body, err)
		}
		got[m.ID] = mega.Message{Message: dm, ID: m.ID, Body: m.Body, Attributes: m.Attributes, GroupID: m.GroupID}
	}
	return got
}

func TestPublishToQueue(t *testing.T) {
	env, endpoint := cliEnv(t)
	dir := t.TempDir()
	event := filepath.Join(dir, "event.json")
	data := filepath.Join(dir, "data.json")
	for f, body := range map[string]string{
		event: `{"protocol": "mega", "version": 1, "event": {"name": "user:created", "subject": "42", "attributes": {"plan": "pro"}}}`,
		data:  "{\n  \"order\": 7,\n  \"total\": 12345678901234567890.50\n}\n",
	} {
		if err := os.WriteFile(f, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	tests := []struct {
		name     string
		args     []string
		stdin    string
		encoding string
	}{
		{"files", []string{event, data}, "", "json"},
		{"JSON lines in BSON", []string{"--bson", "-"}, "\n" + `{"protocol": "mega", "version": 1, "event": {"name": "user:created", "subject": "42", "attributes": {"plan": "pro"}}}` +
			"\n\n" + `{"order": 7, "total": 12345678901234567890.50}` + "\n", "bson"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			q := env.Queue(t, sqs.QueueConfig{})
			before := time.Now().Add(-time.Second)
			code, out, errs := runCLI(t, tt.stdin, append([]string{"publish", "--queue-url", q.URL(), "--endpoint", endpoint}, tt.args...)...)
			if code != exitOK {
				t.Fatalf("exit %d, stderr %s", code, errs)
			}
			ids := lines(out)
			if len(ids) != 2 {
				t.Fatalf("printed %q, want two message ids", out)
			}
			got := receivedByID(t, q, 2)
			ev, doc := got[ids[0]], got[ids[1]]
			if ev.Kind != protocol.KindMega || ev.Mega.Event.Name != "user:created" || ev.Mega.Event.Attributes["plan"] != "pro" {
				t.Errorf("first id %s is %s %+v, want the event", ids[0], ev.Kind, ev.Mega)
			} else if ts := ev.Mega.Event.Timestamp; ts.Before(before) || ts.After(time.Now()) {
				t.Errorf("event timestamp %v, want the time of publishing", ts)
			}
			if doc.Kind != protocol.KindData || doc.Data["order"] != json.Number("7") {
				t.Errorf("second id %s is %s %v, want the data document", ids[1], doc.Kind, doc.Data)
			}
			if total := doc.Data["total"]; tt.encoding == "json" && total != json.Number("12345678901234567890.50") {
				t.Errorf("total %v; JSON keeps numbers as written", total)
			}
			for _, m := range got {
				if a := m.Attributes[mega.AttrEncoding].StringValue; a != tt.encoding {
					t.Errorf("attribute %s = %q, want %q", mega.AttrEncoding, a, tt.encoding)
				}
				if isJSON := strings.HasPrefix(m.Body, "{"); isJSON != (tt.encoding == "json") {
					t.Errorf("body %.30q is not in %s", m.Body, tt.encoding)
				}
			}
		})
	}
}

func TestPublishToTopic(t *testing.T) {
	env, endpoint := cliEnv(t)

	t.Run("standard", func(t *testing.T) {
		tp := env.Topic(t, sns.TopicConfig{})
		q := env.Queue(t, sqs.QueueConfig{})
		env.Subscribe(t, tp, q, sns.QueueSubscription{})
		code, out, errs := runCLI(t, `{"protocol": "mega", "version": 1, "event": {"name": "user:created"}}`,
			"publish", "--topic-arn", tp.ARN(), "--endpoint", endpoint, "--region", testenv.Region)
		if code != exitOK {
			t.Fatalf("exit %d, stderr %s", code, errs)
		}
		for _, m := range receivedByID(t, q, 1) {
			if m.SNS == nil || m.SNS.TopicARN != tp.ARN() || m.SNS.MessageID+"\n" != out || m.Kind != protocol.KindMega {
				t.Errorf("received %s with envelope %+v; want the event, with the SNS message id printed (%q)", m.Kind, m.SNS, out)
			}
		}
	})
	t.Run("FIFO", func(t *testing.T) {
		// No content-based deduplication on either: the command provides the ids.
		tp := env.Topic(t, sns.TopicConfig{FIFO: true})
		q := env.Queue(t, sqs.QueueConfig{FIFO: true})
		env.Subscribe(t, tp, q, sns.QueueSubscription{RawMessageDelivery: true})
		code, out, errs := runCLI(t, "{\"seq\": 1}\n{\"seq\": 2}\n", "publish", "--topic-arn", tp.ARN(), "--endpoint", endpoint, "--group-id", "g1")
		if code != exitOK || len(lines(out)) != 2 {
			t.Fatalf("exit %d, output %q, stderr %s; want two ids", code, out, errs)
		}
		msgs := awstest.Receive(t, q, 2, 10*time.Second, transport.ReceiveRequest{VisibilityTimeout: time.Minute})
		if msgs[0].Body != `{"seq":1}` || msgs[1].Body != `{"seq":2}` || msgs[0].GroupID != "g1" {
			t.Errorf("received %q, %q in group %q; want both in order in g1", msgs[0].Body, msgs[1].Body, msgs[0].GroupID)
		}
	})
}

func TestPublishToFIFOQueue(t *testing.T) {
	env, endpoint := cliEnv(t)
	// No content-based deduplication: the command provides the ids.
	q := env.Queue(t, sqs.QueueConfig{FIFO: true})
	var stdin strings.Builder
	for i := range 12 {
		fmt.Fprintf(&stdin, `{"seq": %d}`+"\n", i)
	}
	code, out, errs := runCLI(t, stdin.String(), "publish", "--queue-url", q.URL(), "--endpoint", endpoint, "--group-id", "g1")
	if code != exitOK || len(lines(out)) != 12 {
		t.Fatalf("exit %d, output %q, stderr %s; want 12 ids", code, out, errs)
	}
	// A group's messages come in batches of at most 10, the next once the
	// previous ones are deleted.
	var seqs []string
	for _, n := range []int{10, 2} {
		msgs := awstest.Receive(t, q, n, 10*time.Second, transport.ReceiveRequest{VisibilityTimeout: time.Minute})
		var handles []string
		for _, m := range msgs {
			if m.GroupID != "g1" {
				t.Errorf("message %s in group %q, want g1", m.Body, m.GroupID)
			}
			seqs = append(seqs, m.Body)
			handles = append(handles, m.ReceiptHandle)
		}
		if _, err := q.Delete(t.Context(), handles); err != nil {
			t.Fatal(err)
		}
	}
	want := make([]string, 12)
	for i := range want {
		want[i] = fmt.Sprintf(`{"seq":%d}`, i)
	}
	if !slices.Equal(seqs, want) {
		t.Errorf("received %v, want %v in order", seqs, want)
	}
}

func TestPublishInvalidInputSendsNothing(t *testing.T) {
	env, endpoint := cliEnv(t)
	q := env.Queue(t, sqs.QueueConfig{})
	code, _, errs := runCLI(t, "{\"ok\": 1}\n{\"ok\": 2}\n{\"protocol\": \"mega\", \"version\": 1, \"event\": {\"name\": \"x\", \"timestamp\": \"2020-01-01\"}}\n",
		"publish", "--queue-url", q.URL(), "--endpoint", endpoint)
	if code != exitUsage || !strings.Contains(errs, "stdin line 3") || !strings.Contains(errs, "event.timestamp") {
		t.Errorf("exit %d, stderr %q; want 2 naming line 3 and its problem", code, errs)
	}
	if n := env.Count(t, q).Total(); n != 0 {
		t.Errorf("the queue holds %d messages; nothing may be sent when an input is invalid", n)
	}
}

func TestPublishFailures(t *testing.T) {
	env, endpoint := cliEnv(t)

	t.Run("one message refused", func(t *testing.T) {
		q := env.Queue(t, sqs.QueueConfig{MaxMessageSize: 1024})
		var stdin strings.Builder
		for i := range 10 {
			fmt.Fprintf(&stdin, `{"n": %d}`+"\n", i)
		}
		fmt.Fprintf(&stdin, `{"big": %q}`+"\n", strings.Repeat("x", 2000))
		code, out, errs := runCLI(t, stdin.String(), "publish", "--queue-url", q.URL(), "--endpoint", endpoint)
		ids := lines(out)
		if code != exitFailure || len(ids) != 11 || ids[10] != "" || slices.Contains(ids[:10], "") {
			t.Fatalf("exit %d, output %q; want 1 and ten ids, then an empty line", code, out)
		}
		if !strings.Contains(errs, "stdin line 11: not sent") || !strings.Contains(errs, "1 of 11 messages not sent") {
			t.Errorf("stderr %q; want the message that was not sent named", errs)
		}
		if n := env.Count(t, q).Total(); n != 10 {
			t.Errorf("the queue holds %d messages, want 10", n)
		}
	})
	t.Run("no such queue", func(t *testing.T) {
		q := env.Queue(t, sqs.QueueConfig{})
		missing := q.URL() + "-missing"
		code, out, errs := runCLI(t, `{"n": 1}`, "publish", "--queue-url", missing, "--endpoint", endpoint)
		if code != exitFailure || out != "\n" || !strings.Contains(errs, "does not exist") {
			t.Errorf("exit %d, output %q, stderr %q; want 1 and the queue said not to exist", code, out, errs)
		}
	})
}
