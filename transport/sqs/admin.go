package sqs

import (
	"context"
	"fmt"
	"maps"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awssqs "github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/sqs-mega/sqs-mega-go/transport"
)

// AdminAPI is the part of the SQS client that the queue administration
// helpers use. *sqs.Client implements it and is safe for concurrent use.
type AdminAPI interface {
	CreateQueue(ctx context.Context, in *awssqs.CreateQueueInput, optFns ...func(*awssqs.Options)) (*awssqs.CreateQueueOutput, error)
	DeleteQueue(ctx context.Context, in *awssqs.DeleteQueueInput, optFns ...func(*awssqs.Options)) (*awssqs.DeleteQueueOutput, error)
	GetQueueUrl(ctx context.Context, in *awssqs.GetQueueUrlInput, optFns ...func(*awssqs.Options)) (*awssqs.GetQueueUrlOutput, error)
	GetQueueAttributes(ctx context.Context, in *awssqs.GetQueueAttributesInput, optFns ...func(*awssqs.Options)) (*awssqs.GetQueueAttributesOutput, error)
	SetQueueAttributes(ctx context.Context, in *awssqs.SetQueueAttributesInput, optFns ...func(*awssqs.Options)) (*awssqs.SetQueueAttributesOutput, error)
}

var _ AdminAPI = (*awssqs.Client)(nil)

// QueueConfig describes a queue for [CreateQueue]. Zero fields keep the
// SQS defaults. It is a plain value, read but never changed by the
// functions it is passed to.
type QueueConfig struct {
	// FIFO makes a FIFO queue. Its name must end in ".fifo"; CreateQueue
	// adds the suffix when it is missing.
	FIFO bool
	// ContentBasedDeduplication lets a FIFO queue deduplicate messages
	// sent without a deduplication id by a hash of their body.
	ContentBasedDeduplication bool
	// VisibilityTimeout is the queue's default visibility timeout (SQS:
	// 30s), in whole seconds.
	VisibilityTimeout time.Duration
	// MessageRetention is how long SQS keeps a message (SQS: 4 days).
	MessageRetention time.Duration
	// MaxMessageSize is the queue's MaximumMessageSize in bytes (SQS: 1 MiB).
	MaxMessageSize int
	// Delay postpones the delivery of every message (DelaySeconds; at most
	// 15 minutes).
	Delay time.Duration
	// DeadLetter, when its target is set, is the queue's redrive policy.
	// The target is an ARN: see [QueueARN].
	DeadLetter RedrivePolicy
	// Policy, when not empty, is the queue's access policy, a JSON IAM
	// policy document. [AllowTopic] adds to it the statement an SNS topic
	// needs to deliver to the queue.
	Policy string
	// Attributes sets further queue attributes by their SQS names; the
	// fields above take precedence.
	Attributes map[string]string
}

