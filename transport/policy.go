package transport

import (
	"encoding/json"
	"fmt"
	"strings"
)

// SNSTopicsFromPolicy reads an SQS queue's access policy (the Policy queue
// attribute, an IAM policy document) and returns the SNS topics it allows
// to send to the queue: the aws:SourceArn values of the conditions of every
// Allow statement whose principal is the SNS service (or anyone) and whose
// actions include sqs:SendMessage. Values may carry the * and ? wildcards
// of ArnLike; [TopicAllowed] applies them.
//
// open reports a statement that lets the SNS service send without naming
// a topic: any topic of any account may then send, so its envelopes prove
// nothing, and no topic is trusted for it. An empty policy allows no
// topic. A policy that is not a JSON policy document is an error.
func SNSTopicsFromPolicy(policy string) (topics []string, open bool, err error) {
	if strings.TrimSpace(policy) == "" {
		return nil, false, nil
	}
	var doc struct {
		Statement json.RawMessage
	}
	if err := json.Unmarshal([]byte(policy), &doc); err != nil {
		return nil, false, fmt.Errorf("transport: queue policy is not a JSON policy document: %w", err)
	}
	var stmts []policyStatement
	switch t := strings.TrimSpace(string(doc.Statement)); {
	case t == "" || t == "null":
	case strings.HasPrefix(t, "["):
		err = json.Unmarshal(doc.Statement, &stmts)
	default:
		var s policyStatement
		err = json.Unmarshal(doc.Statement, &s)
		stmts = []policyStatement{s}
	}
	if err != nil {
		return nil, false, fmt.Errorf("transport: queue policy statement: %w", err)
	}
	seen := map[string]bool{}
	for _, s := range stmts {
		if s.Effect != "Allow" || !s.allowsSend() {
			continue
		}
		sns, anyone := s.principal()
		if !sns && !anyone {
			continue
		}
		arns := s.sourceARNs()
		if len(arns) == 0 {
			// The SNS service may send for any topic; anyone without a
			// condition is not about SNS at all.
			open = open || sns
			continue
		}
		for _, a := range arns {
			if strings.HasPrefix(a, "arn:") && strings.Contains(a, ":sns:") && !seen[a] {
				seen[a] = true
				topics = append(topics, a)
			}
		}
	}
	return topics, open, nil
}

type policyStatement struct {
	Effect    string
	Principal json.RawMessage
	Action    json.RawMessage
	Condition map[string]map[string]json.RawMessage
}

// strings reads a JSON string or array of strings.
func stringsOf(raw json.RawMessage) []string {
	var one string
	if json.Unmarshal(raw, &one) == nil {
		return []string{one}
	}
	var many []string
	if json.Unmarshal(raw, &many) == nil {
		return many
	}
	return nil
}

func (s policyStatement) allowsSend() bool {
	for _, a := range stringsOf(s.Action) {
		switch strings.ToLower(a) {
		case "*", "sqs:*", "sqs:sendmessage":
			return true
		}
	}
	return false
}

// principal reports whether the statement names the SNS service, or anyone.
func (s policyStatement) principal() (sns, anyone bool) {
	if ps := stringsOf(s.Principal); len(ps) > 0 {
		return false, ps[0] == "*"
	}
	var m map[string]json.RawMessage
	if json.Unmarshal(s.Principal, &m) != nil {
		return false, false
	}
	for k, v := range m {
		for _, p := range stringsOf(v) {
			switch {
			case k == "Service" && p == "sns.amazonaws.com":
				sns = true
			case k == "AWS" && p == "*":
				anyone = true
			}
		}
	}
	return sns, anyone
}

// sourceARNs returns the values of the aws:SourceArn conditions that
// restrict the statement to those ARNs.
func (s policyStatement) sourceARNs() []string {
	var out []string
	for op, keys := range s.Condition {
		switch strings.ToLower(op) {
		case "arnequals", "arnlike", "stringequals", "stringlike":
		default:
			continue
		}
		for k, v := range keys {
			if strings.EqualFold(k, "aws:SourceArn") {
				out = append(out, stringsOf(v)...)
			}
		}
	}
	return out
}
