package memory

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/sqs-mega/sqs-mega-go/transport"
)

// FuzzFilterPolicy: parsing any policy and matching any message against
// it never panics, and a policy that parses keeps its verdict when
// parsed again.
func FuzzFilterPolicy(f *testing.F) {
	for _, seed := range []struct{ policy, body string }{
		{`{"store": ["example_corp"], "price": [{"numeric": [">", 0, "<=", 150]}]}`, `{"store": "example_corp", "price": 10}`},
		{`{"a": [{"anything-but": {"prefix": "x"}}], "$or": [{"b": [null]}, {"c": [{"exists": false}]}]}`, `{"a": "y", "b": null}`},
		{`{"order": {"items": {"sku": [{"suffix": "-1"}, {"equals-ignore-case": "X"}]}}}`, `{"order": {"items": [{"sku": "a-1"}]}}`},
		{`{"ip": [{"cidr": "10.0.0.0/8"}]}`, `{"ip": "10.1.2.3"}`},
		{`{"a": [1e400]}`, `{"a": 1e400}`},
		{`[]`, `[]`},
	} {
		f.Add(seed.policy, seed.body, true)
		f.Add(seed.policy, seed.body, false)
	}
	f.Fuzz(func(t *testing.T, policy, body string, bodyScope bool) {
		p, err := parseFilterPolicy(policy, bodyScope)
		if err != nil {
			return
		}
		attrs := map[string]transport.Attribute{
			"a":     transport.StringAttribute(body),
			"store": {DataType: "String.Array", StringValue: body},
			"price": {DataType: "Number", StringValue: body},
		}
		verdict := p.matches(body, attrs)
		again, err := parseFilterPolicy(policy, bodyScope)
		if err != nil {
			t.Fatalf("a policy parsed once and failed the second time: %v", err)
		}
		if again.matches(body, attrs) != verdict {
			t.Fatal("the same policy gave two verdicts on the same message")
		}
	})
}

// FuzzEnvelope: the envelope of any message a topic accepts is valid
// JSON that gives the message, subject and attributes back unchanged.
func FuzzEnvelope(f *testing.F) {
	f.Add("hello", "subject", "value")
	f.Add(`{"json": "\"quoted\"\n<&>"}`, "", "\t\r")
	f.Add("\u2028\u00e9\U0001F680", "x", "\x7f")
	f.Fuzz(func(t *testing.T, message, subject, value string) {
		p := Publication{Message: message, Subject: subject}
		if value != "" {
			p.Attributes = map[string]transport.Attribute{"k": transport.StringAttribute(value)}
		}
		tp := &Topic{arn: topicARN("t"), maxSize: transport.MaxBodySize}
		if tp.check(&p) != nil {
			return
		}
		n := &notification{Publication: p, messageID: newUUID(), timestamp: time.Unix(0, 0), signature: signature()}
		sub := &Subscription{arn: tp.arn + ":" + newUUID(), topic: tp}
		body := appendEnvelope(nil, n, sub)
		var env struct {
			Message, Subject  string
			MessageAttributes map[string]struct{ Type, Value string }
		}
		if err := json.Unmarshal(body, &env); err != nil {
			t.Fatalf("invalid JSON: %v\n%s", err, body)
		}
		if env.Message != message || env.Subject != subject {
			t.Fatalf("got message %q, subject %q back; want %q, %q", env.Message, env.Subject, message, subject)
		}
		if value != "" && env.MessageAttributes["k"].Value != value {
			t.Fatalf("attribute value %q came back as %q", value, env.MessageAttributes["k"].Value)
		}
		if len(body) > 0 && !validText(string(body)) {
			t.Fatal("the envelope holds characters SQS refuses")
		}
	})
}
