package mega

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"runtime/debug"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/sqs-mega/sqs-mega-go/match"
	"github.com/sqs-mega/sqs-mega-go/protocol"
	"github.com/sqs-mega/sqs-mega-go/transport"
)

// Router decodes a received message, hands it to every subscriber whose
// pattern matches it, and says what is to become of the message: a
// [Verdict]. It does not talk to the queue: a [Consumer] routes what it
// receives through one and settles each message by its verdict, and the
// Lambda adapter (package megalambda) does the same with the records of an
// event. Use a Router directly to run subscribers in a receive loop of
// your own.
//
// A Router is safe for concurrent use; Subscribe may be called while
// messages are routed.
type Router struct {
	cfg config
	log *slog.Logger

	dec atomic.Pointer[protocol.Decoder]

	mu     sync.Mutex                  // serializes Subscribe
	subs   atomic.Pointer[[]*compiled] // readers load the slice; writers replace it
	events match.Set                   // ids index into subs
	data   match.Set
	raw    atomic.Int32 // number of Raw subscribers

	handlerErrors atomic.Int64

	tel *telemetry // see telemetry_consume.go
}

// NewRouter returns a router. Of the options, those about decoding and
// deciding apply: [WithTopicARNs], [WithTrustAnyTopic],
// [WithSNSVerification], [WithKeepUnmatched],
// [WithMaxReceives], [WithBackoff], [WithLogger], [WithTracerProvider],
// [WithMeterProvider] and [WithPropagator]; the others are accepted and
// ignored.
func NewRouter(opts ...Option) (*Router, error) {
	cfg := defaults()
	for _, o := range opts {
		if err := o(&cfg); err != nil {
			return nil, err
		}
	}
	return newRouter(cfg), nil
}

func newRouter(cfg config) *Router {
	r := &Router{cfg: cfg, log: cfg.logger, tel: newTelemetry(cfg.tel, destinationOf(cfg.tel.source), cfg.logger)}
	r.subs.Store(new([]*compiled))
	r.trust(cfg.topicARNs)
	return r
}

// trust sets the SNS topics whose envelopes are unwrapped.
func (r *Router) trust(topics []string) {
	r.dec.Store(&protocol.Decoder{TopicARNs: slices.Clone(topics), TrustedOnly: !r.cfg.trustAnyTopic, Verify: r.cfg.verifySNS})
}

// Subscribe adds subscribers. Their patterns are compiled now: an invalid
// pattern is an error matching ErrInvalidSubscriber that names the
// subscriber, the path in the pattern and the reason; then none of subs
// is added.
func (r *Router) Subscribe(subs ...Subscriber) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	old := *r.subs.Load()
	compiled := make([]*compiled, 0, len(subs))
	for i, s := range subs {
		cs, err := compile(s, len(old)+i+1)
		if err != nil {
			return err
		}
		compiled = append(compiled, cs)
	}
	next := append(slices.Clip(old), compiled...)
	// Publish the slice before the indexes name its new ids.
	r.subs.Store(&next)
	for i, cs := range compiled {
		id := len(old) + i
		if cs.event != nil {
			r.events.Add(id, cs.event)
		}
		if cs.data != nil {
			r.data.Add(id, cs.data)
		}
		if cs.Raw {
			r.raw.Add(1)
		}
	}
	return nil
}

func (r *Router) len() int { return len(*r.subs.Load()) }

// Action is what becomes of a routed message.
type Action uint8

const (
	// ActionDelete: every matching subscriber is done with the message
	// (or none matched, or it carried no payload): delete it.
	ActionDelete Action = iota
	// ActionRetry: a subscriber asked for a retry, failed or panicked:
	// leave the message for a later delivery, after Verdict.Delay.
	ActionRetry
	// ActionPoison: the message cannot be processed (a permanent failure,
	// a failed validation, an invalid MEGA payload, a body that is not a
	// MEGA message): dead-letter it with Verdict.Reason.
	ActionPoison
	// ActionLeave: no subscriber matched and unmatched messages are kept
	// ([WithKeepUnmatched]): leave the message alone.
	ActionLeave
)

var actionNames = [...]string{"delete", "retry", "poison", "leave"}

func (a Action) String() string {
	if int(a) < len(actionNames) {
		return actionNames[a]
	}
	return fmt.Sprintf("action(%d)", uint8(a))
}

// Verdict says what becomes of a routed message.
type Verdict struct {
	Action Action
	// Delay is, for ActionRetry, how long the message should stay
	// invisible: what a subscriber asked for, or the backoff for its
	// receive count.
	Delay time.Duration
	// Reason says, for ActionPoison, why the message cannot be processed.
	Reason string
	// Message is the decoded message the subscribers saw.
	Message *Message
	// Matched is the number of subscribers that matched.
	Matched int
	// Err is the last retriable error of a subscriber, if any.
	Err error

	tel verdictTrace // telemetry: see telemetry_consume.go
}

