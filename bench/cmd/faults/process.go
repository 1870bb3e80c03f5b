package main

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/sqs-mega/sqs-mega-go/bench/faults/harness"
	"github.com/sqs-mega/sqs-mega-go/bench/faults/ledger"
	"github.com/sqs-mega/sqs-mega-go/transport"
)

// progressOf reads the ledger: the keys processed, and those begun and not
// processed, with the process id of the last process that began them.
func progressOf(w *world) (processed int, unfinished map[string]string, es []ledger.Entry, err error) {
	es, err = w.entries()
	if err != nil {
		return 0, nil, nil, err
	}
	done := map[string]bool{}
	unfinished = map[string]string{}
	for _, e := range es {
		switch e.Kind {
		case ledger.Began:
			if !done[e.Key] {
				unfinished[e.Key] = e.Note
			}
		case ledger.Processed:
			done[e.Key] = true
			delete(unfinished, e.Key)
		}
	}
	return len(done), unfinished, es, nil
}

// killConsumer kills a faultconsumer with SIGKILL and records the kill
// in the ledger, so that the tally tells the duplicates it caused. It
// returns how many messages the server counted in flight right after.
func (w *world) killConsumer(ctx context.Context, c *child) (int, error) {
	c.kill()
	if err := w.ledger.Record(ledger.Entry{Kind: ledger.Killed, PID: c.cmd.Process.Pid}); err != nil {
		return 0, err
	}
	_, n, _, err := w.queueCounts(ctx, w.queueURL)
	return n, err
}

// waitProcessed waits until the ledger counts at least target keys
// processed, or the consumer exits, or timeout passes; it reads the
// ledger every 100 ms.
func waitProcessed(ctx context.Context, w *world, c *child, target int, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	for {
		p, _, _, err := progressOf(w)
		if err != nil {
			return err
		}
		switch {
		case p >= target:
			return nil
		case c.exited():
			return fmt.Errorf("faultconsumer exited by itself: %v", c.err)
		case time.Now().After(deadline):
			return fmt.Errorf("faultconsumer did not reach %d messages processed in %v (%d)", target, timeout, p)
		}
		if !sleep(ctx, 100*time.Millisecond) {
			return ctx.Err()
		}
	}
}

// 4 and 5. kill -9 of the consumer process with messages in flight, then
// a restart, on sqsfake (5,000 messages; 600 short) and on moto (1,500;
// 300), whose answers slow down as its queue deepens.
//
// A faultconsumer process consumes through the proxy; the runner kills it
// with SIGKILL several times, each time with messages in flight (handlers
// under way, deletes not yet sent), and starts a new one. Duplicates are
// allowed and expected: a message processed before a kill and not yet
// deleted comes back when its visibility timeout (3 s) ends. Each must
// follow a handling by a process that was killed, and there can be no
// more than the killed processes held; on moto, whose deletes can take
// seconds on a loaded machine, 1 % of others are allowed too.
func kill9(ctx context.Context, r *runner, w *world) (result, error) {
	var res result
	n := r.size(5000, 600)
	if w.onMoto() {
		n = r.size(1500, 300)
	}
	kills := r.size(5, 2)
	const visibility = 3 * time.Second
	pub, err := w.setup(ctx, visibility, 10)
	if err != nil {
		return res, err
	}
	if err := publishParallel(ctx, w, pub, keys("k", n), 4, func(string) time.Duration { return 20 * time.Millisecond }); err != nil {
		return res, err
	}
	args := []string{"-concurrency", "20", "-wait", "1s"}
	if w.onMoto() {
		// One receive at a time: moto can hand one message to two
		// concurrent receives, a duplicate of the server's.
		args = append(args, "-pollers", "1")
	}
	var held []int // messages in flight at each kill
	var lastKill time.Time
	for i := range kills {
		// Restart once what the killed process held is visible again, so
		// that the server's count of messages in flight at the next kill
		// is what the next process holds.
		sleep(ctx, time.Until(lastKill.Add(visibility+500*time.Millisecond)))
		c, err := w.startConsumer(i+1, args...)
		if err != nil {
			return res, err
		}
		if err := waitProcessed(ctx, w, c, (i+1)*n/(kills+1), 2*time.Minute); err != nil {
			c.kill()
			return res, err
		}
		inFlight, err := w.killConsumer(ctx, c)
		if err != nil {
			return res, err
		}
		lastKill = time.Now()
		held = append(held, inFlight)
		if inFlight == 0 {
			res.fail("the process killed held no message: the kill proves nothing")
		}
		r.progress("killed faultconsumer %d holding %d messages", i+1, inFlight)
	}
	last, err := w.startConsumer(kills+1, args...)
	if err != nil {
		return res, err
	}
	settled, err := w.waitSettled(ctx, r.span(4*time.Minute, 90*time.Second))
	if err != nil {
		return res, err
	}
	st, err := last.terminate(30 * time.Second)
	if err != nil {
		return res, err
	}
	t, _, err := w.tally()
	if err != nil {
		return res, err
	}
	res.tally = t
	checkSettled(&res, settled, t)
	res.expect(t.DeadLettered == 0, "%d messages dead-lettered", t.DeadLettered)
	res.expect(t.Copies == 0, "%d copies sent twice handled, with no fault on the way", t.Copies)
	heldS := make([]string, kills)
	sum := 0
	for i, h := range held {
		heldS[i] = strconv.Itoa(h)
		sum += h
	}
	res.note("killed with SIGKILL %d times, when the server counted %s messages in flight; the last process received %d and deleted %d",
		kills, join(heldS), st.Received, st.Deleted)
	res.bound("duplicates after a kill", t.AfterKill, sum, "a kill can cost no more than the messages the process held")
	res.bound("duplicates at the same time in one process", t.SameTime, 0, "one process never handles two copies of a message at once")
	if w.onMoto() {
		res.bound("other duplicates", t.Other, n/100,
			"1 %: on a loaded machine moto can take seconds to act on a delete, which then comes after the 3 s visibility timeout")
	} else {
		res.bound("other duplicates", t.Other, 0, "no fault but the kills, and sqsfake acts on a delete in microseconds")
	}
	return res, nil
}

