package sqs

import (
	"context"
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awssqs "github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/sqs-mega/sqs-mega-go/transport"
	"github.com/sqs-mega/sqs-mega-go/transport/internal/batches"
)

// API is the part of the SQS client (*sqs.Client of aws-sdk-go-v2) that a
// [Queue] uses. A Queue calls it from many goroutines at once, so an
// implementation must be safe for concurrent use, as *sqs.Client is.
type API interface {
	SendMessage(ctx context.Context, in *awssqs.SendMessageInput, optFns ...func(*awssqs.Options)) (*awssqs.SendMessageOutput, error)
	SendMessageBatch(ctx context.Context, in *awssqs.SendMessageBatchInput, optFns ...func(*awssqs.Options)) (*awssqs.SendMessageBatchOutput, error)
	ReceiveMessage(ctx context.Context, in *awssqs.ReceiveMessageInput, optFns ...func(*awssqs.Options)) (*awssqs.ReceiveMessageOutput, error)
	DeleteMessageBatch(ctx context.Context, in *awssqs.DeleteMessageBatchInput, optFns ...func(*awssqs.Options)) (*awssqs.DeleteMessageBatchOutput, error)
	ChangeMessageVisibilityBatch(ctx context.Context, in *awssqs.ChangeMessageVisibilityBatchInput, optFns ...func(*awssqs.Options)) (*awssqs.ChangeMessageVisibilityBatchOutput, error)
	GetQueueAttributes(ctx context.Context, in *awssqs.GetQueueAttributesInput, optFns ...func(*awssqs.Options)) (*awssqs.GetQueueAttributesOutput, error)
	GetQueueUrl(ctx context.Context, in *awssqs.GetQueueUrlInput, optFns ...func(*awssqs.Options)) (*awssqs.GetQueueUrlOutput, error)
}

var _ API = (*awssqs.Client)(nil)

// Queue is an Amazon SQS queue seen through the [transport.Queue]
// interface. It also implements [transport.Describer] and
// [transport.DeadLetterFinder].
//
// A Queue is safe for concurrent use. It holds no resources of its own:
// there is nothing to close.
type Queue struct {
	client API
	url    string
	fifo   bool
	opts   options

	// maxSize is the largest message Send lets through: WithMaxMessageSize,
	// else the queue's MaximumMessageSize once Describe has read it, else
	// transport.MaxBodySize.
	maxSize atomic.Int64

	mu   sync.Mutex
	arn  string            // immutable once known
	dlqs map[string]*Queue // dead-letter queues by ARN
}

var (
	_ transport.Queue            = (*Queue)(nil)
	_ transport.Describer        = (*Queue)(nil)
	_ transport.DeadLetterFinder = (*Queue)(nil)
)

// New returns the queue at queueURL, reached through client. It makes no
// request: a queue that does not exist shows up as an error wrapping
// [transport.ErrQueueNotFound] on first use (or call [Queue.Describe] to
// check at once). A queue whose name ends in ".fifo" is a FIFO queue.
//
// Options that build a client ([WithEndpoint], [WithRegion],
// [WithCredentials], [WithRetryer], [WithConfigOptions]) belong to [Dial]
// and are rejected here: configure the client instead.
func New(client API, queueURL string, opts ...Option) (*Queue, error) {
	if client == nil {
		return nil, errors.New("sqs: New: nil client")
	}
	o, err := buildOptions(opts)
	if err != nil {
		return nil, err
	}
	if o.client.First != "" {
		return nil, fmt.Errorf("sqs: New: %s configures the client and applies to Dial only", o.client.First)
	}
	return newQueue(client, queueURL, o)
}

func newQueue(client API, queueURL string, o options) (*Queue, error) {
	name, err := queueNameFromURL(queueURL)
	if err != nil {
		return nil, err
	}
	q := &Queue{
		client: client,
		url:    queueURL,
		fifo:   strings.HasSuffix(name, ".fifo"),
		opts:   o,
	}
	if o.maxSize > 0 {
		q.maxSize.Store(int64(o.maxSize))
	} else {
		q.maxSize.Store(transport.MaxBodySize)
	}
	return q, nil
}

