package main

import (
	"context"
	"fmt"
	"sync"
	"time"

	mega "github.com/sqs-mega/sqs-mega-go"
	"github.com/sqs-mega/sqs-mega-go/bench/faults"
	"github.com/sqs-mega/sqs-mega-go/bench/faults/ledger"
)

var scenarios = []scenario{
	{"throttling", "sqsfake", throttling, true},
	{"blackhole", "sqsfake", blackhole, true},
	{"blackhole-moto", "moto", blackhole, false}, // 30 s more: full run only
	{"kill9", "sqsfake", kill9, true},
	{"kill9-moto", "moto", kill9, true},
	{"sigterm", "moto", sigterm, true},
	{"handlers", "moto", handlers, true},
	{"poison", "moto", poison, true},
	{"chaos", "sqsfake", chaos, true},
}

// maxInFlight is the most messages a consumer holds with the options the
// scenarios give it: the adaptive window starts at 100 and grows only when
// receives come back full over a slow round trip, which these local
// servers do not have (it shrinks towards the handlers plus a batch).
const maxInFlight = 100

// The actions of publishing and consuming.
var dataActions = []string{"SendMessage", "SendMessageBatch", "ReceiveMessage", "DeleteMessageBatch", "ChangeMessageVisibilityBatch"}

// publishParallel publishes keys from several goroutines at once.
func publishParallel(ctx context.Context, w *world, pub *mega.Publisher, ks []string, parallel int, work func(string) time.Duration) error {
	var wg sync.WaitGroup
	errs := make([]error, parallel)
	per := (len(ks) + parallel - 1) / parallel
	for i := range parallel {
		part := ks[min(i*per, len(ks)):min((i+1)*per, len(ks))]
		wg.Go(func() { errs[i] = w.publish(ctx, pub, part, work) })
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}

// waitFor polls cond until it holds or timeout passes.
func waitFor(ctx context.Context, timeout time.Duration, cond func() bool) bool {
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) || !sleep(ctx, 20*time.Millisecond) {
			return false
		}
	}
	return true
}

// checkSettled adds the checks every scenario makes: the queues emptied
// in time, and no message was lost or met the wrong fate; and it explains
// the duplicates.
func checkSettled(res *result, settled bool, t ledger.Tally) {
	res.note("handlings %d: %d retries asked for by a failure, %d duplicates (%d at the same time in one process, %d after a kill, %d other); %d processed more than once; %d copies sent twice handled",
		t.Handlings, t.Retries, t.Duplicates, t.SameTime, t.AfterKill, t.Other, t.Reprocessed, t.Copies)
	if t.DLQCopies > 0 {
		res.note("dead-letter queue: %d copies of %d messages, %d extra (%d after a kill)", t.DLQCopies, t.DeadLettered, t.ExtraDLQCopies, t.ExtraDLQAfterKill)
	}
	res.expect(settled, "the queues did not empty, or not every message was accounted for, in time")
	res.expect(t.Lost == 0, "%d messages lost: %v", t.Lost, t.LostKeys)
	res.expect(len(t.Misrouted) == 0, "%d messages met the wrong fate (processed or dead-lettered): %v", len(t.Misrouted), t.Misrouted)
	res.expect(t.Unconfirmed == 0, "%d messages handled whose publishing was never confirmed", t.Unconfirmed)
}