// 6. SIGTERM with many messages in flight: graceful shutdown.
//
// A faultconsumer with 50 handlers under way, half of them on messages
// that would take a minute, and more messages held waiting for a handler,
// gets SIGTERM while handlers of 1 s messages are under way. Handlers
// that finish within the grace period (3 s) finish; the others are
// cancelled; their messages, and those waiting, are released. The queue's
// visibility timeout is 5 minutes: a message the process kept invisible
// on its way out would be stranded that long. Every message not processed
// must be receivable as soon as the process has exited (the runner gives
// it a minute, a bound for a loaded machine, far below the timeout). A
// last process then drains the queue; no message may be processed twice.
//
// Nothing here depends on how quickly the runner sees the ledger: the
// signal goes only once the runner has seen a short handler under way,
// which then needs 1 s of the 3 s grace. The consumers poll with one
// receive at a time: moto can hand one message to two concurrent receives
// of a loaded machine, a duplicate of the server that this scenario is
// not about.
func sigterm(ctx context.Context, r *runner, w *world) (result, error) {
	var res result
	n := r.size(200, 100)
	const visibility = 5 * time.Minute
	const grace = 3 * time.Second
	const short = time.Second
	const receivable = time.Minute
	pub, err := w.setup(ctx, visibility, 10)
	if err != nil {
		return res, err
	}
	// Every other message takes a minute to handle.
	slow := func(k string) bool { return k[len(k)-1]%2 == 1 }
	work := func(k string) time.Duration {
		if slow(k) {
			return time.Minute
		}
		return short
	}
	if err := publishParallel(ctx, w, pub, keys("s", n), 2, work); err != nil {
		return res, err
	}
	c, err := w.startConsumer(1, "-concurrency", "50", "-pollers", "1", "-grace", grace.String(), "-wait", "1s")
	if err != nil {
		return res, err
	}
	var atTerm map[string]string
	if !waitFor(ctx, 2*time.Minute, func() bool {
		_, unfinished, _, err := progressOf(w)
		if err != nil || c.exited() {
			return true
		}
		quick := 0
		for k := range unfinished {
			if !slow(k) {
				quick++
			}
		}
		atTerm = unfinished
		return len(unfinished) >= 45 && quick > 0
	}) || c.exited() {
		c.kill()
		return res, errors.New("faultconsumer did not fill up with messages in flight, short ones among them")
	}
	termAt := time.Now()
	st, err := c.terminate(30 * time.Second)
	if err != nil {
		return res, err
	}
	exitedAt := time.Now()

	// Everything not processed must be receivable at once: the server
	// counts none in flight right after the exit.
	visible, invisible, _, err := w.queueCounts(ctx, w.queueURL)
	if err != nil {
		return res, err
	}
	countedIn := time.Since(exitedAt)
	processed, unfinished, _, err := progressOf(w)
	if err != nil {
		return res, err
	}
	remaining := w.sent() - processed
	direct, err := w.direct(ctx)
	if err != nil {
		return res, err
	}
	got := map[string]transport.Message{}
	var releasedIn, allIn time.Duration
	waitFor(ctx, receivable, func() bool {
		msgs, err := direct.Receive(ctx, transport.ReceiveRequest{MaxMessages: 10, VisibilityTimeout: visibility})
		if err == nil {
			for _, m := range msgs {
				got[m.Attributes[harness.KeyAttribute].StringValue] = m
			}
		}
		if releasedIn == 0 {
			all := true
			for k := range unfinished {
				if _, ok := got[k]; !ok {
					all = false
					break
				}
			}
			if all {
				releasedIn = time.Since(exitedAt)
			}
		}
		if len(got) >= remaining {
			allIn = time.Since(exitedAt)
			return true
		}
		return false
	})
	finishedInGrace := 0
	for k := range atTerm {
		if _, cut := unfinished[k]; !cut {
			finishedInGrace++
		}
	}
	var stranded []string
	for k := range unfinished {
		if _, ok := got[k]; !ok {
			stranded = append(stranded, k)
		}
	}
	res.note("SIGTERM with %d handlers under way: %d finished within the %v grace, %d released; the process exited after %v",
		len(atTerm), finishedInGrace, grace, st.Released, exitedAt.Sub(termAt).Round(10*time.Millisecond))
	res.note("%v after the exit the server counted %d messages visible, %d in flight; the %d cut short were received again within %v, all %d left within %v (a stranded one would wait for the visibility timeout, %v)",
		countedIn.Round(time.Millisecond), visible, invisible, len(unfinished), releasedIn.Round(10*time.Millisecond), remaining, allIn.Round(10*time.Millisecond), visibility)
	res.expect(invisible == 0 && visible == remaining, "right after the exit %d messages visible and %d in flight, want %d and 0", visible, invisible, remaining)
	res.expect(len(stranded) == 0, "%d released messages not receivable within %v of the exit: %s", len(stranded), receivable, strings.Join(stranded, " "))
	res.expect(len(got) == remaining, "%d of the %d messages left receivable within %v of the exit", len(got), remaining, receivable)
	res.expect(int(st.Released) >= len(unfinished), "the consumer released %d messages, %d handlers were cut short", st.Released, len(unfinished))
	res.expect(finishedInGrace > 0, "no handler finished within the grace period")

	// Give them back, and drain the queue with handlers that do not wait.
	var changes []transport.VisibilityChange
	for _, m := range got {
		changes = append(changes, transport.VisibilityChange{ReceiptHandle: m.ReceiptHandle})
	}
	for i := 0; i < len(changes); i += 10 {
		if _, err := direct.ChangeVisibility(ctx, changes[i:min(i+10, len(changes))]); err != nil {
			return res, err
		}
	}
	last, err := w.startConsumer(2, "-concurrency", "50", "-pollers", "1", "-wait", "1s", "-max-work", "0")
	if err != nil {
		return res, err
	}
	settled, err := w.waitSettled(ctx, 2*time.Minute)
	if err != nil {
		return res, err
	}
	if _, err := last.terminate(30 * time.Second); err != nil {
		return res, err
	}
	t, _, err := w.tally()
	if err != nil {
		return res, err
	}
	res.tally = t
	checkSettled(&res, settled, t)
	res.bound("duplicates", t.Duplicates, 0, "a graceful shutdown handles nothing twice: the handlers cut short failed, and their second handling is a retry")
	res.expect(t.DeadLettered == 0, "%d messages dead-lettered", t.DeadLettered)
	return res, nil
}
