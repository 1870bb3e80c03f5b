package offload

import (
	"context"
	"errors"
)

// Sentinel errors. Stores wrap them so that callers can test with errors.Is.
var (
	// ErrNotFound: the object, or its bucket, does not exist.
	ErrNotFound = errors.New("offload: no such object")
	// ErrTooLarge: the object is larger than the size the caller accepts.
	ErrTooLarge = errors.New("offload: object too large")
	// ErrMalformed: a pointer, a size attribute or a marked receipt
	// handle does not have the extended clients' form.
	ErrMalformed = errors.New("offload: malformed")
)

// Store keeps the bodies of offloaded messages. Implementations are safe
// for concurrent use.
//
// Errors wrap [ErrNotFound] when the object or its bucket does not
// exist and [ErrTooLarge] when Get refuses an object; any other error is
// taken as transient (the caller may try again).
type Store interface {
	// Put stores body as the object key of bucket, replacing any object
	// of that name.
	Put(ctx context.Context, bucket, key, body string) error
	// Get returns the object key of bucket. An object larger than
	// maxSize bytes is refused with ErrTooLarge before it is read into
	// memory.
	Get(ctx context.Context, bucket, key string, maxSize int64) (string, error)
	// Delete deletes the object key of bucket. Deleting an object that
	// does not exist is not an error.
	Delete(ctx context.Context, bucket, key string) error
}
