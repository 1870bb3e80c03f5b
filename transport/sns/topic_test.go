package sns_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	awssns "github.com/aws/aws-sdk-go-v2/service/sns"
	awssqs "github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/sqs-mega/sqs-mega-go/internal/testenv"
	"github.com/sqs-mega/sqs-mega-go/transport"
	"github.com/sqs-mega/sqs-mega-go/transport/sns"
	"github.com/sqs-mega/sqs-mega-go/transport/sqs"
)

// env holds the clients of one test.
type env struct {
	sns *awssns.Client
	sqs *awssqs.Client
}

func newEnv(t *testing.T) env {
	cfg := testenv.AWSConfig(t)
	return env{sns: awssns.NewFromConfig(cfg), sqs: awssqs.NewFromConfig(cfg)}
}

func cleanupCtx() (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.Background(), 10*time.Second)
}

// topic creates a topic named after the test, deleted when it ends.
func (e env) topic(t *testing.T, cfg sns.TopicConfig) *sns.Topic {
	t.Helper()
	arn, err := sns.CreateTopic(t.Context(), e.sns, testenv.Name(t), cfg)
	if err != nil {
		t.Fatalf("CreateTopic: %v", err)
	}
	t.Cleanup(func() {
		ctx, cancel := cleanupCtx()
		defer cancel()
		if err := sns.DeleteTopic(ctx, e.sns, arn); err != nil {
			t.Errorf("DeleteTopic: %v", err)
		}
	})
	tp, err := sns.New(e.sns, arn)
	if err != nil {
		t.Fatal(err)
	}
	return tp
}

// subscribedQueue creates a queue subscribed to the topic.
func (e env) subscribedQueue(t *testing.T, tp *sns.Topic, sub sns.QueueSubscription) *sqs.Queue {
	t.Helper()
	u, err := sqs.CreateQueue(t.Context(), e.sqs, testenv.Name(t), sqs.QueueConfig{FIFO: tp.FIFO()})
	if err != nil {
		t.Fatalf("CreateQueue: %v", err)
	}
	t.Cleanup(func() {
		ctx, cancel := cleanupCtx()
		defer cancel()
		if err := sqs.DeleteQueue(ctx, e.sqs, u); err != nil {
			t.Errorf("DeleteQueue: %v", err)
		}
	})
	if _, err := sns.SubscribeQueue(t.Context(), e.sns, e.sqs, tp.ARN(), u, sub); err != nil {
		t.Fatalf("SubscribeQueue: %v", err)
	}
	q, err := sqs.New(e.sqs, u)
	if err != nil {
		t.Fatal(err)
	}
	return q
}

func send(t *testing.T, s transport.Sender, batch ...transport.Outgoing) []transport.SendResult {
	t.Helper()
	res, err := s.Send(t.Context(), batch)
	if err != nil {
		t.Fatalf("Send: %v", err)
	}
	for i, r := range res {
		if r.Err != nil || r.MessageID == "" {
			t.Fatalf("Send entry %d: id %q, err %v", i, r.MessageID, r.Err)
		}
	}
	return res
}

// receiveN receives until n messages have arrived, then checks that no
// more come.
func receiveN(t *testing.T, q transport.Queue, n int) []transport.Message {
	t.Helper()
	var got []transport.Message
	for deadline := time.Now().Add(10 * time.Second); len(got) < n && time.Now().Before(deadline); {
		msgs, err := q.Receive(t.Context(), transport.ReceiveRequest{MaxMessages: transport.MaxBatch, WaitTime: time.Second})
		if err != nil {
			t.Fatalf("Receive: %v", err)
		}
		got = append(got, msgs...)
	}
	if len(got) != n {
		t.Fatalf("received %d messages, want %d", len(got), n)
	}
	msgs, err := q.Receive(t.Context(), transport.ReceiveRequest{MaxMessages: transport.MaxBatch, VisibilityTimeout: time.Minute})
	if err != nil || len(msgs) != 0 {
		t.Fatalf("after %d messages, Receive = %d more, %v", n, len(msgs), err)
	}
	return got
}

func TestRawDelivery(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	tp := e.topic(t, sns.TopicConfig{})
	q := e.subscribedQueue(t, tp, sns.QueueSubscription{RawMessageDelivery: true})

	// moto answers 500 to raw delivery of Binary attributes: String and
	// Number only.
	attrs := map[string]transport.Attribute{
		"encoding": transport.StringAttribute("json"),
		"count":    {DataType: "Number", StringValue: "7"},
	}
	tests := []struct {
		name  string
		batch []transport.Outgoing
	}{
		{"Publish", []transport.Outgoing{{Body: `{"one":1}`, Attributes: attrs}}},
		{"PublishBatch", []transport.Outgoing{{Body: "a", Attributes: attrs}, {Body: "b"}, {Body: "c ✓"}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			send(t, tp, tc.batch...)
			got := receiveN(t, q, len(tc.batch))
			byBody := map[string]transport.Message{}
			for _, m := range got {
				byBody[m.Body] = m
			}
			for _, out := range tc.batch {
				m, ok := byBody[out.Body]
				if !ok {
					t.Errorf("body %q not delivered raw; got %v", out.Body, got)
					continue
				}
				if len(m.Attributes) != len(out.Attributes) {
					t.Errorf("%q: attributes %v, want %v", out.Body, m.Attributes, out.Attributes)
				}
				for k, a := range out.Attributes {
					if m.Attributes[k].DataType != a.DataType || m.Attributes[k].StringValue != a.StringValue {
						t.Errorf("%q: attribute %s = %+v, want %+v", out.Body, k, m.Attributes[k], a)
					}
				}
			}
		})
	}
}

