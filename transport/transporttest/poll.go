package transporttest

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/sqs-mega/sqs-mega-go/transport"
)

// testLongPoll: a long poll returns as soon as a message arrives, returns
// empty (and no error) when none arrives within WaitTime, and a receive
// with WaitTime 0 does not wait.
func testLongPoll(t *testing.T, s *suite) {
	t.Run("returns when a message arrives", func(t *testing.T) {
		ctx := s.ctx(t)
		q, _ := s.newQueue(t, QueueConfig{})
		type result struct {
			msgs []transport.Message
			err  error
			took time.Duration
		}
		done := make(chan result, 1)
		start := time.Now()
		go func() {
			msgs, err := q.Receive(ctx, transport.ReceiveRequest{MaxMessages: transport.MaxBatch, WaitTime: transport.MaxWaitTime})
			done <- result{msgs, err, time.Since(start)}
		}()
		// Give the receive time to start waiting. If it has not yet, it
		// finds the message at once, which passes too.
		time.Sleep(s.unit / 2)
		sendOK(t, ctx, q, transport.Outgoing{Body: "wake up"})
		r := <-done
		if r.err != nil {
			t.Fatalf("Receive: %v", r.err)
		}
		if len(r.msgs) != 1 || r.msgs[0].Body != "wake up" {
			t.Fatalf("Receive returned %v, want the message sent while it waited", bodies(r.msgs))
		}
		if r.took >= transport.MaxWaitTime/2 {
			t.Errorf("Receive took %v: it did not return when the message arrived", r.took)
		}
	})

	t.Run("returns empty after WaitTime", func(t *testing.T) {
		ctx := s.ctx(t)
		q, _ := s.newQueue(t, QueueConfig{})
		wait := s.unit
		start := time.Now()
		msgs := receive(t, ctx, q, transport.ReceiveRequest{MaxMessages: transport.MaxBatch, WaitTime: wait})
		took := time.Since(start)
		if len(msgs) != 0 {
			t.Fatalf("Receive on an empty queue returned %v", bodies(msgs))
		}
		if took < wait-s.slack() {
			t.Errorf("Receive with WaitTime %v returned after %v: it did not wait", wait, took)
		}
		if took > wait+s.patience() {
			t.Errorf("Receive with WaitTime %v returned after %v", wait, took)
		}
	})

	t.Run("WaitTime 0 does not wait", func(t *testing.T) {
		ctx := s.ctx(t)
		// A queue whose default wait, if a transport fell back on it,
		// would be noticed.
		q, _ := s.newQueue(t, QueueConfig{})
		start := time.Now()
		msgs := receive(t, ctx, q, transport.ReceiveRequest{MaxMessages: transport.MaxBatch})
		if len(msgs) != 0 {
			t.Fatalf("Receive on an empty queue returned %v", bodies(msgs))
		}
		if took := time.Since(start); took > s.unit+time.Second {
			t.Errorf("Receive with WaitTime 0 took %v", took)
		}
	})
}

