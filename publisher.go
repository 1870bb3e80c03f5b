package mega

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"time"

	"github.com/sqs-mega/sqs-mega-go/offload"
	"github.com/sqs-mega/sqs-mega-go/protocol"
	"github.com/sqs-mega/sqs-mega-go/transport"
)

// AttrEncoding is the message attribute in which publishers name the
// encoding of a body ("json" or "bson"). Decoding does not need it; it is
// there for people and for filter policies on message attributes.
const AttrEncoding = "mega.encoding"

// Publisher sends payloads to a queue or a topic. It is safe for
// concurrent use.
type Publisher struct {
	dest    transport.Sender
	enc     protocol.Encoding
	maxSize int
	retries int
	log     *slog.Logger
	large   *offloader      // WithLargePayloads
	telCfg  telemetryConfig // telemetry: see telemetry.go
	tel     *telemetry
}

// PublisherOption configures a Publisher.
type PublisherOption func(*Publisher) error

// WithEncoding sets the encoding of data and MEGA payloads (default
// protocol.JSON).
func WithEncoding(e protocol.Encoding) PublisherOption {
	return func(p *Publisher) error {
		if e != protocol.JSON && e != protocol.BSON {
			return invalid("unknown encoding %d", e)
		}
		p.enc = e
		return nil
	}
}

// WithMaxMessageSize sets the largest message, body and attributes, the
// publisher sends (default and maximum 1 MiB, the SQS limit). Set it to the
// queue's MaximumMessageSize when that is lower.
func WithMaxMessageSize(n int) PublisherOption {
	return func(p *Publisher) error {
		if n < 1 || n > transport.MaxBodySize {
			return invalid("max message size must be between 1 and %d, not %d", transport.MaxBodySize, n)
		}
		p.maxSize = n
		return nil
	}
}

// WithRetries sets how many more times a batch entry that failed for a
// reason retrying may fix (throttling, a server error) is sent again
// (default 3).
func WithRetries(n int) PublisherOption {
	return func(p *Publisher) error {
		if n < 0 {
			return invalid("retries must not be negative, not %d", n)
		}
		p.retries = n
		return nil
	}
}

// WithPublisherLogger sets the publisher's logger (default slog.Default()).
func WithPublisherLogger(l *slog.Logger) PublisherOption {
	return func(p *Publisher) error {
		if l == nil {
			return invalid("nil logger")
		}
		p.log = l
		return nil
	}
}

// NewPublisher returns a publisher to dest, a queue or a topic.
func NewPublisher(dest transport.Sender, opts ...PublisherOption) (*Publisher, error) {
	if dest == nil {
		return nil, fmt.Errorf("%w: nil destination", ErrInvalidOption)
	}
	p := &Publisher{dest: dest, maxSize: transport.MaxBodySize, retries: 3, log: slog.Default()}
	for _, o := range opts {
		if err := o(p); err != nil {
			return nil, err
		}
	}
	p.tel = newTelemetry(p.telCfg, destinationOf(dest), p.log) // telemetry
	return p, nil
}

// Entry is one message to publish.
type Entry struct {
	Payload protocol.Payload
	// GroupID and DeduplicationID are for FIFO queues and topics.
	GroupID         string
	DeduplicationID string
	// Delay postpones delivery (standard queues only).
	Delay time.Duration
	// Attributes are message attributes of your own; the publisher adds
	// AttrEncoding when there is room (at most 10 in all).
	Attributes map[string]transport.Attribute
}

// Publish sends one entry and returns the message id.
func (p *Publisher) Publish(ctx context.Context, e Entry) (string, error) {
	ids, err := p.PublishBatch(ctx, []Entry{e})
	if err != nil {
		var be *BatchError
		if errors.As(err, &be) && len(be.Failures) == 1 {
			return "", be.Failures[0].Err
		}
		return "", err
	}
	return ids[0], nil
}

// PublishEvent publishes a MEGA event with default settings: a shorthand
// for Publish with protocol.NewEvent(ev).
func (p *Publisher) PublishEvent(ctx context.Context, ev protocol.Event) (string, error) {
	return p.Publish(ctx, Entry{Payload: protocol.NewEvent(ev)})
}

// BatchError lists the entries of a PublishBatch that were not sent.
type BatchError struct {
	Failures []EntryFailure
}

// EntryFailure is an entry that was not sent, by its index in the batch.
type EntryFailure struct {
	Index int
	Err   error
}

func (e *BatchError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "mega: %d entries not published", len(e.Failures))
	for i, f := range e.Failures {
		if i == 3 {
			fmt.Fprintf(&b, "; …")
			break
		}
		fmt.Fprintf(&b, "; entry %d: %v", f.Index, f.Err)
	}
	return b.String()
}

// Unwrap returns the entries' errors.
func (e *BatchError) Unwrap() []error {
	errs := make([]error, len(e.Failures))
	for i, f := range e.Failures {
		errs[i] = f.Err
	}
	return errs
}