// envelope is the SNS notification an SQS subscriber receives without raw
// message delivery.
type envelope struct {
	Type              string
	MessageId         string
	TopicArn          string
	Timestamp         string
	Message           string
	MessageAttributes map[string]struct{ Type, Value string }
}

func TestEnvelopedDelivery(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	tp := e.topic(t, sns.TopicConfig{})
	q := e.subscribedQueue(t, tp, sns.QueueSubscription{})

	batch := []transport.Outgoing{
		{Body: `{"protocol":"mega","version":1}`, Attributes: map[string]transport.Attribute{
			"encoding": transport.StringAttribute("json"),
			"count":    {DataType: "Number", StringValue: "7"},
			"blob":     {DataType: "Binary", BinaryValue: []byte{0, 1, 0xff}},
		}},
		{Body: "plain text"},
	}
	res := send(t, tp, batch...)
	before := time.Now().Add(-time.Minute)

	got := receiveN(t, q, len(batch))
	seen := map[string]bool{}
	for _, m := range got {
		var env envelope
		if err := json.Unmarshal([]byte(m.Body), &env); err != nil {
			t.Fatalf("body is not an SNS envelope: %v\n%s", err, m.Body)
		}
		i := slices.IndexFunc(batch, func(o transport.Outgoing) bool { return o.Body == env.Message })
		if i < 0 {
			t.Errorf("envelope carries unexpected Message %q", env.Message)
			continue
		}
		seen[env.Message] = true
		if env.Type != "Notification" || env.TopicArn != tp.ARN() || env.MessageId != res[i].MessageID {
			t.Errorf("envelope Type %q, TopicArn %q, MessageId %q; want Notification, %q, %q",
				env.Type, env.TopicArn, env.MessageId, tp.ARN(), res[i].MessageID)
		}
		if ts, err := time.Parse(time.RFC3339, env.Timestamp); err != nil || ts.Before(before) {
			t.Errorf("envelope Timestamp %q: want about now (%v)", env.Timestamp, err)
		}
		want := map[string]struct{ Type, Value string }{}
		for k, a := range batch[i].Attributes {
			v := a.StringValue
			if a.DataType == "Binary" {
				v = base64.StdEncoding.EncodeToString(a.BinaryValue)
			}
			want[k] = struct{ Type, Value string }{a.DataType, v}
		}
		if len(env.MessageAttributes) != len(want) {
			t.Errorf("%q: MessageAttributes %v, want %v", env.Message, env.MessageAttributes, want)
		}
		for k, w := range want {
			if env.MessageAttributes[k] != w {
				t.Errorf("%q: MessageAttributes[%s] = %+v, want %+v", env.Message, k, env.MessageAttributes[k], w)
			}
		}
	}
	if len(seen) != len(batch) {
		t.Errorf("delivered %v, want every body of %v", seen, batch)
	}
}

func TestFIFOTopic(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	tp := e.topic(t, sns.TopicConfig{FIFO: true, ContentBasedDeduplication: true})
	if !tp.FIFO() || !strings.HasSuffix(tp.ARN(), ".fifo") {
		t.Fatalf("topic %s: FIFO() = %v", tp.ARN(), tp.FIFO())
	}
	q := e.subscribedQueue(t, tp, sns.QueueSubscription{RawMessageDelivery: true})

	var batch []transport.Outgoing
	for i := range 4 {
		batch = append(batch, transport.Outgoing{Body: fmt.Sprintf("g1-%d", i), GroupID: "g1", DeduplicationID: fmt.Sprintf("d%d", i)})
	}
	batch = append(batch, transport.Outgoing{Body: "g2-0", GroupID: "g2", DeduplicationID: "e0"})
	send(t, tp, batch...)
	res, err := tp.Send(t.Context(), []transport.Outgoing{{Body: "no group", DeduplicationID: "x"}})
	if err != nil || !errors.Is(res[0].Err, transport.ErrInvalidRequest) {
		t.Errorf("Send without group id to a FIFO topic = %+v, %v; want an ErrInvalidRequest entry", res, err)
	}

	var g1 []string
	for _, m := range receiveN(t, q, len(batch)) {
		switch {
		case strings.HasPrefix(m.Body, "g1-"):
			g1 = append(g1, m.Body)
			if m.GroupID != "g1" {
				t.Errorf("%q: GroupID %q, want g1", m.Body, m.GroupID)
			}
		case m.Body == "g2-0":
			if m.GroupID != "g2" {
				t.Errorf("%q: GroupID %q, want g2", m.Body, m.GroupID)
			}
		default:
			t.Errorf("unexpected body %q", m.Body)
		}
	}
	if want := []string{"g1-0", "g1-1", "g1-2", "g1-3"}; !slices.Equal(g1, want) {
		t.Errorf("group g1 delivered %v, want %v in order", g1, want)
	}
}

