package main

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"math/rand/v2"
	"strings"
	"sync"
	"time"

	mega "github.com/sqs-mega/sqs-mega-go"
	"github.com/sqs-mega/sqs-mega-go/bench/faults"
	"github.com/sqs-mega/sqs-mega-go/bench/faults/harness"
	"github.com/sqs-mega/sqs-mega-go/bench/faults/ledger"
	"github.com/sqs-mega/sqs-mega-go/codec"
	"github.com/sqs-mega/sqs-mega-go/match"
	"github.com/sqs-mega/sqs-mega-go/protocol"
)

// 7. Handlers that panic, fail, outlast the visibility timeout, or fail
// permanently.
//
// On a queue with a visibility timeout of 4 s: handlers that panic on the
// first delivery, that return an error on the first two, that work 2.5
// times the visibility timeout, that fail permanently, and messages whose
// validation fails. Panics and errors are retried with backoff and
// processed once; the heartbeat keeps the slow handlers' messages
// invisible, so each is handled exactly once; permanent failures and
// validation failures go to the dead-letter queue with the reason.
func handlers(ctx context.Context, r *runner, w *world) (result, error) {
	var res result
	per := r.size(20, 6)
	const visibility = 4 * time.Second
	const slowWork = 10 * time.Second
	pub, err := w.setup(ctx, visibility, 8)
	if err != nil {
		return res, err
	}
	q, err := w.dial(ctx)
	if err != nil {
		return res, err
	}
	kinds := []string{"ok", "panic", "flaky", "slow", "permanent", "invalid"}
	var all []string
	for _, k := range kinds {
		all = append(all, keys(k, per)...)
	}
	rand.New(rand.NewPCG(5, 5)).Shuffle(len(all), func(i, j int) { all[i], all[j] = all[j], all[i] })
	kindOf := func(key string) string { return key[:strings.LastIndexByte(key, '-')] }

	var mu sync.Mutex
	calls := map[string]int{}
	sub := mega.Subscriber{
		Name:  "behaviours",
		Event: match.Event{"name": harness.EventName},
		Validate: func(ctx context.Context, m *mega.Message) error {
			if kindOf(harness.Key(m)) == "invalid" {
				return errors.New("missing customer id")
			}
			return nil
		},
		Process: w.rec.Wrap(func(ctx context.Context, m *mega.Message) error {
			key := harness.Key(m)
			mu.Lock()
			calls[key]++
			n := calls[key]
			mu.Unlock()
			switch kindOf(key) {
			case "panic":
				if n == 1 {
					panic("handler bug on " + key)
				}
			case "flaky":
				if n <= 2 {
					return fmt.Errorf("database unavailable (attempt %d)", n)
				}
			case "slow":
				if !sleep(ctx, slowWork) {
					return ctx.Err()
				}
			case "permanent":
				return mega.Permanent(fmt.Errorf("order %s refused: credit limit exceeded", key))
			}
			return nil
		}),
	}
	c, stop, err := w.consume(q, []mega.Subscriber{sub}, mega.WithConcurrency(40), mega.WithWaitTime(time.Second),
		mega.WithBackoff(time.Second, 2*time.Second))
	if err != nil {
		return res, err
	}
	if err := w.publish(ctx, pub, all, nil); err != nil {
		return res, err
	}
	for _, k := range all {
		if f := kindOf(k); f == "permanent" || f == "invalid" {
			w.expect(k, ledger.DeadLetter)
		}
	}
	settled, err := w.waitSettled(ctx, 2*time.Minute)
	if err != nil {
		return res, err
	}
	if err := stop(); err != nil {
		return res, err
	}
	t, es, err := w.tally()
	if err != nil {
		return res, err
	}
	res.tally = t
	checkSettled(&res, settled, t)
	res.bound("duplicates", t.Duplicates, 0, "no fault on the way, and the heartbeat keeps the slow handlers' messages invisible")
	res.expect(t.Retries == 3*per, "%d retries, want %d: one after each panic, two after each flaky handler", t.Retries, 3*per)
	res.expect(t.DLQCopies == 2*per, "%d copies in the dead-letter queue, want one of each of the %d permanent and validation failures", t.DLQCopies, 2*per)
	res.expect(t.DeadLettered == 2*per, "%d dead-lettered, want the %d permanent failures and invalid messages", t.DeadLettered, 2*per)
	wantCalls := map[string]int{"ok": 1, "panic": 2, "flaky": 3, "slow": 1, "permanent": 1}
	for _, k := range all {
		want, ok := wantCalls[kindOf(k)]
		if !ok {
			continue
		}
		if began, _ := w.rec.Times(k); began != want {
			res.fail("%s handled %d times, want %d", k, began, want)
		}
	}
	wantReason := map[string]string{"permanent": "credit limit exceeded", "invalid": "validation failed: missing customer id"}
	for _, e := range es {
		if e.Kind != ledger.DeadLettered {
			continue
		}
		if want := wantReason[kindOf(e.Key)]; want == "" || !strings.Contains(e.Note, want) {
			res.fail("%s dead-lettered with reason %q, want one that says %q", e.Key, e.Note, want)
		}
	}
	st := c.Stats()
	res.expect(st.HandlerErrors == int64(3*per), "%d handler errors and panics counted, want %d", st.HandlerErrors, 3*per)
	res.note("handlers: %d panicking once, %d failing twice, %d working %v on a %v visibility timeout (the heartbeat holds them), %d failing permanently, %d failing validation; %d handler errors and panics retried",
		per, per, per, slowWork, visibility, per, per, st.HandlerErrors)
	return res, nil
}

