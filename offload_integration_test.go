package mega_test

// Integration tests of large payloads through S3 on the test server
// (moto, which speaks S3 on the same port as SQS and SNS): what our
// publisher writes, what another language's extended client writes, and
// what a forger could write.

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awss3 "github.com/aws/aws-sdk-go-v2/service/s3"

	mega "github.com/sqs-mega/sqs-mega-go"
	"github.com/sqs-mega/sqs-mega-go/internal/awstest"
	"github.com/sqs-mega/sqs-mega-go/internal/s3test"
	"github.com/sqs-mega/sqs-mega-go/match"
	"github.com/sqs-mega/sqs-mega-go/offload"
	"github.com/sqs-mega/sqs-mega-go/protocol"
	"github.com/sqs-mega/sqs-mega-go/transport"
	"github.com/sqs-mega/sqs-mega-go/transport/s3store"
	"github.com/sqs-mega/sqs-mega-go/transport/sns"
	"github.com/sqs-mega/sqs-mega-go/transport/sqs"
)

// s3World is a bucket on the test server with a store on it and a
// resolver trusting it.
type s3World struct {
	env      *awstest.Env
	client   *awss3.Client
	store    *s3store.Store
	bucket   string
	resolver *mega.Resolver
}

func newS3World(t *testing.T) *s3World {
	t.Helper()
	w := &s3World{env: awstest.New(t)}
	w.store, w.client = s3test.Store(t)
	w.bucket = s3test.Bucket(t, w.client)
	var err error
	if w.resolver, err = mega.NewResolver(w.store, mega.WithTrustedBuckets(w.bucket)); err != nil {
		t.Fatal(err)
	}
	return w
}