// queueNameFromURL returns the last path segment of a queue URL.
func queueNameFromURL(queueURL string) (string, error) {
	if queueURL == "" {
		return "", fmt.Errorf("sqs: empty queue URL: %w", transport.ErrInvalidRequest)
	}
	rest, ok := strings.CutPrefix(queueURL, "https://")
	if !ok {
		rest, ok = strings.CutPrefix(queueURL, "http://")
	}
	i := strings.LastIndexByte(rest, '/')
	if !ok || i < 0 || i == len(rest)-1 {
		return "", fmt.Errorf("sqs: %q is not a queue URL (want https://host/account/name): %w", queueURL, transport.ErrInvalidRequest)
	}
	return rest[i+1:], nil
}

// URL returns the queue's URL.
func (q *Queue) URL() string { return q.url }

// FIFO reports whether the queue is a FIFO queue.
func (q *Queue) FIFO() bool { return q.fifo }

// Send sends up to [transport.MaxBatch] messages: with SendMessage for one,
// SendMessageBatch for more. Entries are checked before any request:
// an entry larger than the queue's maximum message size fails with
// [transport.ErrTooLarge], a FIFO entry without a group id, a delay on a
// FIFO queue or out of range, or too many attributes with
// [transport.ErrInvalidRequest]; the other entries are still sent. Because
// SQS also limits a whole batch to 1 MiB, a batch of large messages is
// split over several requests; results keep the order of the entries.
func (q *Queue) Send(ctx context.Context, batch []transport.Outgoing) ([]transport.SendResult, error) {
	limit := int(q.maxSize.Load())
	return batches.Sender{
		Pkg:   "sqs",
		Limit: transport.MaxBodySize,
		Check: func(m transport.Outgoing) error { return q.checkOutgoing(m, limit) },
		One: func(m transport.Outgoing) (transport.SendResult, error) {
			out, err := q.client.SendMessage(ctx, q.sendMessageInput(m))
			if err != nil {
				return transport.SendResult{}, wrapErr("SendMessage", err)
			}
			return transport.SendResult{MessageID: aws.ToString(out.MessageId), SequenceNumber: aws.ToString(out.SequenceNumber)}, nil
		},
		Many: func(chunk []int, results []transport.SendResult) error {
			return q.sendBatch(ctx, batch, chunk, results)
		},
	}.Send(batch)
}

func (q *Queue) sendBatch(ctx context.Context, batch []transport.Outgoing, chunk []int, results []transport.SendResult) error {
	in := &awssqs.SendMessageBatchInput{QueueUrl: aws.String(q.url)}
	for _, i := range chunk {
		m := batch[i]
		in.Entries = append(in.Entries, types.SendMessageBatchRequestEntry{
			Id:                     batches.ID(i),
			MessageBody:            aws.String(m.Body),
			DelaySeconds:           seconds(m.Delay),
			MessageAttributes:      toSQSAttributes(m.Attributes),
			MessageGroupId:         batches.OptString(m.GroupID),
			MessageDeduplicationId: batches.OptString(m.DeduplicationID),
		})
	}
	out, err := q.client.SendMessageBatch(ctx, in)
	if err != nil {
		return wrapErr("SendMessageBatch", err)
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
			results[i].Err = entryErr(aws.ToString(e.Code), aws.ToString(e.Message), e.SenderFault, false)
		}
	}
	for _, i := range answer.Unanswered() {
		results[i].Err = fmt.Errorf("sqs: SendMessageBatch: no result for entry %d", i)
	}
	return nil
}

func (q *Queue) sendMessageInput(m transport.Outgoing) *awssqs.SendMessageInput {
	return &awssqs.SendMessageInput{
		QueueUrl:               aws.String(q.url),
		MessageBody:            aws.String(m.Body),
		DelaySeconds:           seconds(m.Delay),
		MessageAttributes:      toSQSAttributes(m.Attributes),
		MessageGroupId:         batches.OptString(m.GroupID),
		MessageDeduplicationId: batches.OptString(m.DeduplicationID),
	}
}

// checkOutgoing validates one entry against the rule book of SQS, so
// that a bad entry fails alone and at once. Whether a FIFO queue
// deduplicates by content is not known here: SQS itself checks that.
func (q *Queue) checkOutgoing(m transport.Outgoing, limit int) error {
	if err := transport.CheckSend(m, transport.SendRules{MaxSize: limit, FIFO: q.fifo, ContentDeduplication: true}); err != nil {
		return fmt.Errorf("sqs: %w", err)
	}
	return nil
}

