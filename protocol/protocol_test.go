package protocol_test

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/sqs-mega/sqs-mega-go/codec"
	"github.com/sqs-mega/sqs-mega-go/protocol"
)

func TestParseTimestamp(t *testing.T) {
	tests := []struct {
		in   string
		want string // RFC 3339, or "" for an error
	}{
		{"2020-05-04T15:53:27.823", "2020-05-04T15:53:27.823Z"},
		{"2020-05-04 15:53", "2020-05-04T15:53:00Z"},
		{"2020-05-04T15:53:27Z", "2020-05-04T15:53:27Z"},
		{"2021-03-04 05:06:07.5-0300", "2021-03-04T05:06:07.5-03:00"},
		{"2021-03-04T05:06:07+05:30", "2021-03-04T05:06:07+05:30"},
		{"2020-05-04T15:53:27.1234567891", "2020-05-04T15:53:27.123456789Z"},
		{"2020-05-04", ""},
		{"20200504T155327", ""},
		{"2021-02-30T05:06:07Z", ""},
		{"2020-05-04T24:00:00", ""},
		{"2020-05-04T15:53:27.", ""},
		{"2020-05-04T15:53:27+05", ""},
		{"2020-05-04T15:53:27z", ""},
		{"2020-5-4T15:53:27", ""},
		{"2020-05-04T15:53:27Z trailing", ""},
		{"", ""},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := protocol.ParseTimestamp(tt.in)
			if tt.want == "" {
				if err == nil {
					t.Fatalf("got %v, want an error", got)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if s := got.Format(time.RFC3339Nano); s != tt.want {
				t.Errorf("got %s, want %s", s, tt.want)
			}
		})
	}
}

func TestFormatTimestampRoundTrips(t *testing.T) {
	for _, ts := range []time.Time{
		time.Date(2020, 5, 4, 15, 53, 27, 823_000_000, time.UTC),
		time.Date(2020, 5, 4, 15, 53, 27, 0, time.FixedZone("", -3*3600)),
		time.Date(2020, 5, 4, 15, 53, 27, 123_456_789, time.FixedZone("", 5*3600+1800)),
	} {
		s := protocol.FormatTimestamp(ts)
		got, err := protocol.ParseTimestamp(s)
		if err != nil {
			t.Fatalf("%s: %v", s, err)
		}
		if !got.Equal(ts.Truncate(time.Microsecond)) {
			t.Errorf("%s parsed to %v, want %v", s, got, ts)
		}
		if _, off := got.Zone(); off != func() int { _, o := ts.Zone(); return o }() {
			t.Errorf("%s lost its offset", s)
		}
	}
}

func TestDecodeKinds(t *testing.T) {
	bsonDoc := func(doc map[string]any) string {
		b, err := codec.EncodeBSON(doc)
		if err != nil {
			t.Fatal(err)
		}
		return base64.StdEncoding.EncodeToString(b)
	}
	tests := []struct {
		name string
		body string
		want protocol.Kind
	}{
		{"empty body is text", "", protocol.KindText},
		{"number is text", "42", protocol.KindText},
		{"array is text", "[1]", protocol.KindText},
		{"object is data", `{"a":1}`, protocol.KindData},
		{"BSON is data", bsonDoc(map[string]any{"a": "b"}), protocol.KindData},
		{"base64 with a newline is text", "YWJj\nZGVm", protocol.KindText},
		{"base64 with non-zero pad bits is binary", "YR==", protocol.KindBinary},
		{"unpadded base64 is text", "YWJjZA", protocol.KindText},
		{"url-safe base64 is text", "a-_b", protocol.KindText},
		{"protocol with version string is data", `{"protocol":"mega","version":"1","event":{}}`, protocol.KindData},
		{"protocol in another case is data", `{"protocol":"MEGA","version":1}`, protocol.KindData},
		{"version 1.0 is MEGA", `{"protocol":"mega","version":1.0,"event":{"name":"x","timestamp":"2020-01-01T00:00"}}`, protocol.KindMega},
		{"BOM is text", "\ufeff{\"a\":1}", protocol.KindText},
		{"NaN is not JSON", `{"a": NaN}`, protocol.KindText},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, err := protocol.Decode(tt.body)
			if err != nil {
				t.Fatal(err)
			}
			if m.Kind != tt.want {
				t.Errorf("kind %s, want %s", m.Kind, tt.want)
			}
		})
	}
}