// 1. Throttling and 5xx bursts on receive, delete and send.
//
// Throughout, a few percent of the requests of every data action are
// throttled, fail with 500 or are reset before they reach the server, and
// a fifth is delayed; every second (half second short) a burst of 400 ms
// makes most of them fail with 503 or RequestThrottled. Nothing here lets a request take effect without
// the client knowing, so at-least-once allows no duplicate: the SDK's and
// the library's retries must ride every fault out.
func throttling(ctx context.Context, r *runner, w *world) (result, error) {
	var res result
	n := r.size(10000, 2000)
	pub, err := w.setup(ctx, 30*time.Second, 10)
	if err != nil {
		return res, err
	}
	q, err := w.dial(ctx)
	if err != nil {
		return res, err
	}
	for _, rule := range []faults.Rule{
		{Actions: dataActions, Fault: faults.Throttle("ThrottlingException"), Probability: 0.04},
		{Actions: dataActions, Fault: faults.ServerError(500), Probability: 0.02},
		{Actions: dataActions, Fault: faults.Reset(), Probability: 0.01},
		{Actions: dataActions, Fault: faults.Latency(10 * time.Millisecond), Probability: 0.2},
	} {
		if _, err := w.proxy.Inject(rule); err != nil {
			return res, err
		}
	}
	burstCtx, stopBursts := context.WithCancel(ctx)
	defer stopBursts()
	burstsDone := make(chan int, 1)
	go func() {
		count := 0
		defer func() { burstsDone <- count }()
		for sleep(burstCtx, r.span(time.Second, 500*time.Millisecond)) {
			f := faults.ServerError(503)
			if count%2 == 1 {
				f = faults.Throttle("RequestThrottled")
			}
			cancel, _ := w.proxy.Schedule(faults.Rule{Actions: dataActions, Fault: f, Probability: 0.8}, 0, 400*time.Millisecond)
			sleep(burstCtx, 400*time.Millisecond)
			cancel()
			count++
		}
	}()
	c, stop, err := w.consume(q, nil, mega.WithConcurrency(20), mega.WithWaitTime(2*time.Second))
	if err != nil {
		return res, err
	}
	start := time.Now()
	if err := publishParallel(ctx, w, pub, keys("t", n), 4, nil); err != nil {
		return res, err
	}
	settled, err := w.waitSettled(ctx, r.span(5*time.Minute, 90*time.Second))
	if err != nil {
		return res, err
	}
	elapsed := time.Since(start)
	stopBursts()
	bursts := <-burstsDone
	if err := stop(); err != nil {
		return res, err
	}
	t, _, err := w.tally()
	if err != nil {
		return res, err
	}
	res.tally = t
	st := c.Stats()
	res.note("%s; %d bursts of 400 ms", faultSummary(w.proxy.Counts()), bursts)
	res.note("%d messages in %v (%.0f/s); consumer: received %d, deleted %d, retried %d", t.Sent, elapsed.Round(100*time.Millisecond),
		float64(t.Processed)/elapsed.Seconds(), st.Received, st.Deleted, st.Retried)
	checkSettled(&res, settled, t)
	res.expect(t.Sent == n, "%d of %d messages sent", t.Sent, n)
	res.expect(t.DeadLettered == 0, "%d messages dead-lettered", t.DeadLettered)
	res.bound("duplicates", t.Duplicates, 0, "no fault of this scenario lets a request take effect unseen, and the 30 s visibility timeout outlasts every retry")
	res.expect(t.Copies == 0, "%d copies sent twice handled: no fault of this scenario loses an answer", t.Copies)
	return res, nil
}

