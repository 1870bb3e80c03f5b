package sqsserver_test

import (
	"context"
	"crypto/md5"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"
	"github.com/aws/smithy-go"

	"github.com/sqs-mega/sqs-mega-go/transport/memory"
	"github.com/sqs-mega/sqs-mega-go/transport/memory/sqsserver"
)

// start serves a new broker for the test and returns it with an SDK
// client. Short polls do not sample unless the options say so.
func start(t testing.TB, opts ...sqsserver.Option) (*memory.Broker, *sqs.Client) {
	t.Helper()
	b, c, _ := startEndpoint(t, nil, opts...)
	return b, c
}

// startEndpoint is start with the broker's options and the endpoint.
func startEndpoint(t testing.TB, bopts []memory.Option, opts ...sqsserver.Option) (*memory.Broker, *sqs.Client, *sqsserver.Endpoint) {
	t.Helper()
	b := memory.New(bopts...)
	t.Cleanup(func() { b.Close() })
	opts = append([]sqsserver.Option{sqsserver.WithShortPollSampling(nil)}, opts...)
	ep, err := sqsserver.Listen("127.0.0.1:0", sqsserver.New(b, opts...))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := ep.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return b, newClient(ep.URL()), ep
}

func newClient(url string) *sqs.Client {
	return sqs.New(sqs.Options{
		Region:       "us-east-1",
		Credentials:  credentials.NewStaticCredentialsProvider("test", "test", ""),
		BaseEndpoint: aws.String(url),
		HTTPClient:   sqsserver.NewHTTPClient(nil),
	})
}

func createQueue(t testing.TB, c *sqs.Client, name string, attrs map[string]string) string {
	t.Helper()
	out, err := c.CreateQueue(context.Background(), &sqs.CreateQueueInput{QueueName: aws.String(name), Attributes: attrs})
	if err != nil {
		t.Fatalf("CreateQueue(%s): %v", name, err)
	}
	return aws.ToString(out.QueueUrl)
}

func md5hex(s string) string {
	sum := md5.Sum([]byte(s))
	return hex.EncodeToString(sum[:])
}

func queueCounts(t testing.TB, c *sqs.Client, url string) (visible, inflight, delayed int) {
	t.Helper()
	out, err := c.GetQueueAttributes(context.Background(), &sqs.GetQueueAttributesInput{
		QueueUrl:       aws.String(url),
		AttributeNames: []types.QueueAttributeName{types.QueueAttributeNameAll},
	})
	if err != nil {
		t.Fatalf("GetQueueAttributes: %v", err)
	}
	n := func(k string) int {
		v, err := strconv.Atoi(out.Attributes[k])
		if err != nil {
			t.Fatalf("attribute %s = %q", k, out.Attributes[k])
		}
		return v
	}
	return n("ApproximateNumberOfMessages"), n("ApproximateNumberOfMessagesNotVisible"), n("ApproximateNumberOfMessagesDelayed")
}

func receive(t testing.TB, c *sqs.Client, url string, in sqs.ReceiveMessageInput) []types.Message {
	t.Helper()
	in.QueueUrl = aws.String(url)
	out, err := c.ReceiveMessage(context.Background(), &in)
	if err != nil {
		t.Fatalf("ReceiveMessage: %v", err)
	}
	return out.Messages
}