func TestDecodeListsEveryProblem(t *testing.T) {
	body := `{"protocol":"mega","version":1,"event":{"name":"","timestamp":"yesterday","version":1.5,"subject":5,"attributes":[]},"object":{"current":{},"previous":"x","id":7},"extra":[1]}`
	m, err := protocol.Decode(body)
	if m.Kind != protocol.KindInvalid {
		t.Fatalf("kind %s, want invalid", m.Kind)
	}
	var ve *protocol.ValidationError
	if !errors.As(err, &ve) || !errors.Is(err, protocol.ErrInvalidPayload) {
		t.Fatalf("error %v is not a ValidationError", err)
	}
	got := map[string]bool{}
	for _, f := range ve.Fields {
		got[f.Path] = true
	}
	for _, p := range []string{"event.name", "event.timestamp", "event.version", "event.subject", "event.attributes", "object.current", "object.previous", "object.id", "extra"} {
		if !got[p] {
			t.Errorf("no problem reported for %s (got %v)", p, err)
		}
	}
}

func TestDecodeMegaFields(t *testing.T) {
	body := `{"protocol":"mega","version":1,"event":{"name":"user:updated","timestamp":"2020-05-04T15:53:27.823","version":"2","domain":"","subject":"987650","channel":"web","attributes":{"email":"a@b.c"}},"object":{"type":"user","current":{"id":1},"version":null}}`
	m, err := protocol.Decode(body)
	if err != nil {
		t.Fatal(err)
	}
	ev := m.Mega.Event
	if ev.Name != "user:updated" || ev.Version != 2 || ev.Subject != "987650" || ev.Attributes["channel"] != "web" || ev.Attributes["email"] != "a@b.c" {
		t.Errorf("event %+v", ev)
	}
	if !ev.Timestamp.Equal(time.Date(2020, 5, 4, 15, 53, 27, 823_000_000, time.UTC)) {
		t.Errorf("timestamp %v", ev.Timestamp)
	}
	if m.Mega.Object.Version != 1 || m.Mega.Object.Type != "user" {
		t.Errorf("object %+v", m.Mega.Object)
	}
	doc := m.Document()
	if d, ok := doc["event"].(map[string]any)["domain"]; !ok || d != "" {
		t.Errorf("an empty domain is present in the document: got %v, %v", d, ok)
	}
	if _, ok := doc["event"].(map[string]any)["publisher"]; ok {
		t.Error("an absent publisher is in the document")
	}
	// Re-encoding keeps the empty domain that was present.
	out, err := protocol.Encode(m.Payload)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out, `"domain":""`) {
		t.Errorf("re-encoded body lost the empty domain: %s", out)
	}
}

func TestSNSTopicRestriction(t *testing.T) {
	env := `{"Type":"Notification","MessageId":"m","TopicArn":"arn:aws:sns:us-east-1:1:orders","Timestamp":"2021-03-04T05:06:07Z","Message":"{\"a\":1}","MessageAttributes":{"k":{"Type":"String","Value":"v"}}}`
	m, err := (&protocol.Decoder{TopicARNs: []string{"arn:aws:sns:us-east-1:1:orders"}}).Decode(env)
	if err != nil {
		t.Fatal(err)
	}
	if m.SNS == nil || m.Kind != protocol.KindData || m.Data["a"] != json.Number("1") {
		t.Fatalf("not unwrapped: %+v", m)
	}
	if m.SNS.MessageAttributes["k"] != (protocol.SNSAttribute{Type: "String", Value: "v"}) {
		t.Errorf("attributes %+v", m.SNS.MessageAttributes)
	}
	m, err = (&protocol.Decoder{TopicARNs: []string{"arn:aws:sns:us-east-1:1:other"}}).Decode(env)
	if err != nil {
		t.Fatal(err)
	}
	if m.SNS != nil || m.Kind != protocol.KindData || m.Data["Type"] != "Notification" {
		t.Fatalf("a forged envelope was unwrapped: %+v", m)
	}
}

func TestEncodeRefusals(t *testing.T) {
	big := strings.Repeat("x", protocol.MaxBodySize)
	tests := []struct {
		name string
		enc  protocol.Encoder
		p    protocol.Payload
		want error
	}{
		{"text over 1 MiB", protocol.Encoder{}, protocol.NewText(big + "x"), protocol.ErrTooLarge},
		{"data over a queue's limit", protocol.Encoder{MaxSize: 1024}, protocol.NewData(map[string]any{"a": big[:1024]}), protocol.ErrTooLarge},
		{"BSON over the limit", protocol.Encoder{Encoding: protocol.BSON, MaxSize: 100}, protocol.NewData(map[string]any{"a": big[:80]}), protocol.ErrTooLarge},
		{"nil data", protocol.Encoder{}, protocol.NewData(nil), protocol.ErrNotPublishable},
		{"data that is MEGA", protocol.Encoder{}, protocol.NewData(map[string]any{"protocol": "mega", "version": 1}), protocol.ErrNotPublishable},
		{"event without a name", protocol.Encoder{}, protocol.NewEvent(protocol.Event{}), protocol.ErrInvalidPayload},
		{"object without current", protocol.Encoder{}, protocol.Payload{Kind: protocol.KindMega, Mega: &protocol.Mega{Event: protocol.Event{Name: "x"}, Object: &protocol.Object{Type: "t"}}}, protocol.ErrInvalidPayload},
		{"none", protocol.Encoder{}, protocol.Payload{}, protocol.ErrNotPublishable},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			body, err := tt.enc.Encode(tt.p)
			if !errors.Is(err, tt.want) {
				t.Fatalf("got %d bytes, error %v; want %v", len(body), err, tt.want)
			}
		})
	}
	if body, err := (&protocol.Encoder{}).Encode(protocol.NewText(big)); err != nil || len(body) != protocol.MaxBodySize {
		t.Errorf("a body of exactly 1 MiB was refused: %v", err)
	}
}

