package mega_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strconv"
	"strings"
	"testing"
	"time"

	mega "github.com/sqs-mega/sqs-mega-go"
	"github.com/sqs-mega/sqs-mega-go/offload"
	"github.com/sqs-mega/sqs-mega-go/protocol"
	"github.com/sqs-mega/sqs-mega-go/transport"
	"github.com/sqs-mega/sqs-mega-go/transport/memory"
)

const bucket = "mega-payloads"

// bigEvent returns a MEGA event whose JSON body is about n bytes.
func bigEvent(n int) protocol.Payload {
	p := protocol.NewEvent(protocol.Event{Name: "document:updated", Timestamp: time.Date(2026, 12, 6, 1, 2, 3, 0, time.UTC)})
	p.Mega.Object = &protocol.Object{Current: map[string]any{"text": strings.Repeat("x", n)}}
	return p
}

func memQueue(t *testing.T, cfg memory.QueueConfig) *memory.Queue {
	t.Helper()
	b := memory.New()
	t.Cleanup(func() { b.Close() })
	q, err := b.CreateQueue("q", cfg)
	if err != nil {
		t.Fatal(err)
	}
	return q
}

func receiveAll(t *testing.T, q transport.Queue, n int) []transport.Message {
	t.Helper()
	var got []transport.Message
	for len(got) < n {
		msgs, err := q.Receive(context.Background(), transport.ReceiveRequest{MaxMessages: 10})
		if err != nil {
			t.Fatal(err)
		}
		if len(msgs) == 0 {
			t.Fatalf("received %d messages, want %d", len(got), n)
		}
		got = append(got, msgs...)
	}
	return got
}

func quietLogger() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

func TestPublishLargePayload(t *testing.T) {
	ctx := context.Background()
	q := memQueue(t, memory.QueueConfig{})
	store := offload.NewMemory(bucket)
	p, err := mega.NewPublisher(q, mega.WithLargePayloads(mega.LargePayloads{Store: store, Bucket: bucket, KeyPrefix: "mega/"}))
	if err != nil {
		t.Fatal(err)
	}
	event := bigEvent(1200 << 10)
	want, err := (&protocol.Encoder{MaxSize: 1 << 30}).Encode(event)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p.Publish(ctx, mega.Entry{Payload: event}); err != nil {
		t.Fatalf("Publish of 1.2 MiB: %v", err)
	}
	m := receiveAll(t, q, 1)[0]
	keys := store.Keys(bucket)
	if len(keys) != 1 || !strings.HasPrefix(keys[0], "mega/") || len(keys[0]) != len("mega/")+36 {
		t.Fatalf("stored keys %v, want one mega/<uuid>", keys)
	}
	if wantBody := `["software.amazon.payloadoffloading.PayloadS3Pointer",{"s3BucketName":"mega-payloads","s3Key":"` + keys[0] + `"}]`; m.Body != wantBody {
		t.Fatalf("body %s\nwant %s", m.Body, wantBody)
	}
	if a := m.Attributes[offload.SizeAttribute]; a.DataType != "Number" || a.StringValue != strconv.Itoa(len(want)) {
		t.Fatalf("%s = %+v, want Number %d", offload.SizeAttribute, a, len(want))
	}
	if obj, _ := store.Get(ctx, bucket, keys[0], 1<<30); obj != want {
		t.Fatal("the stored object is not the body the event encodes to")
	}

	r, err := mega.NewResolver(store, mega.WithTrustedBuckets(bucket))
	if err != nil {
		t.Fatal(err)
	}
	body, ref, err := r.Resolve(ctx, m)
	if err != nil {
		t.Fatalf("Resolve: %v", err)
	}
	if body != want || ref == nil || ref.Bucket != bucket || ref.Key != keys[0] || ref.Size != int64(len(want)) || ref.SNS {
		t.Fatalf("Resolve = %d bytes, %+v", len(body), ref)
	}
	dm, err := protocol.Decode(body)
	if err != nil || dm.Kind != protocol.KindMega || dm.Mega.Event.Name != "document:updated" {
		t.Fatalf("decoded %v, %v", dm.Kind, err)
	}
	if err := r.Delete(ctx, ref); err != nil {
		t.Fatal(err)
	}
	if keys := store.Keys(bucket); len(keys) != 0 {
		t.Fatalf("objects left after Delete: %v", keys)
	}
}