// testContextCancel: every call honours its context: a cancelled long
// poll returns promptly with the context's error, and a call made with a
// context already done fails with its error.
func testContextCancel(t *testing.T, s *suite) {
	t.Run("long poll cancelled", func(t *testing.T) {
		q, _ := s.newQueue(t, QueueConfig{})
		ctx, cancel := context.WithCancel(s.ctx(t))
		defer cancel()
		var (
			mu          sync.Mutex
			cancelledAt time.Time
		)
		timer := time.AfterFunc(s.unit/2, func() {
			mu.Lock()
			cancelledAt = time.Now()
			mu.Unlock()
			cancel()
		})
		defer timer.Stop()
		msgs, err := q.Receive(ctx, transport.ReceiveRequest{MaxMessages: 1, WaitTime: transport.MaxWaitTime})
		returned := time.Now()
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("Receive = %v, %v; want an error wrapping context.Canceled", bodies(msgs), err)
		}
		mu.Lock()
		defer mu.Unlock()
		if took := returned.Sub(cancelledAt); took > 2*time.Second {
			t.Errorf("Receive returned %v after its context was cancelled", took)
		}
	})

	t.Run("long poll deadline", func(t *testing.T) {
		q, _ := s.newQueue(t, QueueConfig{})
		ctx, cancel := context.WithTimeout(s.ctx(t), s.unit/2)
		defer cancel()
		start := time.Now()
		_, err := q.Receive(ctx, transport.ReceiveRequest{MaxMessages: 1, WaitTime: transport.MaxWaitTime})
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("Receive = %v; want an error wrapping context.DeadlineExceeded", err)
		}
		if took := time.Since(start); took > s.unit/2+2*time.Second {
			t.Errorf("Receive returned %v after it started, with a deadline of %v", took, s.unit/2)
		}
	})

	t.Run("context already cancelled", func(t *testing.T) {
		q, _ := s.newQueue(t, QueueConfig{})
		ctx, cancel := context.WithCancel(s.ctx(t))
		cancel()
		for _, tc := range []struct {
			name string
			call func() error
		}{
			{"Send", func() error { _, err := q.Send(ctx, []transport.Outgoing{{Body: "never"}}); return err }},
			{"Receive", func() error {
				_, err := q.Receive(ctx, transport.ReceiveRequest{WaitTime: s.unit})
				return err
			}},
			{"Delete", func() error { _, err := q.Delete(ctx, []string{"handle"}); return err }},
			{"ChangeVisibility", func() error {
				_, err := q.ChangeVisibility(ctx, []transport.VisibilityChange{{ReceiptHandle: "handle"}})
				return err
			}},
		} {
			t.Run(tc.name, func(t *testing.T) {
				if err := tc.call(); !errors.Is(err, context.Canceled) {
					t.Errorf("err = %v, want one wrapping context.Canceled", err)
				}
			})
		}
		expectNone(t, s.ctx(t), q, s.unit, "Send with a cancelled context must not send")
	})
}

// testConcurrentReceivers: receivers polling one queue at once share its
// messages out: every message is delivered, and, where the transport
// promises it, none to two receivers.
func testConcurrentReceivers(t *testing.T, s *suite) {
	const (
		receivers = 4
		messages  = 30
	)
	ctx := s.ctx(t)
	q, _ := s.newQueue(t, QueueConfig{VisibilityTimeout: 10 * time.Minute})
	for i := 0; i < messages; i += transport.MaxBatch {
		var batch []transport.Outgoing
		for j := i; j < min(i+transport.MaxBatch, messages); j++ {
			batch = append(batch, transport.Outgoing{Body: fmt.Sprintf("m%02d", j)})
		}
		sendOK(t, ctx, q, batch...)
	}

	var (
		mu    sync.Mutex
		count = make(map[string]int) // body -> deliveries
		wg    sync.WaitGroup
	)
	deadline := time.Now().Add(s.patience())
	for range receivers {
		wg.Go(func() {
			for time.Now().Before(deadline) {
				mu.Lock()
				finished := len(count) == messages
				mu.Unlock()
				if finished {
					return
				}
				msgs, err := q.Receive(ctx, transport.ReceiveRequest{MaxMessages: 3, WaitTime: s.unit})
				if err != nil {
					t.Errorf("Receive: %v", err)
					return
				}
				if len(msgs) == 0 {
					continue
				}
				mu.Lock()
				for _, m := range msgs {
					count[m.Body]++
				}
				mu.Unlock()
				handles := make([]string, len(msgs))
				for i, m := range msgs {
					handles[i] = m.ReceiptHandle
				}
				errs, err := q.Delete(ctx, handles)
				if err != nil {
					t.Errorf("Delete: %v", err)
					return
				}
				for i, e := range errs {
					// A transport that may deliver a message twice may
					// refuse the second deletion.
					if e != nil && s.h.Features.ExactReceive {
						t.Errorf("Delete %q: %v", msgs[i].Body, e)
					}
				}
			}
		})
	}
	wg.Wait()
	if len(count) != messages {
		t.Fatalf("%d of %d messages were delivered", len(count), messages)
	}
	if s.h.Features.ExactReceive {
		for body, n := range count {
			if n != 1 {
				t.Errorf("message %q was delivered %d times", body, n)
			}
		}
	}
}
