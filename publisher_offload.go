package mega

import (
	"context"
	"errors"
	"fmt"
	"github.com/sqs-mega/sqs-mega-go/internal/ids"
	"strings"
	"sync"
	"time"

	"github.com/sqs-mega/sqs-mega-go/offload"
	"github.com/sqs-mega/sqs-mega-go/transport"
)

// PayloadStore keeps the bodies of messages too large for a queue: a
// publisher configured with [WithLargePayloads] puts them there, a
// [Resolver] reads them back. Use offload.NewMemory in tests and demos and
// transport/s3store on AWS. It is [offload.Store]; see there for the
// contract.
type PayloadStore = offload.Store

// ErrOffload is matched by the error of an entry whose body could not be
// put into the payload store. Such an entry is not sent.
var ErrOffload = errors.New("mega: storing the body in the payload store failed")

// Default limits of large payloads.
const (
	// DefaultMaxPayloadSize is the largest body a publisher offloads, and
	// a Resolver reads back, unless configured otherwise: 64 MiB. The
	// extended clients allow up to 2 GB; a consumer holds each body in
	// memory while its handlers run, so raise it knowingly.
	DefaultMaxPayloadSize = 64 << 20
	// snsMaxMessageSize is the largest message SNS publishes.
	snsMaxMessageSize = 256 << 10
)

// LargePayloads configures a publisher to send bodies too large for the
// queue or topic through a [PayloadStore], as the AWS SQS and SNS
// Extended Client libraries do, so that their consumers in other
// languages read the messages, and ours read theirs (see package
// offload for the wire form).
type LargePayloads struct {
	// Store is where the bodies go (required).
	Store PayloadStore
	// Bucket is the bucket that holds them (required).
	Bucket string
	// Threshold is the size in bytes, body and message attributes, above
	// which a message is offloaded. 0 means the destination's own limit:
	// the queue's MaximumMessageSize when the destination can describe
	// itself ([transport.Describer]), 256 KiB for an SNS topic (a
	// destination with an ARN() method returning an SNS topic ARN), else
	// 1 MiB. It is never above the publisher's [WithMaxMessageSize].
	Threshold int
	// Always offloads every body, whatever its size.
	Always bool
	// KeyPrefix is put before the name of each object, a random UUID as
	// the extended clients make it: "mega/" gives keys like
	// "mega/3b241101-e2bb-4255-8caf-4136c566a962". At most 512 bytes of
	// letters, digits and !-_.*'()/ (S3's safe characters).
	KeyPrefix string
	// MaxSize is the largest body offloaded, in bytes; larger ones fail
	// with transport.ErrTooLarge. 0 means [DefaultMaxPayloadSize].
	MaxSize int
}

// WithLargePayloads makes the publisher put a body into cfg.Store when
// the message would exceed cfg.Threshold, and send a pointer to it
// instead, with the attribute offload.SizeAttribute
// ("ExtendedPayloadSize") giving the body's size. That attribute counts
// against the 10 a message may carry: an offloaded entry with 10
// attributes of its own fails, and the publisher's own AttrEncoding is
// left out when it would be the 11th. Entries whose attributes use the
// extended clients' reserved names (offload.SizeAttribute,
// offload.LegacySizeAttribute) fail.
//
// In a batch only the entries that need it are offloaded. An entry whose
// body cannot be stored fails with [ErrOffload] and is not sent; the
// object of an entry that was stored but then not sent is deleted (best
// effort: a failure to delete it is logged).
//
// On a FIFO queue with content-based deduplication, set each entry's
// DeduplicationID: the pointer body differs at every attempt.
func WithLargePayloads(cfg LargePayloads) PublisherOption {
	return func(p *Publisher) error {
		switch {
		case cfg.Store == nil:
			return invalid("large payloads: nil store")
		case cfg.Bucket == "":
			return invalid("large payloads: no bucket")
		case cfg.Threshold < 0:
			return invalid("large payloads: negative threshold %d", cfg.Threshold)
		case cfg.MaxSize < 0:
			return invalid("large payloads: negative maximum size %d", cfg.MaxSize)
		}
		if err := (offload.Pointer{Bucket: cfg.Bucket, Key: "k"}).Validate(); err != nil {
			return invalid("large payloads: bucket %q: %v", cfg.Bucket, err)
		}
		if err := validKeyPrefix(cfg.KeyPrefix); err != nil {
			return err
		}
		if cfg.MaxSize == 0 {
			cfg.MaxSize = DefaultMaxPayloadSize
		}
		p.large = &offloader{cfg: cfg}
		return nil
	}
}

func validKeyPrefix(prefix string) error {
	if len(prefix) > 512 {
		return invalid("large payloads: key prefix of %d bytes, at most 512", len(prefix))
	}
	for i := 0; i < len(prefix); i++ {
		c := prefix[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || strings.IndexByte("!-_.*'()/", c) >= 0) {
			return invalid("large payloads: key prefix %q: character %q is not one of S3's safe characters", prefix, c)
		}
	}
	return nil
}

// offloader is the large-payload state of a publisher.
type offloader struct {
	cfg LargePayloads

	mu    sync.Mutex
	limit int // the destination's own limit, once known
}

