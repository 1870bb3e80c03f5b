package sqs_test

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	awssqs "github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/sqs-mega/sqs-mega-go/transport"
	"github.com/sqs-mega/sqs-mega-go/transport/sqs"
)

// fakeAPI records requests; batch sends succeed for every entry except
// those listed in fail, and answer in reverse order.
type fakeAPI struct {
	sqs.API // nil: any method not overridden panics
	mu      sync.Mutex
	calls   []string
	batches [][]types.SendMessageBatchRequestEntry
	fail    map[string]bool // entry ids to fail
	drop    map[string]bool // entry ids to leave out of the response
}

func (f *fakeAPI) record(op string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls = append(f.calls, op)
}

func (f *fakeAPI) SendMessage(ctx context.Context, in *awssqs.SendMessageInput, _ ...func(*awssqs.Options)) (*awssqs.SendMessageOutput, error) {
	f.record("SendMessage")
	return &awssqs.SendMessageOutput{MessageId: aws.String("m-single")}, nil
}

func (f *fakeAPI) SendMessageBatch(ctx context.Context, in *awssqs.SendMessageBatchInput, _ ...func(*awssqs.Options)) (*awssqs.SendMessageBatchOutput, error) {
	f.record("SendMessageBatch")
	f.mu.Lock()
	f.batches = append(f.batches, in.Entries)
	f.mu.Unlock()
	out := &awssqs.SendMessageBatchOutput{}
	for i := len(in.Entries) - 1; i >= 0; i-- {
		id := aws.ToString(in.Entries[i].Id)
		switch {
		case f.drop[id]:
		case f.fail[id]:
			out.Failed = append(out.Failed, types.BatchResultErrorEntry{Id: aws.String(id), Code: aws.String("InternalError"), Message: aws.String("try again")})
		default:
			out.Successful = append(out.Successful, types.SendMessageBatchResultEntry{Id: aws.String(id), MessageId: aws.String("m-" + id)})
		}
	}
	return out, nil
}

func (f *fakeAPI) ReceiveMessage(ctx context.Context, in *awssqs.ReceiveMessageInput, _ ...func(*awssqs.Options)) (*awssqs.ReceiveMessageOutput, error) {
	f.record("ReceiveMessage")
	return &awssqs.ReceiveMessageOutput{}, nil
}

func (f *fakeAPI) DeleteMessageBatch(ctx context.Context, in *awssqs.DeleteMessageBatchInput, _ ...func(*awssqs.Options)) (*awssqs.DeleteMessageBatchOutput, error) {
	f.record("DeleteMessageBatch")
	return &awssqs.DeleteMessageBatchOutput{}, nil
}

func (f *fakeAPI) ChangeMessageVisibilityBatch(ctx context.Context, in *awssqs.ChangeMessageVisibilityBatchInput, _ ...func(*awssqs.Options)) (*awssqs.ChangeMessageVisibilityBatchOutput, error) {
	f.record("ChangeMessageVisibilityBatch")
	return &awssqs.ChangeMessageVisibilityBatchOutput{}, nil
}

const (
	stdURL  = "https://sqs.us-east-1.amazonaws.com/123456789012/jobs"
	fifoURL = "https://sqs.us-east-1.amazonaws.com/123456789012/jobs.fifo"
)

