package main

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awssqs "github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/sqs-mega/sqs-mega-go/internal/awstest"
	"github.com/sqs-mega/sqs-mega-go/protocol"
	"github.com/sqs-mega/sqs-mega-go/transport"
	"github.com/sqs-mega/sqs-mega-go/transport/sns"
	"github.com/sqs-mega/sqs-mega-go/transport/sqs"
)

func TestSubscribeSetsPolicyAndFilter(t *testing.T) {
	env, endpoint := cliEnv(t)
	tp := env.Topic(t, sns.TopicConfig{})
	q := env.Queue(t, sqs.QueueConfig{})
	pattern := `{"name": "user:created", "timestamp": {"$gt": {"$datetime": "2020-01-01"}}}`

	var report subscribeReport
	for i, wantPolicy := range []string{"a statement added", "unchanged"} {
		code, out, errs := runCLI(t, "", "subscribe", "--topic-arn", tp.ARN(), "--queue-url", q.URL(), "-p", pattern, "--endpoint", endpoint)
		if code != exitOK {
			t.Fatalf("exit %d, stderr %s", code, errs)
		}
		if err := json.Unmarshal([]byte(out), &report); err != nil {
			t.Fatalf("output %s: %v", out, err)
		}
		if !strings.HasPrefix(report.SubscriptionARN, tp.ARN()+":") || !strings.HasPrefix(report.QueuePolicy, wantPolicy) {
			t.Errorf("call %d: %s; want a subscription and the policy %s", i+1, out, wantPolicy)
		}
	}
	if report.FilterPolicyScope != sns.FilterMessageBody || !strings.Contains(string(report.FilterPolicy), `"user:created"`) ||
		len(report.LeftToTheConsumer) != 1 || report.LeftToTheConsumer[0].Key != "timestamp" {
		t.Errorf("report %+v; want the name pushed down to SNS, the timestamp left to the consumer", report)
	}

	// The queue's policy now lets the topic send, as consumers read it.
	out, err := env.SQS.GetQueueAttributes(context.Background(), &awssqs.GetQueueAttributesInput{
		QueueUrl: aws.String(q.URL()), AttributeNames: []sqstypes.QueueAttributeName{sqstypes.QueueAttributeNamePolicy},
	})
	if err != nil {
		t.Fatal(err)
	}
	topics, open, err := transport.SNSTopicsFromPolicy(out.Attributes["Policy"])
	if err != nil || open || !slices.Equal(topics, []string{tp.ARN()}) {
		t.Errorf("the queue policy allows %v (open %v, %v); want exactly the topic", topics, open, err)
	}

	// SNS filters on the body: only user:created arrives, in an envelope.
	code, _, errs := runCLI(t, `{"protocol": "mega", "version": 1, "event": {"name": "user:deleted"}}`+"\n"+
		`{"protocol": "mega", "version": 1, "event": {"name": "user:created"}}`+"\n",
		"publish", "--topic-arn", tp.ARN(), "--endpoint", endpoint, "--attr", "source=test", "-")
	if code != exitOK {
		t.Fatalf("publish: exit %d, stderr %s", code, errs)
	}
	got := awstest.Receive(t, q, 1, 10*time.Second, transport.ReceiveRequest{})
	dec := protocol.Decoder{TopicARNs: topics}
	m, err := dec.Decode(got[0].Body)
	if err != nil || m.SNS == nil || m.Mega == nil || m.Mega.Event.Name != "user:created" {
		t.Fatalf("received %s (%v); want user:created in an envelope of the trusted topic", got[0].Body, err)
	}
	if a := m.SNS.MessageAttributes["source"]; a.Value != "test" {
		t.Errorf("SNS message attributes %+v; want source=test", m.SNS.MessageAttributes)
	}
	if more, _ := q.Receive(context.Background(), transport.ReceiveRequest{MaxMessages: 10, WaitTime: time.Second}); len(more) != 0 {
		t.Errorf("user:deleted was delivered: %s", more[0].Body)
	}
}

