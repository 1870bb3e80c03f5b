package sqs

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/arn"
	awssqs "github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/sqs-mega/sqs-mega-go/transport"
)

// Describe reads the queue's attributes with GetQueueAttributes. The ARN
// never changes and is remembered; the visibility timeout, maximum message
// size, redrive policy and access policy can, and are read on every call. Unless
// [WithMaxMessageSize] was given, the maximum message size read becomes the
// limit [Queue.Send] checks.
func (q *Queue) Describe(ctx context.Context) (transport.QueueInfo, error) {
	out, err := q.client.GetQueueAttributes(ctx, &awssqs.GetQueueAttributesInput{
		QueueUrl: aws.String(q.url),
		AttributeNames: []types.QueueAttributeName{
			types.QueueAttributeNameQueueArn,
			types.QueueAttributeNameFifoQueue,
			types.QueueAttributeNameVisibilityTimeout,
			types.QueueAttributeNameMaximumMessageSize,
			types.QueueAttributeNameRedrivePolicy,
			types.QueueAttributeNamePolicy,
		},
	})
	if err != nil {
		return transport.QueueInfo{}, wrapErr("GetQueueAttributes", err)
	}
	attrs := out.Attributes
	info := transport.QueueInfo{
		URL:    q.url,
		ARN:    attrs[string(types.QueueAttributeNameQueueArn)],
		FIFO:   q.fifo || attrs[string(types.QueueAttributeNameFifoQueue)] == "true",
		Policy: attrs[string(types.QueueAttributeNamePolicy)],
	}
	if s, ok := attrs[string(types.QueueAttributeNameVisibilityTimeout)]; ok {
		n, err := strconv.Atoi(s)
		if err != nil {
			return transport.QueueInfo{}, fmt.Errorf("sqs: GetQueueAttributes: VisibilityTimeout %q: %w", s, err)
		}
		info.VisibilityTimeout = time.Duration(n) * time.Second
	}
	if s, ok := attrs[string(types.QueueAttributeNameMaximumMessageSize)]; ok {
		n, err := strconv.Atoi(s)
		if err != nil {
			return transport.QueueInfo{}, fmt.Errorf("sqs: GetQueueAttributes: MaximumMessageSize %q: %w", s, err)
		}
		info.MaxMessageSize = n
		if q.opts.maxSize == 0 && n > 0 {
			q.maxSize.Store(int64(n))
		}
	}
	if s := attrs[string(types.QueueAttributeNameRedrivePolicy)]; s != "" {
		rp, err := parseRedrivePolicy(s)
		if err != nil {
			return transport.QueueInfo{}, err
		}
		info.DeadLetterTargetARN = rp.DeadLetterTargetARN
		info.MaxReceiveCount = rp.MaxReceiveCount
	}
	q.mu.Lock()
	if info.ARN != "" {
		q.arn = info.ARN
	}
	q.mu.Unlock()
	return info, nil
}

// ARN returns the queue's ARN, asking SQS the first time only.
func (q *Queue) ARN(ctx context.Context) (string, error) {
	q.mu.Lock()
	a := q.arn
	q.mu.Unlock()
	if a != "" {
		return a, nil
	}
	out, err := q.client.GetQueueAttributes(ctx, &awssqs.GetQueueAttributesInput{
		QueueUrl:       aws.String(q.url),
		AttributeNames: []types.QueueAttributeName{types.QueueAttributeNameQueueArn},
	})
	if err != nil {
		return "", wrapErr("GetQueueAttributes", err)
	}
	a = out.Attributes[string(types.QueueAttributeNameQueueArn)]
	if a == "" {
		return "", fmt.Errorf("sqs: GetQueueAttributes returned no QueueArn for %s", q.url)
	}
	q.mu.Lock()
	q.arn = a
	q.mu.Unlock()
	return a, nil
}

