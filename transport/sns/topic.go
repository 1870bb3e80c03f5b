package sns

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/arn"
	awssns "github.com/aws/aws-sdk-go-v2/service/sns"
	"github.com/aws/aws-sdk-go-v2/service/sns/types"

	"github.com/sqs-mega/sqs-mega-go/transport"
	"github.com/sqs-mega/sqs-mega-go/transport/internal/batches"
)

// MaxMessageSize is the largest message SNS publishes: 256 KiB, counting
// the body and the names, types and values of its message attributes. It
// is also the limit of a whole PublishBatch request.
const MaxMessageSize = 256 << 10

// API is the part of the SNS client (*sns.Client of aws-sdk-go-v2) that a
// [Topic] uses. A Topic calls it from many goroutines at once, so an
// implementation must be safe for concurrent use, as *sns.Client is.
type API interface {
	Publish(ctx context.Context, in *awssns.PublishInput, optFns ...func(*awssns.Options)) (*awssns.PublishOutput, error)
	PublishBatch(ctx context.Context, in *awssns.PublishBatchInput, optFns ...func(*awssns.Options)) (*awssns.PublishBatchOutput, error)
}

var _ API = (*awssns.Client)(nil)

// Topic is an Amazon SNS topic seen as a [transport.Sender]: what is sent
// to it is delivered to every subscription, SQS queues among them.
//
// A Topic is safe for concurrent use. It holds no resources of its own:
// there is nothing to close.
type Topic struct {
	client  API
	arn     string
	fifo    bool
	maxSize int
}

var _ transport.Sender = (*Topic)(nil)

// New returns the topic with the given ARN, reached through client. It
// makes no request. A topic whose name ends in ".fifo" is a FIFO topic.
//
// Options that build a client ([WithEndpoint], [WithRegion],
// [WithCredentials], [WithRetryer], [WithConfigOptions]) belong to [Dial]
// and are rejected here.
func New(client API, topicARN string, opts ...Option) (*Topic, error) {
	if client == nil {
		return nil, errors.New("sns: New: nil client")
	}
	o, err := buildOptions(opts)
	if err != nil {
		return nil, err
	}
	if o.client.First != "" {
		return nil, fmt.Errorf("sns: New: %s configures the client and applies to Dial only", o.client.First)
	}
	return newTopic(client, topicARN, o)
}

func newTopic(client API, topicARN string, o options) (*Topic, error) {
	a, err := parseTopicARN(topicARN)
	if err != nil {
		return nil, err
	}
	t := &Topic{client: client, arn: topicARN, fifo: strings.HasSuffix(a.Resource, ".fifo"), maxSize: MaxMessageSize}
	if o.maxSize > 0 {
		t.maxSize = o.maxSize
	}
	return t, nil
}

func parseTopicARN(topicARN string) (arn.ARN, error) {
	a, err := arn.Parse(topicARN)
	if err != nil || a.Service != "sns" || a.Resource == "" || strings.ContainsAny(a.Resource, ":/") {
		return arn.ARN{}, fmt.Errorf("sns: %q is not a topic ARN (want arn:aws:sns:REGION:ACCOUNT:NAME): %w", topicARN, transport.ErrInvalidRequest)
	}
	return a, nil
}

// ARN returns the topic's ARN.
func (t *Topic) ARN() string { return t.arn }

// FIFO reports whether the topic is a FIFO topic.
func (t *Topic) FIFO() bool { return t.fifo }

