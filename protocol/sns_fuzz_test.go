package protocol_test

import (
	"encoding/json"
	"errors"
	"reflect"
	"testing"

	"github.com/sqs-mega/sqs-mega-go/protocol"
)

const pinnedTopic = "arn:aws:sns:us-east-1:123456789012:orders"

// FuzzSNSEnvelope decodes bodies shaped like SNS envelopes, with fuzzed
// fields and a fuzzed (possibly nested) message, and any body at all,
// through decoders with and without pinned topics. Decoding must not
// panic; a pinned decoder must never unwrap an envelope of another topic,
// however the body is written; an envelope of the pinned topic is
// unwrapped exactly as an unpinned decoder unwraps it, into the payload
// its message decodes to.
func FuzzSNSEnvelope(f *testing.F) {
	inner := `{"protocol":"mega","version":1,"event":{"name":"order:placed","timestamp":"2021-03-04T05:06:07Z"}}`
	f.Add("Notification", "m-1", pinnedTopic, "2021-03-04T05:06:07.000Z", inner, "subject", false, `{"a":1}`)
	f.Add("Notification", "m-2", pinnedTopic+"-forged", "2021-03-04T05:06:07.000Z", inner, "", true, "")
	f.Add("SubscriptionConfirmation", "m-3", pinnedTopic, "t", "You have chosen to subscribe", "", false, "null")
	f.Add("UnsubscribeConfirmation", "m-4", "arn:aws:sns:eu-west-1:1:x", "", "", "", true, `"text"`)
	f.Add("Notification", "m-5", pinnedTopic, "t", "eyJhIjoxfQ==", "", false, "eyJhIjoxfQ==")
	f.Add("Other", "", "", "", "{}", "", true, `{"Type":"Notification","MessageId":"m","TopicArn":"`+pinnedTopic+`","Timestamp":"t","Message":"{}"}`)
	f.Add("Notification", "m-7", pinnedTopic, "t", inner, "", true, "")
	f.Add("Notification", "m-6", pinnedTopic, "t", "BQAAAAA=", "", false, `{"Type":"Notification","MessageId":"m","TopicArn":"arn:aws:sns:us-east-1:1:other","Timestamp":"t","Message":"{}"}`)
	f.Fuzz(func(t *testing.T, typ, id, topic, timestamp, message, subject string, nest bool, body string) {
		// SNS writes valid UTF-8, as encoding/json does: compare with
		// what the envelope really carries.
		for _, s := range []*string{&typ, &id, &topic, &timestamp, &message, &subject} {
			*s = asJSON(*s)
		}
		pinned := &protocol.Decoder{TopicARNs: []string{pinnedTopic}}
		var open protocol.Decoder
		// A Verify hook that accepts changes nothing; one that refuses
		// leaves every envelope a document.
		accepting := &protocol.Decoder{Verify: func(*protocol.SNS) error { return nil }}
		refusing := &protocol.Decoder{Verify: func(*protocol.SNS) error { return errors.New("forged") }}
		viaOpen, openErr := open.Decode(body)
		if m, err := accepting.Decode(body); !reflect.DeepEqual(m, viaOpen) || (err == nil) != (openErr == nil) {
			t.Fatalf("an accepting Verify hook changed the decoding of %q", body)
		}
		if m, err := refusing.Decode(body); m.SNS != nil || (viaOpen.SNS == nil && !reflect.DeepEqual(m, viaOpen)) {
			t.Fatalf("a refusing Verify hook: SNS %v, %v for %q", m.SNS, err, body)
		}

		// Any body: a pinned decoder unwraps only envelopes of its topic.
		for _, d := range []*protocol.Decoder{pinned, &open} {
			m, err := d.Decode(body)
			checkDecoded(t, body, m, err)
			if d == pinned && m.SNS != nil && m.SNS.TopicARN != pinnedTopic {
				t.Fatalf("pinned decoder unwrapped an envelope of topic %q: %q", m.SNS.TopicARN, body)
			}
		}

		// An envelope built from the fields, its message perhaps an
		// envelope of the pinned topic itself.
		if nest {
			message = envelope(t, "Notification", id+"-inner", pinnedTopic, timestamp, message, subject)
		}
		env := envelope(t, typ, id, topic, timestamp, message, subject)
		viaOpen, openErr = open.Decode(env)
		checkDecoded(t, env, viaOpen, openErr)
		viaPinned, pinnedErr := pinned.Decode(env)
		checkDecoded(t, env, viaPinned, pinnedErr)

		known := typ == "Notification" || typ == "SubscriptionConfirmation" || typ == "UnsubscribeConfirmation"
		if !known {
			if viaOpen.SNS != nil || viaPinned.SNS != nil {
				t.Fatalf("an envelope of type %q was unwrapped", typ)
			}
		}
		if topic != pinnedTopic {
			// A forged envelope is a data payload like any other document.
			if viaPinned.SNS != nil {
				t.Fatalf("pinned decoder unwrapped an envelope of topic %q", topic)
			}
			if viaPinned.Kind != protocol.KindData || viaPinned.Data["Message"] != message {
				t.Fatalf("forged envelope decoded as %s, want the envelope itself as data", viaPinned.Kind)
			}
			return
		}
		// The pinned topic: both decoders agree.
		if !reflect.DeepEqual(viaOpen, viaPinned) || (openErr == nil) != (pinnedErr == nil) {
			t.Fatalf("pinned and unpinned decoders disagree on an envelope of the pinned topic:\n%+v\n%+v", viaOpen, viaPinned)
		}
		if !known {
			return
		}
		if viaPinned.SNS == nil || viaPinned.SNS.MessageID != id || viaPinned.SNS.Type != typ || viaPinned.SNS.Subject != subject {
			t.Fatalf("envelope not unwrapped as written: %+v", viaPinned.SNS)
		}
		if typ != "Notification" {
			if viaPinned.Kind != protocol.KindNone {
				t.Fatalf("a %s carries a payload of kind %s", typ, viaPinned.Kind)
			}
			return
		}
		// The payload is the message decoded as a body, except that SNS
		// does not nest envelopes: an envelope inside is not unwrapped.
		want, wantErr := open.Decode(message)
		if want.SNS != nil {
			// The message is an envelope itself: it must stay a document.
			other := &protocol.Decoder{TopicARNs: []string{want.SNS.TopicARN + "/other"}}
			want, wantErr = other.Decode(message)
		}
		want.SNS = viaPinned.SNS
		if !reflect.DeepEqual(want, viaPinned) || (wantErr == nil) != (pinnedErr == nil) {
			t.Fatalf("payload of the notification differs from its message decoded alone:\n%+v (%v)\n%+v (%v)", viaPinned, pinnedErr, want, wantErr)
		}
	})
}