func TestPublishThresholds(t *testing.T) {
	ctx := context.Background()
	small := protocol.NewEvent(protocol.Event{Name: "small", Timestamp: time.Now()})
	tests := []struct {
		name      string
		dest      func(t *testing.T) transport.Sender
		cfg       mega.LargePayloads
		payload   protocol.Payload
		offloaded bool
	}{
		{"small stays", queueSender(memory.QueueConfig{}), mega.LargePayloads{}, small, false},
		{"always", queueSender(memory.QueueConfig{}), mega.LargePayloads{Always: true}, small, true},
		{"explicit threshold", queueSender(memory.QueueConfig{}), mega.LargePayloads{Threshold: 2000}, bigEvent(3000), true},
		{"under explicit threshold", queueSender(memory.QueueConfig{}), mega.LargePayloads{Threshold: 5000}, bigEvent(3000), false},
		{"queue's MaximumMessageSize", queueSender(memory.QueueConfig{MaxMessageSize: 2048}), mega.LargePayloads{}, bigEvent(3000), true},
		{"under queue's MaximumMessageSize", queueSender(memory.QueueConfig{MaxMessageSize: 4096}), mega.LargePayloads{}, bigEvent(3000), false},
		{"1 MiB default", plainSender, mega.LargePayloads{}, bigEvent(900 << 10), false},
		{"over 1 MiB default", plainSender, mega.LargePayloads{}, bigEvent(1100 << 10), true},
		{"SNS 256 KiB", snsSender, mega.LargePayloads{}, bigEvent(300 << 10), true},
		{"under SNS 256 KiB", snsSender, mega.LargePayloads{}, bigEvent(200 << 10), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			store := offload.NewMemory(bucket)
			tt.cfg.Store, tt.cfg.Bucket = store, bucket
			dest := tt.dest(t)
			p, err := mega.NewPublisher(dest, mega.WithLargePayloads(tt.cfg))
			if err != nil {
				t.Fatal(err)
			}
			if _, err := p.Publish(ctx, mega.Entry{Payload: tt.payload}); err != nil {
				t.Fatalf("Publish: %v", err)
			}
			if got := len(store.Keys(bucket)) == 1; got != tt.offloaded {
				t.Fatalf("offloaded %v, want %v", got, tt.offloaded)
			}
		})
	}
}

func queueSender(cfg memory.QueueConfig) func(t *testing.T) transport.Sender {
	return func(t *testing.T) transport.Sender { return memQueue(t, cfg) }
}

// offRecorder is a sender that records what it is given and fails the
// entries whose index is in fail.
type offRecorder struct {
	arn  string
	fail map[int]bool
	sent []transport.Outgoing
}

func (r *offRecorder) Send(_ context.Context, batch []transport.Outgoing) ([]transport.SendResult, error) {
	res := make([]transport.SendResult, len(batch))
	for i, o := range batch {
		if r.fail[len(r.sent)] {
			res[i].Err = &transport.EntryError{Code: "InvalidParameterValue", Message: "refused", SenderFault: true}
		} else {
			res[i].MessageID = fmt.Sprint("id-", len(r.sent))
		}
		r.sent = append(r.sent, o)
	}
	return res, nil
}

type offTopicRecorder struct{ offRecorder }

func (r *offTopicRecorder) ARN() string { return r.arn }

func plainSender(*testing.T) transport.Sender { return &offRecorder{} }
func snsSender(*testing.T) transport.Sender {
	return &offTopicRecorder{offRecorder{arn: "arn:aws:sns:us-east-1:123456789012:events"}}
}

