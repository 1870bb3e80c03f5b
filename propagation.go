package mega

import (
	"context"
	"log/slog"

	"go.opentelemetry.io/otel/baggage"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/trace"

	"github.com/sqs-mega/sqs-mega-go/protocol"
	"github.com/sqs-mega/sqs-mega-go/transport"
)

// Keys of the trace context in message attributes and system attributes.
const (
	// AttrTraceParent and AttrTraceState are the message attributes that
	// carry the W3C trace context (String attributes, as other
	// OpenTelemetry instrumentations of SQS and SNS write and read them).
	AttrTraceParent = "traceparent"
	AttrTraceState  = "tracestate"
	// SystemAWSTraceHeader is the SQS system attribute that carries the
	// X-Ray trace header of producers traced by X-Ray.
	SystemAWSTraceHeader = "AWSTraceHeader"
	// xrayHeader is the key the X-Ray propagator reads.
	xrayHeader = "X-Amzn-Trace-Id"
)

// MessageCarrier returns the carrier a consumer extracts a message's trace
// context from: the SNS envelope's message attributes when sns is the
// envelope the message came in (non-raw delivery), else the SQS message
// attributes. When they hold no W3C traceparent, the SQS system attribute
// AWSTraceHeader is offered under the key the X-Ray propagator reads
// (X-Amzn-Trace-Id), so that a propagator that includes it
// (go.opentelemetry.io/contrib/propagators/aws/xray) continues an X-Ray
// trace. The carrier is read-only: Set does nothing.
func MessageCarrier(tm transport.Message, sns *protocol.SNS) propagation.TextMapCarrier {
	return messageCarrier{attrs: tm.Attributes, sns: sns, system: tm.System}
}

type messageCarrier struct {
	attrs  map[string]transport.Attribute
	sns    *protocol.SNS
	system map[string]string
}

func (c messageCarrier) lookup(key string) string {
	if c.sns != nil {
		if a, ok := c.sns.MessageAttributes[key]; ok && isStringType(a.Type) {
			return a.Value
		}
		return ""
	}
	if a, ok := c.attrs[key]; ok && isStringType(a.DataType) {
		return a.StringValue
	}
	return ""
}

func isStringType(t string) bool {
	return t == "String" || len(t) > 7 && t[:7] == "String."
}

func (c messageCarrier) Get(key string) string {
	if key == xrayHeader {
		if c.lookup(AttrTraceParent) != "" {
			return "" // the W3C context comes first
		}
		return c.system[SystemAWSTraceHeader]
	}
	return c.lookup(key)
}

func (c messageCarrier) Set(string, string) {}

func (c messageCarrier) Keys() []string {
	var keys []string
	if c.sns != nil {
		for k := range c.sns.MessageAttributes {
			keys = append(keys, k)
		}
	} else {
		for k := range c.attrs {
			keys = append(keys, k)
		}
	}
	if c.system[SystemAWSTraceHeader] != "" && c.lookup(AttrTraceParent) == "" {
		keys = append(keys, xrayHeader)
	}
	return keys
}

// attributeCarrier reads the W3C context from SQS message attributes
// alone: the carrier of most messages.
type attributeCarrier map[string]transport.Attribute

func (c attributeCarrier) Get(key string) string {
	return messageCarrier{attrs: c}.lookup(key)
}

func (c attributeCarrier) Set(string, string) {}

func (c attributeCarrier) Keys() []string {
	keys := make([]string, 0, len(c))
	for k := range c {
		keys = append(keys, k)
	}
	return keys
}

// injectCarrier collects what a propagator writes.
type injectCarrier struct{ keys, values []string }

func (c *injectCarrier) Get(key string) string {
	for i, k := range c.keys {
		if k == key {
			return c.values[i]
		}
	}
	return ""
}

func (c *injectCarrier) Set(key, value string) {
	for i, k := range c.keys {
		if k == key {
			c.values[i] = value
			return
		}
	}
	c.keys = append(c.keys, key)
	c.values = append(c.values, value)
}

func (c *injectCarrier) Keys() []string { return c.keys }

// maxOwnAttributes is how many message attributes the publisher adds at
// most, of the 10 a message may carry (SPEC: at most 2): the trace context
// first, then the encoding attribute, then baggage.
const maxOwnAttributes = 2

// baggageKey is the attribute the W3C baggage propagator writes.
const baggageKey = "baggage"

// traceAttributes counts the trace context attributes among attrs.
func traceAttributes(attrs map[string]transport.Attribute) int {
	n := 0
	for _, k := range [...]string{AttrTraceParent, AttrTraceState, baggageKey} {
		if _, ok := attrs[k]; ok {
			n++
		}
	}
	return n
}

// inject returns the entry's attributes with the trace context of ctx
// added as String attributes: traceparent, then tracestate when not empty,
// then baggage. The publisher adds at most 2 attributes of its own and
// never more than 10 in all: the entry's own attributes come first, then
// traceparent and tracestate, then the encoding attribute (it gives way to
// them), then baggage. What does not fit is left out, with a debug log;
// fields of other propagators (X-Ray, B3) are not carried. The entry's
// map is not modified.
func (t *telemetry) inject(ctx context.Context, e Entry) map[string]transport.Attribute {
	if !trace.SpanContextFromContext(ctx).IsValid() && baggage.FromContext(ctx).Len() == 0 {
		return e.Attributes
	}
	var c injectCarrier
	t.propagator().Inject(ctx, &c)
	if len(c.keys) == 0 {
		return e.Attributes
	}
	attrs := make(map[string]transport.Attribute, len(e.Attributes)+maxOwnAttributes)
	for k, v := range e.Attributes {
		attrs[k] = v
	}
	_, hasEncoding := attrs[AttrEncoding]
	wantsEncoding := !hasEncoding && (e.Payload.Kind == protocol.KindMega || e.Payload.Kind == protocol.KindData)
	var left []string
	own := 0
	add := func(k string, budget int) {
		v := c.Get(k)
		if v == "" {
			return
		}
		if _, replaces := attrs[k]; !replaces && (own >= budget || len(attrs) >= transport.MaxAttributes) {
			left = append(left, k)
			return
		}
		attrs[k] = transport.StringAttribute(v)
		own++
	}
	add(AttrTraceParent, maxOwnAttributes)
	add(AttrTraceState, maxOwnAttributes)
	if wantsEncoding && (own == maxOwnAttributes || len(attrs) == transport.MaxAttributes) && len(e.Attributes) < transport.MaxAttributes {
		t.log.Debug("mega: the trace context takes the room of the encoding attribute: " + AttrEncoding + " is left out")
	}
	if wantsEncoding && own < maxOwnAttributes && len(attrs) < transport.MaxAttributes {
		own++ // the encoding's room
	}
	add(baggageKey, maxOwnAttributes)
	if len(left) > 0 && t.log.Enabled(ctx, slog.LevelDebug) {
		t.log.Debug("mega: no room for trace context attributes (at most 10 message attributes, 2 of them the publisher's)", "left_out", left)
	}
	return attrs
}
