package mega_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"go.opentelemetry.io/contrib/propagators/aws/xray"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/baggage"
	"go.opentelemetry.io/otel/propagation"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"

	mega "github.com/sqs-mega/sqs-mega-go"
	"github.com/sqs-mega/sqs-mega-go/match"
	"github.com/sqs-mega/sqs-mega-go/protocol"
	"github.com/sqs-mega/sqs-mega-go/transport"
	"github.com/sqs-mega/sqs-mega-go/transport/memory"
)

// w3c is the propagator the tests configure: W3C trace context and baggage.
var w3c = propagation.NewCompositeTextMapPropagator(propagation.TraceContext{}, propagation.Baggage{})

// observed is an in-memory tracer provider and meter provider.
type observed struct {
	spans  *tracetest.SpanRecorder
	tp     *sdktrace.TracerProvider
	reader *sdkmetric.ManualReader
	mp     *sdkmetric.MeterProvider
}

func newObserved(t testing.TB) *observed {
	o := &observed{spans: tracetest.NewSpanRecorder(), reader: sdkmetric.NewManualReader()}
	o.tp = sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(o.spans))
	o.mp = sdkmetric.NewMeterProvider(sdkmetric.WithReader(o.reader))
	t.Cleanup(func() {
		_ = o.tp.Shutdown(context.Background())
		_ = o.mp.Shutdown(context.Background())
	})
	return o
}

func (o *observed) consumerOptions() []mega.Option {
	return []mega.Option{mega.WithTracerProvider(o.tp), mega.WithMeterProvider(o.mp), mega.WithPropagator(w3c)}
}

