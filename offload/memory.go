package offload

import (
	"context"
	"fmt"
	"slices"
	"sync"
)

// Memory is a [Store] in process memory, for tests, examples and demos.
// Like S3, it refuses to put objects into a bucket that was not created.
// It is safe for concurrent use; the zero value is not usable, call
// [NewMemory].
type Memory struct {
	mu      sync.Mutex
	buckets map[string]map[string]string
}

var _ Store = (*Memory)(nil)

// NewMemory returns an empty store with the given buckets.
func NewMemory(buckets ...string) *Memory {
	m := &Memory{buckets: make(map[string]map[string]string)}
	for _, b := range buckets {
		m.CreateBucket(b)
	}
	return m
}

// CreateBucket creates a bucket; creating one that exists does nothing.
func (m *Memory) CreateBucket(name string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.buckets[name] == nil {
		m.buckets[name] = make(map[string]string)
	}
}

// Put stores an object. It fails with [ErrNotFound] when the bucket does
// not exist, and with ctx's error when ctx is done.
func (m *Memory) Put(ctx context.Context, bucket, key, body string) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	b := m.buckets[bucket]
	if b == nil {
		return fmt.Errorf("%w: bucket %q does not exist", ErrNotFound, bucket)
	}
	b[key] = body
	return nil
}

// Get returns an object, [ErrNotFound] when it or its bucket does not
// exist, and [ErrTooLarge] when it is larger than maxSize bytes.
func (m *Memory) Get(ctx context.Context, bucket, key string, maxSize int64) (string, error) {
	if err := ctx.Err(); err != nil {
		return "", err
	}
	m.mu.Lock()
	body, ok := m.buckets[bucket][key]
	m.mu.Unlock()
	switch {
	case !ok:
		return "", fmt.Errorf("%w: s3://%s/%s", ErrNotFound, bucket, key)
	case int64(len(body)) > maxSize:
		return "", fmt.Errorf("%w: s3://%s/%s has %d bytes, at most %d accepted", ErrTooLarge, bucket, key, len(body), maxSize)
	}
	return body, nil
}

// Delete deletes an object; an object that does not exist is no error,
// a bucket that does not exist is [ErrNotFound], as on S3.
func (m *Memory) Delete(ctx context.Context, bucket, key string) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	b := m.buckets[bucket]
	if b == nil {
		return fmt.Errorf("%w: bucket %q does not exist", ErrNotFound, bucket)
	}
	delete(b, key)
	return nil
}

// Keys returns the keys of a bucket's objects, sorted.
func (m *Memory) Keys(bucket string) []string {
	m.mu.Lock()
	defer m.mu.Unlock()
	keys := make([]string, 0, len(m.buckets[bucket]))
	for k := range m.buckets[bucket] {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
