package main

import (
	"context"

	mega "github.com/sqs-mega/sqs-mega-go"
	"strconv"
	"time"

	"github.com/sqs-mega/sqs-mega-go/bench/faults"
	"github.com/sqs-mega/sqs-mega-go/bench/faults/harness"
	"github.com/sqs-mega/sqs-mega-go/bench/faults/ledger"
)

// chaosHandlers are the handlers of the chaos scenario: 5 % of the
// messages fail permanently, and of every handling of the others 8 %
// fail, 4 % panic and 3 % work 9 s, more than twice the visibility
// timeout; the rest work chaosWork, long enough that 20 handlers are
// slower than the receives, so that the consumer holds messages waiting
// for a handler.
var chaosHandlers = harness.Chaos{Seed: 2026, Permanent: 0.05, Fail: 0.08, Panic: 0.04, Slow: 0.03, SlowWork: 9 * time.Second}

// chaosWork is how long a handling that neither fails nor is slow works.
const chaosWork = 1500 * time.Millisecond

// chaosPace is the pause between two batches of 10 messages published:
// 16 messages a second, a little more than 20 handlers working 1.5 s
// each take.
const chaosPace = 600 * time.Millisecond

// chaosArgs passes the chaos handlers to a faultconsumer.
func chaosArgs(c harness.Chaos) []string {
	f := func(x float64) string { return strconv.FormatFloat(x, 'g', -1, 64) }
	return []string{"-chaos-seed", strconv.FormatUint(c.Seed, 10), "-permanent", f(c.Permanent),
		"-fail", f(c.Fail), "-panic", f(c.Panic), "-slow", f(c.Slow), "-slow-work", c.SlowWork.String()}
}