func (o *observed) publisher(t testing.TB, dest transport.Sender) *mega.Publisher {
	t.Helper()
	p, err := mega.NewPublisher(dest, mega.WithPublisherLogger(quiet), mega.WithPublisherTracerProvider(o.tp),
		mega.WithPublisherMeterProvider(o.mp), mega.WithPublisherPropagator(w3c))
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// named returns the ended spans with the given name.
func (o *observed) named(name string) []sdktrace.ReadOnlySpan {
	var out []sdktrace.ReadOnlySpan
	for _, s := range o.spans.Ended() {
		if s.Name() == name {
			out = append(out, s)
		}
	}
	return out
}

// sum is the sum of the points of a counter (or the count of a
// histogram) whose attributes include want.
func (o *observed) sum(t testing.TB, name string, want ...attribute.KeyValue) int64 {
	t.Helper()
	var rm metricdata.ResourceMetrics
	if err := o.reader.Collect(context.Background(), &rm); err != nil {
		t.Fatal(err)
	}
	var n int64
	has := func(set attribute.Set) bool {
		for _, kv := range want {
			if v, ok := set.Value(kv.Key); !ok || v != kv.Value {
				return false
			}
		}
		return true
	}
	for _, sm := range rm.ScopeMetrics {
		for _, m := range sm.Metrics {
			if m.Name != name {
				continue
			}
			switch d := m.Data.(type) {
			case metricdata.Sum[int64]:
				for _, p := range d.DataPoints {
					if has(p.Attributes) {
						n += p.Value
					}
				}
			case metricdata.Histogram[float64]:
				for _, p := range d.DataPoints {
					if has(p.Attributes) {
						n += int64(p.Count)
					}
				}
			}
		}
	}
	return n
}

func attr(s sdktrace.ReadOnlySpan, key string) attribute.Value {
	for _, kv := range s.Attributes() {
		if string(kv.Key) == key {
			return kv.Value
		}
	}
	return attribute.Value{}
}

func hasEvent(s sdktrace.ReadOnlySpan, name string) bool {
	for _, e := range s.Events() {
		if e.Name == name {
			return true
		}
	}
	return false
}

// A message published in a trace is processed in it: each process span's
// parent is the send span, across the queue; a retry shows on the first
// delivery's span, and the handler's context carries the process span.
func TestTraceFromPublishToProcess(t *testing.T) {
	o := newObserved(t)
	f := newTimedFixture(t, "traced", memory.QueueConfig{})
	ctx, root := o.tp.Tracer("test").Start(context.Background(), "request")
	if _, err := o.publisher(t, f.queue).Publish(ctx, mega.Entry{Payload: seedEvent("1")}); err != nil {
		t.Fatal(err)
	}
	root.End()

	var mu sync.Mutex
	var handlerSpans []trace.SpanContext
	c, stop := f.run([]mega.Subscriber{{Name: "users", Event: match.Event{"domain": "user"},
		Process: func(ctx context.Context, m *mega.Message) error {
			mu.Lock()
			defer mu.Unlock()
			handlerSpans = append(handlerSpans, trace.SpanContextFromContext(ctx))
			if m.ReceiveCount == 1 {
				return mega.Retry(time.Second)
			}
			return nil
		}}}, o.consumerOptions()...)
	f.advanceUntil("the message is processed", func() bool { return c.Stats().Deleted == 1 })
	stop()

	sends := o.named("send traced")
	if len(sends) != 1 {
		t.Fatalf("%d send spans, want 1", len(sends))
	}
	send := sends[0]
	if send.SpanKind() != trace.SpanKindProducer || send.Parent().SpanID() != root.SpanContext().SpanID() {
		t.Errorf("send span: kind %v, parent %v; want a producer span under the request", send.SpanKind(), send.Parent())
	}
	if attr(send, "messaging.system").AsString() != "aws_sqs" || attr(send, "messaging.destination.name").AsString() != "traced" ||
		attr(send, "messaging.message.id").AsString() == "" {
		t.Errorf("send span attributes: %v", send.Attributes())
	}
	procs := o.named("process traced")
	if len(procs) != 2 {
		t.Fatalf("%d process spans, want 2 (a retry, then success)", len(procs))
	}
	receives := map[trace.SpanID]bool{}
	for _, r := range o.named("receive traced") {
		receives[r.SpanContext().SpanID()] = true
	}
	for i, p := range procs {
		if p.Parent().SpanID() != send.SpanContext().SpanID() || p.SpanContext().TraceID() != send.SpanContext().TraceID() {
			t.Errorf("process span %d: parent %s in trace %s, want the send span %s", i, p.Parent().SpanID(), p.SpanContext().TraceID(), send.SpanContext().SpanID())
		}
		if p.SpanKind() != trace.SpanKindConsumer || attr(p, "mega.subscriber").AsString() != "users" {
			t.Errorf("process span %d: kind %v, attributes %v", i, p.SpanKind(), p.Attributes())
		}
		if len(p.Links()) != 1 || !receives[p.Links()[0].SpanContext.SpanID()] {
			t.Errorf("process span %d does not link to a receive span: %v", i, p.Links())
		}
		if handlerSpans[i].SpanID() != p.SpanContext().SpanID() {
			t.Errorf("handler %d ran in span %s, not its process span %s", i, handlerSpans[i].SpanID(), p.SpanContext().SpanID())
		}
	}
	if !hasEvent(procs[0], "retry") || attr(procs[0], "mega.verdict").AsString() != "retry" {
		t.Errorf("the first delivery's span does not show the retry: %v %v", procs[0].Events(), procs[0].Attributes())
	}
	if attr(procs[1], "mega.verdict").AsString() != "delete" {
		t.Errorf("second delivery: verdict %v", attr(procs[1], "mega.verdict"))
	}
	for _, name := range []string{"change_visibility traced", "delete traced"} {
		settles := o.named(name)
		if len(settles) != 1 || attr(settles[0], "messaging.operation.type").AsString() != "settle" ||
			settles[0].SpanContext().TraceID() != send.SpanContext().TraceID() {
			t.Errorf("%d %q settle spans in the message's trace, want 1", len(settles), name)
		}
	}

	dest := attribute.String("messaging.destination.name", "traced")
	for name, want := range map[string]int64{
		"messaging.client.sent.messages":      1,
		"messaging.client.consumed.messages":  2,
		"messaging.process.duration":          2,
		"mega.consumer.retries":               1,
		"mega.consumer.dead_lettered":         0,
		"messaging.client.operation.duration": 2, // at least the send and a receive
	} {
		got := o.sum(t, name, dest)
		if name == "messaging.client.operation.duration" && got >= want || got == want {
			continue
		}
		t.Errorf("%s = %d, want %d", name, got, want)
	}
}

// Dead-lettering shows on the process span with the reason, and is
// counted by the class of the reason.
func TestTraceDeadLettering(t *testing.T) {
	o := newObserved(t)
	f := newFixture(t, "poisoned", memory.QueueConfig{})
	if _, err := o.publisher(t, f.queue).Publish(context.Background(), mega.Entry{Payload: seedEvent("1")}); err != nil {
		t.Fatal(err)
	}
	f.sendRaw("just some text")
	c, stop := f.run([]mega.Subscriber{{Name: "users", Event: match.Event{},
		Process: func(context.Context, *mega.Message) error { return mega.Permanent(errors.New("user is banned")) }}},
		o.consumerOptions()...)
	eventually(t, "both messages are dead-lettered", func() bool { return c.Stats().DeadLettered == 2 && f.empty() })
	stop()
	procs := o.named("process poisoned")
	if len(procs) != 2 {
		t.Fatalf("%d process spans, want 2", len(procs))
	}
	for _, p := range procs {
		if !hasEvent(p, "dead_letter") || attr(p, "mega.verdict").AsString() != "poison" {
			t.Errorf("process span does not show the dead-lettering: %v", p.Events())
		}
	}
	if n := len(o.named("dead_letter poisoned")); n != 2 {
		t.Errorf("%d dead_letter settle spans, want 2", n)
	}
	for class, want := range map[string]int64{"permanent": 1, "not_mega": 1} {
		if got := o.sum(t, "mega.consumer.dead_lettered", attribute.String("mega.dead_letter.class", class)); got != want {
			t.Errorf("dead-lettered (%s) = %d, want %d", class, got, want)
		}
	}
	// The dead-lettered copy keeps the trace context.
	for _, m := range f.dlq.Messages() {
		if m.Body != "just some text" && m.Attributes[mega.AttrTraceParent].StringValue == "" {
			t.Errorf("the dead-lettered copy lost its traceparent: %v", m.Attributes)
		}
	}
}

// A batch publish has one send span linked to a create span per message,
// and each message is processed under its own create span.
func TestTraceBatchPublish(t *testing.T) {
	o := newObserved(t)
	f := newFixture(t, "batch", memory.QueueConfig{})
	entries := []mega.Entry{{Payload: seedEvent("1")}, {Payload: seedEvent("2")}, {Payload: seedEvent("3")}}
	if _, err := o.publisher(t, f.queue).PublishBatch(context.Background(), entries); err != nil {
		t.Fatal(err)
	}
	c, stop := f.run([]mega.Subscriber{{Event: match.Event{}, Process: func(context.Context, *mega.Message) error { return nil }}},
		o.consumerOptions()...)
	eventually(t, "the batch is processed", func() bool { return c.Stats().Deleted == 3 })
	stop()
	send, creates := o.named("send batch"), o.named("create batch")
	if len(send) != 1 || len(creates) != 3 {
		t.Fatalf("%d send and %d create spans, want 1 and 3", len(send), len(creates))
	}
	if n := attr(send[0], "messaging.batch.message_count").AsInt64(); n != 3 || len(send[0].Links()) != 3 {
		t.Errorf("send span: batch count %d, %d links; want 3 and 3", n, len(send[0].Links()))
	}
	ids := map[trace.SpanID]bool{}
	for _, c := range creates {
		ids[c.SpanContext().SpanID()] = true
	}
	for _, p := range o.named("process batch") {
		if !ids[p.Parent().SpanID()] {
			t.Errorf("process span's parent %s is no create span", p.Parent().SpanID())
		}
		delete(ids, p.Parent().SpanID())
	}
	if len(ids) != 0 {
		t.Errorf("%d messages were not processed under their create span", len(ids))
	}
}

// traceparentFormat is the W3C trace context header, version 00.
var traceparentFormat = regexp.MustCompile(`^00-([0-9a-f]{32})-([0-9a-f]{16})-[0-9a-f]{2}$`)

// Interoperability: a traceparent written by another instrumentation, by
// the W3C format, is continued; one we write parses by that format.
func TestTraceInterop(t *testing.T) {
	o := newObserved(t)
	f := newFixture(t, "interop", memory.QueueConfig{})
	const (
		traceID = "4bf92f3577b34da6a3ce929d0e0e4736"
		spanID  = "00f067aa0ba902b7"
	)
	body, err := protocol.Encode(seedEvent("1"))
	if err != nil {
		t.Fatal(err)
	}
	res, err := f.queue.Send(context.Background(), []transport.Outgoing{{Body: body, Attributes: map[string]transport.Attribute{
		"traceparent": transport.StringAttribute("00-" + traceID + "-" + spanID + "-01"),
		"tracestate":  transport.StringAttribute("vendor=value"),
	}}})
	if err != nil || res[0].Err != nil {
		t.Fatal(err, res)
	}
	c, stop := f.run([]mega.Subscriber{{Event: match.Event{}, Process: func(context.Context, *mega.Message) error { return nil }}},
		o.consumerOptions()...)
	eventually(t, "the message is processed", func() bool { return c.Stats().Deleted == 1 })
	stop()
	procs := o.named("process interop")
	if len(procs) != 1 || procs[0].SpanContext().TraceID().String() != traceID || procs[0].Parent().SpanID().String() != spanID ||
		procs[0].SpanContext().TraceState().Get("vendor") != "value" {
		t.Fatalf("the foreign trace context is not continued: %v", procs)
	}

	// What we publish.
	ctx, span := o.tp.Tracer("test").Start(context.Background(), "request")
	defer span.End()
	if _, err := o.publisher(t, f.queue).Publish(ctx, mega.Entry{Payload: seedEvent("2")}); err != nil {
		t.Fatal(err)
	}
	msgs := f.queue.Messages()
	if len(msgs) != 1 {
		t.Fatalf("%d messages in the queue", len(msgs))
	}
	a := msgs[0].Attributes
	m := traceparentFormat.FindStringSubmatch(a["traceparent"].StringValue)
	if a["traceparent"].DataType != "String" || m == nil || m[1] != span.SpanContext().TraceID().String() {
		t.Errorf("traceparent attribute %+v is not a W3C traceparent of trace %s", a["traceparent"], span.SpanContext().TraceID())
	}
	if _, ok := a["tracestate"]; ok {
		t.Errorf("an empty tracestate was written: %+v", a["tracestate"])
	}
	if a[mega.AttrEncoding].StringValue != "json" {
		t.Errorf("the encoding attribute is missing: %v", a)
	}
}

// The publisher adds at most 2 attributes of its own and never takes a
// message over 10: the trace context comes first, the encoding attribute
// gives way (with a debug log), then baggage; the entry's own attributes
// are always kept.
func TestTraceAttributeLimit(t *testing.T) {
	o := newObserved(t)
	f := newFixture(t, "limit", memory.QueueConfig{})
	var logs strings.Builder // the publisher logs in the caller's goroutine
	p, err := mega.NewPublisher(f.queue, mega.WithPublisherLogger(slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))),
		mega.WithPublisherTracerProvider(o.tp), mega.WithPublisherPropagator(w3c))
	if err != nil {
		t.Fatal(err)
	}
	own := func(n int) map[string]transport.Attribute {
		m := map[string]transport.Attribute{}
		for i := range n {
			m[fmt.Sprintf("a%d", i)] = transport.StringAttribute("v")
		}
		return m
	}
	plain, span := o.tp.Tracer("test").Start(context.Background(), "request")
	defer span.End()
	state, _ := trace.ParseTraceState("vendor=value")
	remote := trace.ContextWithRemoteSpanContext(context.Background(), trace.NewSpanContext(trace.SpanContextConfig{
		TraceID: span.SpanContext().TraceID(), SpanID: span.SpanContext().SpanID(), TraceFlags: trace.FlagsSampled, TraceState: state}))
	withState, span2 := o.tp.Tracer("test").Start(remote, "request")
	defer span2.End()
	member, _ := baggage.NewMember("tenant", "acme")
	bag, _ := baggage.New(member)
	withBaggage := baggage.ContextWithBaggage(plain, bag)
	for _, tt := range []struct {
		name string
		ctx  context.Context
		own  int
		want []string // the publisher's attributes
		log  bool     // the encoding gave way
	}{
		{"traceparent and encoding", plain, 0, []string{"mega.encoding", "traceparent"}, false},
		{"tracestate before encoding", withState, 0, []string{"traceparent", "tracestate"}, true},
		{"encoding before baggage", withBaggage, 0, []string{"mega.encoding", "traceparent"}, false},
		{"8 of its own", plain, 8, []string{"mega.encoding", "traceparent"}, false},
		{"9 of its own", plain, 9, []string{"traceparent"}, true},
		{"10 of its own", plain, 10, nil, false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if err := f.queue.Purge(); err != nil {
				t.Fatal(err)
			}
			logs.Reset()
			if _, err := p.Publish(tt.ctx, mega.Entry{Payload: seedEvent("1"), Attributes: own(tt.own)}); err != nil {
				t.Fatal(err)
			}
			var ours []string
			for k := range f.queue.Messages()[0].Attributes {
				if !strings.HasPrefix(k, "a") {
					ours = append(ours, k)
				}
			}
			slices.Sort(ours)
			if len(ours)+tt.own > transport.MaxAttributes || !slices.Equal(ours, tt.want) {
				t.Errorf("the publisher added %v, want %v", ours, tt.want)
			}
			if gaveWay := strings.Contains(logs.String(), "mega.encoding is left out"); gaveWay != tt.log {
				t.Errorf("debug log about the encoding: %v, want %v: %s", gaveWay, tt.log, logs.String())
			}
		})
	}
}