// poisonBodies returns message bodies no subscriber can process, by name:
// each must end in the dead-letter queue while the stream flows on.
func poisonBodies(rng *rand.Rand) (map[string]string, error) {
	out := map[string]string{
		"mega-no-name":         `{"protocol":"mega","version":1,"event":{"timestamp":"2024-01-02T03:04:05Z"}}`,
		"mega-date-only":       `{"protocol":"mega","version":1,"event":{"name":"x","timestamp":"2024-01-02"}}`,
		"mega-version-float":   `{"protocol":"mega","version":1,"event":{"name":"x","timestamp":"2024-01-02T03:04:05Z","version":1.5}}`,
		"mega-event-string":    `{"protocol":"mega","version":1,"event":"user:created"}`,
		"mega-empty-current":   `{"protocol":"mega","version":1,"event":{"name":"x","timestamp":"2024-01-02T03:04:05Z"},"object":{"current":{}}}`,
		"json-number":          "12345",
		"json-array":           `[1, 2, 3]`,
		"text":                 "hello, this is not an event",
		"whitespace":           " \t ",
		"deep-json-array":      strings.Repeat("[", 20000) + strings.Repeat("]", 20000),
		"deep-json-attributes": `{"protocol":"mega","version":1,"event":{"name":"x","timestamp":"2024-01-02T03:04:05Z","attributes":` + strings.Repeat(`{"a":`, 20000) + "1" + strings.Repeat("}", 20000) + "}}",
	}
	var random [512]byte
	for i := range random {
		random[i] = byte(rng.Uint32())
	}
	out["random-bytes"] = base64.StdEncoding.EncodeToString(random[:])
	var text strings.Builder
	for range 300 {
		text.WriteRune(rune(0x20 + rng.IntN(0xD7FF-0x20)))
	}
	out["random-text"] = text.String()

	doc, err := codec.EncodeBSON(map[string]any{"protocol": "mega", "version": int32(1),
		"event": map[string]any{"name": "order:placed", "timestamp": "2024-01-02T03:04:05Z"}})
	if err != nil {
		return nil, err
	}
	out["bson-truncated"] = base64.StdEncoding.EncodeToString(doc[:len(doc)/2])
	bad := bytes.Clone(doc)
	binary.LittleEndian.PutUint32(bad, uint32(len(bad)+7))
	out["bson-bad-length"] = base64.StdEncoding.EncodeToString(bad)
	out["bson-deep"] = base64.StdEncoding.EncodeToString(deepBSON(codec.MaxDepth + 5))
	return out, nil
}

// deepBSON returns a BSON document nested depth levels deep: {"a": {"a": ...}}.
func deepBSON(depth int) []byte {
	doc := []byte{5, 0, 0, 0, 0} // {}
	for range depth {
		inner := doc
		doc = make([]byte, 0, len(inner)+8)
		doc = binary.LittleEndian.AppendUint32(doc, uint32(4+1+2+len(inner)+1))
		doc = append(doc, 0x03, 'a', 0)
		doc = append(doc, inner...)
		doc = append(doc, 0)
	}
	return doc
}