func TestValidationBeforeNetwork(t *testing.T) {
	many := func(n int) []transport.Outgoing {
		b := make([]transport.Outgoing, n)
		for i := range b {
			b[i].Body = "x"
		}
		return b
	}
	attrs := func(n int) map[string]transport.Attribute {
		m := map[string]transport.Attribute{}
		for i := range n {
			m[string(rune('a'+i))] = transport.StringAttribute("v")
		}
		return m
	}
	tests := []struct {
		name     string
		url      string
		opts     []sqs.Option
		batch    []transport.Outgoing
		wantCall error // error of the whole call
		wantErr  error // error of the (first) entry
	}{
		{"EmptyBatch", stdURL, nil, nil, transport.ErrInvalidRequest, nil},
		{"ElevenEntries", stdURL, nil, many(11), transport.ErrInvalidRequest, nil},
		{"DuplicateEntryIDs", stdURL, nil, []transport.Outgoing{{ID: "a", Body: "1"}, {ID: "a", Body: "2"}}, transport.ErrInvalidRequest, nil},
		{"MalformedEntryID", stdURL, nil, []transport.Outgoing{{ID: "no spaces!", Body: "1"}}, transport.ErrInvalidRequest, nil},
		{"EntryIDTooLong", stdURL, nil, []transport.Outgoing{{ID: strings.Repeat("a", 81), Body: "1"}}, transport.ErrInvalidRequest, nil},
		{"BodyTooLarge", stdURL, nil, []transport.Outgoing{{Body: strings.Repeat("x", transport.MaxBodySize+1)}}, nil, transport.ErrTooLarge},
		{"AttributesMakeItTooLarge", stdURL, nil, []transport.Outgoing{{
			Body:       strings.Repeat("x", transport.MaxBodySize-10),
			Attributes: map[string]transport.Attribute{"name": transport.StringAttribute("value")},
		}}, nil, transport.ErrTooLarge},
		{"OverMaxMessageSizeOption", stdURL, []sqs.Option{sqs.WithMaxMessageSize(100)}, []transport.Outgoing{{Body: strings.Repeat("x", 101)}}, nil, transport.ErrTooLarge},
		{"ElevenAttributes", stdURL, nil, []transport.Outgoing{{Body: "x", Attributes: attrs(11)}}, nil, transport.ErrInvalidRequest},
		{"DelayTooLong", stdURL, nil, []transport.Outgoing{{Body: "x", Delay: 16 * time.Minute}}, nil, transport.ErrInvalidRequest},
		{"NegativeDelay", stdURL, nil, []transport.Outgoing{{Body: "x", Delay: -time.Second}}, nil, transport.ErrInvalidRequest},
		{"FIFOWithoutGroup", fifoURL, nil, []transport.Outgoing{{Body: "x", DeduplicationID: "d"}}, nil, transport.ErrInvalidRequest},
		{"FIFOWithDelay", fifoURL, nil, []transport.Outgoing{{Body: "x", GroupID: "g", Delay: time.Second}}, nil, transport.ErrInvalidRequest},
		{"EmptyBody", stdURL, nil, []transport.Outgoing{{}}, nil, transport.ErrInvalidRequest},
		{"ReservedAttributeName", stdURL, nil, []transport.Outgoing{{Body: "x", Attributes: map[string]transport.Attribute{"AWS.x": transport.StringAttribute("v")}}}, nil, transport.ErrInvalidRequest},
		{"DeduplicationIDOnStandard", stdURL, nil, []transport.Outgoing{{Body: "x", DeduplicationID: "d"}}, nil, transport.ErrInvalidRequest},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := &fakeAPI{}
			q, err := sqs.New(f, tc.url, tc.opts...)
			if err != nil {
				t.Fatal(err)
			}
			res, err := q.Send(t.Context(), tc.batch)
			if tc.wantCall != nil {
				if !errors.Is(err, tc.wantCall) || res != nil {
					t.Errorf("Send = %v, %v; want nil, %v", res, err, tc.wantCall)
				}
			} else if err != nil || len(res) != len(tc.batch) || !errors.Is(res[0].Err, tc.wantErr) {
				t.Errorf("Send = %+v, %v; want entry error %v", res, err, tc.wantErr)
			}
			if len(f.calls) != 0 {
				t.Errorf("requests sent: %v; want none", f.calls)
			}
		})
	}
}

func TestReceiveValidation(t *testing.T) {
	tests := []struct {
		name string
		req  transport.ReceiveRequest
	}{
		{"TooMany", transport.ReceiveRequest{MaxMessages: 11}},
		{"Negative", transport.ReceiveRequest{MaxMessages: -1}},
		{"WaitTooLong", transport.ReceiveRequest{WaitTime: 21 * time.Second}},
		{"NegativeVisibility", transport.ReceiveRequest{VisibilityTimeout: -time.Second}},
		{"VisibilityTooLong", transport.ReceiveRequest{VisibilityTimeout: 13 * time.Hour}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := &fakeAPI{}
			q, _ := sqs.New(f, stdURL)
			if _, err := q.Receive(t.Context(), tc.req); !errors.Is(err, transport.ErrInvalidRequest) {
				t.Errorf("Receive(%+v) = %v, want ErrInvalidRequest", tc.req, err)
			}
			if len(f.calls) != 0 {
				t.Errorf("requests sent: %v; want none", f.calls)
			}
		})
	}
	t.Run("BatchLimits", func(t *testing.T) {
		f := &fakeAPI{}
		q, _ := sqs.New(f, stdURL)
		if _, err := q.Delete(t.Context(), nil); !errors.Is(err, transport.ErrInvalidRequest) {
			t.Errorf("Delete of nothing = %v, want ErrInvalidRequest", err)
		}
		if _, err := q.ChangeVisibility(t.Context(), make([]transport.VisibilityChange, 11)); !errors.Is(err, transport.ErrInvalidRequest) {
			t.Errorf("ChangeVisibility of 11 = %v, want ErrInvalidRequest", err)
		}
		if len(f.calls) != 0 {
			t.Errorf("requests sent: %v; want none", f.calls)
		}
	})
}