// Through SNS, raw or not, the process span's parent is the send span.
func TestTraceThroughSNS(t *testing.T) {
	for _, raw := range []bool{false, true} {
		t.Run(fmt.Sprintf("raw=%v", raw), func(t *testing.T) {
			o := newObserved(t)
			f := newFixture(t, "fanout", memory.QueueConfig{})
			topic, err := f.broker.CreateTopic("events", memory.TopicConfig{})
			if err != nil {
				t.Fatal(err)
			}
			if _, err := f.broker.Subscribe(topic, f.queue, memory.SubscriptionConfig{RawMessageDelivery: raw}); err != nil {
				t.Fatal(err)
			}
			if _, err := o.publisher(t, topic).Publish(context.Background(), mega.Entry{Payload: seedEvent("1")}); err != nil {
				t.Fatal(err)
			}
			c, stop := f.run([]mega.Subscriber{{Event: match.Event{}, Process: func(context.Context, *mega.Message) error { return nil }}},
				append(o.consumerOptions(), mega.WithTopicARNs(topic.ARN()))...)
			eventually(t, "the message is processed", func() bool { return c.Stats().Processed == 1 })
			stop()
			send, procs := o.named("send events"), o.named("process fanout")
			if len(send) != 1 || attr(send[0], "messaging.system").AsString() != "aws.sns" {
				t.Fatalf("%d SNS send spans: %v", len(send), o.spans.Ended())
			}
			if len(procs) != 1 || procs[0].Parent().SpanID() != send[0].SpanContext().SpanID() {
				t.Fatalf("the process span's parent is not the SNS send span")
			}
		})
	}
}