func TestSendReceiveDeleteRoundTrip(t *testing.T) {
	_, c := start(t)
	ctx := context.Background()
	url := createQueue(t, c, "roundtrip", nil)

	attrs := map[string]types.MessageAttributeValue{
		"b": {DataType: aws.String("Binary"), BinaryValue: []byte{0, 1, 0xff}},
		"a": {DataType: aws.String("String"), StringValue: aws.String("héllo")},
		"n": {DataType: aws.String("Number.float"), StringValue: aws.String("3.14")},
	}
	// Reference value of the AWS algorithm for these attributes (as moto
	// computes it).
	const wantAttrMD5 = "b86c6577cb22dc4ea8eb705a075b0e21"
	body := `{"protocol":"mega","version":1,"event":{"name":"user:updated"}}`
	sent, err := c.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: &url, MessageBody: &body, MessageAttributes: attrs})
	if err != nil {
		t.Fatal(err)
	}
	if got := aws.ToString(sent.MD5OfMessageAttributes); got != wantAttrMD5 {
		t.Errorf("MD5OfMessageAttributes = %s, want %s", got, wantAttrMD5)
	}
	if got := aws.ToString(sent.MD5OfMessageBody); got != md5hex(body) {
		t.Errorf("MD5OfMessageBody = %s, want %s", got, md5hex(body))
	}

	before := time.Now()
	msgs := receive(t, c, url, sqs.ReceiveMessageInput{
		MessageAttributeNames:       []string{"All"},
		MessageSystemAttributeNames: []types.MessageSystemAttributeName{types.MessageSystemAttributeNameAll},
	})
	if len(msgs) != 1 {
		t.Fatalf("received %d messages, want 1", len(msgs))
	}
	m := msgs[0]
	if aws.ToString(m.Body) != body || aws.ToString(m.MessageId) != aws.ToString(sent.MessageId) {
		t.Errorf("received %q id %s, want %q id %s", aws.ToString(m.Body), aws.ToString(m.MessageId), body, aws.ToString(sent.MessageId))
	}
	if got := aws.ToString(m.MD5OfMessageAttributes); got != wantAttrMD5 {
		t.Errorf("received MD5OfMessageAttributes = %s, want %s", got, wantAttrMD5)
	}
	if got := aws.ToString(m.MessageAttributes["a"].StringValue); got != "héllo" {
		t.Errorf("attribute a = %q", got)
	}
	if got := m.MessageAttributes["b"].BinaryValue; string(got) != "\x00\x01\xff" {
		t.Errorf("attribute b = %x", got)
	}
	if got := aws.ToString(m.MessageAttributes["n"].DataType); got != "Number.float" {
		t.Errorf("attribute n type = %q", got)
	}
	if got := m.Attributes["ApproximateReceiveCount"]; got != "1" {
		t.Errorf("ApproximateReceiveCount = %q, want 1", got)
	}
	for _, k := range []string{"SentTimestamp", "ApproximateFirstReceiveTimestamp"} {
		ms, err := strconv.ParseInt(m.Attributes[k], 10, 64)
		if err != nil || time.UnixMilli(ms).Before(before.Add(-time.Minute)) || time.UnixMilli(ms).After(time.Now().Add(time.Second)) {
			t.Errorf("%s = %q, want a recent epoch in milliseconds", k, m.Attributes[k])
		}
	}
	if m.Attributes["SenderId"] == "" {
		t.Error("SenderId missing")
	}

	if _, err := c.DeleteMessage(ctx, &sqs.DeleteMessageInput{QueueUrl: &url, ReceiptHandle: m.ReceiptHandle}); err != nil {
		t.Fatal(err)
	}
	if v, f, d := queueCounts(t, c, url); v+f+d != 0 {
		t.Errorf("after delete: visible %d, in flight %d, delayed %d; want an empty queue", v, f, d)
	}
}

func TestReceiveSelectsAttributes(t *testing.T) {
	_, c := start(t)
	url := createQueue(t, c, "select", nil)
	str := func(v string) types.MessageAttributeValue {
		return types.MessageAttributeValue{DataType: aws.String("String"), StringValue: aws.String(v)}
	}
	tests := []struct {
		name    string
		names   []string
		sys     []types.MessageSystemAttributeName
		want    []string
		wantSys []string
	}{
		{"none requested", nil, nil, nil, nil},
		{"all", []string{"All"}, nil, []string{"mega.encoding", "mega.kind", "trace"}, nil},
		{"dot star", []string{".*"}, nil, []string{"mega.encoding", "mega.kind", "trace"}, nil},
		{"prefix", []string{"mega.*"}, nil, []string{"mega.encoding", "mega.kind"}, nil},
		{"exact", []string{"trace", "absent"}, nil, []string{"trace"}, nil},
		{"one system attribute", nil, []types.MessageSystemAttributeName{"ApproximateReceiveCount"}, nil, []string{"ApproximateReceiveCount"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			attrs := map[string]types.MessageAttributeValue{
				"mega.encoding": str("json"), "mega.kind": str("event"), "trace": str("t-1"),
			}
			if _, err := c.SendMessage(context.Background(), &sqs.SendMessageInput{QueueUrl: &url, MessageBody: aws.String("x"), MessageAttributes: attrs}); err != nil {
				t.Fatal(err)
			}
			msgs := receive(t, c, url, sqs.ReceiveMessageInput{MessageAttributeNames: tt.names, MessageSystemAttributeNames: tt.sys})
			if len(msgs) != 1 {
				t.Fatalf("received %d messages", len(msgs))
			}
			m := msgs[0]
			defer c.DeleteMessage(context.Background(), &sqs.DeleteMessageInput{QueueUrl: &url, ReceiptHandle: m.ReceiptHandle})
			var got []string
			for k := range m.MessageAttributes {
				got = append(got, k)
			}
			if fmt.Sprint(sorted(got)) != fmt.Sprint(tt.want) {
				t.Errorf("attributes %v, want %v", sorted(got), tt.want)
			}
			if (len(tt.want) == 0) != (m.MD5OfMessageAttributes == nil) {
				t.Errorf("MD5OfMessageAttributes = %v with attributes %v", aws.ToString(m.MD5OfMessageAttributes), got)
			}
			var gotSys []string
			for k := range m.Attributes {
				gotSys = append(gotSys, k)
			}
			if fmt.Sprint(sorted(gotSys)) != fmt.Sprint(tt.wantSys) {
				t.Errorf("system attributes %v, want %v", gotSys, tt.wantSys)
			}
		})
	}
}