// bodyLimit is the largest body the publisher encodes, given the room the
// message attributes leave: the room itself without large payloads.
func (o *offloader) bodyLimit(room int) int {
	if o == nil {
		return room
	}
	return o.cfg.MaxSize
}

// threshold returns the size above which a message is offloaded.
func (o *offloader) threshold(ctx context.Context, p *Publisher) int {
	if o.cfg.Threshold > 0 {
		return min(o.cfg.Threshold, p.maxSize)
	}
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.limit == 0 {
		switch d := p.dest.(type) {
		case transport.Describer:
			info, err := d.Describe(ctx)
			if err != nil || info.MaxMessageSize <= 0 {
				// Not remembered: the next batch asks again.
				p.log.Warn("mega: cannot read the queue's maximum message size; offloading bodies above 1 MiB", "error", err)
				return min(transport.MaxBodySize, p.maxSize)
			}
			o.limit = info.MaxMessageSize
		case interface{ ARN() string }:
			o.limit = transport.MaxBodySize
			if f := strings.SplitN(d.ARN(), ":", 4); len(f) == 4 && f[0] == "arn" && f[2] == "sns" {
				o.limit = snsMaxMessageSize
			}
		default:
			o.limit = transport.MaxBodySize
		}
	}
	return min(o.limit, p.maxSize)
}

// offload puts out's body into the store when the message needs it and
// returns the message to send, with the pointer it carries (nil when it
// was not offloaded).
func (o *offloader) offload(ctx context.Context, p *Publisher, out transport.Outgoing) (transport.Outgoing, *offload.Pointer, error) {
	for _, name := range [...]string{offload.SizeAttribute, offload.LegacySizeAttribute} {
		if _, taken := out.Attributes[name]; taken {
			return out, nil, fmt.Errorf("%w: message attribute %s is reserved for large payloads", transport.ErrInvalidRequest, name)
		}
	}
	if !o.cfg.Always && out.Size() <= o.threshold(ctx, p) {
		return out, nil, nil
	}
	if len(out.Body) > o.cfg.MaxSize {
		return out, nil, fmt.Errorf("%w: a body of %d bytes, the largest offloaded is %d", transport.ErrTooLarge, len(out.Body), o.cfg.MaxSize)
	}
	attrs := make(map[string]transport.Attribute, len(out.Attributes)+1)
	for k, v := range out.Attributes {
		attrs[k] = v
	}
	// The size attribute is the publisher's too, and a publisher spends at
	// most 2 of a message's 10 attributes (SPEC §2): the optional ones give
	// way, the encoding first, then baggage and tracestate.
	for _, k := range [...]string{AttrEncoding, baggageKey, AttrTraceState} {
		if len(attrs) < transport.MaxAttributes && ownAttributes(attrs)+1 <= maxOwnAttributes {
			break
		}
		delete(attrs, k)
	}
	if len(attrs) >= transport.MaxAttributes {
		return out, nil, fmt.Errorf("%w: %d message attributes leave no room for %s, which an offloaded body needs", transport.ErrInvalidRequest, len(attrs), offload.SizeAttribute)
	}
	attrs[offload.SizeAttribute] = transport.Attribute{DataType: offload.SizeDataType, StringValue: offload.FormatSize(int64(len(out.Body)))}
	ptr := offload.Pointer{Bucket: o.cfg.Bucket, Key: o.cfg.KeyPrefix + ids.UUID()}
	sent := out
	sent.Body, sent.Attributes = ptr.Body(), attrs
	if sent.Size() > p.maxSize {
		return out, nil, fmt.Errorf("%w: the pointer and the message attributes take %d bytes, the limit is %d", transport.ErrTooLarge, sent.Size(), p.maxSize)
	}
	if err := o.cfg.Store.Put(ctx, ptr.Bucket, ptr.Key, out.Body); err != nil {
		return out, nil, fmt.Errorf("%w: s3://%s/%s: %w", ErrOffload, ptr.Bucket, ptr.Key, err)
	}
	return sent, &ptr, nil
}

// ownAttributes counts the attributes the publisher may have added.
func ownAttributes(attrs map[string]transport.Attribute) int {
	n := traceAttributes(attrs)
	if _, ok := attrs[AttrEncoding]; ok {
		n++
	}
	return n
}

// discard deletes the objects of the entries that were offloaded and then
// not sent. Failures are logged: the objects are then orphans, which a
// bucket lifecycle rule can expire.
func (o *offloader) discard(ctx context.Context, p *Publisher, failures []EntryFailure, stored map[int]offload.Pointer) {
	if o == nil || len(stored) == 0 {
		return
	}
	// The batch may have failed because ctx was cancelled: clean up anyway.
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
	defer cancel()
	for _, f := range failures {
		ptr, ok := stored[f.Index]
		if !ok {
			continue
		}
		if err := o.cfg.Store.Delete(ctx, ptr.Bucket, ptr.Key); err != nil {
			p.log.Warn("mega: cannot delete the stored body of a message that was not sent",
				"bucket", ptr.Bucket, "key", ptr.Key, "entry", f.Index, "error", err)
		}
	}
}