func TestPublishBatchOffloadsOnlyLargeEntries(t *testing.T) {
	ctx := context.Background()
	store := offload.NewMemory(bucket)
	rec := &offRecorder{fail: map[int]bool{3: true}}
	p, err := mega.NewPublisher(rec, mega.WithLargePayloads(mega.LargePayloads{Store: store, Bucket: bucket}), mega.WithPublisherLogger(quietLogger()))
	if err != nil {
		t.Fatal(err)
	}
	entries := []mega.Entry{
		{Payload: protocol.NewText("small")},
		{Payload: bigEvent(1100 << 10)},
		{Payload: protocol.NewText("small too")},
		{Payload: bigEvent(1200 << 10)}, // offloaded, then refused by the queue
	}
	ids, err := p.PublishBatch(ctx, entries)
	var be *mega.BatchError
	if !errors.As(err, &be) || len(be.Failures) != 1 || be.Failures[0].Index != 3 {
		t.Fatalf("PublishBatch: %v, want entry 3 failed", err)
	}
	if ids[0] == "" || ids[1] == "" || ids[2] == "" || ids[3] != "" {
		t.Fatalf("ids %q", ids)
	}
	if rec.sent[0].Body != "small" || rec.sent[2].Body != "small too" {
		t.Errorf("small entries changed: %q, %q", rec.sent[0].Body, rec.sent[2].Body)
	}
	for _, i := range []int{0, 2} {
		if _, ok := rec.sent[i].Attributes[offload.SizeAttribute]; ok {
			t.Errorf("entry %d carries %s", i, offload.SizeAttribute)
		}
	}
	ptr, err := offload.ParsePointer(rec.sent[1].Body)
	if err != nil {
		t.Fatalf("entry 1 body %.80q: %v", rec.sent[1].Body, err)
	}
	if keys := store.Keys(bucket); len(keys) != 1 || keys[0] != ptr.Key {
		t.Fatalf("stored %v, want only entry 1's object %s (entry 3's deleted after it was refused)", keys, ptr.Key)
	}
}

func TestPublishLargePayloadFailures(t *testing.T) {
	ctx := context.Background()
	attrs := func(n int) map[string]transport.Attribute {
		m := map[string]transport.Attribute{}
		for i := range n {
			m[fmt.Sprint("a", i)] = transport.StringAttribute("v")
		}
		return m
	}
	t.Run("upload fails", func(t *testing.T) {
		q := memQueue(t, memory.QueueConfig{})
		p, _ := mega.NewPublisher(q, mega.WithLargePayloads(mega.LargePayloads{Store: offload.NewMemory(), Bucket: "no-such-bucket"}))
		_, err := p.Publish(ctx, mega.Entry{Payload: bigEvent(1100 << 10)})
		if !errors.Is(err, mega.ErrOffload) || !errors.Is(err, offload.ErrNotFound) {
			t.Fatalf("Publish: %v, want ErrOffload wrapping the store's error", err)
		}
		if n := q.Len(); n != 0 {
			t.Fatalf("%d messages sent, want none", n)
		}
	})
	t.Run("ten attributes leave no room", func(t *testing.T) {
		store := offload.NewMemory(bucket)
		p, _ := mega.NewPublisher(&offRecorder{}, mega.WithLargePayloads(mega.LargePayloads{Store: store, Bucket: bucket}))
		_, err := p.Publish(ctx, mega.Entry{Payload: bigEvent(1100 << 10), Attributes: attrs(10)})
		if !errors.Is(err, transport.ErrInvalidRequest) || len(store.Keys(bucket)) != 0 {
			t.Fatalf("Publish: %v, %d objects; want ErrInvalidRequest and nothing stored", err, len(store.Keys(bucket)))
		}
	})
	t.Run("nine attributes: the encoding attribute gives way", func(t *testing.T) {
		rec := &offRecorder{}
		p, _ := mega.NewPublisher(rec, mega.WithLargePayloads(mega.LargePayloads{Store: offload.NewMemory(bucket), Bucket: bucket}))
		if _, err := p.Publish(ctx, mega.Entry{Payload: bigEvent(1100 << 10), Attributes: attrs(9)}); err != nil {
			t.Fatal(err)
		}
		a := rec.sent[0].Attributes
		if len(a) != 10 || a[offload.SizeAttribute].DataType != "Number" {
			t.Fatalf("attributes %v", a)
		}
		if _, ok := a[mega.AttrEncoding]; ok {
			t.Fatalf("%s kept as an 11th attribute", mega.AttrEncoding)
		}
	})
	t.Run("reserved attribute names", func(t *testing.T) {
		p, _ := mega.NewPublisher(&offRecorder{}, mega.WithLargePayloads(mega.LargePayloads{Store: offload.NewMemory(bucket), Bucket: bucket}))
		for _, name := range []string{offload.SizeAttribute, offload.LegacySizeAttribute} {
			_, err := p.Publish(ctx, mega.Entry{Payload: protocol.NewText("x"), Attributes: map[string]transport.Attribute{name: {DataType: "Number", StringValue: "1"}}})
			if !errors.Is(err, transport.ErrInvalidRequest) {
				t.Errorf("attribute %s: %v, want ErrInvalidRequest", name, err)
			}
		}
	})
	t.Run("over the largest offloaded body", func(t *testing.T) {
		p, _ := mega.NewPublisher(&offRecorder{}, mega.WithLargePayloads(mega.LargePayloads{Store: offload.NewMemory(bucket), Bucket: bucket, MaxSize: 2 << 20}))
		if _, err := p.Publish(ctx, mega.Entry{Payload: bigEvent(3 << 20)}); !errors.Is(err, transport.ErrTooLarge) {
			t.Fatalf("Publish: %v, want ErrTooLarge", err)
		}
	})
}