// receiveMargin is how much longer than its wait a receive may take, for
// the SDK's retries (two backoffs of at most 2 and 4 seconds) and round
// trips, before it is abandoned.
const receiveMargin = 10 * time.Second

// Receive receives up to req.MaxMessages messages, waiting up to
// req.WaitTime (rounded up to whole seconds, as SQS counts it) for the
// first to arrive. A zero WaitTime does not wait, whatever the queue's
// ReceiveMessageWaitTimeSeconds. It asks for every system and message
// attribute. A call that has no answer 10 seconds after its wait, because
// the network lost the request or the answer, fails with
// context.DeadlineExceeded: the messages the server took for it, if any,
// come back when their visibility timeout ends.
//
// Cancelling ctx aborts a long poll at once, and SQS may already have
// taken messages for the aborted call: they stay invisible until their
// visibility timeout ends. Callers that must not strand messages (a
// consumer shutting down) let the last poll finish with a context that is
// not cancelled, or use a short WaitTime.
func (q *Queue) Receive(ctx context.Context, req transport.ReceiveRequest) ([]transport.Message, error) {
	n := req.MaxMessages
	if n == 0 {
		n = 1
	}
	if err := transport.CheckReceive(req); err != nil {
		return nil, fmt.Errorf("sqs: Receive: %w", err)
	}
	in := &awssqs.ReceiveMessageInput{
		QueueUrl:                    aws.String(q.url),
		MaxNumberOfMessages:         int32(n),
		WaitTimeSeconds:             seconds(req.WaitTime),
		VisibilityTimeout:           seconds(req.VisibilityTimeout),
		MessageSystemAttributeNames: []types.MessageSystemAttributeName{types.MessageSystemAttributeNameAll},
		MessageAttributeNames:       []string{"All"},
	}
	var optFns []func(*awssqs.Options)
	if in.WaitTimeSeconds == 0 {
		optFns = append(optFns, withShortPoll)
	}
	// The SDK's HTTP client sets no timeout: a long poll whose answer the
	// network loses would wait forever, and its caller with it.
	ctx, cancel := context.WithTimeout(ctx, time.Duration(in.WaitTimeSeconds)*time.Second+receiveMargin)
	defer cancel()
	out, err := q.client.ReceiveMessage(ctx, in, optFns...)
	if err != nil {
		return nil, wrapErr("ReceiveMessage", err)
	}
	msgs := make([]transport.Message, 0, len(out.Messages))
	for _, m := range out.Messages {
		msgs = append(msgs, fromSQSMessage(m))
	}
	return msgs, nil
}

// Delete deletes received messages with DeleteMessageBatch. A handle that
// SQS does not accept fails with an error wrapping
// [transport.ErrReceiptInvalid] (and the *[transport.EntryError] SQS
// returned).
func (q *Queue) Delete(ctx context.Context, receiptHandles []string) ([]error, error) {
	if err := checkBatch("Delete", len(receiptHandles)); err != nil {
		return nil, err
	}
	errs := make([]error, len(receiptHandles))
	in := &awssqs.DeleteMessageBatchInput{QueueUrl: aws.String(q.url)}
	var sent []int
	for i, h := range receiptHandles {
		if h == "" {
			errs[i] = fmt.Errorf("sqs: Delete: empty receipt handle: %w", transport.ErrReceiptInvalid)
			continue
		}
		sent = append(sent, i)
		in.Entries = append(in.Entries, types.DeleteMessageBatchRequestEntry{
			Id:            batches.ID(i),
			ReceiptHandle: aws.String(h),
		})
	}
	if len(sent) == 0 {
		return errs, nil
	}
	out, err := q.client.DeleteMessageBatch(ctx, in)
	if err != nil {
		return nil, wrapErr("DeleteMessageBatch", err)
	}
	fillEntryErrors(errs, sent, out.Successful, out.Failed, func(e types.DeleteMessageBatchResultEntry) *string { return e.Id }, "DeleteMessageBatch")
	return errs, nil
}

