package memory

import (
	"encoding/json"
	"github.com/sqs-mega/sqs-mega-go/internal/ids"
	"testing"
	"time"

	"github.com/sqs-mega/sqs-mega-go/transport"
)

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
		n := &notification{Publication: p, messageID: ids.UUID(), timestamp: time.Unix(0, 0), signature: signature()}
		sub := &Subscription{arn: tp.arn + ":" + ids.UUID(), topic: tp}
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
		if len(body) > 0 && !transport.ValidMessageText(string(body)) {
			t.Fatal("the envelope holds characters SQS refuses")
		}
	})
}