func (c QueueConfig) attributes() (map[string]string, error) {
	attrs := maps.Clone(c.Attributes)
	if attrs == nil {
		attrs = make(map[string]string)
	}
	set := func(name types.QueueAttributeName, v string) { attrs[string(name)] = v }
	if c.FIFO {
		set(types.QueueAttributeNameFifoQueue, "true")
	}
	if c.ContentBasedDeduplication {
		if !c.FIFO {
			return nil, fmt.Errorf("sqs: ContentBasedDeduplication needs a FIFO queue: %w", transport.ErrInvalidRequest)
		}
		set(types.QueueAttributeNameContentBasedDeduplication, "true")
	}
	if c.VisibilityTimeout < 0 || c.VisibilityTimeout > transport.MaxVisibilityTimeout {
		return nil, fmt.Errorf("sqs: VisibilityTimeout %v out of range: %w", c.VisibilityTimeout, transport.ErrInvalidRequest)
	}
	if c.VisibilityTimeout > 0 {
		set(types.QueueAttributeNameVisibilityTimeout, strconv.Itoa(int(seconds(c.VisibilityTimeout))))
	}
	if c.Delay < 0 || c.Delay > transport.MaxDelay {
		return nil, fmt.Errorf("sqs: Delay %v out of range: %w", c.Delay, transport.ErrInvalidRequest)
	}
	if c.Delay > 0 {
		set(types.QueueAttributeNameDelaySeconds, strconv.Itoa(int(seconds(c.Delay))))
	}
	if c.MessageRetention > 0 {
		set(types.QueueAttributeNameMessageRetentionPeriod, strconv.Itoa(int(seconds(c.MessageRetention))))
	}
	if c.MaxMessageSize > 0 {
		set(types.QueueAttributeNameMaximumMessageSize, strconv.Itoa(c.MaxMessageSize))
	}
	if c.Policy != "" {
		if _, _, err := transport.SNSTopicsFromPolicy(c.Policy); err != nil {
			return nil, fmt.Errorf("sqs: Policy: %w: %w", transport.ErrInvalidRequest, err)
		}
		set(types.QueueAttributeNamePolicy, c.Policy)
	}
	if c.DeadLetter.DeadLetterTargetARN != "" {
		if c.DeadLetter.MaxReceiveCount < 1 {
			return nil, fmt.Errorf("sqs: redrive policy needs MaxReceiveCount >= 1: %w", transport.ErrInvalidRequest)
		}
		set(types.QueueAttributeNameRedrivePolicy, c.DeadLetter.marshal())
	}
	return attrs, nil
}

// CreateQueue creates a queue, or returns the URL of the queue of that name
// if it exists with the same attributes, and returns its URL.
func CreateQueue(ctx context.Context, client AdminAPI, name string, cfg QueueConfig) (string, error) {
	if cfg.FIFO && !strings.HasSuffix(name, ".fifo") {
		name += ".fifo"
	}
	if !cfg.FIFO && strings.HasSuffix(name, ".fifo") {
		return "", fmt.Errorf("sqs: CreateQueue: %q ends in .fifo but QueueConfig.FIFO is false: %w", name, transport.ErrInvalidRequest)
	}
	attrs, err := cfg.attributes()
	if err != nil {
		return "", err
	}
	out, err := client.CreateQueue(ctx, &awssqs.CreateQueueInput{QueueName: aws.String(name), Attributes: attrs})
	if err != nil {
		return "", wrapErr("CreateQueue", err)
	}
	return aws.ToString(out.QueueUrl), nil
}

// DeleteQueue deletes the queue at queueURL and the messages in it. A queue
// that does not exist is an error wrapping [transport.ErrQueueNotFound].
func DeleteQueue(ctx context.Context, client AdminAPI, queueURL string) error {
	_, err := client.DeleteQueue(ctx, &awssqs.DeleteQueueInput{QueueUrl: aws.String(queueURL)})
	return wrapErr("DeleteQueue", err)
}

// QueueURL returns the URL of the queue called name in the caller's
// account, or an error wrapping [transport.ErrQueueNotFound].
func QueueURL(ctx context.Context, client AdminAPI, name string) (string, error) {
	out, err := client.GetQueueUrl(ctx, &awssqs.GetQueueUrlInput{QueueName: aws.String(name)})
	if err != nil {
		return "", wrapErr("GetQueueUrl", err)
	}
	return aws.ToString(out.QueueUrl), nil
}

// QueueURLFromARN returns the URL of the queue with the given ARN, which may
// belong to another account.
func QueueURLFromARN(ctx context.Context, client AdminAPI, queueARN string) (string, error) {
	return queueURLFromARN(ctx, client, queueARN)
}

// QueueARN returns the ARN of the queue at queueURL, as redrive policies
// and SNS subscriptions name it.
func QueueARN(ctx context.Context, client AdminAPI, queueURL string) (string, error) {
	out, err := client.GetQueueAttributes(ctx, &awssqs.GetQueueAttributesInput{
		QueueUrl:       aws.String(queueURL),
		AttributeNames: []types.QueueAttributeName{types.QueueAttributeNameQueueArn},
	})
	if err != nil {
		return "", wrapErr("GetQueueAttributes", err)
	}
	a := out.Attributes[string(types.QueueAttributeNameQueueArn)]
	if a == "" {
		return "", fmt.Errorf("sqs: GetQueueAttributes returned no QueueArn for %s", queueURL)
	}
	return a, nil
}