// ChangeVisibility changes the visibility timeout of received messages
// with ChangeMessageVisibilityBatch, with timeouts rounded up to whole
// seconds. Errors follow the convention of [Queue.Delete].
func (q *Queue) ChangeVisibility(ctx context.Context, changes []transport.VisibilityChange) ([]error, error) {
	if err := checkBatch("ChangeVisibility", len(changes)); err != nil {
		return nil, err
	}
	errs := make([]error, len(changes))
	in := &awssqs.ChangeMessageVisibilityBatchInput{QueueUrl: aws.String(q.url)}
	var sent []int
	for i, c := range changes {
		if c.ReceiptHandle == "" {
			errs[i] = fmt.Errorf("sqs: ChangeVisibility: empty receipt handle: %w", transport.ErrReceiptInvalid)
			continue
		}
		if err := transport.CheckVisibilityTimeout(c.Timeout); err != nil {
			errs[i] = fmt.Errorf("sqs: ChangeVisibility: %w", err)
			continue
		}
		sent = append(sent, i)
		in.Entries = append(in.Entries, types.ChangeMessageVisibilityBatchRequestEntry{
			Id:                batches.ID(i),
			ReceiptHandle:     aws.String(c.ReceiptHandle),
			VisibilityTimeout: seconds(c.Timeout),
		})
	}
	if len(sent) == 0 {
		return errs, nil
	}
	out, err := q.client.ChangeMessageVisibilityBatch(ctx, in)
	if err != nil {
		return nil, wrapErr("ChangeMessageVisibilityBatch", err)
	}
	fillEntryErrors(errs, sent, out.Successful, out.Failed, func(e types.ChangeMessageVisibilityBatchResultEntry) *string { return e.Id }, "ChangeMessageVisibilityBatch")
	return errs, nil
}

// fillEntryErrors records the per-entry outcome of a Delete or
// ChangeVisibility batch in errs; an entry SQS reported neither way is an
// error too, so that no failure passes for success.
func fillEntryErrors[S any](errs []error, sent []int, ok []S, failed []types.BatchResultErrorEntry, id func(S) *string, op string) {
	answer := batches.NewAnswer(sent)
	for _, e := range ok {
		answer.Entry(id(e))
	}
	for _, e := range failed {
		if i, found := answer.Entry(e.Id); found {
			errs[i] = entryErr(aws.ToString(e.Code), aws.ToString(e.Message), e.SenderFault, true)
		}
	}
	for _, i := range answer.Unanswered() {
		errs[i] = fmt.Errorf("sqs: %s: no result for entry %d", op, i)
	}
}

func checkBatch(op string, n int) error {
	if err := transport.CheckBatchSize(n); err != nil {
		return fmt.Errorf("sqs: %s: %w", op, err)
	}
	return nil
}

// seconds converts a duration to whole seconds, rounding up so that a
// wait or an invisibility is never shorter than asked.
func seconds(d time.Duration) int32 {
	if d <= 0 {
		return 0
	}
	s := (d + time.Second - 1) / time.Second
	if s > math.MaxInt32 {
		return math.MaxInt32
	}
	return int32(s)
}

func toSQSAttributes(attrs map[string]transport.Attribute) map[string]types.MessageAttributeValue {
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

func fromSQSMessage(m types.Message) transport.Message {
	msg := transport.Message{
		ID:              aws.ToString(m.MessageId),
		ReceiptHandle:   aws.ToString(m.ReceiptHandle),
		Body:            aws.ToString(m.Body),
		System:          m.Attributes,
		GroupID:         m.Attributes[string(types.MessageSystemAttributeNameMessageGroupId)],
		DeduplicationID: m.Attributes[string(types.MessageSystemAttributeNameMessageDeduplicationId)],
		SequenceNumber:  m.Attributes[string(types.MessageSystemAttributeNameSequenceNumber)],
	}
	if n, err := strconv.Atoi(m.Attributes[string(types.MessageSystemAttributeNameApproximateReceiveCount)]); err == nil {
		msg.ReceiveCount = n
	}
	if ms, err := strconv.ParseInt(m.Attributes[string(types.MessageSystemAttributeNameSentTimestamp)], 10, 64); err == nil {
		msg.SentAt = time.UnixMilli(ms).UTC()
	}
	if len(m.MessageAttributes) > 0 {
		msg.Attributes = make(map[string]transport.Attribute, len(m.MessageAttributes))
		for k, v := range m.MessageAttributes {
			msg.Attributes[k] = transport.Attribute{
				DataType:    aws.ToString(v.DataType),
				StringValue: aws.ToString(v.StringValue),
				BinaryValue: v.BinaryValue,
			}
		}
	}
	return msg
}
