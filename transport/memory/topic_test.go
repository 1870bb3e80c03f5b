package memory_test

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/sqs-mega/sqs-mega-go/transport"
	"github.com/sqs-mega/sqs-mega-go/transport/memory"
)

func (f *fixture) topic(name string, cfg memory.TopicConfig) *memory.Topic {
	f.t.Helper()
	tp, err := f.b.CreateTopic(name, cfg)
	if err != nil {
		f.t.Fatalf("CreateTopic(%q): %v", name, err)
	}
	return tp
}

func (f *fixture) subscribe(tp *memory.Topic, q *memory.Queue, cfg memory.SubscriptionConfig) *memory.Subscription {
	f.t.Helper()
	s, err := f.b.Subscribe(tp, q, cfg)
	if err != nil {
		f.t.Fatalf("Subscribe: %v", err)
	}
	return s
}

// jsonKeys returns the top-level keys of a JSON object in document order.
func jsonKeys(t *testing.T, doc string) []string {
	t.Helper()
	dec := json.NewDecoder(strings.NewReader(doc))
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		t.Fatalf("not a JSON object: %q", doc)
	}
	var keys []string
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			t.Fatal(err)
		}
		keys = append(keys, tok.(string))
		var skip json.RawMessage
		if err := dec.Decode(&skip); err != nil {
			t.Fatal(err)
		}
	}
	return keys
}

func TestEnvelope(t *testing.T) {
	f := newFixture(t)
	f.clock.Advance(1234 * time.Millisecond)
	tp := f.topic("events", memory.TopicConfig{})
	q := f.queue("inbox", memory.QueueConfig{})
	sub := f.subscribe(tp, q, memory.SubscriptionConfig{})

	body := "{\"name\": \"user.created\", \"note\": \"<b>&\\\"quotes\\\"</b>\\n\"}\t\u00e9\u2028"
	res, err := tp.Publish(f.ctx, memory.Publication{
		Subject: "Hello",
		Message: body,
		Attributes: map[string]transport.Attribute{
			"kind":  transport.StringAttribute("created"),
			"count": {DataType: "Number", StringValue: "3"},
			"blob":  {DataType: "Binary", BinaryValue: []byte{0, 1, 0xff}},
		},
	})
	if err != nil || res.Err != nil {
		t.Fatal(err, res.Err)
	}
	m := f.receiveOne(q)
	if len(m.Attributes) != 0 {
		t.Errorf("a wrapped notification carries SQS attributes %v; they belong in the envelope", m.Attributes)
	}

	wantKeys := []string{"Type", "MessageId", "TopicArn", "Subject", "Message", "Timestamp",
		"SignatureVersion", "Signature", "SigningCertURL", "UnsubscribeURL", "MessageAttributes"}
	if got := jsonKeys(t, m.Body); strings.Join(got, ",") != strings.Join(wantKeys, ",") {
		t.Errorf("envelope keys = %v, want %v", got, wantKeys)
	}
	var env struct {
		Type, MessageId, TopicArn, Subject, Message, Timestamp      string
		SignatureVersion, Signature, SigningCertURL, UnsubscribeURL string
		MessageAttributes                                           map[string]struct{ Type, Value string }
	}
	if err := json.Unmarshal([]byte(m.Body), &env); err != nil {
		t.Fatalf("the envelope is not JSON: %v\n%s", err, m.Body)
	}
	checks := []struct {
		field, got, want string
	}{
		{"Type", env.Type, "Notification"},
		{"MessageId", env.MessageId, res.MessageID},
		{"TopicArn", env.TopicArn, "arn:aws:sns:us-east-1:000000000000:events"},
		{"Subject", env.Subject, "Hello"},
		{"Message", env.Message, body},
		{"Timestamp", env.Timestamp, "2024-05-01T12:00:01.234Z"},
		{"SignatureVersion", env.SignatureVersion, "1"},
		{"UnsubscribeURL", env.UnsubscribeURL, "https://sns.us-east-1.amazonaws.com/?Action=Unsubscribe&SubscriptionArn=" + sub.ARN()},
	}
	for _, c := range checks {
		if c.got != c.want {
			t.Errorf("%s = %q, want %q", c.field, c.got, c.want)
		}
	}
	if !regexp.MustCompile(`^arn:aws:sns:us-east-1:000000000000:events:[0-9a-f-]{36}$`).MatchString(sub.ARN()) {
		t.Errorf("subscription ARN %q", sub.ARN())
	}
	if !regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`).MatchString(env.MessageId) {
		t.Errorf("MessageId %q is not a UUID", env.MessageId)
	}
	if sig, err := base64.StdEncoding.DecodeString(env.Signature); err != nil || len(sig) != 256 {
		t.Errorf("Signature is not base64 of 256 bytes: %v", err)
	}
	if !regexp.MustCompile(`^https://sns\.us-east-1\.amazonaws\.com/SimpleNotificationService-[0-9a-f]{32}\.pem$`).MatchString(env.SigningCertURL) {
		t.Errorf("SigningCertURL %q", env.SigningCertURL)
	}
	wantAttrs := map[string]struct{ Type, Value string }{
		"kind":  {"String", "created"},
		"count": {"Number", "3"},
		"blob":  {"Binary", base64.StdEncoding.EncodeToString([]byte{0, 1, 0xff})},
	}
	for k, want := range wantAttrs {
		if got := env.MessageAttributes[k]; got != want {
			t.Errorf("MessageAttributes[%q] = %+v, want %+v", k, got, want)
		}
	}
	// SNS lays the envelope out one field a line, "Key" : value.
	if !strings.HasPrefix(m.Body, "{\n  \"Type\" : \"Notification\",\n  \"MessageId\" : \"") || !strings.HasSuffix(m.Body, "\n  }\n}") {
		t.Errorf("envelope layout differs from SNS's:\n%s", m.Body)
	}
	// SNS escapes only what JSON requires.
	if !strings.Contains(m.Body, "<b>&") || strings.Contains(m.Body, `\u00`) || !strings.Contains(m.Body, "\u00e9") {
		t.Errorf("the message was escaped more than SNS does:\n%s", m.Body)
	}

	t.Run("without subject or attributes", func(t *testing.T) {
		f.send(tp, msg("plain"))
		m := f.receiveOne(q)
		keys := jsonKeys(t, m.Body)
		want := []string{"Type", "MessageId", "TopicArn", "Message", "Timestamp",
			"SignatureVersion", "Signature", "SigningCertURL", "UnsubscribeURL"}
		if strings.Join(keys, ",") != strings.Join(want, ",") {
			t.Errorf("keys = %v, want %v", keys, want)
		}
		if !json.Valid([]byte(m.Body)) || !strings.HasSuffix(m.Body, "\"\n}") {
			t.Errorf("envelope:\n%s", m.Body)
		}
	})
}