func TestFilterPolicy(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	tp := e.topic(t, sns.TopicConfig{})
	q := e.subscribedQueue(t, tp, sns.QueueSubscription{
		RawMessageDelivery: true,
		FilterPolicy:       `{"kind": ["keep"]}`,
		FilterPolicyScope:  sns.FilterMessageAttributes,
	})
	send(t, tp,
		transport.Outgoing{Body: "kept", Attributes: map[string]transport.Attribute{"kind": transport.StringAttribute("keep")}},
		transport.Outgoing{Body: "dropped", Attributes: map[string]transport.Attribute{"kind": transport.StringAttribute("drop")}},
		transport.Outgoing{Body: "no attribute"},
	)
	got := receiveN(t, q, 1)
	if got[0].Body != "kept" {
		t.Errorf("delivered %q, want only %q", got[0].Body, "kept")
	}
}

func TestTopicNotFound(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	arn, err := sns.CreateTopic(t.Context(), e.sns, testenv.Name(t), sns.TopicConfig{})
	if err != nil {
		t.Fatal(err)
	}
	if err := sns.DeleteTopic(t.Context(), e.sns, arn); err != nil {
		t.Fatal(err)
	}
	tp, err := sns.New(e.sns, arn)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name  string
		batch []transport.Outgoing
	}{
		{"Publish", []transport.Outgoing{{Body: "x"}}},
		{"PublishBatch", []transport.Outgoing{{Body: "x"}, {Body: "y"}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := tp.Send(t.Context(), tc.batch)
			if !errors.Is(err, transport.ErrQueueNotFound) {
				t.Errorf("Send to a deleted topic: %v, want ErrQueueNotFound", err)
			}
		})
	}
	t.Run("SubscribeMissingQueue", func(t *testing.T) {
		live := e.topic(t, sns.TopicConfig{})
		_, err := sns.SubscribeQueue(t.Context(), e.sns, e.sqs, live.ARN(), testenv.Endpoint(t)+"/123456789012/"+testenv.Name(t), sns.QueueSubscription{})
		if !errors.Is(err, transport.ErrQueueNotFound) {
			t.Errorf("SubscribeQueue of a missing queue: %v, want ErrQueueNotFound", err)
		}
	})
}

// SubscribeQueue lets the topic send to the queue, once however often it
// is called, and keeps the statements already in the queue's policy.
func TestSubscribeQueuePolicy(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	tp := e.topic(t, sns.TopicConfig{})
	u, err := sqs.CreateQueue(t.Context(), e.sqs, testenv.Name(t), sqs.QueueConfig{Attributes: map[string]string{
		"Policy": `{"Version":"2012-10-17","Statement":[{"Sid":"Existing","Effect":"Deny","Principal":"*","Action":"sqs:PurgeQueue","Resource":"*"}]}`,
	}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := cleanupCtx()
		defer cancel()
		_ = sqs.DeleteQueue(ctx, e.sqs, u)
	})
	for range 2 {
		arn, err := sns.SubscribeQueue(t.Context(), e.sns, e.sqs, tp.ARN(), u, sns.QueueSubscription{})
		if err != nil || !strings.HasPrefix(arn, tp.ARN()+":") {
			t.Fatalf("SubscribeQueue = %q, %v; want a subscription of %s", arn, err, tp.ARN())
		}
	}
	out, err := e.sqs.GetQueueAttributes(t.Context(), &awssqs.GetQueueAttributesInput{QueueUrl: &u, AttributeNames: []sqstypes.QueueAttributeName{sqstypes.QueueAttributeNamePolicy}})
	if err != nil {
		t.Fatal(err)
	}
	var policy struct {
		Statement []struct {
			Sid       string
			Effect    string
			Action    string
			Condition map[string]map[string]string
		}
	}
	if err := json.Unmarshal([]byte(out.Attributes["Policy"]), &policy); err != nil {
		t.Fatalf("policy %q: %v", out.Attributes["Policy"], err)
	}
	var sids []string
	allows := 0
	for _, st := range policy.Statement {
		sids = append(sids, st.Sid)
		if st.Effect == "Allow" && st.Action == "sqs:SendMessage" && st.Condition["ArnEquals"]["aws:SourceArn"] == tp.ARN() {
			allows++
		}
	}
	if allows != 1 || !slices.Contains(sids, "Existing") || len(sids) != 2 {
		t.Errorf("policy statements %v with %d allowing the topic; want the existing one and one for the topic\n%s", sids, allows, out.Attributes["Policy"])
	}
}
