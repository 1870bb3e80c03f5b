package sns_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"

	"github.com/aws/aws-sdk-go-v2/aws"
	awssns "github.com/aws/aws-sdk-go-v2/service/sns"
	"github.com/aws/aws-sdk-go-v2/service/sns/types"

	"github.com/sqs-mega/sqs-mega-go/transport"
	"github.com/sqs-mega/sqs-mega-go/transport/sns"
)

// recorder is an sns.API that records what a Topic publishes and
// answers as SNS does, with message ids.
type recorder struct {
	mu        sync.Mutex
	published []string
}

func (r *recorder) Publish(_ context.Context, in *awssns.PublishInput, _ ...func(*awssns.Options)) (*awssns.PublishOutput, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.published = append(r.published, fmt.Sprintf("Publish %s: %s %v", aws.ToString(in.TopicArn), aws.ToString(in.Message), attrs(in.MessageAttributes)))
	return &awssns.PublishOutput{MessageId: aws.String(fmt.Sprint("id-", len(r.published)))}, nil
}

func (r *recorder) PublishBatch(_ context.Context, in *awssns.PublishBatchInput, _ ...func(*awssns.Options)) (*awssns.PublishBatchOutput, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := &awssns.PublishBatchOutput{}
	for _, e := range in.PublishBatchRequestEntries {
		r.published = append(r.published, fmt.Sprintf("PublishBatch entry %s: %s %v", aws.ToString(e.Id), aws.ToString(e.Message), attrs(e.MessageAttributes)))
		out.Successful = append(out.Successful, types.PublishBatchResultEntry{Id: e.Id, MessageId: aws.String(fmt.Sprint("id-", len(r.published)))})
	}
	return out, nil
}

func attrs(m map[string]types.MessageAttributeValue) map[string]string {
	out := map[string]string{}
	for k, v := range m {
		out[k] = aws.ToString(v.DataType) + ":" + aws.ToString(v.StringValue)
	}
	return out
}

// A Topic publishes through any client with the methods of sns.API, here
// one that records the requests: one message takes a Publish, several a
// PublishBatch, and a message SNS would refuse fails alone, before any
// request. (Against AWS, pass an *sns.Client, or use sns.Dial.)
func ExampleNew() {
	client := &recorder{}
	topic, err := sns.New(client, "arn:aws:sns:us-east-1:000000000000:events")
	if err != nil {
		fmt.Println(err)
		return
	}
	ctx := context.Background()
	kind := map[string]transport.Attribute{"kind": transport.StringAttribute("greeting")}
	res, err := topic.Send(ctx, []transport.Outgoing{{Body: "hello", Attributes: kind}})
	fmt.Println(res[0].MessageID, err)

	res, err = topic.Send(ctx, []transport.Outgoing{
		{Body: "one"},
		{Body: strings.Repeat("x", sns.MaxMessageSize+1)},
		{Body: "two"},
	})
	fmt.Println(res[0].MessageID, errors.Is(res[1].Err, transport.ErrTooLarge), res[2].MessageID, err)
	for _, p := range client.published {
		fmt.Println(p)
	}
	// Output:
	// id-1 <nil>
	// id-2 true id-3 <nil>
	// Publish arn:aws:sns:us-east-1:000000000000:events: hello map[kind:String:greeting]
	// PublishBatch entry 0: one map[]
	// PublishBatch entry 2: two map[]
}
