package mega

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/sqs-mega/sqs-mega-go/offload"
	"github.com/sqs-mega/sqs-mega-go/transport"
)

// Reasons a pointer to a large payload is refused for good. An
// *OffloadError matches the one that applies (errors.Is).
var (
	// ErrUntrustedBucket: the pointer names a bucket the resolver was not
	// told to trust. Reading it could leak another bucket's content to
	// whoever can send to the queue.
	ErrUntrustedBucket = errors.New("mega: large payload in a bucket that is not trusted")
	// ErrPayloadMissing: the object, or its bucket, does not exist
	// (expired by a lifecycle rule, deleted by another consumer, or never
	// written).
	ErrPayloadMissing = errors.New("mega: large payload missing")
	// ErrPayloadSizeMismatch: the object's size differs from the size
	// attribute of the message.
	ErrPayloadSizeMismatch = errors.New("mega: large payload size differs from its size attribute")
	// ErrPayloadTooLarge: the object is larger than the resolver accepts
	// ([WithMaxPayloadSize]); it was not read.
	ErrPayloadTooLarge = errors.New("mega: large payload over the size limit")
	// ErrMalformedPointer: the message carries the size attribute of a
	// large payload, but its body (or its SNS envelope's message) is not
	// a pointer, or the attribute is not a byte count.
	ErrMalformedPointer = errors.New("mega: malformed large-payload pointer")

	// ErrPayloadUnavailable matches the transient error of a payload
	// store that could not be read; trying again later may succeed.
	ErrPayloadUnavailable = errors.New("mega: large payload cannot be read now")
)

// Offloaded says that a message's body came through a payload store:
// where it was and how large it is.
type Offloaded struct {
	Bucket string
	Key    string
	// Size is the body's size in bytes.
	Size int64
	// SNS is true when the pointer was the message of an SNS envelope
	// (SNS without raw message delivery).
	SNS bool
}

// OffloadError is the permanent failure to resolve a pointer: the
// message should go to the dead-letter queue with this error as the
// reason. It matches (errors.Is) its Reason, one of ErrUntrustedBucket,
// ErrPayloadMissing, ErrPayloadSizeMismatch, ErrPayloadTooLarge or
// ErrMalformedPointer.
type OffloadError struct {
	Reason error
	// Bucket and Key name the object; empty when the pointer could not
	// be read.
	Bucket, Key string
	// Err is the underlying error, if any.
	Err error
}

func (e *OffloadError) Error() string {
	var b strings.Builder
	b.WriteString(e.Reason.Error())
	if e.Bucket != "" {
		fmt.Fprintf(&b, ": s3://%s/%s", e.Bucket, e.Key)
	}
	if e.Err != nil {
		b.WriteString(": ")
		b.WriteString(e.Err.Error())
	}
	return b.String()
}

// Unwrap returns the reason and the underlying error.
func (e *OffloadError) Unwrap() []error {
	if e.Err == nil {
		return []error{e.Reason}
	}
	return []error{e.Reason, e.Err}
}

// Resolver reads back the bodies of messages that point into a payload
// store, as the AWS SQS and SNS Extended Client libraries and publishers
// configured with [WithLargePayloads] write them. It is safe for
// concurrent use.
type Resolver struct {
	store   PayloadStore
	buckets map[string]bool
	maxSize int64
	keep    bool
}

// ResolverOption configures a Resolver.
type ResolverOption func(*Resolver) error

// WithTrustedBuckets adds buckets that pointers may name. A pointer to
// any other bucket is refused with [ErrUntrustedBucket]. At least one is
// required.
func WithTrustedBuckets(names ...string) ResolverOption {
	return func(r *Resolver) error {
		for _, n := range names {
			if err := (offload.Pointer{Bucket: n, Key: "k"}).Validate(); err != nil {
				return invalid("trusted bucket %q: %v", n, err)
			}
			r.buckets[n] = true
		}
		return nil
	}
}

// WithMaxPayloadSize sets the largest body read back, in bytes (default
// [DefaultMaxPayloadSize]). A larger one is refused with
// [ErrPayloadTooLarge] from its size attribute, or from the object's
// length, before it is read into memory.
func WithMaxPayloadSize(n int64) ResolverOption {
	return func(r *Resolver) error {
		if n < 1 {
			return invalid("maximum payload size must be at least 1, not %d", n)
		}
		r.maxSize = n
		return nil
	}
}

// WithKeepPayloads makes [Resolver.Delete] keep the objects, for buckets
// that several queues read or that a lifecycle rule empties.
func WithKeepPayloads() ResolverOption {
	return func(r *Resolver) error {
		r.keep = true
		return nil
	}
}