func TestRawDeliveryAndFanOut(t *testing.T) {
	f := newFixture(t)
	tp := f.topic("events", memory.TopicConfig{})
	raw := f.queue("raw", memory.QueueConfig{})
	wrapped := f.queue("wrapped", memory.QueueConfig{})
	f.subscribe(tp, raw, memory.SubscriptionConfig{RawMessageDelivery: true})
	f.subscribe(tp, wrapped, memory.SubscriptionConfig{})

	attrs := map[string]transport.Attribute{"k": transport.StringAttribute("v"), "b": {DataType: "Binary", BinaryValue: []byte{7}}}
	res := f.send(tp, transport.Outgoing{Body: "hello", Attributes: attrs}, msg("second"))

	got := f.receive(raw, 10)
	if len(got) != 2 || got[0].Body != "hello" || got[1].Body != "second" {
		t.Fatalf("raw queue got %v", bodies(got))
	}
	if got[0].Attributes["k"].StringValue != "v" || got[0].Attributes["b"].BinaryValue[0] != 7 {
		t.Errorf("raw delivery lost attributes: %+v", got[0].Attributes)
	}
	if got[0].ID == res[0].MessageID {
		t.Error("the queue message reuses the SNS message id; SQS assigns its own")
	}
	if n := len(f.receive(wrapped, 10)); n != 2 {
		t.Errorf("wrapped queue got %d messages, want 2", n)
	}
}