// PublishBatch sends entries in as few requests as the limits allow (10
// entries and 1 MiB per request) and returns their message ids in order.
// Entries that fail for a reason retrying may fix are sent again; those
// that still fail, or cannot be encoded, are listed in a *BatchError, and
// their ids are empty. Nothing is sent when ctx is already done.
func (p *Publisher) PublishBatch(ctx context.Context, entries []Entry) ([]string, error) {
	ids := make([]string, len(entries))
	var failures []EntryFailure
	type pending struct {
		index int
		out   transport.Outgoing
	}
	var todo []pending
	var stored map[int]offload.Pointer               // entries whose body went to the payload store
	ctx, pt := p.tel.startPublish(ctx, len(entries)) // telemetry
	for i, e := range entries {
		e.Attributes = pt.attributes(ctx, i, e) // telemetry: the trace context
		out, err := p.outgoing(e)
		if err == nil && p.large != nil {
			var ptr *offload.Pointer
			if out, ptr, err = p.large.offload(ctx, p, out); ptr != nil {
				if stored == nil {
					stored = make(map[int]offload.Pointer)
				}
				stored[i] = *ptr
			}
		}
		if err != nil {
			failures = append(failures, EntryFailure{Index: i, Err: err})
			continue
		}
		out.ID = strconv.Itoa(i)
		todo = append(todo, pending{i, out})
	}
	for attempt := 0; len(todo) > 0; attempt++ {
		if attempt > 0 {
			t := time.NewTimer(time.Duration(attempt*attempt) * 100 * time.Millisecond)
			select {
			case <-t.C:
			case <-ctx.Done():
				t.Stop()
			}
		}
		if err := ctx.Err(); err != nil {
			for _, t := range todo {
				failures = append(failures, EntryFailure{Index: t.index, Err: err})
			}
			break
		}
		var again []pending
		for len(todo) > 0 {
			n, size := 0, 0
			for n < len(todo) && n < transport.MaxBatch && size+todo[n].out.Size() <= transport.MaxBodySize {
				size += todo[n].out.Size()
				n++
			}
			chunk := todo[:n]
			todo = todo[n:]
			batch := make([]transport.Outgoing, n)
			for i, c := range chunk {
				batch[i] = c.out
			}
			res, err := pt.sendBatch(ctx, p.dest, batch) // telemetry: p.dest.Send, timed
			if err == nil && len(res) != n {
				err = fmt.Errorf("mega: %d results for %d messages", len(res), n)
			}
			for i, c := range chunk {
				var e error
				if err != nil {
					e = err
				} else {
					e = res[i].Err
				}
				switch {
				case e == nil:
					ids[c.index] = res[i].MessageID
				case attempt < p.retries && retriable(e) && ctx.Err() == nil:
					again = append(again, c)
				default:
					failures = append(failures, EntryFailure{Index: c.index, Err: e})
				}
			}
		}
		if len(again) > 0 {
			p.log.Warn("mega: publishing again entries that failed", "entries", len(again), "attempt", attempt+1)
		}
		todo = again
	}
	pt.end(ctx, ids, failures) // telemetry
	if len(failures) > 0 {
		p.large.discard(ctx, p, failures, stored)
		return ids, &BatchError{Failures: failures}
	}
	return ids, nil
}

// retriable reports whether sending again may succeed.
func retriable(err error) bool {
	switch {
	case errors.Is(err, transport.ErrTooLarge), errors.Is(err, transport.ErrInvalidRequest),
		errors.Is(err, transport.ErrQueueNotFound), errors.Is(err, transport.ErrClosed),
		errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		return false
	}
	var ee *transport.EntryError
	if errors.As(err, &ee) {
		return ee.Temporary()
	}
	return true
}

// outgoing encodes an entry, refusing what the queue would refuse.
func (p *Publisher) outgoing(e Entry) (transport.Outgoing, error) {
	attrs := make(map[string]transport.Attribute, len(e.Attributes)+1)
	for k, v := range e.Attributes {
		attrs[k] = v
	}
	if err := transport.CheckAttributes(attrs); err != nil {
		return transport.Outgoing{}, err
	}
	if (e.Payload.Kind == protocol.KindMega || e.Payload.Kind == protocol.KindData) && len(attrs) < transport.MaxAttributes &&
		traceAttributes(attrs) < maxOwnAttributes { // telemetry: the trace context comes first
		if _, taken := attrs[AttrEncoding]; !taken {
			attrs[AttrEncoding] = transport.StringAttribute(p.enc.String())
		}
	}
	out := transport.Outgoing{Attributes: attrs, GroupID: e.GroupID, DeduplicationID: e.DeduplicationID, Delay: e.Delay}
	room := p.maxSize - out.Size()
	if room <= 0 {
		return transport.Outgoing{}, fmt.Errorf("%w: the message attributes alone take %d bytes", transport.ErrTooLarge, out.Size())
	}
	body, err := (&protocol.Encoder{Encoding: p.enc, MaxSize: p.large.bodyLimit(room)}).Encode(e.Payload)
	if err != nil {
		if errors.Is(err, protocol.ErrTooLarge) {
			return transport.Outgoing{}, fmt.Errorf("%w: %w", transport.ErrTooLarge, err)
		}
		return transport.Outgoing{}, err
	}
	out.Body = body
	if len(attrs) == 0 {
		out.Attributes = nil
	}
	return out, nil
}