// NewResolver returns a resolver reading from store.
func NewResolver(store PayloadStore, opts ...ResolverOption) (*Resolver, error) {
	if store == nil {
		return nil, invalid("nil payload store")
	}
	r := &Resolver{store: store, buckets: make(map[string]bool), maxSize: DefaultMaxPayloadSize}
	for _, o := range opts {
		if err := o(r); err != nil {
			return nil, err
		}
	}
	if len(r.buckets) == 0 {
		return nil, invalid("a resolver needs at least one trusted bucket (WithTrustedBuckets)")
	}
	return r, nil
}

// Resolve returns the body to decode for msg. A message is offloaded when
// it carries the size attribute offload.SizeAttribute (or the legacy
// offload.LegacySizeAttribute), as the extended clients decide:
//
//   - the body itself is a pointer (SQS, or SNS with raw message
//     delivery): the body returned is the object's content;
//   - the body is an SNS notification envelope whose Message is a pointer
//     and whose MessageAttributes (or the SQS message's) hold the size
//     attribute: the body returned is the envelope with Message replaced
//     by the object's content, so that decoding still sees the envelope.
//
// Any other message is returned unchanged with a nil *Offloaded, at the
// cost of a map lookup (and, for a body that mentions the size attribute,
// a JSON parse).
//
// A permanent failure is a *PermanentError wrapping an *OffloadError
// that says why (an untrusted bucket, a missing object, a size that
// differs from the attribute, an object over the limit, a malformed
// pointer): dead-letter the message, and keep its object. A transient
// failure of the store wraps [ErrPayloadUnavailable] (or is ctx's error):
// retry the message later.
func (r *Resolver) Resolve(ctx context.Context, msg transport.Message) (string, *Offloaded, error) {
	return r.resolve(ctx, msg.Body, msg.Attributes, true)
}

// ResolveBody resolves a body received without its message attributes,
// for inspection tools given a body alone: a body that is a pointer, or an
// SNS envelope whose Message is one, is resolved as [Resolver.Resolve]
// does, without the size check when no size attribute is at hand.
func (r *Resolver) ResolveBody(ctx context.Context, body string) (string, *Offloaded, error) {
	return r.resolve(ctx, body, nil, false)
}

// Delete deletes the object of a resolved message. Call it only after the
// message was deleted from the queue, never before (the message could
// still be redelivered) and never for a message that was dead-lettered
// (its copy points at the object). With [WithKeepPayloads], or a nil
// ref, it does nothing.
//
// Whoever can send to the queue can point at any object of a trusted
// bucket, and so have it deleted once the message is processed: keep the
// bucket for payloads only, or keep the objects and let a lifecycle rule
// expire them.
func (r *Resolver) Delete(ctx context.Context, ref *Offloaded) error {
	if ref == nil || r.keep {
		return nil
	}
	if err := r.store.Delete(ctx, ref.Bucket, ref.Key); err != nil {
		return fmt.Errorf("mega: deleting large payload s3://%s/%s: %w", ref.Bucket, ref.Key, err)
	}
	return nil
}

// sizeAttribute is a size attribute as found: its type and value.
type sizeAttribute struct {
	name, dataType, value string
}

func sqsSizeAttribute(attrs map[string]transport.Attribute) (sizeAttribute, bool) {
	for _, name := range [...]string{offload.SizeAttribute, offload.LegacySizeAttribute} {
		if a, ok := attrs[name]; ok {
			return sizeAttribute{name, a.DataType, a.StringValue}, true
		}
	}
	return sizeAttribute{}, false
}

func permanent(reason error, ptr offload.Pointer, err error) error {
	return Permanent(&OffloadError{Reason: reason, Bucket: ptr.Bucket, Key: ptr.Key, Err: err})
}

func (r *Resolver) resolve(ctx context.Context, body string, attrs map[string]transport.Attribute, needSize bool) (string, *Offloaded, error) {
	size, hasSize := sqsSizeAttribute(attrs)
	if hasSize || !needSize {
		if ptr, err := offload.ParsePointer(body); err == nil {
			payload, ref, err := r.fetch(ctx, ptr, size, hasSize)
			return payload, ref, err
		}
	}
	if mayBeOffloadedEnvelope(body, hasSize, needSize) {
		if env, ok := parseEnvelope(body); ok {
			if s, found := env.sizeAttribute(); found {
				size, hasSize = s, true
			}
			if hasSize || !needSize {
				ptr, err := offload.ParsePointer(env.message)
				if err != nil {
					if !hasSize {
						return body, nil, nil
					}
					return "", nil, permanent(ErrMalformedPointer, offload.Pointer{}, fmt.Errorf("the SNS message: %w", err))
				}
				payload, ref, err := r.fetch(ctx, ptr, size, hasSize)
				if err != nil {
					return "", nil, err
				}
				ref.SNS = true
				out, err := env.withMessage(payload)
				if err != nil {
					return "", nil, permanent(ErrMalformedPointer, ptr, err)
				}
				return out, ref, nil
			}
		}
	}
	if hasSize {
		return "", nil, permanent(ErrMalformedPointer, offload.Pointer{}, fmt.Errorf("the message carries %s but its body is not a pointer", size.name))
	}
	return body, nil, nil
}