func sorted(s []string) []string {
	out := append([]string(nil), s...)
	for i := range out {
		for j := i + 1; j < len(out); j++ {
			if out[j] < out[i] {
				out[i], out[j] = out[j], out[i]
			}
		}
	}
	return out
}

func TestBatches(t *testing.T) {
	_, c := start(t)
	ctx := context.Background()
	url := createQueue(t, c, "batches", nil)

	var entries []types.SendMessageBatchRequestEntry
	for i := range 9 {
		entries = append(entries, types.SendMessageBatchRequestEntry{Id: aws.String(fmt.Sprint("m", i)), MessageBody: aws.String(fmt.Sprint("body ", i))})
	}
	entries = append(entries, types.SendMessageBatchRequestEntry{Id: aws.String("bad"), MessageBody: aws.String("nul \x00 byte")})
	sent, err := c.SendMessageBatch(ctx, &sqs.SendMessageBatchInput{QueueUrl: &url, Entries: entries})
	if err != nil {
		t.Fatal(err)
	}
	if len(sent.Successful) != 9 || len(sent.Failed) != 1 || aws.ToString(sent.Failed[0].Code) != "InvalidMessageContents" {
		t.Fatalf("SendMessageBatch: %d successful, failed %+v; want 9 and one InvalidMessageContents", len(sent.Successful), sent.Failed)
	}

	msgs := receive(t, c, url, sqs.ReceiveMessageInput{MaxNumberOfMessages: 10})
	if len(msgs) != 9 {
		t.Fatalf("received %d messages, want 9", len(msgs))
	}
	var vis []types.ChangeMessageVisibilityBatchRequestEntry
	var del []types.DeleteMessageBatchRequestEntry
	for i, m := range msgs {
		id := aws.String(strconv.Itoa(i))
		vis = append(vis, types.ChangeMessageVisibilityBatchRequestEntry{Id: id, ReceiptHandle: m.ReceiptHandle, VisibilityTimeout: 60})
		del = append(del, types.DeleteMessageBatchRequestEntry{Id: id, ReceiptHandle: m.ReceiptHandle})
	}
	vis = append(vis, types.ChangeMessageVisibilityBatchRequestEntry{Id: aws.String("junk"), ReceiptHandle: aws.String("junk"), VisibilityTimeout: 60})
	del = append(del, types.DeleteMessageBatchRequestEntry{Id: aws.String("junk"), ReceiptHandle: aws.String("junk")})

	cv, err := c.ChangeMessageVisibilityBatch(ctx, &sqs.ChangeMessageVisibilityBatchInput{QueueUrl: &url, Entries: vis})
	if err != nil {
		t.Fatal(err)
	}
	if len(cv.Successful) != 9 || len(cv.Failed) != 1 || aws.ToString(cv.Failed[0].Code) != "ReceiptHandleIsInvalid" {
		t.Errorf("ChangeMessageVisibilityBatch: %d successful, failed %+v", len(cv.Successful), cv.Failed)
	}
	dl, err := c.DeleteMessageBatch(ctx, &sqs.DeleteMessageBatchInput{QueueUrl: &url, Entries: del})
	if err != nil {
		t.Fatal(err)
	}
	if len(dl.Successful) != 9 || len(dl.Failed) != 1 || aws.ToString(dl.Failed[0].Code) != "ReceiptHandleIsInvalid" {
		t.Errorf("DeleteMessageBatch: %d successful, failed %+v", len(dl.Successful), dl.Failed)
	}
	if v, f, d := queueCounts(t, c, url); v+f+d != 0 {
		t.Errorf("visible %d, in flight %d, delayed %d; want an empty queue", v, f, d)
	}

	t.Run("invalid batches", func(t *testing.T) {
		tests := []struct {
			name    string
			entries []types.DeleteMessageBatchRequestEntry
			check   func(error) bool
		}{
			{"too many", make11(), func(err error) bool { var e *types.TooManyEntriesInBatchRequest; return errors.As(err, &e) }},
			{"repeated id", []types.DeleteMessageBatchRequestEntry{
				{Id: aws.String("a"), ReceiptHandle: aws.String("x")},
				{Id: aws.String("a"), ReceiptHandle: aws.String("y")},
			}, func(err error) bool { var e *types.BatchEntryIdsNotDistinct; return errors.As(err, &e) }},
			{"bad id", []types.DeleteMessageBatchRequestEntry{{Id: aws.String("a b"), ReceiptHandle: aws.String("x")}},
				func(err error) bool { var e *types.InvalidBatchEntryId; return errors.As(err, &e) }},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				_, err := c.DeleteMessageBatch(ctx, &sqs.DeleteMessageBatchInput{QueueUrl: &url, Entries: tt.entries})
				if !tt.check(err) {
					t.Errorf("error %v of type %T", err, err)
				}
			})
		}
	})
}