func TestFIFOTopic(t *testing.T) {
	f := newFixture(t)
	tp := f.topic("orders.fifo", memory.TopicConfig{ContentBasedDeduplication: true})
	fifoQ := f.queue("orders.fifo", memory.QueueConfig{})
	stdQ := f.queue("audit", memory.QueueConfig{})
	f.subscribe(tp, fifoQ, memory.SubscriptionConfig{})
	f.subscribe(tp, stdQ, memory.SubscriptionConfig{RawMessageDelivery: true})

	res := f.send(tp, fifoMsg("o-1", "", "created"), fifoMsg("o-1", "", "paid"), fifoMsg("o-1", "", "created"))
	if res[2].MessageID != res[0].MessageID {
		t.Error("the topic did not deduplicate by content")
	}
	if res[0].SequenceNumber == "" || res[1].SequenceNumber <= res[0].SequenceNumber {
		t.Errorf("sequence numbers %q, %q", res[0].SequenceNumber, res[1].SequenceNumber)
	}

	got := f.receive(fifoQ, 10)
	if len(got) != 2 {
		t.Fatalf("FIFO queue got %d messages, want 2", len(got))
	}
	for i, m := range got {
		var env struct{ Message, MessageId, SequenceNumber string }
		if err := json.Unmarshal([]byte(m.Body), &env); err != nil {
			t.Fatal(err)
		}
		if env.Message != []string{"created", "paid"}[i] || env.SequenceNumber != res[i].SequenceNumber {
			t.Errorf("message %d: %+v", i, env)
		}
		if m.GroupID != "o-1" || m.DeduplicationID == "" {
			t.Errorf("message %d lost its FIFO ids: group %q, dedup %q", i, m.GroupID, m.DeduplicationID)
		}
		if keys := jsonKeys(t, m.Body); keys[2] != "SequenceNumber" {
			t.Errorf("FIFO envelope keys %v: SequenceNumber follows MessageId", keys)
		}
	}
	if got := f.receive(stdQ, 10); len(got) != 2 || got[0].Body != "created" {
		t.Errorf("standard queue of a FIFO topic got %v", bodies(got))
	}

	if r, err := tp.Send(f.ctx, []transport.Outgoing{msg("no group")}); err != nil || !errors.Is(r[0].Err, transport.ErrInvalidRequest) {
		t.Errorf("FIFO publish without group id: %v, %v", r, err)
	}
}

func TestSubscribeRules(t *testing.T) {
	f := newFixture(t)
	tp := f.topic("t", memory.TopicConfig{})
	q := f.queue("q", memory.QueueConfig{})
	fifoQ := f.queue("q.fifo", memory.QueueConfig{})
	other := memory.New()
	t.Cleanup(func() { _ = other.Close() })
	foreign, err := other.CreateQueue("q", memory.QueueConfig{})
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		q    *memory.Queue
		cfg  memory.SubscriptionConfig
	}{
		{"standard topic to FIFO queue", fifoQ, memory.SubscriptionConfig{}},
		{"queue of another broker", foreign, memory.SubscriptionConfig{}},
		{"invalid scope", q, memory.SubscriptionConfig{FilterPolicy: `{"a":["b"]}`, FilterPolicyScope: "Body"}},
		{"invalid policy", q, memory.SubscriptionConfig{FilterPolicy: `{"a":"b"}`}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := f.b.Subscribe(tp, tc.q, tc.cfg); !errors.Is(err, transport.ErrInvalidRequest) {
				t.Errorf("err = %v, want ErrInvalidRequest", err)
			}
		})
	}

	s1 := f.subscribe(tp, q, memory.SubscriptionConfig{})
	if s2 := f.subscribe(tp, q, memory.SubscriptionConfig{}); s2 != s1 {
		t.Error("subscribing again with the same configuration made a second subscription")
	}
	if _, err := f.b.Subscribe(tp, q, memory.SubscriptionConfig{RawMessageDelivery: true}); !errors.Is(err, transport.ErrInvalidRequest) {
		t.Errorf("subscribing again with another configuration: err = %v", err)
	}
	if err := s1.Unsubscribe(); err != nil {
		t.Fatal(err)
	}
	f.send(tp, msg("after unsubscribe"))
	f.expectEmpty(q)
	if len(tp.Subscriptions()) != 0 {
		t.Errorf("Subscriptions = %v after unsubscribing", tp.Subscriptions())
	}

	// Publishing to a topic whose queue was deleted still succeeds.
	gone := f.queue("gone", memory.QueueConfig{})
	f.subscribe(tp, gone, memory.SubscriptionConfig{})
	if err := f.b.DeleteQueue("gone"); err != nil {
		t.Fatal(err)
	}
	f.send(tp, msg("into the void"))

	if err := f.b.DeleteTopic("t"); err != nil {
		t.Fatal(err)
	}
	if _, err := tp.Send(f.ctx, []transport.Outgoing{msg("x")}); !errors.Is(err, transport.ErrQueueNotFound) {
		t.Errorf("Send to a deleted topic: err = %v", err)
	}
}