// xrayQueue adds an X-Ray trace header to what it receives, as SQS does
// for messages of X-Ray-traced producers.
type xrayQueue struct {
	*memory.Queue
	header string
}

func (q xrayQueue) Receive(ctx context.Context, r transport.ReceiveRequest) ([]transport.Message, error) {
	msgs, err := q.Queue.Receive(ctx, r)
	for i := range msgs {
		msgs[i].System = map[string]string{mega.SystemAWSTraceHeader: q.header}
	}
	return msgs, err
}

func (q xrayQueue) CancelSafe() bool { return true }

// A message with no W3C context but an AWSTraceHeader continues the X-Ray
// trace; a W3C context comes first.
func TestTraceAWSTraceHeader(t *testing.T) {
	o := newObserved(t)
	f := newFixture(t, "xray", memory.QueueConfig{})
	q := xrayQueue{Queue: f.queue, header: "Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1"}
	f.publish(seedEvent("untraced"))
	ctx, span := o.tp.Tracer("test").Start(context.Background(), "request")
	if _, err := o.publisher(t, f.queue).Publish(ctx, mega.Entry{Payload: seedEvent("traced")}); err != nil {
		t.Fatal(err)
	}
	span.End()
	prop := propagation.NewCompositeTextMapPropagator(propagation.TraceContext{}, propagation.Baggage{}, xray.Propagator{})
	c, stop := f.runOn(q, []mega.Subscriber{{Event: match.Event{}, Process: func(context.Context, *mega.Message) error { return nil }}},
		mega.WithTracerProvider(o.tp), mega.WithPropagator(prop))
	eventually(t, "both messages are processed", func() bool { return c.Stats().Processed == 2 })
	stop()
	traces := map[string]bool{}
	for _, p := range o.named("process xray") {
		traces[p.SpanContext().TraceID().String()] = true
	}
	if !traces["5759e988bd862e3fe1be46a994272793"] || !traces[span.SpanContext().TraceID().String()] {
		t.Errorf("process spans in traces %v; want the X-Ray one and the W3C one", traces)
	}
}