func make11() []types.DeleteMessageBatchRequestEntry {
	var out []types.DeleteMessageBatchRequestEntry
	for i := range 11 {
		out = append(out, types.DeleteMessageBatchRequestEntry{Id: aws.String(strconv.Itoa(i)), ReceiptHandle: aws.String("x")})
	}
	return out
}

// manual returns a manual clock for a broker.
func manual() *memory.ManualClock {
	return memory.NewManualClock(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
}

func TestVisibilityTimeoutAndReceiveCount(t *testing.T) {
	clock := manual()
	_, c, _ := startEndpoint(t, []memory.Option{memory.WithClock(clock)})
	ctx := context.Background()
	url := createQueue(t, c, "visibility", map[string]string{"VisibilityTimeout": "8"})
	if _, err := c.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: &url, MessageBody: aws.String("again")}); err != nil {
		t.Fatal(err)
	}
	recv := func() []types.Message {
		return receive(t, c, url, sqs.ReceiveMessageInput{MessageSystemAttributeNames: []types.MessageSystemAttributeName{"ApproximateReceiveCount"}})
	}
	first := recv()
	if len(first) != 1 || first[0].Attributes["ApproximateReceiveCount"] != "1" {
		t.Fatalf("first receive: %+v", first)
	}
	clock.Advance(7 * time.Second)
	if again := recv(); len(again) != 0 {
		t.Fatalf("received an invisible message")
	}
	if _, f, _ := queueCounts(t, c, url); f != 1 {
		t.Errorf("in flight = %d, want 1", f)
	}
	clock.Advance(time.Second)
	second := recv()
	if len(second) != 1 || second[0].Attributes["ApproximateReceiveCount"] != "2" {
		t.Fatalf("receive after the timeout: %+v", second)
	}
	if aws.ToString(second[0].ReceiptHandle) == aws.ToString(first[0].ReceiptHandle) {
		t.Error("the receipt handle did not change between receives")
	}

	// A stale receipt handle deletes nothing: the memory transport
	// rejects it, stricter than SQS, which ignores it.
	_, err := c.DeleteMessage(ctx, &sqs.DeleteMessageInput{QueueUrl: &url, ReceiptHandle: first[0].ReceiptHandle})
	var invalid *types.ReceiptHandleIsInvalid
	if !errors.As(err, &invalid) {
		t.Fatalf("delete with a stale handle: %v, want ReceiptHandleIsInvalid", err)
	}
	if _, f, _ := queueCounts(t, c, url); f != 1 {
		t.Fatalf("a stale handle deleted the message")
	}
	// Nor does it change the visibility.
	_, err = c.ChangeMessageVisibility(ctx, &sqs.ChangeMessageVisibilityInput{QueueUrl: &url, ReceiptHandle: first[0].ReceiptHandle, VisibilityTimeout: 0})
	if !errors.As(err, &invalid) {
		t.Errorf("ChangeMessageVisibility with a stale handle: %v, want ReceiptHandleIsInvalid", err)
	}
	// The current one makes it visible at once.
	if _, err := c.ChangeMessageVisibility(ctx, &sqs.ChangeMessageVisibilityInput{QueueUrl: &url, ReceiptHandle: second[0].ReceiptHandle, VisibilityTimeout: 0}); err != nil {
		t.Fatal(err)
	}
	third := recv()
	if len(third) != 1 || third[0].Attributes["ApproximateReceiveCount"] != "3" {
		t.Fatalf("receive after visibility 0: %+v", third)
	}
	if _, err := c.DeleteMessage(ctx, &sqs.DeleteMessageInput{QueueUrl: &url, ReceiptHandle: third[0].ReceiptHandle}); err != nil {
		t.Fatal(err)
	}
	if v, f, d := queueCounts(t, c, url); v+f+d != 0 {
		t.Errorf("visible %d, in flight %d, delayed %d after delete", v, f, d)
	}
}