func TestTopicLimits(t *testing.T) {
	f := newFixture(t)
	tp := f.topic("t", memory.TopicConfig{})
	big := strings.Repeat("x", memory.DefaultTopicMessageSize+1)
	if _, err := tp.Send(f.ctx, []transport.Outgoing{msg(big)}); !errors.Is(err, transport.ErrTooLarge) {
		t.Errorf("publishing over 256 KiB: err = %v, want ErrTooLarge", err)
	}
	large := f.topic("large", memory.TopicConfig{MaxMessageSize: transport.MaxBodySize})
	q := f.queue("q", memory.QueueConfig{})
	f.subscribe(large, q, memory.SubscriptionConfig{RawMessageDelivery: true})
	f.send(large, msg(big))
	if q.Len() != 1 {
		t.Error("a topic configured for 1 MiB refused a 256 KiB+1 message")
	}
	for _, tc := range []struct {
		name string
		p    memory.Publication
	}{
		{"subject too long", memory.Publication{Message: "m", Subject: strings.Repeat("s", 101)}},
		{"subject with newline", memory.Publication{Message: "m", Subject: "a\nb"}},
		{"dedup id on standard topic", memory.Publication{Message: "m", DeduplicationID: "d"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res, err := tp.Publish(f.ctx, tc.p)
			if err != nil || !errors.Is(res.Err, transport.ErrInvalidRequest) {
				t.Errorf("Publish = %+v, %v; want an entry error wrapping ErrInvalidRequest", res, err)
			}
		})
	}
	if res, err := tp.Send(f.ctx, []transport.Outgoing{{Body: "m", Delay: time.Second}}); err != nil || !errors.Is(res[0].Err, transport.ErrInvalidRequest) {
		t.Errorf("publishing with a delay = %v, %v; want an entry error wrapping ErrInvalidRequest", res, err)
	}
}

