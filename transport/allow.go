package transport

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	internalarn "github.com/sqs-mega/sqs-mega-go/internal/arn"
)

// PolicyAllowingTopic returns an SQS queue access policy that lets the SNS
// topic topicARN send to the queue queueARN, as SNS needs to deliver to a
// queue: policy with a statement allowing sqs:SendMessage to the service
// principal sns.amazonaws.com on the condition that aws:SourceArn equals
// the topic. changed is false, and policy is returned as it is, when the
// policy already lets the topic send (as [SNSTopicsFromPolicy] reads it).
// Other statements and fields of the policy are kept; an empty policy
// gets a new document. A policy that is not a JSON policy document is an
// error wrapping [ErrInvalidRequest].
//
// The statement's Sid is derived from the topic ARN, so that adding the
// same topic twice adds one statement.
func PolicyAllowingTopic(policy, queueARN, topicARN string) (newPolicy string, changed bool, err error) {
	topics, open, err := SNSTopicsFromPolicy(policy)
	if err != nil {
		return "", false, fmt.Errorf("%w: %w", ErrInvalidRequest, err)
	}
	if open || TopicAllowed(topics, topicARN) {
		return policy, false, nil
	}
	doc := map[string]json.RawMessage{}
	if policy != "" {
		if err := json.Unmarshal([]byte(policy), &doc); err != nil {
			return "", false, fmt.Errorf("transport: the queue policy is not a JSON object: %w: %w", ErrInvalidRequest, err)
		}
	}
	var statements []json.RawMessage
	if raw, ok := doc["Statement"]; ok && string(raw) != "null" {
		// A single statement may stand alone, without an array.
		if err := json.Unmarshal(raw, &statements); err != nil {
			statements = []json.RawMessage{raw}
		}
	}
	sid := topicStatementID(topicARN)
	for _, st := range statements {
		var s struct{ Sid string }
		if json.Unmarshal(st, &s) == nil && s.Sid == sid {
			// Ours, changed by hand since: leave it to its owner.
			return policy, false, nil
		}
	}
	st, err := json.Marshal(struct {
		Sid       string
		Effect    string
		Principal map[string]string
		Action    string
		Resource  string
		Condition map[string]map[string]string
	}{
		Sid:       sid,
		Effect:    "Allow",
		Principal: map[string]string{"Service": "sns.amazonaws.com"},
		Action:    "sqs:SendMessage",
		Resource:  queueARN,
		Condition: map[string]map[string]string{"ArnEquals": {"aws:SourceArn": topicARN}},
	})
	if err != nil {
		return "", false, err
	}
	statements = append(statements, st)
	if doc["Statement"], err = json.Marshal(statements); err != nil {
		return "", false, err
	}
	if _, ok := doc["Version"]; !ok {
		doc["Version"] = json.RawMessage(`"2012-10-17"`)
	}
	b, err := json.Marshal(doc)
	if err != nil {
		return "", false, err
	}
	return string(b), true, nil
}

// topicStatementID is the Sid of the statement PolicyAllowingTopic adds
// for a topic.
func topicStatementID(topicARN string) string {
	sum := sha256.Sum256([]byte(topicARN))
	return "MegaAllowTopic" + hex.EncodeToString(sum[:8])
}

// TopicAllowed reports whether the topic arn is one of allowed, where an
// allowed entry may use the wildcards * (any run of characters) and ? (one
// character), as the ArnLike condition of a queue policy does. It is the
// rule of protocol.TopicAllowed, for transports.
func TopicAllowed(allowed []string, arn string) bool { return internalarn.Allowed(allowed, arn) }