func TestChangeVisibilityErrors(t *testing.T) {
	_, c := start(t)
	ctx := context.Background()
	url := createQueue(t, c, "cmv", nil)
	c.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: &url, MessageBody: aws.String("m")})
	m := receive(t, c, url, sqs.ReceiveMessageInput{})[0]
	if _, err := c.ChangeMessageVisibility(ctx, &sqs.ChangeMessageVisibilityInput{QueueUrl: &url, ReceiptHandle: m.ReceiptHandle, VisibilityTimeout: 0}); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		handle  string
		errType any
	}{
		{"visible message", aws.ToString(m.ReceiptHandle), new(*types.MessageNotInflight)},
		{"garbage handle", "not-a-handle", new(*types.ReceiptHandleIsInvalid)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := c.ChangeMessageVisibility(ctx, &sqs.ChangeMessageVisibilityInput{QueueUrl: &url, ReceiptHandle: &tt.handle, VisibilityTimeout: 10})
			if !errors.As(err, tt.errType) {
				t.Errorf("error %v (%T), want %T", err, err, tt.errType)
			}
		})
	}
	t.Run("delete with a garbage handle", func(t *testing.T) {
		_, err := c.DeleteMessage(ctx, &sqs.DeleteMessageInput{QueueUrl: &url, ReceiptHandle: aws.String("junk")})
		var e *types.ReceiptHandleIsInvalid
		if !errors.As(err, &e) {
			t.Errorf("error %v", err)
		}
	})
}

func TestLongPoll(t *testing.T) {
	t.Run("wakes on send", func(t *testing.T) {
		clock := manual()
		_, c, _ := startEndpoint(t, []memory.Option{memory.WithClock(clock)})
		url := createQueue(t, c, "longpoll", nil)
		done := make(chan []types.Message, 1)
		go func() { done <- receive(t, c, url, sqs.ReceiveMessageInput{WaitTimeSeconds: 10}) }()
		if err := clock.BlockUntil(t.Context(), 1); err != nil { // the receive waits
			t.Fatal(err)
		}
		c.SendMessage(context.Background(), &sqs.SendMessageInput{QueueUrl: &url, MessageBody: aws.String("wake")})
		if got := <-done; len(got) != 1 || aws.ToString(got[0].Body) != "wake" {
			t.Errorf("the long poll returned %+v, want the message sent while it waited", got)
		}
	})
	t.Run("returns empty when the wait ends", func(t *testing.T) {
		clock := manual()
		_, c, _ := startEndpoint(t, []memory.Option{memory.WithClock(clock)})
		url := createQueue(t, c, "longpoll", nil)
		done := make(chan []types.Message, 1)
		go func() { done <- receive(t, c, url, sqs.ReceiveMessageInput{WaitTimeSeconds: 5}) }()
		if err := clock.BlockUntil(t.Context(), 1); err != nil {
			t.Fatal(err)
		}
		clock.Advance(4 * time.Second)
		select {
		case got := <-done:
			t.Fatalf("the long poll returned %v after 4 of its 5 seconds", got)
		default:
		}
		clock.Advance(time.Second)
		if got := <-done; len(got) != 0 {
			t.Errorf("the long poll returned %d messages from an empty queue", len(got))
		}
	})
	t.Run("the queue's wait applies when the request has none", func(t *testing.T) {
		clock := manual()
		_, c, _ := startEndpoint(t, []memory.Option{memory.WithClock(clock)})
		url := createQueue(t, c, "waiting", map[string]string{"ReceiveMessageWaitTimeSeconds": "3"})
		done := make(chan []types.Message, 1)
		go func() { done <- receive(t, c, url, sqs.ReceiveMessageInput{}) }()
		if err := clock.BlockUntil(t.Context(), 1); err != nil {
			t.Fatal(err)
		}
		clock.Advance(3 * time.Second)
		<-done
	})
	t.Run("wakes when a visibility timeout ends", func(t *testing.T) {
		clock := manual()
		_, c, _ := startEndpoint(t, []memory.Option{memory.WithClock(clock)})
		url := createQueue(t, c, "expiry", map[string]string{"VisibilityTimeout": "1"})
		c.SendMessage(context.Background(), &sqs.SendMessageInput{QueueUrl: &url, MessageBody: aws.String("m")})
		receive(t, c, url, sqs.ReceiveMessageInput{})
		done := make(chan []types.Message, 1)
		go func() { done <- receive(t, c, url, sqs.ReceiveMessageInput{WaitTimeSeconds: 20}) }()
		if err := clock.BlockUntil(t.Context(), 1); err != nil {
			t.Fatal(err)
		}
		clock.Advance(time.Second)
		if got := <-done; len(got) != 1 {
			t.Errorf("got %d messages; want the message once its timeout ended", len(got))
		}
	})
	t.Run("close ends it", func(t *testing.T) {
		clock := manual()
		_, c, ep := startEndpoint(t, []memory.Option{memory.WithClock(clock)})
		url := createQueue(t, c, "closing", nil)
		done := make(chan struct{})
		go func() {
			defer close(done)
			c.ReceiveMessage(context.Background(), &sqs.ReceiveMessageInput{QueueUrl: &url, WaitTimeSeconds: 20})
		}()
		if err := clock.BlockUntil(t.Context(), 1); err != nil {
			t.Fatal(err)
		}
		ep.Close() // returns only once the long poll has been answered
		<-done
	})
}

