package lease

import (
	"sync"
	"time"

	"github.com/sqs-mega/sqs-mega-go/transport"
)

// batcher groups items into batches of up to transport.MaxBatch, sent when
// full or when the oldest item has waited for the interval. Several
// batches may be under way at once, so that one slow request does not
// hold up the rest.
type batcher[T any] struct {
	in       chan T
	flush    func([]T)
	interval time.Duration
	flights  chan struct{}
	wg       sync.WaitGroup
	done     chan struct{}
	closing  sync.Once
}

func newBatcher[T any](interval time.Duration, parallel int, flush func([]T)) *batcher[T] {
	b := &batcher[T]{
		in:       make(chan T, transport.MaxBatch*parallel),
		flush:    flush,
		interval: interval,
		flights:  make(chan struct{}, parallel),
		done:     make(chan struct{}),
	}
	go b.run()
	return b
}

// add queues an item; it blocks while the batcher is saturated, which
// slows down whoever produces the items.
func (b *batcher[T]) add(item T) { b.in <- item }

// close sends what is queued and returns when every batch has been sent.
func (b *batcher[T]) close() {
	b.closing.Do(func() { close(b.in) })
	<-b.done
}

func (b *batcher[T]) run() {
	defer close(b.done)
	timer := time.NewTimer(time.Hour)
	timer.Stop()
	var buf []T
	send := func() {
		items := buf
		buf = nil
		timer.Stop()
		b.flights <- struct{}{}
		b.wg.Add(1)
		go func() {
			defer b.wg.Done()
			defer func() { <-b.flights }()
			b.flush(items)
		}()
	}
	for {
		select {
		case item, ok := <-b.in:
			if !ok {
				if len(buf) > 0 {
					send()
				}
				b.wg.Wait()
				return
			}
			if buf == nil {
				// Sized for a full batch once: the batch goes to its
				// flight with this buffer.
				buf = make([]T, 0, transport.MaxBatch)
			}
			buf = append(buf, item)
			if len(buf) == 1 {
				timer.Reset(b.interval)
			}
			if len(buf) == transport.MaxBatch {
				send()
			}
		case <-timer.C:
			if len(buf) > 0 {
				send()
			}
		}
	}
}
