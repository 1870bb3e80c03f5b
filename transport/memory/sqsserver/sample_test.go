package sqsserver_test

import (
	"bytes"
	"context"
	"encoding/json"
	"math/rand/v2"
	"net/http"
	"strconv"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/sqs-mega/sqs-mega-go/transport/memory/sqsserver"
)

// shortPolls sends n messages to a fresh queue, then short-polls it k
// times, putting each message back, and returns how many each poll found.
func shortPolls(t *testing.T, seed uint64, n, k int) []int {
	t.Helper()
	_, c := start(t, sqsserver.WithShortPollSampling(rand.New(rand.NewPCG(seed, seed))))
	ctx := context.Background()
	url := createQueue(t, c, "sampled", nil)
	for i := range n {
		if _, err := c.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: &url, MessageBody: aws.String(strconv.Itoa(i))}); err != nil {
			t.Fatal(err)
		}
	}
	var got []int
	for range k {
		msgs := receive(t, c, url, sqs.ReceiveMessageInput{MaxNumberOfMessages: 10})
		got = append(got, len(msgs))
		for _, m := range msgs {
			c.ChangeMessageVisibility(ctx, &sqs.ChangeMessageVisibilityInput{QueueUrl: &url, ReceiptHandle: m.ReceiptHandle, VisibilityTimeout: 0})
		}
	}
	return got
}

func TestShortPollsSample(t *testing.T) {
	const polls = 40
	few := shortPolls(t, 1, 2, polls)
	if again := shortPolls(t, 1, 2, polls); !equal(few, again) {
		t.Fatalf("the same seed drew %v, then %v", few, again)
	}
	var empty, partial int
	for _, n := range few {
		switch {
		case n == 0:
			empty++
		case n < 2:
			partial++
		case n > 2:
			t.Fatalf("a short poll found %d of 2 messages", n)
		}
	}
	// With 2 messages each found with probability 1/2, a poll is empty a
	// quarter of the time and finds one half of the time; 40 polls that
	// never do either would be a 1 in 10^11 draw.
	if empty == 0 || partial == 0 {
		t.Errorf("40 short polls of 2 messages found %v: never none or one", few)
	}
	// A deep queue fills the batch nearly always.
	deep := shortPolls(t, 2, 200, 10)
	full := 0
	for _, n := range deep {
		if n == 10 {
			full++
		}
	}
	if full < 8 {
		t.Errorf("short polls of a queue of 200 found %v, want mostly full batches", deep)
	}
}

func equal(a, b []int) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func TestLongPollsDoNotSample(t *testing.T) {
	_, c := start(t, sqsserver.WithShortPollSampling(rand.New(rand.NewPCG(3, 3))))
	ctx := context.Background()
	url := createQueue(t, c, "whole", nil)
	for i := range 5 {
		c.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: &url, MessageBody: aws.String(strconv.Itoa(i))})
	}
	if got := receive(t, c, url, sqs.ReceiveMessageInput{MaxNumberOfMessages: 10, WaitTimeSeconds: 1}); len(got) != 5 {
		t.Errorf("a long poll found %d of 5 messages", len(got))
	}
}

func TestFIFO(t *testing.T) {
	_, c := start(t)
	ctx := context.Background()
	url := createQueue(t, c, "orders.fifo", map[string]string{"FifoQueue": "true", "ContentBasedDeduplication": "true"})
	for _, body := range []string{"a1", "a2", "a1"} { // the second a1 is a duplicate
		out, err := c.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: &url, MessageBody: aws.String(body), MessageGroupId: aws.String("a")})
		if err != nil {
			t.Fatal(err)
		}
		if aws.ToString(out.SequenceNumber) == "" {
			t.Error("no SequenceNumber for a FIFO send")
		}
	}
	msgs := receive(t, c, url, sqs.ReceiveMessageInput{MaxNumberOfMessages: 10, MessageSystemAttributeNames: []types.MessageSystemAttributeName{"All"}})
	if len(msgs) != 2 || aws.ToString(msgs[0].Body) != "a1" || aws.ToString(msgs[1].Body) != "a2" {
		t.Fatalf("received %+v, want a1 then a2 once each", msgs)
	}
	if g := msgs[0].Attributes["MessageGroupId"]; g != "a" {
		t.Errorf("MessageGroupId = %q", g)
	}
	_, err := c.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: &url, MessageBody: aws.String("no group")})
	if err == nil {
		t.Error("a FIFO send without a group id succeeded")
	}
}

// TestWireErrors checks an error answer byte for byte where SDKs read it.
func TestWireErrors(t *testing.T) {
	_, _, ep := startEndpoint(t, nil)
	tests := []struct {
		name, target, body string
		status             int
		typ, query         string
	}{
		{"missing queue", "AmazonSQS.GetQueueUrl", `{"QueueName":"nope"}`, 400,
			"com.amazonaws.sqs#QueueDoesNotExist", "AWS.SimpleQueueService.NonExistentQueue;Sender"},
		{"unknown action", "AmazonSQS.TagQueue", `{}`, 400,
			"com.amazon.coral.service#UnknownOperationException", "UnknownOperationException;Sender"},
		{"bad JSON", "AmazonSQS.ListQueues", `{`, 400,
			"com.amazon.coral.service#SerializationException", "SerializationException;Sender"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req, _ := http.NewRequest(http.MethodPost, ep.URL(), bytes.NewBufferString(tt.body))
			req.Header.Set("X-Amz-Target", tt.target)
			req.Header.Set("Content-Type", "application/x-amz-json-1.0")
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			var body struct {
				Type    string `json:"__type"`
				Message string `json:"message"`
			}
			if err := json.NewDecoder(resp.Body).Decode(&body); err != nil {
				t.Fatal(err)
			}
			if resp.StatusCode != tt.status || body.Type != tt.typ || body.Message == "" {
				t.Errorf("status %d, body %+v; want %d with __type %s and a message", resp.StatusCode, body, tt.status, tt.typ)
			}
			if got := resp.Header.Get("X-Amzn-Query-Error"); got != tt.query {
				t.Errorf("x-amzn-query-error = %q, want %q", got, tt.query)
			}
			if got := resp.Header.Get("Content-Type"); got != "application/x-amz-json-1.0" {
				t.Errorf("Content-Type = %q", got)
			}
		})
	}
}