func TestErrors(t *testing.T) {
	_, c := start(t)
	ctx := context.Background()
	url := createQueue(t, c, "errors", map[string]string{"MaximumMessageSize": "1024"})
	tests := []struct {
		name     string
		call     func() error
		wantType any
		wantCode string
	}{
		{"missing queue", func() error {
			_, err := c.GetQueueUrl(ctx, &sqs.GetQueueUrlInput{QueueName: aws.String("missing")})
			return err
		}, new(*types.QueueDoesNotExist), "AWS.SimpleQueueService.NonExistentQueue"},
		{"send to a missing queue", func() error {
			_, err := c.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: aws.String(strings.Replace(url, "errors", "gone", 1)), MessageBody: aws.String("x")})
			return err
		}, new(*types.QueueDoesNotExist), "AWS.SimpleQueueService.NonExistentQueue"},
		{"queue exists with other attributes", func() error {
			_, err := c.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String("errors"), Attributes: map[string]string{"VisibilityTimeout": "5"}})
			return err
		}, new(*types.QueueNameExists), "QueueAlreadyExists"},
		{"fifo queue without FifoQueue", func() error {
			_, err := c.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String("q"), Attributes: map[string]string{"FifoQueue": "true"}})
			return err
		}, nil, "InvalidParameterValue"},
		{"message too large", func() error {
			_, err := c.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: &url, MessageBody: aws.String(strings.Repeat("x", 1025))})
			return err
		}, nil, "InvalidParameterValue"},
		{"too many attributes", func() error {
			attrs := map[string]types.MessageAttributeValue{}
			for i := range 11 {
				attrs[fmt.Sprint("a", i)] = types.MessageAttributeValue{DataType: aws.String("String"), StringValue: aws.String("v")}
			}
			_, err := c.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: &url, MessageBody: aws.String("x"), MessageAttributes: attrs})
			return err
		}, nil, "InvalidParameterValue"},
		{"bad attribute name", func() error {
			_, err := c.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{QueueUrl: &url, AttributeNames: []types.QueueAttributeName{"Nope"}})
			return err
		}, new(*types.InvalidAttributeName), "InvalidAttributeName"},
		{"wait too long", func() error {
			_, err := c.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: &url, WaitTimeSeconds: 21})
			return err
		}, nil, "InvalidParameterValue"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.call()
			if tt.wantType != nil && !errors.As(err, tt.wantType) {
				t.Errorf("error %v (%T), want %T", err, err, tt.wantType)
			}
			var apiErr smithy.APIError
			if !errors.As(err, &apiErr) || apiErr.ErrorCode() != tt.wantCode {
				t.Errorf("error %v, want code %s", err, tt.wantCode)
			}
		})
	}
}

func TestDelaySeconds(t *testing.T) {
	clock := manual()
	_, c, _ := startEndpoint(t, []memory.Option{memory.WithClock(clock)})
	ctx := context.Background()
	url := createQueue(t, c, "delayed", nil)
	if _, err := c.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: &url, MessageBody: aws.String("later"), DelaySeconds: 5}); err != nil {
		t.Fatal(err)
	}
	if got := receive(t, c, url, sqs.ReceiveMessageInput{}); len(got) != 0 {
		t.Fatal("received a delayed message at once")
	}
	if _, _, d := queueCounts(t, c, url); d != 1 {
		t.Errorf("delayed = %d, want 1", d)
	}
	clock.Advance(5 * time.Second)
	if got := receive(t, c, url, sqs.ReceiveMessageInput{}); len(got) != 1 {
		t.Fatal("the delayed message did not become visible")
	}
}