// 9. Everything at once, end to end.
//
// 2,000 messages (500 short), published as a stream of 16 a second
// straight to the server, on a queue with a 4 s visibility timeout,
// consumed by a separate faultconsumer process with 20 handlers through a
// server slow both ways (every request 300 ms late to reach it, 30 % of
// them 1 s more; every answer 300 ms late, 10 % of them 2 s more: a
// request takes effect before the consumer knows it), with the chaos
// handlers above, seeded: what a handler does depends on the seed, the
// message's key and its receive count only. The consumer
// is killed with SIGKILL at a third and at two thirds of the messages
// processed, and restarted at once. The queue's redrive policy allows 50
// receives, far more than the retries need, so that only the permanent
// failures reach the dead-letter queue, sent there by the consumer.
//
// Every message is accounted for by the id the queue confirmed: none
// lost, each permanent failure in the dead-letter queue once (one more
// copy at most for a message refused by a process killed before it
// deleted it), and every handling after the first either a retry a
// failure asked for or a duplicate caused by a kill (no more than the
// killed processes held). A duplicate of any other cause, most of all two
// handlings of one message at the same time in one process, fails the
// scenario.
func chaos(ctx context.Context, r *runner, w *world) (result, error) {
	var res result
	n := r.size(2000, 500)
	const visibility = 4 * time.Second
	ch := chaosHandlers
	if err := w.createQueues(ctx, visibility, 50); err != nil {
		return res, err
	}
	if err := w.collectDeadLetters(ctx); err != nil {
		return res, err
	}
	// The publisher goes straight to the server, the stream not slowed by
	// the faults meant for the consumer.
	direct, err := w.direct(ctx)
	if err != nil {
		return res, err
	}
	pub, err := mega.NewPublisher(direct, mega.WithPublisherLogger(w.log))
	if err != nil {
		return res, err
	}
	ks := keys("c", n)
	refused := 0
	for _, k := range ks {
		if ch.Refuses(k) {
			refused++
		}
	}
	for _, rule := range []faults.Rule{
		{Fault: faults.Latency(300 * time.Millisecond)},
		{Fault: faults.Latency(time.Second), Probability: 0.3},
		{Fault: faults.SlowAnswer(300 * time.Millisecond)},
		{Fault: faults.SlowAnswer(2 * time.Second), Probability: 0.1},
	} {
		if _, err := w.proxy.Inject(rule); err != nil {
			return res, err
		}
	}
	args := append([]string{"-concurrency", "20", "-wait", "2s"}, chaosArgs(ch)...)
	start := time.Now()
	// A stream a little faster than the handlers: the consumer holds
	// messages waiting for a handler, and the queue stays shallow, so that
	// a message whose visibility lapses is received again soon.
	pubCtx, stopPub := context.WithCancel(ctx)
	defer stopPub()
	pubDone := make(chan error, 1)
	go func() {
		for i := 0; i < len(ks); i += 10 {
			batch := ks[i:min(i+10, len(ks))]
			if err := w.publish(pubCtx, pub, batch, func(string) time.Duration { return chaosWork }); err != nil {
				pubDone <- err
				return
			}
			for _, k := range batch {
				if ch.Refuses(k) {
					w.expect(k, ledger.DeadLetter)
				}
			}
			sleep(pubCtx, chaosPace)
		}
		pubDone <- nil
	}()
	var held []int
	const kills = 2
	for i := range kills {
		c, err := w.startConsumer(i+1, args...)
		if err != nil {
			return res, err
		}
		if err := waitProcessed(ctx, w, c, (i+1)*n/(kills+1), 5*time.Minute); err != nil {
			c.kill()
			stopPub()
			<-pubDone
			return res, err
		}
		inFlight, err := w.killConsumer(ctx, c)
		if err != nil {
			return res, err
		}
		held = append(held, inFlight)
		r.progress("killed faultconsumer %d holding %d messages", i+1, inFlight)
	}
	last, err := w.startConsumer(kills+1, args...)
	if err != nil {
		return res, err
	}
	if err := <-pubDone; err != nil {
		return res, err
	}
	settled, err := w.waitSettled(ctx, r.span(8*time.Minute, 3*time.Minute))
	if err != nil {
		return res, err
	}
	elapsed := time.Since(start)
	st, err := last.terminate(30 * time.Second)
	if err != nil {
		return res, err
	}
	t, es, err := w.tally()
	if err != nil {
		return res, err
	}
	res.tally = t
	checkSettled(&res, settled, t)
	res.expect(t.Copies == 0, "%d copies sent twice handled, with no fault on the sends", t.Copies)
	res.expect(t.DeadLettered == refused, "%d messages dead-lettered, want the %d permanent failures", t.DeadLettered, refused)

	behaviours := map[harness.Behaviour]int{}
	for _, e := range es {
		if e.Kind == ledger.Began {
			behaviours[ch.Choose(e.Key, e.ReceiveCount)]++
		}
	}
	heldS := make([]string, len(held))
	sum := 0
	for i, h := range held {
		heldS[i] = strconv.Itoa(h)
		sum += h
	}
	res.note("%d messages (%d failing permanently) in %v; handlings: %d failed, %d panicked, %d slow (%v), %d refused, %d succeeded at once",
		n, refused, elapsed.Round(100*time.Millisecond), behaviours[harness.Fail], behaviours[harness.Panic], behaviours[harness.Slow], ch.SlowWork,
		behaviours[harness.Refuse], behaviours[harness.Succeed])
	res.note("killed with SIGKILL at %d and %d messages processed, when the server counted %s messages in flight; the last process received %d, processed %d, dead-lettered %d",
		n/3, 2*n/3, join(heldS), st.Received, st.Processed, st.DeadLettered)
	res.note("%s", faultSummary(w.proxy.Counts()))
	res.bound("duplicates after a kill", t.AfterKill, sum, "a kill can cost no more than the messages the process held")
	res.bound("duplicates in one live process", t.SameTime+t.Other, 0, "one process never handles a message again unless a failure asked for it")
	res.bound("extra dead-letter copies not after a kill", t.ExtraDLQCopies-t.ExtraDLQAfterKill, 0, "each permanent failure is dead-lettered once")
	if t.Sent > 0 {
		res.note("in-process duplicates: %d of %d messages (%.1f %%), %d of them at the same time", t.SameTime+t.Other, t.Sent,
			100*float64(t.SameTime+t.Other)/float64(t.Sent), t.SameTime)
	}
	return res, nil
}
