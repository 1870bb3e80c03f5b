package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/sqs-mega/sqs-mega-go/match"
	"github.com/sqs-mega/sqs-mega-go/transport"
	"github.com/sqs-mega/sqs-mega-go/transport/sns"
	"github.com/sqs-mega/sqs-mega-go/transport/sqs"
)

func init() {
	register("subscribe", "subscribe a queue to an SNS topic, with the queue policy and filter it needs", cmdSubscribe)
}

const subscribeHelp = `
Subscribes an SQS queue to an SNS topic the way a working setup needs it,
and prints what it set as one JSON object:

- the queue's access policy gets a statement that lets the topic send to
  the queue (the service sns.amazonaws.com, on the condition that
  aws:SourceArn is the topic), unless it lets it already. AWS delivers
  nothing without it, and consumers trust the SNS envelopes of exactly
  the topics the queue's policy allows;
- with -p, the subscription's filter policy is the part of the pattern SNS
  can evaluate on the message body (as 'mega match --sns-policy' prints
  it), so that messages no subscriber wants are not even delivered; the
  keys left to the consumer are listed. Body filtering needs JSON bodies:
  do not use it for topics that carry BSON or plain text;
- with --raw, raw message delivery: the queue receives the published body
  as it is, without the SNS envelope (and without what the envelope says:
  the topic, the SNS message id and time).

Subscribing again with the same settings changes nothing.

Exit status: 0 when subscribed, 1 if a request failed, 2 for bad usage,
an invalid pattern, or a topic or queue that does not exist.

Example:
  mega subscribe --topic-arn arn:aws:sns:eu-west-1:123456789012:events \
    --queue-url https://sqs.eu-west-1.amazonaws.com/123456789012/users -p '{"domain": "user"}'
`

func cmdSubscribe(ctx context.Context, e *env, args []string) int {
	fs := newFlags(e, "subscribe", "--topic-arn ARN --queue-url URL [-p PATTERN] [--raw] [--endpoint URL] [--region R]", subscribeHelp)
	topicARN := fs.String("topic-arn", "", "the `ARN` of the SNS topic (required)")
	queueURL := fs.String("queue-url", "", "the `URL` of the SQS queue to subscribe (required)")
	pattern := fs.String("p", "", "deliver only what this event pattern may match (an SNS filter policy on the body): JSON text, or @FILE")
	raw := fs.Bool("raw", false, "raw message delivery: the published body, without the SNS envelope")
	var aws awsFlags
	aws.add(fs)
	pos, code, ok := parse(e, fs, args)
	if !ok {
		return code
	}
	usage := usageFunc(e, "subscribe")
	switch {
	case len(pos) > 0:
		return usage("unexpected argument %q", pos[0])
	case *topicARN == "" || *queueURL == "":
		return usage("--topic-arn and --queue-url are required")
	}
	sub := sns.QueueSubscription{RawMessageDelivery: *raw}
	var pushed *match.SNSFilter
	if *pattern != "" {
		f, err := snsFilter(*pattern)
		if err != nil {
			return usage("%v", err)
		}
		pushed = &f
		if f.Policy != nil {
			sub.FilterPolicy, sub.FilterPolicyScope = string(f.Policy), f.Scope
		}
	}
	if err := aws.checkCredentials(ctx); err != nil {
		return usage("%v", err)
	}
	snsClient, err := sns.NewClient(ctx, aws.topicClientOptions(*topicARN)...)
	if err != nil {
		return usage("%v", err)
	}
	// The queue's region is its URL's unless --region says otherwise.
	q, _, err := aws.dialQueue(ctx, *queueURL)
	if err != nil {
		return usage("%v", err)
	}
	sqsClient, err := sqs.NewClient(ctx, aws.queueClientOptions(q.URL())...)
	if err != nil {
		return usage("%v", err)
	}
	s, err := sns.Subscribe(ctx, snsClient, sqsClient, *topicARN, *queueURL, sub)
	if err != nil {
		// The queue was found above: what is missing now is the topic.
		fmt.Fprintf(e.stderr, "mega subscribe: %v\n", topicErr(*topicARN, err))
		if errors.Is(err, transport.ErrQueueNotFound) || errors.Is(err, transport.ErrInvalidRequest) {
			return exitUsage
		}
		return exitFailure
	}
	out := subscribeReport{
		SubscriptionARN:    s.ARN,
		TopicARN:           s.TopicARN,
		QueueURL:           s.QueueURL,
		QueueARN:           s.QueueARN,
		QueuePolicy:        "unchanged: it already lets the topic send",
		RawMessageDelivery: *raw,
	}
	if s.PolicyChanged {
		out.QueuePolicy = "a statement added that lets the topic send (sns.amazonaws.com, aws:SourceArn " + s.TopicARN + ")"
	}
	if pushed != nil {
		out.FilterPolicyScope = sub.FilterPolicyScope
		if sub.FilterPolicy != "" {
			out.FilterPolicy = json.RawMessage(sub.FilterPolicy)
		} else {
			out.FilterPolicyNote = "no part of the pattern can be pushed down: every message is delivered"
		}
		out.Pushed, out.LeftToTheConsumer = pushed.Pushed, pushed.Residual
	}
	b, err := json.MarshalIndent(out, "", "  ")
	if err != nil {
		fmt.Fprintf(e.stderr, "mega subscribe: %v\n", err)
		return exitFailure
	}
	fmt.Fprintf(e.stdout, "%s\n", b)
	return exitOK
}

// subscribeReport is what `mega subscribe` prints.
type subscribeReport struct {
	SubscriptionARN    string              `json:"subscription_arn"`
	TopicARN           string              `json:"topic_arn"`
	QueueURL           string              `json:"queue_url"`
	QueueARN           string              `json:"queue_arn"`
	QueuePolicy        string              `json:"queue_policy"`
	RawMessageDelivery bool                `json:"raw_message_delivery"`
	FilterPolicy       json.RawMessage     `json:"filter_policy,omitempty"`
	FilterPolicyScope  string              `json:"filter_policy_scope,omitempty"`
	FilterPolicyNote   string              `json:"filter_policy_note,omitempty"`
	Pushed             []string            `json:"pushed,omitempty"`
	LeftToTheConsumer  []match.SNSResidual `json:"left_to_the_consumer,omitempty"`
}

// snsFilter compiles a pattern as `mega match --sns-policy` does (an
// event pattern; one that is not an object, a data pattern) and returns
// its push-down.
func snsFilter(text string) (match.SNSFilter, error) {
	b := []byte(text)
	if name, ok := strings.CutPrefix(text, "@"); ok {
		var err error
		if b, err = os.ReadFile(name); err != nil {
			return match.SNSFilter{}, fmt.Errorf("reading the pattern: %w", err)
		}
	}
	var m *match.Matcher
	p, err := match.ParseEvent(b)
	if err == nil {
		m, err = match.Compile(p)
	} else if dp, derr := match.Parse(b); derr == nil && !isObject(b) {
		m, err = match.Compile(dp)
	}
	if err != nil {
		return match.SNSFilter{}, fmt.Errorf("invalid pattern: %w", err)
	}
	return m.SNSFilter(), nil
}