func TestSecond(t *testing.T) {
	clock := manual()
	_, c, _ := startEndpoint(t, []memory.Option{memory.WithClock(clock)}, sqsserver.WithSecond(10*time.Millisecond))
	ctx := context.Background()
	url := createQueue(t, c, "quick", map[string]string{"VisibilityTimeout": "3"})
	c.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: &url, MessageBody: aws.String("m")})
	receive(t, c, url, sqs.ReceiveMessageInput{})
	clock.Advance(30 * time.Millisecond) // three seconds of the API
	if got := receive(t, c, url, sqs.ReceiveMessageInput{}); len(got) != 1 {
		t.Fatal("the message did not come back after three short seconds")
	}
	attrs, _ := c.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{QueueUrl: &url, AttributeNames: []types.QueueAttributeName{"VisibilityTimeout"}})
	if got := attrs.Attributes["VisibilityTimeout"]; got != "3" {
		t.Errorf("VisibilityTimeout = %q, want 3", got)
	}
}

func TestRedrivePolicy(t *testing.T) {
	b, c := start(t)
	ctx := context.Background()
	dlq := createQueue(t, c, "dead", nil)
	arn, err := c.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{QueueUrl: &dlq, AttributeNames: []types.QueueAttributeName{"QueueArn"}})
	if err != nil {
		t.Fatal(err)
	}
	policy := fmt.Sprintf(`{"deadLetterTargetArn":%q,"maxReceiveCount":"2"}`, arn.Attributes["QueueArn"])
	url := createQueue(t, c, "source", map[string]string{"RedrivePolicy": policy})
	sent, _ := c.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: &url, MessageBody: aws.String("poison")})
	for i := range 2 {
		got := receive(t, c, url, sqs.ReceiveMessageInput{})
		if len(got) != 1 {
			t.Fatalf("receive %d: %d messages", i+1, len(got))
		}
		c.ChangeMessageVisibility(ctx, &sqs.ChangeMessageVisibilityInput{QueueUrl: &url, ReceiptHandle: got[0].ReceiptHandle, VisibilityTimeout: 0})
	}
	if got := receive(t, c, url, sqs.ReceiveMessageInput{}); len(got) != 0 {
		t.Fatalf("received the message a third time with maxReceiveCount 2")
	}
	got := receive(t, c, dlq, sqs.ReceiveMessageInput{})
	if len(got) != 1 || aws.ToString(got[0].MessageId) != aws.ToString(sent.MessageId) || aws.ToString(got[0].Body) != "poison" {
		t.Fatalf("dead-letter queue holds %+v", got)
	}
	q, _ := b.Queue("source")
	if got := q.Totals(); got.Removed != 1 || got.Received != 2 {
		t.Errorf("source totals %+v", got)
	}
	sources, err := c.ListDeadLetterSourceQueues(ctx, &sqs.ListDeadLetterSourceQueuesInput{QueueUrl: &dlq})
	if err != nil || len(sources.QueueUrls) != 1 || sources.QueueUrls[0] != url {
		t.Errorf("ListDeadLetterSourceQueues = %v, %v; want [%s]", sources, err, url)
	}
}