// asJSON returns s as it reads back from JSON: invalid UTF-8 replaced.
func asJSON(s string) string {
	b, _ := json.Marshal(s)
	var out string
	json.Unmarshal(b, &out)
	return out
}

// envelope writes an SNS notification envelope as SNS does.
func envelope(t *testing.T, typ, id, topic, timestamp, message, subject string) string {
	t.Helper()
	env := map[string]any{
		"Type": typ, "MessageId": id, "TopicArn": topic, "Timestamp": timestamp, "Message": message,
		"SignatureVersion": "1", "Signature": "c2ln", "SigningCertURL": "https://sns.us-east-1.amazonaws.com/cert.pem",
		"MessageAttributes": map[string]any{"k": map[string]string{"Type": "String", "Value": subject}},
	}
	if subject != "" {
		env["Subject"] = subject
	}
	b, err := json.Marshal(env)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// checkDecoded checks what every decoding must satisfy: an error exactly
// for an invalid MEGA payload, and a result that renders as JSON.
func checkDecoded(t *testing.T, body string, m protocol.Message, err error) {
	t.Helper()
	if (err != nil) != (m.Kind == protocol.KindInvalid) {
		t.Fatalf("kind %s with error %v for %q", m.Kind, err, body)
	}
	if _, err := json.Marshal(m); err != nil {
		t.Fatalf("rendering %s of %q: %v", m.Kind, body, err)
	}
}