func TestEncodeEventDefaults(t *testing.T) {
	before := time.Now().Add(-time.Second)
	for _, enc := range []protocol.Encoding{protocol.JSON, protocol.BSON} {
		t.Run(enc.String(), func(t *testing.T) {
			p := protocol.NewEvent(protocol.Event{
				Name:       "user:updated",
				Domain:     "user",
				Subject:    "987650",
				Attributes: map[string]any{"email": "john@example.com", "n": 3, "f": 2.5, "tags": []string{"a"}},
			})
			p.Mega.Object = &protocol.Object{Current: map[string]any{"id": 987650}}
			body, err := (&protocol.Encoder{Encoding: enc}).Encode(p)
			if err != nil {
				t.Fatal(err)
			}
			if (enc == protocol.BSON) == json.Valid([]byte(body)) {
				t.Fatalf("body is not %s: %s", enc, body)
			}
			m, err := protocol.Decode(body)
			if err != nil {
				t.Fatal(err)
			}
			ev := m.Mega.Event
			if ev.Version != 1 || m.Mega.Object.Version != 1 {
				t.Errorf("versions %d, %d; want 1, 1", ev.Version, m.Mega.Object.Version)
			}
			if ev.Timestamp.Before(before) || ev.Timestamp.After(time.Now().Add(time.Second)) {
				t.Errorf("timestamp %v is not now", ev.Timestamp)
			}
			if _, off := ev.Timestamp.Zone(); off != 0 {
				t.Errorf("timestamp %v is not UTC", ev.Timestamp)
			}
			if ev.Attributes["n"] != json.Number("3") || ev.Attributes["f"] != json.Number("2.5") || ev.Attributes["email"] != "john@example.com" {
				t.Errorf("attributes %#v", ev.Attributes)
			}
			if tags, _ := ev.Attributes["tags"].([]any); len(tags) != 1 || tags[0] != "a" {
				t.Errorf("tags %#v", ev.Attributes["tags"])
			}
		})
	}
}

func TestMarshalJSONNonFinite(t *testing.T) {
	raw, err := codec.EncodeBSON(map[string]any{"x": 0.0})
	if err != nil {
		t.Fatal(err)
	}
	m, err := protocol.Decode(base64.StdEncoding.EncodeToString(raw))
	if err != nil {
		t.Fatal(err)
	}
	m.Data["x"] = codec.Float(func() float64 { z := 0.0; return 1 / z }())
	b, err := json.Marshal(m)
	if err != nil || !strings.Contains(string(b), `"Infinity"`) {
		t.Errorf("got %s, %v", b, err)
	}
}

func TestDecoderTrust(t *testing.T) {
	const body = `{"Type":"Notification","MessageId":"m","TopicArn":"arn:aws:sns:us-east-1:123456789012:orders","Timestamp":"2021-03-04T05:06:07Z","Message":"hi"}`
	tests := []struct {
		name string
		dec  protocol.Decoder
		want protocol.Kind
	}{
		{"zero value unwraps every topic", protocol.Decoder{}, protocol.KindText},
		{"listed topic", protocol.Decoder{TopicARNs: []string{"arn:aws:sns:us-east-1:123456789012:orders"}}, protocol.KindText},
		{"wildcard", protocol.Decoder{TopicARNs: []string{"arn:aws:sns:us-east-1:123456789012:ord*"}, TrustedOnly: true}, protocol.KindText},
		{"other topic is data", protocol.Decoder{TopicARNs: []string{"arn:aws:sns:us-east-1:123456789012:payments"}}, protocol.KindData},
		{"trusted only, no topics: data", protocol.Decoder{TrustedOnly: true}, protocol.KindData},
		{"wildcard of another account", protocol.Decoder{TopicARNs: []string{"arn:aws:sns:us-east-1:999999999999:*"}}, protocol.KindData},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, err := tt.dec.Decode(body)
			if err != nil || m.Kind != tt.want {
				t.Fatalf("Decode: kind %v err %v, want %v", m.Kind, err, tt.want)
			}
			if (m.SNS != nil) != (tt.want == protocol.KindText) {
				t.Fatalf("SNS envelope = %v", m.SNS)
			}
		})
	}
}