func TestQueueLifecycle(t *testing.T) {
	b, c := start(t)
	ctx := context.Background()
	a := createQueue(t, c, "life-a", nil)
	createQueue(t, c, "life-b", nil)
	createQueue(t, c, "other", nil)
	if again := createQueue(t, c, "life-a", nil); again != a {
		t.Errorf("CreateQueue of an existing queue returned %s, want %s", again, a)
	}
	list, err := c.ListQueues(ctx, &sqs.ListQueuesInput{QueueNamePrefix: aws.String("life-")})
	if err != nil || len(list.QueueUrls) != 2 {
		t.Fatalf("ListQueues: %v %v", list, err)
	}
	for range 5 {
		c.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: &a, MessageBody: aws.String("m")})
	}
	if _, err := c.PurgeQueue(ctx, &sqs.PurgeQueueInput{QueueUrl: &a}); err != nil {
		t.Fatal(err)
	}
	if v, _, _ := queueCounts(t, c, a); v != 0 {
		t.Errorf("%d messages after purge", v)
	}
	if _, err := c.SetQueueAttributes(ctx, &sqs.SetQueueAttributesInput{QueueUrl: &a, Attributes: map[string]string{"VisibilityTimeout": "7"}}); err != nil {
		t.Fatal(err)
	}
	attrs, _ := c.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{QueueUrl: &a, AttributeNames: []types.QueueAttributeName{"VisibilityTimeout"}})
	if attrs.Attributes["VisibilityTimeout"] != "7" {
		t.Errorf("VisibilityTimeout = %q after SetQueueAttributes", attrs.Attributes["VisibilityTimeout"])
	}
	// Attributes the broker does not act on are kept.
	const policy = `{"Version":"2012-10-17","Statement":[]}`
	if _, err := c.SetQueueAttributes(ctx, &sqs.SetQueueAttributesInput{QueueUrl: &a, Attributes: map[string]string{"Policy": policy, "MessageRetentionPeriod": "60"}}); err != nil {
		t.Fatal(err)
	}
	attrs, _ = c.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{QueueUrl: &a, AttributeNames: []types.QueueAttributeName{"All"}})
	if attrs.Attributes["Policy"] != policy || attrs.Attributes["MessageRetentionPeriod"] != "60" || attrs.Attributes["VisibilityTimeout"] != "7" {
		t.Errorf("attributes after SetQueueAttributes: %v", attrs.Attributes)
	}
	for _, bad := range []map[string]string{{"VisibilityTimeout": "43201"}, {"MaximumMessageSize": "0"}, {"Nope": "1"}} {
		if _, err := c.SetQueueAttributes(ctx, &sqs.SetQueueAttributesInput{QueueUrl: &a, Attributes: bad}); err == nil {
			t.Errorf("SetQueueAttributes(%v) succeeded", bad)
		}
	}
	if _, err := c.DeleteQueue(ctx, &sqs.DeleteQueueInput{QueueUrl: &a}); err != nil {
		t.Fatal(err)
	}
	if _, err := b.Queue("life-a"); err == nil {
		t.Error("the deleted queue still exists")
	}
	_, err = c.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: &a, MessageBody: aws.String("m")})
	var e *types.QueueDoesNotExist
	if !errors.As(err, &e) {
		t.Errorf("send to a deleted queue: %v", err)
	}
}

// TestManyMessages drives 10,000 messages through concurrent consumers and
// checks that each is received exactly once and the queue ends empty.
func TestManyMessages(t *testing.T) {
	const n = 10000
	b, c := start(t)
	ctx := context.Background()
	url := createQueue(t, c, "many", nil)
	for i := 0; i < n; i += 10 {
		var entries []types.SendMessageBatchRequestEntry
		for j := range 10 {
			entries = append(entries, types.SendMessageBatchRequestEntry{Id: aws.String(strconv.Itoa(j)), MessageBody: aws.String(strconv.Itoa(i + j))})
		}
		if _, err := c.SendMessageBatch(ctx, &sqs.SendMessageBatchInput{QueueUrl: &url, Entries: entries}); err != nil {
			t.Fatal(err)
		}
	}
	var mu sync.Mutex
	seen := make(map[string]int, n)
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			for {
				out, err := c.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: &url, MaxNumberOfMessages: 10})
				if err != nil {
					t.Error(err)
					return
				}
				if len(out.Messages) == 0 {
					return
				}
				var del []types.DeleteMessageBatchRequestEntry
				mu.Lock()
				for i, m := range out.Messages {
					seen[aws.ToString(m.Body)]++
					del = append(del, types.DeleteMessageBatchRequestEntry{Id: aws.String(strconv.Itoa(i)), ReceiptHandle: m.ReceiptHandle})
				}
				mu.Unlock()
				if _, err := c.DeleteMessageBatch(ctx, &sqs.DeleteMessageBatchInput{QueueUrl: &url, Entries: del}); err != nil {
					t.Error(err)
					return
				}
			}
		})
	}
	wg.Wait()
	if len(seen) != n {
		t.Errorf("received %d distinct messages, want %d", len(seen), n)
	}
	for body, k := range seen {
		if k != 1 {
			t.Errorf("message %s received %d times", body, k)
		}
	}
	q, _ := b.Queue("many")
	if got := q.Totals(); q.Len() != 0 || got.Sent != n || got.Removed != n {
		t.Errorf("queue holds %d messages, totals %+v", q.Len(), got)
	}
}

func TestListenRejectsNonLoopback(t *testing.T) {
	tests := []string{"0.0.0.0:0", "example.com:80", ":0", "10.0.0.1:0"}
	for _, addr := range tests {
		t.Run(addr, func(t *testing.T) {
			ep, err := sqsserver.Listen(addr, sqsserver.New(memory.New()))
			if err == nil {
				ep.Close()
				t.Fatalf("Listen accepted %s", addr)
			}
			if addr != "example.com:80" && !errors.Is(err, sqsserver.ErrNotLoopback) {
				t.Errorf("Listen(%s) = %v, want ErrNotLoopback", addr, err)
			}
		})
	}
}