// Route decodes a message and runs every matching subscriber on it, in the
// order they were added, each with its Validate first. A panic is
// recovered and counted as a retriable error. Route returns once every
// matching subscriber has returned; if ctx ends first, the subscribers
// not yet run are not run and the verdict is a retry.
func (r *Router) Route(ctx context.Context, tm transport.Message) Verdict {
	body := tm.Body
	var ref *Offloaded
	if res := r.cfg.resolver; res != nil {
		var err error
		if body, ref, err = res.Resolve(ctx, tm); err != nil {
			return r.unresolved(tm, err)
		}
	}
	// Scan the body and match on it: a message that no subscriber wants
	// is never decoded.
	b := bodies.Get().(*protocol.Body)
	defer func() {
		b.Reset()
		bodies.Put(b)
	}()
	// The matched subscribers and their results, for the usual few,
	// stay on the stack.
	var (
		subBuf [8]*compiled
		resBuf [8]subResult
	)
	subs, kind := r.dispatch(body, b, subBuf[:0])
	var (
		dm        protocol.Message
		decodeErr error
	)
	if len(subs) > 0 || kind == protocol.KindInvalid || kind == protocol.KindNone {
		dm, decodeErr = b.Message()
	} else {
		dm = protocol.Message{Payload: protocol.Payload{Kind: kind}, SNS: b.SNS()}
	}
	m := &Message{
		Message:      dm,
		ID:           tm.ID,
		Body:         body,
		Offloaded:    ref,
		ReceiveCount: tm.ReceiveCount,
		Attributes:   tm.Attributes,
		System:       tm.System,
		GroupID:      tm.GroupID,
		SentAt:       tm.SentAt,
	}
	if r.log.Enabled(ctx, slog.LevelDebug) {
		r.log.Debug("mega: message received", "message_id", tm.ID, "kind", kind.String(), "body", tm.Body)
	}
	rt := r.tel.startRoute(ctx, tm, &dm) // telemetry: the producer's trace context
	in := decision{kind: kind, receiveCount: tm.ReceiveCount, matched: len(subs), results: resBuf[:0]}
	for _, s := range subs {
		if ctx.Err() != nil {
			in.cancelled = true
			break
		}
		sctx, span, start := rt.startProcess(s.Name) // telemetry: a process span per subscriber
		err := r.run(sctx, s, m)
		rt.endProcess(sctx, span, start, s.Name, err) // telemetry
		in.results = append(in.results, subResult{name: s.Name, err: err})
		if err != nil && !isRetryRequest(err) && !isPermanent(err) {
			r.handlerErrors.Add(1)
			r.log.Warn("mega: subscriber failed; the message will be retried", "message_id", tm.ID,
				"receive_count", tm.ReceiveCount, "subscriber", s.Name, "error", err)
		}
	}
	v := decide(in, decodeErr, r.cfg.decideRules())
	v.Message = m
	rt.end(&v, in) // telemetry: the verdict on the process spans
	if v.Action == ActionDelete && v.Matched == 0 || v.Action == ActionLeave {
		r.log.Debug("mega: no subscriber matches the message", "message_id", tm.ID, "kind", kind.String())
	}
	return v
}

// unresolved is the verdict on a message whose large payload could not be
// read back: poison when the pointer is refused for good, else a retry.
func (r *Router) unresolved(tm transport.Message, err error) Verdict {
	m := &Message{ID: tm.ID, Body: tm.Body, ReceiveCount: tm.ReceiveCount, Attributes: tm.Attributes,
		System: tm.System, GroupID: tm.GroupID, SentAt: tm.SentAt}
	if isPermanent(err) {
		return Verdict{Action: ActionPoison, Reason: err.Error(), Message: m}
	}
	r.log.Warn("mega: reading a large payload failed; the message will be retried", "message_id", tm.ID, "error", err)
	return Verdict{Action: ActionRetry, Delay: r.cfg.decideRules().backoff(tm.ReceiveCount), Message: m, Err: err}
}

// bodies are the scan buffers of the messages being routed.
var bodies = sync.Pool{New: func() any { return new(protocol.Body) }}

// dispatch scans a body and appends to out the subscribers it goes to, in
// the order they were added, and returns them with its kind: those whose
// pattern matches its document, decided on the body itself, or for plain
// text and binary bodies the Raw subscribers.
func (r *Router) dispatch(body string, b *protocol.Body, out []*compiled) ([]*compiled, protocol.Kind) {
	subs := *r.subs.Load()
	d := match.Dispatcher{Decoder: r.dec.Load(), Events: &r.events, Data: &r.data}
	var buf [8]int
	kind, ids := d.Dispatch(body, b, buf[:0])
	switch kind {
	case protocol.KindText, protocol.KindBinary:
		if r.raw.Load() == 0 {
			return nil, kind
		}
		for _, s := range subs {
			if s.Raw {
				out = append(out, s)
			}
		}
		return out, kind
	}
	for _, id := range ids {
		if id < len(subs) { // a subscriber added since subs was read waits for the next message
			out = append(out, subs[id])
		}
	}
	return out, kind
}

// run calls one subscriber's Validate and Process, turning a panic into a
// retriable error and a validation error into a permanent one.
func (r *Router) run(ctx context.Context, s *compiled, m *Message) (err error) {
	defer func() {
		if v := recover(); v != nil {
			err = &PanicError{Value: v, Stack: debug.Stack()}
		}
	}()
	if s.Validate != nil {
		if err := s.Validate(ctx, m); err != nil {
			if isPermanent(err) {
				return err
			}
			return Permanent(fmt.Errorf("validation failed: %w", err))
		}
	}
	return s.Process(ctx, m)
}

func isRetryRequest(err error) bool {
	var r *RetryError
	return errors.As(err, &r)
}

func isPermanent(err error) bool {
	var p *PermanentError
	return errors.As(err, &p)
}
