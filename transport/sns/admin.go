package sns

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	awssns "github.com/aws/aws-sdk-go-v2/service/sns"
	awssqs "github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/sqs-mega/sqs-mega-go/transport"
)

// AdminAPI is the part of the SNS client that the topic administration
// helpers use. *sns.Client implements it and is safe for concurrent use.
type AdminAPI interface {
	CreateTopic(ctx context.Context, in *awssns.CreateTopicInput, optFns ...func(*awssns.Options)) (*awssns.CreateTopicOutput, error)
	DeleteTopic(ctx context.Context, in *awssns.DeleteTopicInput, optFns ...func(*awssns.Options)) (*awssns.DeleteTopicOutput, error)
	Subscribe(ctx context.Context, in *awssns.SubscribeInput, optFns ...func(*awssns.Options)) (*awssns.SubscribeOutput, error)
	Unsubscribe(ctx context.Context, in *awssns.UnsubscribeInput, optFns ...func(*awssns.Options)) (*awssns.UnsubscribeOutput, error)
}

var _ AdminAPI = (*awssns.Client)(nil)

// QueueAPI is the part of the SQS client that [SubscribeQueue] uses to
// read a queue's ARN and policy and to let the topic send to it.
// *sqs.Client implements it and is safe for concurrent use.
type QueueAPI interface {
	GetQueueAttributes(ctx context.Context, in *awssqs.GetQueueAttributesInput, optFns ...func(*awssqs.Options)) (*awssqs.GetQueueAttributesOutput, error)
	SetQueueAttributes(ctx context.Context, in *awssqs.SetQueueAttributesInput, optFns ...func(*awssqs.Options)) (*awssqs.SetQueueAttributesOutput, error)
}

var _ QueueAPI = (*awssqs.Client)(nil)

// TopicConfig describes a topic for [CreateTopic]. It is a plain value.
type TopicConfig struct {
	// FIFO makes a FIFO topic. Its name must end in ".fifo"; CreateTopic
	// adds the suffix when it is missing. Only FIFO queues can subscribe
	// to it.
	FIFO bool
	// ContentBasedDeduplication lets a FIFO topic deduplicate messages
	// published without a deduplication id by a hash of their body.
	ContentBasedDeduplication bool
	// Attributes sets further topic attributes by their SNS names; the
	// fields above take precedence.
	Attributes map[string]string
}

// CreateTopic creates a topic, or returns the ARN of the topic of that name
// if it exists with the same attributes, and returns its ARN.
func CreateTopic(ctx context.Context, client AdminAPI, name string, cfg TopicConfig) (string, error) {
	if cfg.FIFO && !strings.HasSuffix(name, ".fifo") {
		name += ".fifo"
	}
	if !cfg.FIFO && strings.HasSuffix(name, ".fifo") {
		return "", fmt.Errorf("sns: CreateTopic: %q ends in .fifo but TopicConfig.FIFO is false: %w", name, transport.ErrInvalidRequest)
	}
	if cfg.ContentBasedDeduplication && !cfg.FIFO {
		return "", fmt.Errorf("sns: ContentBasedDeduplication needs a FIFO topic: %w", transport.ErrInvalidRequest)
	}
	attrs := maps.Clone(cfg.Attributes)
	if attrs == nil {
		attrs = make(map[string]string)
	}
	if cfg.FIFO {
		attrs["FifoTopic"] = "true"
	}
	if cfg.ContentBasedDeduplication {
		attrs["ContentBasedDeduplication"] = "true"
	}
	out, err := client.CreateTopic(ctx, &awssns.CreateTopicInput{Name: aws.String(name), Attributes: attrs})
	if err != nil {
		return "", wrapErr("CreateTopic", err)
	}
	return aws.ToString(out.TopicArn), nil
}

// DeleteTopic deletes a topic and its subscriptions. SNS reports no error
// for a topic that does not exist.
func DeleteTopic(ctx context.Context, client AdminAPI, topicARN string) error {
	_, err := client.DeleteTopic(ctx, &awssns.DeleteTopicInput{TopicArn: aws.String(topicARN)})
	return wrapErr("DeleteTopic", err)
}

// Values of [QueueSubscription.FilterPolicyScope].
const (
	// FilterMessageAttributes applies the filter policy to the message
	// attributes (the SNS default).
	FilterMessageAttributes = "MessageAttributes"
	// FilterMessageBody applies the filter policy to the message body,
	// which must then be JSON.
	FilterMessageBody = "MessageBody"
)