// 8. Poison bodies mixed into the stream.
//
// Valid events interleaved with bodies that are not MEGA events or break
// the protocol: invalid MEGA payloads, JSON that is not an object,
// random bytes (as base64: SQS takes text only), random text, truncated
// BSON and BSON with a wrong length, JSON and BSON nested beyond the
// decoders' depth limit. Each poison message must end in the dead-letter
// queue with a reason, and every valid event must be processed, one of
// them with attributes nested 5,000 deep. A fifth of the sends (to the
// queue and to the dead-letter queue) are throttled and a tenth of the
// sends and deletes fail with 503, so that dead-lettering is retried too.
func poison(ctx context.Context, r *runner, w *world) (result, error) {
	var res result
	valid := r.size(60, 30)
	copies := r.size(3, 1)
	pub, err := w.setup(ctx, 10*time.Second, 10)
	if err != nil {
		return res, err
	}
	q, err := w.dial(ctx)
	if err != nil {
		return res, err
	}
	for _, rule := range []faults.Rule{
		{Actions: []string{"SendMessage", "SendMessageBatch"}, Fault: faults.Throttle(""), Probability: 0.2},
		{Actions: []string{"SendMessage", "DeleteMessageBatch"}, Fault: faults.ServerError(503), Probability: 0.1},
	} {
		if _, err := w.proxy.Inject(rule); err != nil {
			return res, err
		}
	}
	rng := rand.New(rand.NewPCG(6, 6))
	bodies, err := poisonBodies(rng)
	if err != nil {
		return res, err
	}
	type item struct{ key, body string }
	var items []item
	for name, body := range bodies {
		for i := range copies {
			items = append(items, item{fmt.Sprintf("poison-%s-%d", name, i+1), body})
		}
	}
	for _, k := range keys("valid", valid) {
		items = append(items, item{key: k})
	}
	deep := protocol.NewEvent(protocol.Event{Name: harness.EventName, Timestamp: time.Now().UTC(), Attributes: map[string]any{"key": "valid-deep", "nested": nested(5000)}})
	deepBody, err := protocol.Encode(deep)
	if err != nil {
		return res, err
	}
	items = append(items, item{"valid-deep", deepBody})
	rng.Shuffle(len(items), func(i, j int) { items[i], items[j] = items[j], items[i] })

	c, stop, err := w.consume(q, nil, mega.WithConcurrency(20), mega.WithWaitTime(time.Second))
	if err != nil {
		return res, err
	}
	for _, it := range items {
		switch {
		case it.body == "":
			err = w.publish(ctx, pub, []string{it.key}, nil)
		case strings.HasPrefix(it.key, "poison-"):
			err = w.sendRaw(ctx, q, it.key, it.body, ledger.DeadLetter)
		default:
			err = w.sendRaw(ctx, q, it.key, it.body, ledger.Process)
		}
		if err != nil {
			return res, err
		}
	}
	settled, err := w.waitSettled(ctx, 2*time.Minute)
	if err != nil {
		return res, err
	}
	if err := stop(); err != nil {
		return res, err
	}
	t, es, err := w.tally()
	if err != nil {
		return res, err
	}
	res.tally = t
	checkSettled(&res, settled, t)
	res.bound("duplicates", t.Duplicates, 0, "the faults are refusals that the SDK and the consumer retry: none takes effect unseen")
	res.expect(t.DLQCopies == len(bodies)*copies, "%d copies in the dead-letter queue, want one of each of the %d poison messages", t.DLQCopies, len(bodies)*copies)
	res.expect(t.DeadLettered == len(bodies)*copies, "%d dead-lettered, want the %d poison messages", t.DeadLettered, len(bodies)*copies)
	for _, e := range es {
		if e.Kind == ledger.DeadLettered && !strings.Contains(e.Note, "invalid MEGA payload") && !strings.Contains(e.Note, "not a MEGA message") {
			res.fail("%s dead-lettered with reason %q", e.Key, e.Note)
		}
	}
	st := c.Stats()
	res.note("%d kinds of poison × %d among %d valid events (one nested 5,000 deep): consumer received %d, processed %d, dead-lettered %d",
		len(bodies), copies, valid+1, st.Received, st.Processed, st.DeadLettered)
	res.note("%s", faultSummary(w.proxy.Counts()))
	return res, nil
}

// nested returns {"a": {"a": ... 1}} depth levels deep.
func nested(depth int) any {
	var v any = 1
	for range depth {
		v = map[string]any{"a": v}
	}
	return v
}