// 2 and 3. A network blackhole mid-stream, refused connections, late
// delivery, on sqsfake (3,000 messages; 400 short) and on moto (1,000;
// 300).
//
// While messages flow, the proxy swallows every request and every answer
// for the window (30 s; 5 s short) and never answers what it took, as a
// network that loses packets: the long polls under way, the deletes, the
// sends. The consumer must come back by itself, with no restart. Then the
// proxy refuses connections for a while, then holds requests and answers
// for a while and delivers them late; throughout, one answer in a hundred
// is lost after its request took effect. Duplicates are allowed: a delete
// that fails for longer than the consumer retries it, or arrives after the
// message came back, leaves the message to be processed again, and a send
// whose answer was lost is sent again by the publisher.
func blackhole(ctx context.Context, r *runner, w *world) (result, error) {
	var res result
	n := r.size(3000, 400)
	if w.onMoto() {
		// moto answers slowly when its queue is deep: the stream is
		// thinner, the windows the same.
		n = r.size(1000, 300)
	}
	window := r.span(30*time.Second, 5*time.Second)
	refuse := r.span(5*time.Second, 2*time.Second)
	visibility := r.span(10*time.Second, 3*time.Second)
	wait := r.span(20*time.Second, 2*time.Second)
	pub, err := w.setup(ctx, visibility, 10)
	if err != nil {
		return res, err
	}
	q, err := w.dial(ctx)
	if err != nil {
		return res, err
	}
	// Throughout, one answer in a hundred is lost after the request took
	// effect.
	if _, err := w.proxy.Inject(faults.Rule{Actions: dataActions, Fault: faults.ResetAfter(), Probability: 0.01}); err != nil {
		return res, err
	}
	c, stop, err := w.consume(q, nil, mega.WithConcurrency(20), mega.WithWaitTime(wait))
	if err != nil {
		return res, err
	}
	// The stream: batches of 10 at a steady pace, over about the whole
	// scenario, each message taking its handler 200 ms, so that messages
	// are always in flight.
	pace := (window + 2*visibility) / time.Duration(n/10)
	work := func(string) time.Duration { return 200 * time.Millisecond }
	pubDone := make(chan error, 1)
	go func() {
		ks := keys("b", n)
		for i := 0; i < len(ks); i += 10 {
			if err := w.publish(ctx, pub, ks[i:min(i+10, len(ks))], work); err != nil {
				pubDone <- err
				return
			}
			sleep(ctx, pace)
		}
		pubDone <- nil
	}()

	// recovery waits, after a window, for the first message processed
	// after it: the consumer received again.
	bound := wait + 10*time.Second + visibility + 10*time.Second
	recovery := func(what string) (time.Duration, bool) {
		_, before := w.rec.ProcessedKeys()
		end := time.Now()
		ok := waitFor(ctx, bound, func() bool { _, now := w.rec.ProcessedKeys(); return now > before })
		d := time.Since(end)
		res.expect(ok, "the consumer did not receive again within %v of the end of the %s", bound, what)
		return d, ok
	}

	if !waitFor(ctx, time.Minute, func() bool { k, _ := w.rec.ProcessedKeys(); return k >= n/4 }) {
		return res, fmt.Errorf("the stream did not start")
	}
	ended, err := w.proxy.Blackhole(faults.Hang, window)
	if err != nil {
		return res, err
	}
	<-ended
	afterHang, ok := recovery("blackhole")
	if ok {
		res.note("blackhole (hang) of %v: processing resumed %v after it ended, with no restart (long-poll wait %v)", window, afterHang.Round(100*time.Millisecond), wait)
	}
	sleep(ctx, time.Second)
	if ended, err = w.proxy.Blackhole(faults.Refuse, refuse); err != nil {
		return res, err
	}
	<-ended
	afterRefuse, ok := recovery("refusal")
	if ok {
		res.note("connections refused for %v: processing resumed %v after", refuse, afterRefuse.Round(100*time.Millisecond))
	}
	sleep(ctx, time.Second)
	if ended, err = w.proxy.Blackhole(faults.DeliverLate, refuse); err != nil {
		return res, err
	}
	<-ended
	afterLate, ok := recovery("late delivery")
	if ok {
		res.note("requests and answers held for %v, then delivered: processing resumed %v after", refuse, afterLate.Round(100*time.Millisecond))
	}
	if err := <-pubDone; err != nil {
		return res, err
	}
	settled, err := w.waitSettled(ctx, r.span(4*time.Minute, 90*time.Second))
	if err != nil {
		return res, err
	}
	if err := stop(); err != nil {
		return res, err
	}
	t, _, err := w.tally()
	if err != nil {
		return res, err
	}
	res.tally = t
	st := c.Stats()
	res.note("%s", faultSummary(w.proxy.Counts()))
	res.note("duplicates are messages delivered again because their delete or heartbeat failed until their visibility timeout ended (the consumer gave up on %d deletes) or came after it; %d copies sent twice because the answer to their send was lost; consumer: received %d, deleted %d",
		st.DeleteFailures, t.Copies, st.Received, st.Deleted)
	checkSettled(&res, settled, t)
	res.expect(t.DeadLettered == 0, "%d messages dead-lettered", t.DeadLettered)
	res.bound("duplicates", t.Duplicates, 3*maxInFlight,
		fmt.Sprintf("each of the 3 windows can cost at most what the consumer holds, %d messages; the answers lost outside them are of requests that took effect", maxInFlight))
	return res, nil
}