// DeadLetterQueue returns the dead-letter queue named by the queue's
// redrive policy, or (nil, nil) when it has none. The DLQ's URL is found
// with GetQueueUrl from the name and account in its ARN, and remembered.
// The returned queue has the options this queue was made with.
func (q *Queue) DeadLetterQueue(ctx context.Context) (transport.Queue, error) {
	info, err := q.Describe(ctx)
	if err != nil {
		return nil, err
	}
	if info.DeadLetterTargetARN == "" {
		return nil, nil
	}
	target := info.DeadLetterTargetARN
	q.mu.Lock()
	dlq := q.dlqs[target]
	q.mu.Unlock()
	if dlq != nil {
		return dlq, nil
	}
	u, err := queueURLFromARN(ctx, q.client, target)
	if err != nil {
		return nil, err
	}
	o := q.opts
	dlq, err = newQueue(q.client, u, o)
	if err != nil {
		return nil, err
	}
	q.mu.Lock()
	defer q.mu.Unlock()
	if prev := q.dlqs[target]; prev != nil {
		return prev, nil
	}
	if q.dlqs == nil {
		q.dlqs = make(map[string]*Queue)
	}
	q.dlqs[target] = dlq
	return dlq, nil
}

type urlGetter interface {
	GetQueueUrl(ctx context.Context, in *awssqs.GetQueueUrlInput, optFns ...func(*awssqs.Options)) (*awssqs.GetQueueUrlOutput, error)
}

// queueURLFromARN resolves a queue ARN to its URL.
func queueURLFromARN(ctx context.Context, client urlGetter, queueARN string) (string, error) {
	a, err := arn.Parse(queueARN)
	if err != nil || a.Service != "sqs" || a.Resource == "" {
		return "", fmt.Errorf("sqs: %q is not a queue ARN: %w", queueARN, transport.ErrInvalidRequest)
	}
	in := &awssqs.GetQueueUrlInput{QueueName: aws.String(a.Resource)}
	if a.AccountID != "" {
		in.QueueOwnerAWSAccountId = aws.String(a.AccountID)
	}
	out, err := client.GetQueueUrl(ctx, in)
	if err != nil {
		return "", wrapErr("GetQueueUrl", err)
	}
	return aws.ToString(out.QueueUrl), nil
}

// RedrivePolicy is a queue's redrive policy: after MaxReceiveCount
// receives, SQS moves a message to the dead-letter queue. It is a plain
// value.
type RedrivePolicy struct {
	DeadLetterTargetARN string
	MaxReceiveCount     int
}

// parseRedrivePolicy reads the RedrivePolicy attribute, whose
// maxReceiveCount SQS writes as a number or a string depending on how it
// was set.
func parseRedrivePolicy(s string) (RedrivePolicy, error) {
	var raw struct {
		DeadLetterTargetArn string          `json:"deadLetterTargetArn"`
		MaxReceiveCount     json.RawMessage `json:"maxReceiveCount"`
	}
	if err := json.Unmarshal([]byte(s), &raw); err != nil {
		return RedrivePolicy{}, fmt.Errorf("sqs: RedrivePolicy %q: %w", s, err)
	}
	rp := RedrivePolicy{DeadLetterTargetARN: raw.DeadLetterTargetArn}
	if len(raw.MaxReceiveCount) > 0 {
		text := string(raw.MaxReceiveCount)
		if unq, err := strconv.Unquote(text); err == nil {
			text = unq
		}
		n, err := strconv.Atoi(text)
		if err != nil {
			return RedrivePolicy{}, fmt.Errorf("sqs: RedrivePolicy maxReceiveCount %s: %w", raw.MaxReceiveCount, err)
		}
		rp.MaxReceiveCount = n
	}
	return rp, nil
}

func (p RedrivePolicy) marshal() string {
	b, _ := json.Marshal(struct {
		DeadLetterTargetArn string `json:"deadLetterTargetArn"`
		MaxReceiveCount     string `json:"maxReceiveCount"`
	}{p.DeadLetterTargetARN, strconv.Itoa(p.MaxReceiveCount)})
	return string(b)
}