// With no provider configured nothing is added to messages, and
// consuming works as before.
func TestNoTelemetryAddsNothing(t *testing.T) {
	f := newFixture(t, "plain", memory.QueueConfig{})
	f.publish(seedEvent("1"))
	if a := f.queue.Messages()[0].Attributes; len(a) != 1 {
		t.Errorf("attributes %v, want only the encoding", a)
	}
	c, stop := f.run([]mega.Subscriber{{Event: match.Event{}, Process: func(ctx context.Context, _ *mega.Message) error {
		if trace.SpanFromContext(ctx).IsRecording() {
			return errors.New("a span records with no provider")
		}
		return nil
	}}})
	eventually(t, "the message is processed", func() bool { return c.Stats().Processed == 1 })
	stop()
}

// Without a propagator configured, and none set globally, the trace
// context travels as W3C trace context.
func TestTraceDefaultPropagator(t *testing.T) {
	o := newObserved(t)
	f := newFixture(t, "default", memory.QueueConfig{})
	p, err := mega.NewPublisher(f.queue, mega.WithPublisherLogger(quiet), mega.WithPublisherTracerProvider(o.tp))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p.Publish(context.Background(), mega.Entry{Payload: seedEvent("1")}); err != nil {
		t.Fatal(err)
	}
	if tp := f.queue.Messages()[0].Attributes[mega.AttrTraceParent].StringValue; !traceparentFormat.MatchString(tp) {
		t.Fatalf("traceparent %q", tp)
	}
	c, stop := f.run([]mega.Subscriber{{Event: match.Event{}, Process: func(context.Context, *mega.Message) error { return nil }}},
		mega.WithTracerProvider(o.tp))
	eventually(t, "the message is processed", func() bool { return c.Stats().Processed == 1 })
	stop()
	send, procs := o.named("send default"), o.named("process default")
	if len(send) != 1 || len(procs) != 1 || procs[0].Parent().SpanID() != send[0].SpanContext().SpanID() {
		t.Fatalf("the process span is not a child of the send span")
	}
}

// The gauges of a run: messages held, and the heartbeat's extensions of a
// message whose handler runs past half its visibility timeout.
func TestTelemetryHeldAndHeartbeat(t *testing.T) {
	o := newObserved(t)
	f := newTimedFixture(t, "held", memory.QueueConfig{})
	f.publish(seedEvent("1"))
	started, release := make(chan struct{}), make(chan struct{})
	var once sync.Once
	c, stop := f.run([]mega.Subscriber{{Event: match.Event{}, Process: func(context.Context, *mega.Message) error {
		once.Do(func() { close(started) })
		<-release
		return nil
	}}}, append(o.consumerOptions(), mega.WithVisibilityTimeout(4*time.Second))...)
	<-started
	f.advanceUntil("the heartbeat extends the message", func() bool { return c.Stats().Extended >= 1 })
	if n := o.sum(t, "mega.consumer.held"); n != 1 {
		t.Errorf("held = %d, want 1", n)
	}
	if n := o.sum(t, "mega.consumer.heartbeat.extensions"); n < 1 {
		t.Errorf("heartbeat extensions = %d, want at least 1", n)
	}
	close(release)
	eventually(t, "the message is deleted", func() bool { return c.Stats().Deleted == 1 })
	stop()
}