func (w *s3World) publisher(t *testing.T, dest transport.Sender, cfg mega.LargePayloads) *mega.Publisher {
	t.Helper()
	cfg.Store, cfg.Bucket = w.store, w.bucket
	p, err := mega.NewPublisher(dest, mega.WithLargePayloads(cfg), mega.WithPublisherLogger(e2eLogger(t)))
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// resolveDecode resolves and decodes a received message.
func (w *s3World) resolveDecode(t *testing.T, m transport.Message) (protocol.Message, *mega.Offloaded) {
	t.Helper()
	body, ref, err := w.resolver.Resolve(context.Background(), m)
	if err != nil {
		t.Fatalf("Resolve: %v", err)
	}
	dm, err := protocol.Decode(body)
	if err != nil {
		t.Fatalf("Decode: %v", err)
	}
	return dm, ref
}

func TestS3LargeEventRoundTrip(t *testing.T) {
	t.Parallel()
	w := newS3World(t)
	q := w.env.Queue(t, sqs.QueueConfig{})
	p := w.publisher(t, q, mega.LargePayloads{KeyPrefix: "events/"})
	event := bigEvent(1200 << 10)
	if _, err := p.Publish(context.Background(), mega.Entry{Payload: event}); err != nil {
		t.Fatalf("Publish 1.2 MiB: %v", err)
	}
	m := awstest.Receive(t, q, 1, e2eWithin, transport.ReceiveRequest{VisibilityTimeout: time.Minute})[0]
	if len(m.Body) > 1024 {
		t.Fatalf("the queue holds a body of %d bytes, want a pointer", len(m.Body))
	}
	dm, ref := w.resolveDecode(t, m)
	if dm.Kind != protocol.KindMega || dm.Mega.Object.Current["text"] != event.Mega.Object.Current["text"] {
		t.Fatalf("resolved %s payload, not the event published", dm.Kind)
	}
	if ref == nil || ref.Bucket != w.bucket || !strings.HasPrefix(ref.Key, "events/") || ref.Size < 1200<<10 {
		t.Fatalf("Offloaded %+v", ref)
	}
	// The object goes only after the message.
	if errs, err := q.Delete(context.Background(), []string{m.ReceiptHandle}); err != nil || errs[0] != nil {
		t.Fatalf("Delete: %v %v", err, errs)
	}
	if err := w.resolver.Delete(context.Background(), ref); err != nil {
		t.Fatal(err)
	}
	if keys := s3test.Keys(t, w.client, w.bucket); len(keys) != 0 {
		t.Fatalf("objects left: %v", keys)
	}
}

// TestS3HandWrittenPointer resolves a message exactly as the Python
// extended client writes it (json.dumps spacing, ExtendedPayloadSize as a
// Number, the object put as UTF-8 text).
func TestS3HandWrittenPointer(t *testing.T) {
	t.Parallel()
	w := newS3World(t)
	q := w.env.Queue(t, sqs.QueueConfig{})
	payload := `{"protocol": "mega", "version": 1, "event": {"name": "user:created", "timestamp": "2026-12-06T01:02:03Z", "attributes": {"name": "Zoë"}}}`
	key := "3b241101-e2bb-4255-8caf-4136c566a962"
	if _, err := w.client.PutObject(context.Background(), &awss3.PutObjectInput{Bucket: aws.String(w.bucket), Key: aws.String(key), Body: strings.NewReader(payload)}); err != nil {
		t.Fatal(err)
	}
	awstest.Send(t, q, transport.Outgoing{
		Body:       `["software.amazon.payloadoffloading.PayloadS3Pointer", {"s3BucketName": "` + w.bucket + `", "s3Key": "` + key + `"}]`,
		Attributes: map[string]transport.Attribute{"ExtendedPayloadSize": {DataType: "Number", StringValue: strconv.Itoa(len(payload))}},
	})
	m := awstest.Receive(t, q, 1, e2eWithin, transport.ReceiveRequest{VisibilityTimeout: time.Minute})[0]
	dm, ref := w.resolveDecode(t, m)
	if dm.Kind != protocol.KindMega || dm.Mega.Event.Attributes["name"] != "Zoë" || ref.Key != key || ref.Size != int64(len(payload)) {
		t.Fatalf("resolved %s %+v, %+v", dm.Kind, dm.Mega, ref)
	}
}

func TestS3ThroughSNS(t *testing.T) {
	t.Parallel()
	w := newS3World(t)
	for _, raw := range []bool{false, true} {
		t.Run("raw="+strconv.FormatBool(raw), func(t *testing.T) {
			tp := w.env.Topic(t, sns.TopicConfig{})
			q := w.env.Queue(t, sqs.QueueConfig{})
			w.env.Subscribe(t, tp, q, sns.QueueSubscription{RawMessageDelivery: raw})
			p := w.publisher(t, tp, mega.LargePayloads{}) // 256 KiB, SNS's limit
			event := bigEvent(300 << 10)
			id, err := p.Publish(context.Background(), mega.Entry{Payload: event})
			if err != nil {
				t.Fatalf("Publish 300 KiB to a topic: %v", err)
			}
			m := awstest.Receive(t, q, 1, e2eWithin, transport.ReceiveRequest{VisibilityTimeout: time.Minute})[0]
			dm, ref := w.resolveDecode(t, m)
			if dm.Kind != protocol.KindMega || dm.Mega.Object.Current["text"] != event.Mega.Object.Current["text"] {
				t.Fatalf("resolved %s payload, not the event", dm.Kind)
			}
			if ref == nil || ref.SNS == raw {
				t.Fatalf("Offloaded %+v; SNS envelope expected: %v", ref, !raw)
			}
			if !raw && (dm.SNS == nil || dm.SNS.MessageID != id || dm.SNS.TopicARN != tp.ARN()) {
				t.Fatalf("envelope %+v, want the notification %s from %s", dm.SNS, id, tp.ARN())
			}
		})
	}
}

func TestS3BatchOffloadsOnlyWhatNeedsIt(t *testing.T) {
	t.Parallel()
	w := newS3World(t)
	q := w.env.Queue(t, sqs.QueueConfig{})
	p := w.publisher(t, q, mega.LargePayloads{})
	entries := []mega.Entry{
		{Payload: protocol.NewData(map[string]any{"n": "small-0"})},
		{Payload: bigEvent(1100 << 10)},
		{Payload: protocol.NewData(map[string]any{"n": "small-2"})},
		{Payload: bigEvent(1300 << 10)},
	}
	ids, err := p.PublishBatch(context.Background(), entries)
	if err != nil {
		t.Fatalf("PublishBatch: %v", err)
	}
	if keys := s3test.Keys(t, w.client, w.bucket); len(keys) != 2 {
		t.Fatalf("%d objects stored, want 2 (the large entries)", len(keys))
	}
	byID := map[string]transport.Message{}
	for _, m := range awstest.Receive(t, q, 4, e2eWithin, transport.ReceiveRequest{VisibilityTimeout: time.Minute}) {
		byID[m.ID] = m
	}
	for i, id := range ids {
		m := byID[id]
		_, offloaded := m.Attributes[offload.SizeAttribute]
		if offloaded != (i%2 == 1) {
			t.Errorf("entry %d offloaded: %v", i, offloaded)
		}
		dm, _ := w.resolveDecode(t, m)
		if i%2 == 0 && dm.Data["n"] != "small-"+strconv.Itoa(i) || i%2 == 1 && dm.Kind != protocol.KindMega {
			t.Errorf("entry %d resolved to %s %v", i, dm.Kind, dm.Data)
		}
	}
}

func TestS3ForgedPointers(t *testing.T) {
	t.Parallel()
	w := newS3World(t)
	other := s3test.Bucket(t, w.client) // exists, holds the object, is not trusted
	q := w.env.Queue(t, sqs.QueueConfig{})
	payload := `{"secret": "of another bucket"}`
	for _, b := range []string{w.bucket, other} {
		if err := w.store.Put(context.Background(), b, "obj", payload); err != nil {
			t.Fatal(err)
		}
	}
	size := func(n int) map[string]transport.Attribute {
		return map[string]transport.Attribute{offload.SizeAttribute: {DataType: "Number", StringValue: strconv.Itoa(n)}}
	}
	tests := []struct {
		name   string
		out    transport.Outgoing
		reason error
		says   string
	}{
		{"other bucket", transport.Outgoing{Body: offload.Pointer{Bucket: other, Key: "obj"}.Body(), Attributes: size(len(payload))}, mega.ErrUntrustedBucket, "not trusted"},
		{"missing key", transport.Outgoing{Body: offload.Pointer{Bucket: w.bucket, Key: "nothing-here"}.Body(), Attributes: size(len(payload))}, mega.ErrPayloadMissing, "missing"},
		{"wrong size", transport.Outgoing{Body: offload.Pointer{Bucket: w.bucket, Key: "obj"}.Body(), Attributes: size(len(payload) + 1)}, mega.ErrPayloadSizeMismatch, "size differs"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			awstest.Send(t, q, tt.out)
			m := awstest.Receive(t, q, 1, e2eWithin, transport.ReceiveRequest{VisibilityTimeout: time.Minute})[0]
			_, ref, err := w.resolver.Resolve(context.Background(), m)
			var pe *mega.PermanentError
			if !errors.As(err, &pe) || !errors.Is(err, tt.reason) || !strings.Contains(err.Error(), tt.says) || ref != nil {
				t.Fatalf("Resolve: %v; want a permanent error saying %q", err, tt.says)
			}
			q.Delete(context.Background(), []string{m.ReceiptHandle})
		})
	}
	if keys := s3test.Keys(t, w.client, w.bucket); len(keys) != 1 {
		t.Fatalf("refused pointers touched the objects: %v", keys)
	}
}

