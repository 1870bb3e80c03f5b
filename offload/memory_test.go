package offload_test

import (
	"context"
	"errors"
	"slices"
	"testing"

	"github.com/sqs-mega/sqs-mega-go/offload"
)

func TestMemory(t *testing.T) {
	ctx := context.Background()
	m := offload.NewMemory("b1")
	if err := m.Put(ctx, "nope", "k", "x"); !errors.Is(err, offload.ErrNotFound) {
		t.Fatalf("Put into a missing bucket: %v, want ErrNotFound", err)
	}
	if err := m.Put(ctx, "b1", "k", "hello"); err != nil {
		t.Fatal(err)
	}
	if got, err := m.Get(ctx, "b1", "k", 5); err != nil || got != "hello" {
		t.Fatalf("Get = %q, %v", got, err)
	}
	if _, err := m.Get(ctx, "b1", "k", 4); !errors.Is(err, offload.ErrTooLarge) {
		t.Fatalf("Get over the cap: %v, want ErrTooLarge", err)
	}
	if _, err := m.Get(ctx, "b1", "other", 10); !errors.Is(err, offload.ErrNotFound) {
		t.Fatalf("Get of a missing key: %v, want ErrNotFound", err)
	}
	if keys := m.Keys("b1"); !slices.Equal(keys, []string{"k"}) {
		t.Fatalf("Keys = %v", keys)
	}
	if err := m.Delete(ctx, "b1", "k"); err != nil {
		t.Fatal(err)
	}
	if err := m.Delete(ctx, "b1", "k"); err != nil {
		t.Fatalf("deleting again: %v, want nil as on S3", err)
	}
	if keys := m.Keys("b1"); len(keys) != 0 {
		t.Fatalf("Keys after Delete = %v", keys)
	}
	cancelled, cancel := context.WithCancel(ctx)
	cancel()
	if err := m.Put(cancelled, "b1", "k", "x"); !errors.Is(err, context.Canceled) {
		t.Fatalf("Put with a cancelled context: %v", err)
	}
}
