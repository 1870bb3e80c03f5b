package sns_test

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
	awssns "github.com/aws/aws-sdk-go-v2/service/sns"
	"github.com/aws/aws-sdk-go-v2/service/sns/types"

	"github.com/sqs-mega/sqs-mega-go/internal/testenv"
	"github.com/sqs-mega/sqs-mega-go/transport"
	"github.com/sqs-mega/sqs-mega-go/transport/sns"
)

const (
	stdARN  = "arn:aws:sns:us-east-1:123456789012:events"
	fifoARN = "arn:aws:sns:us-east-1:123456789012:events.fifo"
)

// fakeAPI records requests and accepts every entry.
type fakeAPI struct {
	mu      sync.Mutex
	calls   []string
	batches [][]types.PublishBatchRequestEntry
}

func (f *fakeAPI) Publish(ctx context.Context, in *awssns.PublishInput, _ ...func(*awssns.Options)) (*awssns.PublishOutput, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls = append(f.calls, "Publish")
	return &awssns.PublishOutput{MessageId: aws.String("m")}, nil
}

func (f *fakeAPI) PublishBatch(ctx context.Context, in *awssns.PublishBatchInput, _ ...func(*awssns.Options)) (*awssns.PublishBatchOutput, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls = append(f.calls, "PublishBatch")
	f.batches = append(f.batches, in.PublishBatchRequestEntries)
	out := &awssns.PublishBatchOutput{}
	for _, e := range in.PublishBatchRequestEntries {
		out.Successful = append(out.Successful, types.PublishBatchResultEntry{Id: e.Id, MessageId: aws.String("m-" + aws.ToString(e.Id))})
	}
	return out, nil
}