func TestFilterPolicies(t *testing.T) {
	type message struct {
		body  string
		attrs map[string]transport.Attribute
	}
	str := transport.StringAttribute
	num := func(v string) transport.Attribute { return transport.Attribute{DataType: "Number", StringValue: v} }
	arr := func(v string) transport.Attribute {
		return transport.Attribute{DataType: "String.Array", StringValue: v}
	}
	order := message{attrs: map[string]transport.Attribute{
		"store": str("example_corp"), "event": str("order_placed"), "price_usd": num("210.75"),
		"interests": arr(`["soccer", "rugby", "hockey"]`), "ip": str("10.0.3.7"),
		"blob": {DataType: "Binary", BinaryValue: []byte("x")},
	}}
	for _, tc := range []struct {
		name   string
		policy string
		want   bool
	}{
		{"exact", `{"store": ["example_corp"]}`, true},
		{"exact, another value", `{"store": ["other", "example_corp"]}`, true},
		{"exact mismatch", `{"store": ["other"]}`, false},
		{"missing key", `{"encrypted": [false]}`, false},
		{"all keys must hold", `{"store": ["example_corp"], "event": ["order_cancelled"]}`, false},
		{"prefix", `{"event": [{"prefix": "order_"}]}`, true},
		{"suffix", `{"event": [{"suffix": "_placed"}]}`, true},
		{"suffix mismatch", `{"event": [{"suffix": "_cancelled"}]}`, false},
		{"equals-ignore-case", `{"store": [{"equals-ignore-case": "EXAMPLE_Corp"}]}`, true},
		{"anything-but value", `{"event": [{"anything-but": "order_cancelled"}]}`, true},
		{"anything-but list", `{"event": [{"anything-but": ["order_placed", "x"]}]}`, false},
		{"anything-but prefix", `{"event": [{"anything-but": {"prefix": "order"}}]}`, false},
		{"anything-but on a missing key", `{"nothing": [{"anything-but": "x"}]}`, false},
		{"anything-but on an array", `{"interests": [{"anything-but": ["rugby", "tennis"]}]}`, true},
		{"array element", `{"interests": ["rugby", "football"]}`, true},
		{"array mismatch", `{"interests": ["tennis"]}`, false},
		{"numeric equal", `{"price_usd": [{"numeric": ["=", 210.75]}]}`, true},
		{"numeric literal", `{"price_usd": [210.75]}`, true},
		{"numeric range", `{"price_usd": [{"numeric": [">", 100, "<=", 210.75]}]}`, true},
		{"numeric range below", `{"price_usd": [{"numeric": [">", 210.75]}]}`, false},
		{"numeric on a string", `{"store": [{"numeric": [">", 0]}]}`, false},
		{"string literal is not a number", `{"price_usd": ["210.75"]}`, false},
		{"exists", `{"store": [{"exists": true}]}`, true},
		{"exists on a missing key", `{"nothing": [{"exists": true}]}`, false},
		{"not exists", `{"nothing": [{"exists": false}]}`, true},
		{"not exists on a present key", `{"store": [{"exists": false}]}`, false},
		{"binary attributes are ignored", `{"blob": [{"exists": true}]}`, false},
		{"cidr", `{"ip": [{"cidr": "10.0.0.0/16"}]}`, true},
		{"cidr mismatch", `{"ip": [{"cidr": "10.1.0.0/16"}]}`, false},
		{"$or", `{"store": ["x"], "$or": [{"event": ["nope"]}, {"price_usd": [{"numeric": [">", 200]}]}]}`, false},
		{"$or holds", `{"store": ["example_corp"], "$or": [{"event": ["nope"]}, {"price_usd": [{"numeric": [">", 200]}]}]}`, true},
	} {
		t.Run("attributes/"+tc.name, func(t *testing.T) {
			if got := deliveredThrough(t, tc.policy, "", order.body, order.attrs); got != tc.want {
				t.Errorf("policy %s: delivered = %v, want %v", tc.policy, got, tc.want)
			}
		})
	}

	body := `{"order": {"id": 7, "status": "paid", "items": [{"sku": "a-1"}, {"sku": "b-2"}], "gift": null, "vip": true}, "tags": ["x", "y"]}`
	for _, tc := range []struct {
		name   string
		body   string
		policy string
		want   bool
	}{
		{"nested exact", body, `{"order": {"status": ["paid"]}}`, true},
		{"nested number", body, `{"order": {"id": [{"numeric": ["<", 10]}]}}`, true},
		{"array of objects", body, `{"order": {"items": {"sku": [{"prefix": "b-"}]}}}`, true},
		{"array of objects mismatch", body, `{"order": {"items": {"sku": ["c-3"]}}}`, false},
		{"null", body, `{"order": {"gift": [null]}}`, true},
		{"boolean", body, `{"order": {"vip": [true]}}`, true},
		{"top-level array", body, `{"tags": ["y"]}`, true},
		{"missing nested", body, `{"order": {"coupon": [{"exists": true}]}}`, false},
		{"missing nested, exists false", body, `{"order": {"coupon": [{"exists": false}]}}`, true},
		{"$or nested", body, `{"$or": [{"order": {"status": ["open"]}}, {"tags": ["x"]}]}`, true},
		{"body not JSON", "plain text", `{"a": ["b"]}`, false},
		{"body a JSON array", `[1]`, `{"a": [{"exists": false}]}`, false},
	} {
		t.Run("body/"+tc.name, func(t *testing.T) {
			if got := deliveredThrough(t, tc.policy, "MessageBody", tc.body, nil); got != tc.want {
				t.Errorf("policy %s on %s: delivered = %v, want %v", tc.policy, tc.body, got, tc.want)
			}
		})
	}

	for _, policy := range []string{
		`[]`, `{}`, `{"a": "b"}`, `{"a": []}`, `{"a": [{"unknown": 1}]}`, `{"a": [{"prefix": 1}]}`,
		`{"a": [{"numeric": ["~", 1]}]}`, `{"a": [{"numeric": ["<", 5, ">", 1]}]}`, `{"a": [{"numeric": [">", 5, "<", 1]}]}`,
		`{"a": [{"exists": "yes"}]}`, `{"a": [{"cidr": "nonsense"}]}`, `{"a": [{"anything-but": []}]}`,
		`{"a": [{"anything-but": {"infix": "x"}}]}`, `{"$or": [{"a": ["b"]}]}`, `{"a": ["b"]} trailing`,
		`{"a": {"b": ["c"]}}`, // nesting needs the MessageBody scope
	} {
		t.Run("invalid/"+policy, func(t *testing.T) {
			f := newFixture(t)
			_, err := f.b.Subscribe(f.topic("t", memory.TopicConfig{}), f.queue("q", memory.QueueConfig{}),
				memory.SubscriptionConfig{FilterPolicy: policy})
			if !errors.Is(err, transport.ErrInvalidRequest) {
				t.Errorf("err = %v, want ErrInvalidRequest", err)
			}
		})
	}
}

// deliveredThrough publishes a message to a topic whose one
// subscription has the given filter policy, and reports whether it was
// delivered.
func deliveredThrough(t *testing.T, policy, scope, body string, attrs map[string]transport.Attribute) bool {
	t.Helper()
	f := newFixture(t)
	tp := f.topic("t", memory.TopicConfig{})
	q := f.queue("q", memory.QueueConfig{})
	f.subscribe(tp, q, memory.SubscriptionConfig{FilterPolicy: policy, FilterPolicyScope: scope, RawMessageDelivery: true})
	if body == "" {
		body = "message"
	}
	f.send(tp, transport.Outgoing{Body: body, Attributes: attrs})
	msgs := f.receive(q, 10)
	if len(msgs) == 1 && !bytes.Equal([]byte(msgs[0].Body), []byte(body)) {
		t.Fatalf("delivered %q, want %q", msgs[0].Body, body)
	}
	return len(msgs) == 1
}