// Results come back in the order of the entries whatever order SQS
// answers in, and an entry SQS does not report on is not taken for sent.
func TestSendResultOrder(t *testing.T) {
	f := &fakeAPI{fail: map[string]bool{"2": true}, drop: map[string]bool{"3": true}}
	q, err := sqs.New(f, stdURL)
	if err != nil {
		t.Fatal(err)
	}
	batch := []transport.Outgoing{
		{Body: "0"},
		{Body: strings.Repeat("x", transport.MaxBodySize+1)},
		{Body: "2"},
		{Body: "3"},
		{Body: "4"},
	}
	res, err := q.Send(t.Context(), batch)
	if err != nil {
		t.Fatal(err)
	}
	if res[0].MessageID != "m-0" || res[4].MessageID != "m-4" || res[0].Err != nil || res[4].Err != nil {
		t.Errorf("entries 0 and 4: %+v, %+v; want m-0 and m-4", res[0], res[4])
	}
	if !errors.Is(res[1].Err, transport.ErrTooLarge) {
		t.Errorf("entry 1: %v, want ErrTooLarge", res[1].Err)
	}
	var entry *transport.EntryError
	if !errors.As(res[2].Err, &entry) || entry.Code != "InternalError" || !entry.Temporary() {
		t.Errorf("entry 2: %#v, want a temporary *EntryError", res[2].Err)
	}
	if res[3].Err == nil {
		t.Error("entry 3, missing from the response, has no error")
	}
	if len(f.batches) != 1 || len(f.batches[0]) != 4 {
		t.Errorf("sent batches %v, want one of 4 entries (the too-large one left out)", f.batches)
	}
}

func TestOptions(t *testing.T) {
	t.Run("NewRejectsClientOptions", func(t *testing.T) {
		if _, err := sqs.New(&fakeAPI{}, stdURL, sqs.WithEndpoint("http://127.0.0.1:1")); err == nil {
			t.Error("New accepted WithEndpoint, which configures a client it does not build")
		}
	})
	t.Run("NewClientRejectsQueueOptions", func(t *testing.T) {
		if _, err := sqs.NewClient(t.Context(), sqs.WithMaxMessageSize(10)); err == nil {
			t.Error("NewClient accepted WithMaxMessageSize, which configures a queue")
		}
	})
	invalid := []struct {
		name string
		opt  sqs.Option
	}{
		{"MaxMessageSizeZero", sqs.WithMaxMessageSize(0)},
		{"MaxMessageSizeOverLimit", sqs.WithMaxMessageSize(transport.MaxBodySize + 1)},
		{"EndpointWithoutScheme", sqs.WithEndpoint("127.0.0.1:4566")},
		{"EmptyRegion", sqs.WithRegion("")},
		{"NilCredentials", sqs.WithCredentials(nil)},
		{"NilRetryer", sqs.WithRetryer(nil)},
	}
	for _, tc := range invalid {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := sqs.Dial(t.Context(), stdURL, tc.opt); err == nil {
				t.Error("Dial accepted an invalid option")
			}
		})
	}
	for _, u := range []string{"", "jobs", "https://sqs.us-east-1.amazonaws.com/", "ftp://host/1/q"} {
		t.Run("BadURL/"+u, func(t *testing.T) {
			if _, err := sqs.New(&fakeAPI{}, u); !errors.Is(err, transport.ErrInvalidRequest) {
				t.Errorf("New(%q) = %v, want ErrInvalidRequest", u, err)
			}
		})
	}
}

// refusingClient is an HTTP client that counts its requests and fails them.
type refusingClient struct {
	mu sync.Mutex
	n  int
}

var errRefused = errors.New("refused by the test's HTTP client")

func (c *refusingClient) Do(*http.Request) (*http.Response, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.n++
	return nil, errRefused
}

func TestWithHTTPClient(t *testing.T) {
	c := &refusingClient{}
	q, err := sqs.Dial(t.Context(), stdURL,
		sqs.WithHTTPClient(c),
		sqs.WithCredentials(credentials.NewStaticCredentialsProvider("test", "test", "")),
		sqs.WithRetryer(func() aws.Retryer { return aws.NopRetryer{} }))
	if err != nil {
		t.Fatal(err)
	}
	_, err = q.Send(t.Context(), []transport.Outgoing{{Body: "x"}})
	if !errors.Is(err, errRefused) {
		t.Fatalf("Send: %v; want the test client's error", err)
	}
	if c.n != 1 {
		t.Errorf("the client saw %d requests, want 1", c.n)
	}
	if _, err := sqs.Dial(t.Context(), stdURL, sqs.WithHTTPClient(nil)); err == nil {
		t.Error("Dial accepted a nil HTTP client")
	}
}