func TestSubscribeRaw(t *testing.T) {
	env, endpoint := cliEnv(t)
	tp := env.Topic(t, sns.TopicConfig{})
	q := env.Queue(t, sqs.QueueConfig{})
	code, out, errs := runCLI(t, "", "subscribe", "--topic-arn", tp.ARN(), "--queue-url", q.URL(), "--raw", "--endpoint", endpoint)
	if code != exitOK || !strings.Contains(out, `"raw_message_delivery": true`) || strings.Contains(out, "filter_policy") {
		t.Fatalf("exit %d, output %s %s; want raw delivery and no filter", code, out, errs)
	}
	code, _, errs = runCLI(t, "plain words", "publish", "--topic-arn", tp.ARN(), "--endpoint", endpoint, "--text", "--attr", "n:Number=7", "-")
	if code != exitOK {
		t.Fatalf("publish: exit %d, stderr %s", code, errs)
	}
	got := awstest.Receive(t, q, 1, 10*time.Second, transport.ReceiveRequest{})
	if got[0].Body != "plain words" || got[0].Attributes["n"].StringValue != "7" || got[0].Attributes["n"].DataType != "Number" {
		t.Errorf("received %q %+v; want the raw body and its attributes", got[0].Body, got[0].Attributes)
	}
}

func TestPublishRawBodiesAttributesAndDelay(t *testing.T) {
	env, endpoint := cliEnv(t)
	dir := t.TempDir()
	bin := []byte{0, 1, 2, 0xff, 0xfe}
	file := dir + "/blob"
	if err := writeFile(file, bin); err != nil {
		t.Fatal(err)
	}

	t.Run("text and binary with attributes", func(t *testing.T) {
		q := env.Queue(t, sqs.QueueConfig{})
		code, out, errs := runCLI(t, "line one\r\nline two\n\n", "publish", "--queue-url", q.URL(), "--endpoint", endpoint, "--text",
			"--attr", "kind=note", "--attr", "n:Number=1.5", "--attr", "raw:Binary="+base64.StdEncoding.EncodeToString([]byte{9, 9}), "--attr", "mime:String.mime=text/plain", "-")
		if code != exitOK || len(lines(out)) != 2 {
			t.Fatalf("exit %d, output %q, stderr %s; want two ids", code, out, errs)
		}
		code, out, errs = runCLI(t, "", "publish", "--queue-url", q.URL(), "--endpoint", endpoint, "--binary", file)
		if code != exitOK || len(lines(out)) != 1 {
			t.Fatalf("exit %d, output %q, stderr %s; want one id", code, out, errs)
		}
		got := map[string]transport.Message{}
		for _, m := range awstest.Receive(t, q, 3, 10*time.Second, transport.ReceiveRequest{VisibilityTimeout: time.Minute}) {
			got[m.Body] = m
		}
		for _, body := range []string{"line one", "line two"} {
			a := got[body].Attributes
			if a["kind"].StringValue != "note" || a["n"].DataType != "Number" || a["n"].StringValue != "1.5" ||
				!slices.Equal(a["raw"].BinaryValue, []byte{9, 9}) || a["mime"].DataType != "String.mime" || len(a) != 4 {
				t.Errorf("%q: attributes %+v", body, a)
			}
		}
		b64 := base64.StdEncoding.EncodeToString(bin)
		m, ok := got[b64]
		if !ok {
			t.Fatalf("received %v; want the file as base64 %s", got, b64)
		}
		if dm, _ := protocol.Decode(m.Body); dm.Kind != protocol.KindBinary || !slices.Equal(dm.Binary, bin) {
			t.Errorf("the binary body decodes to %s %v", dm.Kind, dm.Binary)
		}
	})

	t.Run("delay", func(t *testing.T) {
		q := env.Queue(t, sqs.QueueConfig{})
		code, _, errs := runCLI(t, "later", "publish", "--queue-url", q.URL(), "--endpoint", endpoint, "--text", "--delay", "60", "-")
		if code != exitOK {
			t.Fatalf("exit %d, stderr %s", code, errs)
		}
		if c := env.Count(t, q); c.Delayed != 1 || c.Visible != 0 {
			t.Errorf("queue %+v; want the message delayed", c)
		}
	})

	t.Run("FIFO ids", func(t *testing.T) {
		q := env.Queue(t, sqs.QueueConfig{FIFO: true})
		for range 2 { // the same deduplication id twice: one message
			code, _, errs := runCLI(t, `{"order": 1}`, "publish", "--queue-url", q.URL(), "--endpoint", endpoint, "--group-id", "g1", "--dedup-id", "order-1", "-")
			if code != exitOK {
				t.Fatalf("exit %d, stderr %s", code, errs)
			}
		}
		got := awstest.Receive(t, q, 1, 10*time.Second, transport.ReceiveRequest{})
		if got[0].GroupID != "g1" || got[0].DeduplicationID != "order-1" {
			t.Errorf("group %q, deduplication id %q", got[0].GroupID, got[0].DeduplicationID)
		}
		if c := env.Count(t, q); c.Total() != 1 {
			t.Errorf("queue %+v; want one message", c)
		}
	})
}

func writeFile(name string, b []byte) error { return os.WriteFile(name, b, 0o600) }