// fetch reads the object ptr names, checking the bucket, the limit and
// the declared size.
func (r *Resolver) fetch(ctx context.Context, ptr offload.Pointer, size sizeAttribute, hasSize bool) (string, *Offloaded, error) {
	if !r.buckets[ptr.Bucket] {
		return "", nil, permanent(ErrUntrustedBucket, ptr, nil)
	}
	limit, declared := r.maxSize, int64(-1)
	if hasSize {
		n, err := offload.ParseSize(size.dataType, size.value)
		if err != nil {
			return "", nil, permanent(ErrMalformedPointer, ptr, fmt.Errorf("%s: %w", size.name, err))
		}
		if n > r.maxSize {
			return "", nil, permanent(ErrPayloadTooLarge, ptr, fmt.Errorf("%s is %d bytes, at most %d accepted", size.name, n, r.maxSize))
		}
		limit, declared = n, n
	}
	payload, err := r.store.Get(ctx, ptr.Bucket, ptr.Key, limit)
	switch {
	case err == nil:
	case errors.Is(err, offload.ErrNotFound):
		return "", nil, permanent(ErrPayloadMissing, ptr, err)
	case errors.Is(err, offload.ErrTooLarge) && declared >= 0:
		return "", nil, permanent(ErrPayloadSizeMismatch, ptr, fmt.Errorf("the object is larger than the %d bytes of %s", declared, size.name))
	case errors.Is(err, offload.ErrTooLarge):
		return "", nil, permanent(ErrPayloadTooLarge, ptr, err)
	case ctx.Err() != nil:
		return "", nil, fmt.Errorf("mega: reading large payload s3://%s/%s: %w", ptr.Bucket, ptr.Key, ctx.Err())
	default:
		return "", nil, fmt.Errorf("%w: s3://%s/%s: %w", ErrPayloadUnavailable, ptr.Bucket, ptr.Key, err)
	}
	if declared >= 0 && int64(len(payload)) != declared {
		return "", nil, permanent(ErrPayloadSizeMismatch, ptr, fmt.Errorf("the object has %d bytes, %s says %d", len(payload), size.name, declared))
	}
	return payload, &Offloaded{Bucket: ptr.Bucket, Key: ptr.Key, Size: int64(len(payload))}, nil
}

// mayBeOffloadedEnvelope is a cheap test that spares the JSON parser the
// bodies that cannot be an SNS envelope carrying a pointer.
func mayBeOffloadedEnvelope(body string, hasSize, needSize bool) bool {
	if !strings.HasPrefix(strings.TrimLeft(body, " \t\r\n"), "{") || !strings.Contains(body, `"Message"`) {
		return false
	}
	switch {
	case hasSize:
		return true
	case needSize:
		return strings.Contains(body, offload.SizeAttribute) || strings.Contains(body, offload.LegacySizeAttribute)
	default:
		return strings.Contains(body, "S3Pointer")
	}
}

// envelope is an SNS notification envelope, kept member by member so
// that it can be written back with another message.
type envelope struct {
	raw     map[string]json.RawMessage
	message string
	attrs   map[string]struct{ Type, Value string }
}

func parseEnvelope(body string) (*envelope, bool) {
	var raw map[string]json.RawMessage
	if json.Unmarshal([]byte(body), &raw) != nil {
		return nil, false
	}
	var typ, message string
	if json.Unmarshal(raw["Type"], &typ) != nil || typ != "Notification" || json.Unmarshal(raw["Message"], &message) != nil {
		return nil, false
	}
	for _, k := range [...]string{"MessageId", "TopicArn", "Timestamp"} {
		var s string
		if json.Unmarshal(raw[k], &s) != nil {
			return nil, false
		}
	}
	env := &envelope{raw: raw, message: message}
	_ = json.Unmarshal(raw["MessageAttributes"], &env.attrs) // absent or odd: none
	return env, true
}

func (e *envelope) sizeAttribute() (sizeAttribute, bool) {
	for _, name := range [...]string{offload.SizeAttribute, offload.LegacySizeAttribute} {
		if a, ok := e.attrs[name]; ok {
			return sizeAttribute{name, a.Type, a.Value}, true
		}
	}
	return sizeAttribute{}, false
}

// withMessage returns the envelope with its Message replaced.
func (e *envelope) withMessage(message string) (string, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(message); err != nil {
		return "", err
	}
	raw := make(map[string]json.RawMessage, len(e.raw))
	for k, v := range e.raw {
		raw[k] = v
	}
	raw["Message"] = bytes.TrimSuffix(buf.Bytes(), []byte("\n"))
	buf.Reset()
	if err := enc.Encode(raw); err != nil {
		return "", err
	}
	return strings.TrimSuffix(buf.String(), "\n"), nil
}