// SetRedrivePolicy sets (or, with an empty target, removes) the redrive
// policy of the queue at queueURL.
func SetRedrivePolicy(ctx context.Context, client AdminAPI, queueURL string, p RedrivePolicy) error {
	v := ""
	if p.DeadLetterTargetARN != "" {
		if p.MaxReceiveCount < 1 {
			return fmt.Errorf("sqs: redrive policy needs MaxReceiveCount >= 1: %w", transport.ErrInvalidRequest)
		}
		v = p.marshal()
	}
	_, err := client.SetQueueAttributes(ctx, &awssqs.SetQueueAttributesInput{
		QueueUrl:   aws.String(queueURL),
		Attributes: map[string]string{string(types.QueueAttributeNameRedrivePolicy): v},
	})
	return wrapErr("SetQueueAttributes", err)
}

// SetPolicy sets (or, with an empty policy, removes) the access policy of
// the queue at queueURL: a JSON IAM policy document. A policy that is not
// one is an error wrapping [transport.ErrInvalidRequest], found before
// any request is made.
func SetPolicy(ctx context.Context, client AdminAPI, queueURL, policy string) error {
	if _, _, err := transport.SNSTopicsFromPolicy(policy); err != nil {
		return fmt.Errorf("sqs: SetPolicy: %w: %w", transport.ErrInvalidRequest, err)
	}
	_, err := client.SetQueueAttributes(ctx, &awssqs.SetQueueAttributesInput{
		QueueUrl:   aws.String(queueURL),
		Attributes: map[string]string{string(types.QueueAttributeNamePolicy): policy},
	})
	return wrapErr("SetQueueAttributes", err)
}

// AllowTopic lets the SNS topic topicARN send to the queue at queueURL, as
// SNS needs before it can deliver to the queue: it adds to the queue's
// access policy a statement allowing sqs:SendMessage to the service
// sns.amazonaws.com on the condition that aws:SourceArn is the topic (see
// [transport.PolicyAllowingTopic]), unless the policy already allows the
// topic. The other statements are kept. changed reports whether the
// policy was written. It reads, changes and writes the policy: do not
// allow several topics on one queue concurrently.
//
// A consumer trusts the SNS envelopes of the topics the policy allows
// (SPEC §2), so this is also how a queue comes to trust a topic.
func AllowTopic(ctx context.Context, client AdminAPI, queueURL, topicARN string) (changed bool, err error) {
	out, err := client.GetQueueAttributes(ctx, &awssqs.GetQueueAttributesInput{
		QueueUrl:       aws.String(queueURL),
		AttributeNames: []types.QueueAttributeName{types.QueueAttributeNameQueueArn, types.QueueAttributeNamePolicy},
	})
	if err != nil {
		return false, wrapErr("GetQueueAttributes", err)
	}
	queueARN := out.Attributes[string(types.QueueAttributeNameQueueArn)]
	if queueARN == "" {
		return false, fmt.Errorf("sqs: GetQueueAttributes returned no QueueArn for %s", queueURL)
	}
	policy, changed, err := transport.PolicyAllowingTopic(out.Attributes[string(types.QueueAttributeNamePolicy)], queueARN, topicARN)
	if err != nil || !changed {
		if err != nil {
			err = fmt.Errorf("sqs: AllowTopic: %w", err)
		}
		return false, err
	}
	_, err = client.SetQueueAttributes(ctx, &awssqs.SetQueueAttributesInput{
		QueueUrl:   aws.String(queueURL),
		Attributes: map[string]string{string(types.QueueAttributeNamePolicy): policy},
	})
	if err != nil {
		return false, wrapErr("SetQueueAttributes", err)
	}
	return true, nil
}