// TestS3ThroughTheConsumer runs the consumer with a resolver against the
// test server: a 1.2 MiB event reaches the subscriber through S3 and its
// object goes once the message is deleted; a pointer into a bucket the
// consumer does not trust is dead-lettered with the reason and its object
// kept.
func TestS3ThroughTheConsumer(t *testing.T) {
	t.Parallel()
	w := newS3World(t)
	q, dlq := w.env.QueueWithDLQ(t, sqs.QueueConfig{}, 5)
	p := w.publisher(t, q, mega.LargePayloads{})
	event := bigEvent(1200 << 10)
	if _, err := p.Publish(context.Background(), mega.Entry{Payload: event}); err != nil {
		t.Fatal(err)
	}
	other := s3test.Bucket(t, w.client)
	if _, err := w.client.PutObject(context.Background(), &awss3.PutObjectInput{Bucket: aws.String(other), Key: aws.String("k"), Body: strings.NewReader(`{"a":1}`)}); err != nil {
		t.Fatal(err)
	}
	awstest.Send(t, q, transport.Outgoing{
		Body:       `["software.amazon.payloadoffloading.PayloadS3Pointer",{"s3BucketName":"` + other + `","s3Key":"k"}]`,
		Attributes: map[string]transport.Attribute{"ExtendedPayloadSize": {DataType: "Number", StringValue: "7"}},
	})
	got := make(chan *mega.Message, 1)
	c, stop := e2eRun(t, q, []mega.Subscriber{{Event: match.Event{}, Data: match.Data{}, Process: func(_ context.Context, m *mega.Message) error {
		got <- m
		return nil
	}}}, mega.WithPayloadResolver(w.resolver))
	m := e2eNext(t, got)
	awstest.Eventually(t, e2eWithin, "the event is processed and the pointer dead-lettered", func() bool {
		s := c.Stats()
		return s.Processed == 1 && s.DeadLettered == 1 && s.Deleted == 2
	})
	stop()
	if m.Kind != protocol.KindMega || m.Offloaded == nil || m.Mega.Object.Current["text"] != event.Mega.Object.Current["text"] {
		t.Fatalf("the subscriber saw %s, offloaded %+v", m.Kind, m.Offloaded)
	}
	if keys := s3test.Keys(t, w.client, w.bucket); len(keys) != 0 {
		t.Errorf("objects left after their message was deleted: %v", keys)
	}
	if keys := s3test.Keys(t, w.client, other); len(keys) != 1 {
		t.Errorf("the dead-lettered pointer's object is gone: %v", keys)
	}
	dead := awstest.Receive(t, dlq, 1, e2eWithin, transport.ReceiveRequest{})
	if r := dead[0].Attributes[mega.AttrDeadLetterReason].StringValue; !strings.Contains(r, "not trusted") {
		t.Errorf("dead-letter reason %q", r)
	}
	if _, ok := dead[0].Attributes["ExtendedPayloadSize"]; !ok {
		t.Error("the dead-letter copy lost its size attribute")
	}
}
