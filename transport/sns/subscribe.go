package sns

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	awssns "github.com/aws/aws-sdk-go-v2/service/sns"

	"github.com/sqs-mega/sqs-mega-go/transport"
)

// Subscription is what [Subscribe] set up. It is a plain value.
type Subscription struct {
	// ARN is the subscription's ARN.
	ARN      string
	TopicARN string
	QueueURL string
	QueueARN string
	// PolicyChanged reports whether the queue's access policy was written:
	// false when it already let the topic send.
	PolicyChanged bool
	// Attributes are the subscription attributes set (RawMessageDelivery,
	// FilterPolicy, FilterPolicyScope), by their SNS names.
	Attributes map[string]string
}

// TopicAPI is implemented by SNS clients that can read a topic's
// attributes, as *sns.Client can. [Subscribe] uses it, when the client
// has it, to check that the topic exists before it changes the queue's
// policy.
type TopicAPI interface {
	GetTopicAttributes(ctx context.Context, in *awssns.GetTopicAttributesInput, optFns ...func(*awssns.Options)) (*awssns.GetTopicAttributesOutput, error)
}

var _ TopicAPI = (*awssns.Client)(nil)

// Subscribe subscribes the SQS queue at queueURL to a topic the way a
// working setup needs it, and returns what it set. It first checks that
// the topic exists (when client implements [TopicAPI]), then adds to the
// queue's access policy a statement that lets the topic send to the queue
// (a statement for the service sns.amazonaws.com with an aws:SourceArn
// condition naming the topic), unless the policy lets it already; AWS
// needs it to deliver, and a consumer trusts the SNS envelopes of exactly
// the topics the policy allows. Then it subscribes the queue with the
// subscription's raw delivery and filter policy.
//
// It reads, changes and writes the queue's policy: do not subscribe one
// queue to several topics concurrently. queues is an SQS client
// (*sqs.Client of aws-sdk-go-v2) for the queue's account and region. A
// topic that does not exist is an error wrapping
// [transport.ErrQueueNotFound] that names the topic.
func Subscribe(ctx context.Context, client AdminAPI, queues QueueAPI, topicARN, queueURL string, sub QueueSubscription) (Subscription, error) {
	if _, err := parseTopicARN(topicARN); err != nil {
		return Subscription{}, err
	}
	attrs := map[string]string{}
	if sub.RawMessageDelivery {
		// Set only when true: moto takes any value given to Subscribe,
		// "false" included, as true.
		attrs["RawMessageDelivery"] = "true"
	}
	if sub.FilterPolicy != "" {
		if !json.Valid([]byte(sub.FilterPolicy)) {
			return Subscription{}, fmt.Errorf("sns: FilterPolicy is not JSON: %w", transport.ErrInvalidRequest)
		}
		attrs["FilterPolicy"] = sub.FilterPolicy
	}
	switch sub.FilterPolicyScope {
	case "":
	case FilterMessageAttributes, FilterMessageBody:
		if sub.FilterPolicy == "" {
			return Subscription{}, fmt.Errorf("sns: FilterPolicyScope without a FilterPolicy: %w", transport.ErrInvalidRequest)
		}
		attrs["FilterPolicyScope"] = sub.FilterPolicyScope
	default:
		return Subscription{}, fmt.Errorf("sns: FilterPolicyScope %q: want %q or %q: %w", sub.FilterPolicyScope, FilterMessageAttributes, FilterMessageBody, transport.ErrInvalidRequest)
	}

	if t, ok := client.(TopicAPI); ok {
		if _, err := t.GetTopicAttributes(ctx, &awssns.GetTopicAttributesInput{TopicArn: aws.String(topicARN)}); err != nil {
			return Subscription{}, topicErr("GetTopicAttributes", topicARN, err)
		}
	}
	queueARN, changed, err := allowTopic(ctx, queues, queueURL, topicARN)
	if err != nil {
		return Subscription{}, err
	}
	out, err := client.Subscribe(ctx, &awssns.SubscribeInput{
		TopicArn:              aws.String(topicARN),
		Protocol:              aws.String("sqs"),
		Endpoint:              aws.String(queueARN),
		Attributes:            attrs,
		ReturnSubscriptionArn: true,
	})
	if err != nil {
		return Subscription{}, topicErr("Subscribe", topicARN, err)
	}
	return Subscription{
		ARN:           aws.ToString(out.SubscriptionArn),
		TopicARN:      topicARN,
		QueueURL:      queueURL,
		QueueARN:      queueARN,
		PolicyChanged: changed,
		Attributes:    attrs,
	}, nil
}

// topicErr wraps an error of a request about a topic, naming the topic
// when it does not exist.
func topicErr(op, topicARN string, err error) error {
	err = wrapErr(op, err)
	if errors.Is(err, transport.ErrQueueNotFound) {
		return fmt.Errorf("sns: topic %s does not exist: %w", topicARN, err)
	}
	return err
}