// Send publishes up to [transport.MaxBatch] messages: with Publish for one,
// PublishBatch for more. Entries are checked before any request: one
// larger than [MaxMessageSize] (or the limit set with
// [WithMaxMessageSize]) fails with [transport.ErrTooLarge]; a delay (SNS
// has none), too many attributes or, on a FIFO topic, a missing group id
// with [transport.ErrInvalidRequest]. The other entries are still sent, in
// as many requests as the 256 KiB limit of a batch needs; results keep the
// order of the entries.
//
// A successful result means SNS accepted the message, not that any
// subscriber received it.
func (t *Topic) Send(ctx context.Context, batch []transport.Outgoing) ([]transport.SendResult, error) {
	return batches.Sender{
		Pkg:   "sns",
		Limit: MaxMessageSize,
		Check: t.checkOutgoing,
		One: func(m transport.Outgoing) (transport.SendResult, error) {
			out, err := t.client.Publish(ctx, &awssns.PublishInput{
				TopicArn:               aws.String(t.arn),
				Message:                aws.String(m.Body),
				MessageAttributes:      toSNSAttributes(m.Attributes),
				MessageGroupId:         batches.OptString(m.GroupID),
				MessageDeduplicationId: batches.OptString(m.DeduplicationID),
			})
			if err != nil {
				return transport.SendResult{}, wrapErr("Publish", err)
			}
			return transport.SendResult{MessageID: aws.ToString(out.MessageId), SequenceNumber: aws.ToString(out.SequenceNumber)}, nil
		},
		Many: func(chunk []int, results []transport.SendResult) error {
			return t.publishBatch(ctx, batch, chunk, results)
		},
	}.Send(batch)
}

func (t *Topic) publishBatch(ctx context.Context, batch []transport.Outgoing, chunk []int, results []transport.SendResult) error {
	in := &awssns.PublishBatchInput{TopicArn: aws.String(t.arn)}
	for _, i := range chunk {
		m := batch[i]
		in.PublishBatchRequestEntries = append(in.PublishBatchRequestEntries, types.PublishBatchRequestEntry{
			Id:                     batches.ID(i),
			Message:                aws.String(m.Body),
			MessageAttributes:      toSNSAttributes(m.Attributes),
			MessageGroupId:         batches.OptString(m.GroupID),
			MessageDeduplicationId: batches.OptString(m.DeduplicationID),
		})
	}
	out, err := t.client.PublishBatch(ctx, in)
	if err != nil {
		return wrapErr("PublishBatch", err)
	}
	answer := batches.NewAnswer(chunk)
	for _, e := range out.Successful {
		if i, ok := answer.Entry(e.Id); ok {
			results[i].MessageID = aws.ToString(e.MessageId)
			results[i].SequenceNumber = aws.ToString(e.SequenceNumber)
		}
	}
	for _, e := range out.Failed {
		if i, ok := answer.Entry(e.Id); ok {
			results[i].Err = entryErr(aws.ToString(e.Code), aws.ToString(e.Message), e.SenderFault)
		}
	}
	for _, i := range answer.Unanswered() {
		results[i].Err = fmt.Errorf("sns: PublishBatch: no result for entry %d", i)
	}
	return nil
}

// checkOutgoing validates one entry against the rule book, so that a bad
// entry fails alone and at once. SNS itself takes more than
// transport.MaxAttributes attributes, but an SQS subscriber cannot
// receive them. Whether a FIFO topic deduplicates by content is not
// known here: SNS itself checks that.
func (t *Topic) checkOutgoing(m transport.Outgoing) error {
	if err := transport.CheckPublish(m, "", transport.PublishRules{MaxSize: t.maxSize, FIFO: t.fifo, ContentDeduplication: true}); err != nil {
		return fmt.Errorf("sns: %w", err)
	}
	return nil
}

func toSNSAttributes(attrs map[string]transport.Attribute) map[string]types.MessageAttributeValue {
	if len(attrs) == 0 {
		return nil
	}
	out := make(map[string]types.MessageAttributeValue, len(attrs))
	for k, a := range attrs {
		v := types.MessageAttributeValue{DataType: aws.String(a.DataType)}
		if strings.HasPrefix(a.DataType, "Binary") {
			v.BinaryValue = a.BinaryValue
		} else {
			v.StringValue = aws.String(a.StringValue)
		}
		out[k] = v
	}
	return out
}
