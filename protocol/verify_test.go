package protocol_test

import (
	"errors"
	"reflect"
	"testing"

	"github.com/sqs-mega/sqs-mega-go/protocol"
)

func TestDecoderVerify(t *testing.T) {
	const (
		orders = "arn:aws:sns:us-east-1:123456789012:orders"
		body   = `{"Type": "Notification", "MessageId": "m-1", "TopicArn": "` + orders + `", "Subject": "s",` +
			` "Message": "{\"order\": 7}", "Timestamp": "2021-03-04T05:06:07.890Z", "SignatureVersion": "2",` +
			` "Signature": "c2ln", "SigningCertURL": "https://sns.us-east-1.amazonaws.com/c.pem",` +
			` "UnsubscribeURL": "https://sns.us-east-1.amazonaws.com/?Action=Unsubscribe"}`
		confirmation = `{"Type": "SubscriptionConfirmation", "MessageId": "m-2", "TopicArn": "` + orders + `",` +
			` "Message": "You have chosen to subscribe", "Timestamp": "2021-03-04T05:06:07.890Z", "Token": "tok",` +
			` "SubscribeURL": "https://sns.us-east-1.amazonaws.com/?Action=ConfirmSubscription", "SignatureVersion": "1",` +
			` "Signature": "c2ln", "SigningCertURL": "https://sns.us-east-1.amazonaws.com/c.pem"}`
	)
	var seen []protocol.SNS
	verify := func(ok bool) func(*protocol.SNS) error {
		return func(s *protocol.SNS) error {
			seen = append(seen, *s)
			if !ok {
				return errors.New("bad signature")
			}
			return nil
		}
	}

	// Accepted: unwrapped, with every field verification needs.
	seen = nil
	m, err := (&protocol.Decoder{Verify: verify(true)}).Decode(body)
	if err != nil || m.SNS == nil || m.Kind != protocol.KindData || m.Data["order"] == nil {
		t.Fatalf("verified notification: kind %s, SNS %+v, %v; want it unwrapped", m.Kind, m.SNS, err)
	}
	want := protocol.SNS{
		Type: "Notification", MessageID: "m-1", TopicARN: orders, Subject: "s", Timestamp: "2021-03-04T05:06:07.890Z",
		Message: `{"order": 7}`, SignatureVersion: "2", Signature: "c2ln",
		SigningCertURL: "https://sns.us-east-1.amazonaws.com/c.pem", UnsubscribeURL: "https://sns.us-east-1.amazonaws.com/?Action=Unsubscribe",
	}
	if len(seen) != 1 || !sameSNS(seen[0], want) {
		t.Fatalf("Verify saw %+v\nwant %+v", seen, want)
	}
	m, _ = (&protocol.Decoder{Verify: verify(true)}).Decode(confirmation)
	if m.Kind != protocol.KindNone || m.SNS == nil || m.SNS.Token != "tok" || m.SNS.SubscribeURL == "" || m.SNS.Message != "You have chosen to subscribe" {
		t.Fatalf("verified confirmation: kind %s, SNS %+v", m.Kind, m.SNS)
	}

	// Refused: the envelope is data, as a forged one is.
	for _, b := range []string{body, confirmation} {
		m, err = (&protocol.Decoder{Verify: verify(false)}).Decode(b)
		if err != nil || m.SNS != nil || m.Kind != protocol.KindData || m.Data["TopicArn"] != orders {
			t.Fatalf("refused envelope: kind %s, SNS %+v, %v; want the envelope as data", m.Kind, m.SNS, err)
		}
	}

	// Not asked about envelopes of untrusted topics, nor about other bodies.
	seen = nil
	d := &protocol.Decoder{TopicARNs: []string{orders + "-other"}, Verify: verify(true)}
	for _, b := range []string{body, `{"order": 7}`, "text", `{"Type": "Other", "MessageId": "m", "TopicArn": "t", "Timestamp": "t", "Message": "m"}`} {
		if m, _ := d.Decode(b); m.SNS != nil {
			t.Fatalf("unwrapped %q", b)
		}
	}
	if len(seen) != 0 {
		t.Errorf("Verify called for %d bodies it has no say on", len(seen))
	}
}

func sameSNS(a, b protocol.SNS) bool {
	return reflect.DeepEqual(a, b)
}
