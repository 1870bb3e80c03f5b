package memory

import (
	"fmt"

	"github.com/sqs-mega/sqs-mega-go/transport"
)

// queuePolicy is a queue's access policy with what it allows SNS: plain
// data, replaced whole, never changed.
type queuePolicy struct {
	text   string
	topics []string // the aws:SourceArn values of statements for SNS
	open   bool     // SNS may send from any topic
}

func parseQueuePolicy(text string) (*queuePolicy, error) {
	topics, open, err := transport.SNSTopicsFromPolicy(text)
	if err != nil {
		return nil, err
	}
	return &queuePolicy{text: text, topics: topics, open: open}, nil
}

// allows reports whether SNS may deliver a message of topic arn to the
// queue under this policy.
func (p *queuePolicy) allows(arn string) bool {
	return p.open || transport.TopicAllowed(p.topics, arn)
}

// Policy returns the queue's access policy, a JSON IAM policy document, or
// "" when it has none. [Queue.Describe] returns it as
// transport.QueueInfo.Policy.
func (q *Queue) Policy() string { return q.loadPolicy().text }

func (q *Queue) loadPolicy() *queuePolicy {
	if p := q.policy.Load(); p != nil {
		return p
	}
	return &queuePolicy{}
}

// SetPolicy sets the queue's access policy (SetQueueAttributes with the
// Policy attribute); "" removes it. A policy that is not a JSON policy
// document fails with transport.ErrInvalidRequest.
//
// As on SQS, a topic delivers to the queue only while the policy lets it:
// an Allow statement for the service sns.amazonaws.com (or anyone) and
// sqs:SendMessage whose aws:SourceArn condition names the topic (ArnLike
// wildcards included), or a statement for sns.amazonaws.com with no such
// condition. [Broker.Subscribe] adds the statement its topic needs, so
// that only a policy set afterwards can take it away. Memory queues read
// statements as [transport.SNSTopicsFromPolicy] does; other conditions,
// Deny statements and principals are not evaluated.
func (q *Queue) SetPolicy(policy string) error {
	p, err := parseQueuePolicy(policy)
	if err != nil {
		return fmt.Errorf("memory: queue %q: %w: %w", q.name, transport.ErrInvalidRequest, err)
	}
	if err := q.alive(); err != nil {
		return err
	}
	q.policyMu.Lock()
	defer q.policyMu.Unlock()
	q.policy.Store(p)
	return nil
}

// allowTopic adds to the queue's policy the statement that lets the topic
// deliver to it, unless the policy already does.
func (q *Queue) allowTopic(topicARN string) error {
	q.policyMu.Lock()
	defer q.policyMu.Unlock()
	text, changed, err := transport.PolicyAllowingTopic(q.loadPolicy().text, q.arn, topicARN)
	if err != nil || !changed {
		return err
	}
	p, err := parseQueuePolicy(text)
	if err != nil {
		return err
	}
	q.policy.Store(p)
	return nil
}