// QueueSubscription describes the subscription of an SQS queue to a topic.
// It is a plain value.
type QueueSubscription struct {
	// RawMessageDelivery delivers the published body as the SQS body, and
	// the message attributes as SQS message attributes. Without it the
	// queue receives the SNS envelope: a JSON document with Type,
	// MessageId, TopicArn, Timestamp, Message (the published body) and
	// MessageAttributes.
	RawMessageDelivery bool
	// FilterPolicy, a JSON document, selects the messages delivered; empty
	// means all. A pattern's push-down (SNSFilter of a compiled
	// match.Matcher) gives one, with the scope FilterMessageBody.
	FilterPolicy string
	// FilterPolicyScope is FilterMessageAttributes (default) or
	// FilterMessageBody.
	FilterPolicyScope string
}

// SubscribeQueue subscribes the SQS queue at queueURL to a topic and
// returns the subscription's ARN. It first adds to the queue's access
// policy a statement that lets the topic send to the queue (which AWS
// requires and local servers ignore); statements already there are kept.
// It reads, changes and writes the policy: do not subscribe one queue to
// several topics concurrently.
//
// queues is an SQS client (*sqs.Client of aws-sdk-go-v2) for the queue's
// account and region.
func SubscribeQueue(ctx context.Context, client AdminAPI, queues QueueAPI, topicARN, queueURL string, sub QueueSubscription) (string, error) {
	s, err := Subscribe(ctx, client, queues, topicARN, queueURL, sub)
	return s.ARN, err
}

// Unsubscribe deletes a subscription.
func Unsubscribe(ctx context.Context, client AdminAPI, subscriptionARN string) error {
	_, err := client.Unsubscribe(ctx, &awssns.UnsubscribeInput{SubscriptionArn: aws.String(subscriptionARN)})
	return wrapErr("Unsubscribe", err)
}

// allowTopic adds to the queue's policy a statement allowing the topic to
// send to it, unless one is there already, and returns the queue's ARN
// and whether it wrote the policy.
func allowTopic(ctx context.Context, queues QueueAPI, queueURL, topicARN string) (queueARN string, changed bool, err error) {
	out, err := queues.GetQueueAttributes(ctx, &awssqs.GetQueueAttributesInput{
		QueueUrl:       aws.String(queueURL),
		AttributeNames: []sqstypes.QueueAttributeName{sqstypes.QueueAttributeNameQueueArn, sqstypes.QueueAttributeNamePolicy},
	})
	if err != nil {
		return "", false, wrapQueueErr("GetQueueAttributes", err)
	}
	queueARN = out.Attributes[string(sqstypes.QueueAttributeNameQueueArn)]
	if queueARN == "" {
		return "", false, fmt.Errorf("sns: GetQueueAttributes returned no QueueArn for %s", queueURL)
	}
	policy, changed, err := addTopicStatement(out.Attributes[string(sqstypes.QueueAttributeNamePolicy)], queueARN, topicARN)
	if err != nil || !changed {
		return queueARN, false, err
	}
	_, err = queues.SetQueueAttributes(ctx, &awssqs.SetQueueAttributesInput{
		QueueUrl:   aws.String(queueURL),
		Attributes: map[string]string{string(sqstypes.QueueAttributeNamePolicy): policy},
	})
	if err != nil {
		return "", false, wrapQueueErr("SetQueueAttributes", err)
	}
	return queueARN, true, nil
}

// wrapQueueErr wraps an error of the SQS client, recognising a missing
// queue.
func wrapQueueErr(op string, err error) error {
	var notFound *sqstypes.QueueDoesNotExist
	if errors.As(err, &notFound) {
		return fmt.Errorf("sns: %s: %w: %w", op, transport.ErrQueueNotFound, err)
	}
	return fmt.Errorf("sns: %s: %w", op, err)
}

// addTopicStatement returns the queue policy with a statement that lets
// the topic send to the queue, and whether it had to be added.
func addTopicStatement(policy, queueARN, topicARN string) (string, bool, error) {
	p, changed, err := transport.PolicyAllowingTopic(policy, queueARN, topicARN)
	if err != nil {
		return "", false, fmt.Errorf("sns: %w", err)
	}
	return p, changed, nil
}