func TestValidationBeforeNetwork(t *testing.T) {
	attrs := map[string]transport.Attribute{}
	for i := range transport.MaxAttributes + 1 {
		attrs[string(rune('a'+i))] = transport.StringAttribute("v")
	}
	tests := []struct {
		name     string
		arn      string
		opts     []sns.Option
		batch    []transport.Outgoing
		wantCall error
		wantErr  error
	}{
		{"Empty", stdARN, nil, nil, transport.ErrInvalidRequest, nil},
		{"Eleven", stdARN, nil, make([]transport.Outgoing, 11), transport.ErrInvalidRequest, nil},
		{"DuplicateIDs", stdARN, nil, []transport.Outgoing{{ID: "a"}, {ID: "a"}}, transport.ErrInvalidRequest, nil},
		{"MalformedID", stdARN, nil, []transport.Outgoing{{ID: "a b"}}, transport.ErrInvalidRequest, nil},
		{"OverSNSLimit", stdARN, nil, []transport.Outgoing{{Body: strings.Repeat("x", sns.MaxMessageSize+1)}}, nil, transport.ErrTooLarge},
		{"OverOwnLimit", stdARN, []sns.Option{sns.WithMaxMessageSize(10)}, []transport.Outgoing{{Body: "eleven byte"}}, nil, transport.ErrTooLarge},
		{"Delay", stdARN, nil, []transport.Outgoing{{Body: "x", Delay: time.Second}}, nil, transport.ErrInvalidRequest},
		{"TooManyAttributes", stdARN, nil, []transport.Outgoing{{Body: "x", Attributes: attrs}}, nil, transport.ErrInvalidRequest},
		{"FIFOWithoutGroup", fifoARN, nil, []transport.Outgoing{{Body: "x", DeduplicationID: "d"}}, nil, transport.ErrInvalidRequest},
		{"EmptyBody", stdARN, nil, []transport.Outgoing{{}}, nil, transport.ErrInvalidRequest},
		{"InvalidCharacters", stdARN, nil, []transport.Outgoing{{Body: "a\x00b"}}, nil, transport.ErrInvalidRequest},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := &fakeAPI{}
			tp, err := sns.New(f, tc.arn, tc.opts...)
			if err != nil {
				t.Fatal(err)
			}
			res, err := tp.Send(t.Context(), tc.batch)
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

// A batch over the 256 KiB SNS allows in one request goes out in several.
func TestSendSplitsLargeBatch(t *testing.T) {
	f := &fakeAPI{}
	tp, err := sns.New(f, stdARN)
	if err != nil {
		t.Fatal(err)
	}
	batch := []transport.Outgoing{
		{Body: strings.Repeat("a", 100<<10)},
		{Body: strings.Repeat("b", 100<<10)},
		{Body: strings.Repeat("c", 100<<10)},
		{Body: "small"},
	}
	res, err := tp.Send(t.Context(), batch)
	if err != nil {
		t.Fatal(err)
	}
	for i, r := range res {
		if r.Err != nil || r.MessageID == "" {
			t.Errorf("entry %d: %+v", i, r)
		}
	}
	if len(f.batches) != 2 || len(f.batches[0]) != 2 || len(f.batches[1]) != 2 {
		t.Errorf("sent %d requests; want 2 of 2 entries each", len(f.batches))
	}
	for _, b := range f.batches {
		size := 0
		for _, e := range b {
			size += len(aws.ToString(e.Message))
		}
		if size > sns.MaxMessageSize {
			t.Errorf("a request carries %d bytes, over %d", size, sns.MaxMessageSize)
		}
	}
}

func TestOptions(t *testing.T) {
	t.Run("NewRejectsClientOptions", func(t *testing.T) {
		if _, err := sns.New(&fakeAPI{}, stdARN, sns.WithRegion("eu-west-1")); err == nil {
			t.Error("New accepted WithRegion")
		}
	})
	t.Run("NewClientRejectsTopicOptions", func(t *testing.T) {
		if _, err := sns.NewClient(t.Context(), sns.WithMaxMessageSize(10)); err == nil {
			t.Error("NewClient accepted WithMaxMessageSize")
		}
	})
	for _, a := range []string{"", "events", "arn:aws:sqs:us-east-1:123456789012:events", "arn:aws:sns:us-east-1:123456789012:events:sub-id"} {
		t.Run("BadARN/"+a, func(t *testing.T) {
			if _, err := sns.New(&fakeAPI{}, a); !errors.Is(err, transport.ErrInvalidRequest) {
				t.Errorf("New(%q) = %v, want ErrInvalidRequest", a, err)
			}
		})
	}
}

func TestDial(t *testing.T) {
	endpoint := testenv.Endpoint(t)
	for _, k := range []string{"AWS_REGION", "AWS_DEFAULT_REGION", "AWS_PROFILE", "AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_SNS"} {
		t.Setenv(k, "")
	}
	t.Setenv("AWS_CONFIG_FILE", t.TempDir()+"/none")
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", t.TempDir()+"/none")
	t.Setenv("AWS_EC2_METADATA_DISABLED", "true")

	opts := []sns.Option{sns.WithEndpoint(endpoint), sns.WithCredentials(credentials.NewStaticCredentialsProvider("test", "test", ""))}
	c, err := sns.NewClient(t.Context(), append(opts, sns.WithRegion(testenv.Region))...)
	if err != nil {
		t.Fatalf("NewClient: %v", err)
	}
	arn, err := sns.CreateTopic(t.Context(), c, testenv.Name(t), sns.TopicConfig{})
	if err != nil {
		t.Fatalf("CreateTopic: %v", err)
	}
	t.Cleanup(func() { _ = sns.DeleteTopic(context.Background(), c, arn) })

	// The region comes from the ARN.
	tp, err := sns.Dial(t.Context(), arn, opts...)
	if err != nil {
		t.Fatalf("Dial: %v", err)
	}
	if _, err := tp.Send(t.Context(), []transport.Outgoing{{Body: "hello"}}); err != nil {
		t.Errorf("Send through a dialled topic: %v", err)
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
	topic, err := sns.Dial(t.Context(), stdARN,
		sns.WithHTTPClient(c),
		sns.WithCredentials(credentials.NewStaticCredentialsProvider("test", "test", "")),
		sns.WithRetryer(func() aws.Retryer { return aws.NopRetryer{} }))
	if err != nil {
		t.Fatal(err)
	}
	_, err = topic.Send(t.Context(), []transport.Outgoing{{Body: "x"}})
	if !errors.Is(err, errRefused) {
		t.Fatalf("Send: %v; want the test client's error", err)
	}
	if c.n != 1 {
		t.Errorf("the client saw %d requests, want 1", c.n)
	}
	if _, err := sns.Dial(t.Context(), stdARN, sns.WithHTTPClient(nil)); err == nil {
		t.Error("Dial accepted a nil HTTP client")
	}
}