func TestWithLargePayloadsValidates(t *testing.T) {
	store := offload.NewMemory()
	for _, cfg := range []mega.LargePayloads{
		{Bucket: bucket},
		{Store: store},
		{Store: store, Bucket: "a/b"},
		{Store: store, Bucket: bucket, Threshold: -1},
		{Store: store, Bucket: bucket, KeyPrefix: "a b/"},
		{Store: store, Bucket: bucket, MaxSize: -1},
	} {
		if _, err := mega.NewPublisher(&offRecorder{}, mega.WithLargePayloads(cfg)); !errors.Is(err, mega.ErrInvalidOption) {
			t.Errorf("%+v: %v, want ErrInvalidOption", cfg, err)
		}
	}
}

// handWritten is an offloaded message as another language's extended
// client sends it.
func handWritten(ptrBody string, attrs map[string]transport.Attribute) transport.Message {
	return transport.Message{ID: "m1", ReceiptHandle: "rh", Body: ptrBody, Attributes: attrs}
}

func sizeAttr(n int) map[string]transport.Attribute {
	return map[string]transport.Attribute{offload.SizeAttribute: {DataType: "Number", StringValue: strconv.Itoa(n)}}
}

// snsEnvelope returns an SNS notification envelope carrying message, with
// the size attribute among its message attributes when size >= 0.
func snsEnvelope(t *testing.T, message string, size int) string {
	t.Helper()
	env := map[string]any{
		"Type": "Notification", "MessageId": "sns-1", "TopicArn": "arn:aws:sns:us-east-1:123456789012:events",
		"Timestamp": "2026-12-06T01:02:03.000Z", "Message": message, "SignatureVersion": "1",
	}
	if size >= 0 {
		env["MessageAttributes"] = map[string]any{offload.SizeAttribute: map[string]string{"Type": "Number", "Value": strconv.Itoa(size)}}
	}
	b, err := json.Marshal(env)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestResolve(t *testing.T) {
	ctx := context.Background()
	payload := `{"protocol": "mega", "version": 1, "event": {"name": "user:created", "timestamp": "2026-12-06T01:02:03Z"}}`
	store := offload.NewMemory(bucket, "other-bucket")
	for _, k := range []string{"k1", "legacy"} {
		if err := store.Put(ctx, bucket, k, payload); err != nil {
			t.Fatal(err)
		}
	}
	store.Put(ctx, "other-bucket", "k1", payload)
	r, err := mega.NewResolver(store, mega.WithTrustedBuckets(bucket), mega.WithMaxPayloadSize(1<<20))
	if err != nil {
		t.Fatal(err)
	}
	python := `["software.amazon.payloadoffloading.PayloadS3Pointer", {"s3BucketName": "mega-payloads", "s3Key": "k1"}]`
	legacy := `["com.amazon.sqs.javamessaging.MessageS3Pointer",{"s3BucketName":"mega-payloads","s3Key":"legacy"}]`
	n := len(payload)

	t.Run("direct", func(t *testing.T) {
		body, ref, err := r.Resolve(ctx, handWritten(python, sizeAttr(n)))
		if err != nil || body != payload || ref == nil || ref.Key != "k1" || ref.Size != int64(n) {
			t.Fatalf("Resolve = %q, %+v, %v", body, ref, err)
		}
	})
	t.Run("legacy attribute and class", func(t *testing.T) {
		attrs := map[string]transport.Attribute{offload.LegacySizeAttribute: {DataType: "Number", StringValue: strconv.Itoa(n)}}
		body, ref, err := r.Resolve(ctx, handWritten(legacy, attrs))
		if err != nil || body != payload || ref.Key != "legacy" {
			t.Fatalf("Resolve = %q, %+v, %v", body, ref, err)
		}
	})
	t.Run("SNS envelope", func(t *testing.T) {
		body, ref, err := r.Resolve(ctx, handWritten(snsEnvelope(t, python, n), nil))
		if err != nil || ref == nil || !ref.SNS {
			t.Fatalf("Resolve = %q, %+v, %v", body, ref, err)
		}
		m, err := protocol.Decode(body)
		if err != nil || m.SNS == nil || m.SNS.MessageID != "sns-1" || m.Kind != protocol.KindMega || m.Mega.Event.Name != "user:created" {
			t.Fatalf("the resolved envelope decodes to %+v, %v", m, err)
		}
	})
	t.Run("SNS envelope, size attribute on the SQS message", func(t *testing.T) {
		body, ref, err := r.Resolve(ctx, handWritten(snsEnvelope(t, python, -1), sizeAttr(n)))
		if err != nil || ref == nil || !ref.SNS || !strings.Contains(body, `"Message":"{\"protocol\": \"mega\"`) {
			t.Fatalf("Resolve = %q, %+v, %v", body, ref, err)
		}
	})
	t.Run("not offloaded", func(t *testing.T) {
		for _, m := range []transport.Message{
			handWritten(payload, nil),
			handWritten(python, nil), // a pointer without the size attribute: not offloaded, as the extended clients see it
			handWritten(snsEnvelope(t, python, -1), nil),
			handWritten(snsEnvelope(t, payload, -1), nil),
		} {
			body, ref, err := r.Resolve(ctx, m)
			if err != nil || ref != nil || body != m.Body {
				t.Errorf("Resolve(%.60q) = %.60q, %+v, %v; want it unchanged", m.Body, body, ref, err)
			}
		}
	})

	refused := []struct {
		name   string
		msg    transport.Message
		reason error
	}{
		{"other bucket", handWritten(`["software.amazon.payloadoffloading.PayloadS3Pointer",{"s3BucketName":"other-bucket","s3Key":"k1"}]`, sizeAttr(n)), mega.ErrUntrustedBucket},
		{"SNS, other bucket", handWritten(snsEnvelope(t, `["software.amazon.payloadoffloading.PayloadS3Pointer",{"s3BucketName":"other-bucket","s3Key":"k1"}]`, n), nil), mega.ErrUntrustedBucket},
		{"missing key", handWritten(`["software.amazon.payloadoffloading.PayloadS3Pointer",{"s3BucketName":"mega-payloads","s3Key":"gone"}]`, sizeAttr(n)), mega.ErrPayloadMissing},
		{"object larger than declared", handWritten(python, sizeAttr(n-1)), mega.ErrPayloadSizeMismatch},
		{"object smaller than declared", handWritten(python, sizeAttr(n+1)), mega.ErrPayloadSizeMismatch},
		{"declared over the limit", handWritten(python, sizeAttr(2<<20)), mega.ErrPayloadTooLarge},
		{"size attribute but no pointer", handWritten(payload, sizeAttr(n)), mega.ErrMalformedPointer},
		{"size attribute, pointer with an extra member", handWritten(`["software.amazon.payloadoffloading.PayloadS3Pointer",{"s3BucketName":"mega-payloads","s3Key":"k1","x":1}]`, sizeAttr(n)), mega.ErrMalformedPointer},
		{"size not a number", handWritten(python, map[string]transport.Attribute{offload.SizeAttribute: transport.StringAttribute("many")}), mega.ErrMalformedPointer},
		{"SNS, message not a pointer", handWritten(snsEnvelope(t, payload, n), nil), mega.ErrMalformedPointer},
	}
	for _, tt := range refused {
		t.Run(tt.name, func(t *testing.T) {
			_, ref, err := r.Resolve(ctx, tt.msg)
			var pe *mega.PermanentError
			var oe *mega.OffloadError
			if !errors.As(err, &pe) || !errors.As(err, &oe) || !errors.Is(err, tt.reason) || ref != nil {
				t.Fatalf("Resolve: %v (%+v); want a permanent *OffloadError for %v", err, ref, tt.reason)
			}
		})
	}
	if keys := store.Keys(bucket); len(keys) != 2 {
		t.Fatalf("refusals touched the objects: %v", keys)
	}
}

// flakyStore fails every Get with a transient error.
type flakyStore struct{ offload.Store }

func (flakyStore) Get(context.Context, string, string, int64) (string, error) {
	return "", errors.New("connection reset by peer")
}

func TestResolveTransientFailure(t *testing.T) {
	r, _ := mega.NewResolver(flakyStore{offload.NewMemory(bucket)}, mega.WithTrustedBuckets(bucket))
	_, _, err := r.Resolve(context.Background(), handWritten(offload.Pointer{Bucket: bucket, Key: "k"}.Body(), sizeAttr(10)))
	var pe *mega.PermanentError
	if !errors.Is(err, mega.ErrPayloadUnavailable) || errors.As(err, &pe) {
		t.Fatalf("Resolve: %v; want ErrPayloadUnavailable, not permanent", err)
	}
}

func TestResolverDeleteAndKeep(t *testing.T) {
	ctx := context.Background()
	store := offload.NewMemory(bucket)
	store.Put(ctx, bucket, "k", "body")
	ref := &mega.Offloaded{Bucket: bucket, Key: "k", Size: 4}
	keep, _ := mega.NewResolver(store, mega.WithTrustedBuckets(bucket), mega.WithKeepPayloads())
	if err := keep.Delete(ctx, ref); err != nil || len(store.Keys(bucket)) != 1 {
		t.Fatalf("Delete with WithKeepPayloads: %v, objects %v", err, store.Keys(bucket))
	}
	r, _ := mega.NewResolver(store, mega.WithTrustedBuckets(bucket))
	if err := r.Delete(ctx, nil); err != nil {
		t.Fatal(err)
	}
	if err := r.Delete(ctx, ref); err != nil || len(store.Keys(bucket)) != 0 {
		t.Fatalf("Delete: %v, objects %v", err, store.Keys(bucket))
	}
}

func TestResolveBody(t *testing.T) {
	ctx := context.Background()
	store := offload.NewMemory(bucket)
	store.Put(ctx, bucket, "k", `{"a": 1}`)
	r, _ := mega.NewResolver(store, mega.WithTrustedBuckets(bucket))
	ptr := offload.Pointer{Bucket: bucket, Key: "k"}.Body()
	if body, ref, err := r.ResolveBody(ctx, ptr); err != nil || body != `{"a": 1}` || ref == nil {
		t.Fatalf("ResolveBody(pointer) = %q, %+v, %v", body, ref, err)
	}
	if body, ref, err := r.ResolveBody(ctx, snsEnvelope(t, ptr, -1)); err != nil || ref == nil || !ref.SNS || !strings.Contains(body, `"Message":"{\"a\": 1}"`) {
		t.Fatalf("ResolveBody(envelope) = %q, %+v, %v", body, ref, err)
	}
	if body, ref, err := r.ResolveBody(ctx, `{"a": 2}`); err != nil || ref != nil || body != `{"a": 2}` {
		t.Fatalf("ResolveBody(plain) = %q, %+v, %v", body, ref, err)
	}
}

func TestNewResolverValidates(t *testing.T) {
	store := offload.NewMemory()
	for name, opts := range map[string][]mega.ResolverOption{
		"no bucket":  nil,
		"bad bucket": {mega.WithTrustedBuckets("a/b")},
		"zero limit": {mega.WithTrustedBuckets(bucket), mega.WithMaxPayloadSize(0)},
	} {
		if _, err := mega.NewResolver(store, opts...); !errors.Is(err, mega.ErrInvalidOption) {
			t.Errorf("%s: %v, want ErrInvalidOption", name, err)
		}
	}
	if _, err := mega.NewResolver(nil, mega.WithTrustedBuckets(bucket)); !errors.Is(err, mega.ErrInvalidOption) {
		t.Errorf("nil store: %v", err)
	}
}
