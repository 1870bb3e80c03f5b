package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"runtime"
	"sync"
	"time"

	"quamina.net/go/quamina"
)

// engine compiles a pattern set; a matcher applies it to raw JSON events.
// Both sides start from the bytes of the event, so decoding is part of what
// is measured.
type engine interface {
	name() string
	build(ps []pattern) (matcher, error)
}

// matcher counts the patterns an event matches. A matcher is used by one
// goroutine; copy gives another goroutine its own.
type matcher interface {
	matchCount(event []byte) (int, error)
	copy() matcher
}

type quaminaEngine struct{}

func (quaminaEngine) name() string { return "quamina" }

func (quaminaEngine) build(ps []pattern) (matcher, error) {
	q, err := quamina.New()
	if err != nil {
		return nil, err
	}
	for i, p := range ps {
		js, err := p.quaminaJSON()
		if err != nil {
			return nil, err
		}
		if err := q.AddPattern(i, js); err != nil {
			return nil, fmt.Errorf("pattern %d %s: %w", i, js, err)
		}
	}
	return quaminaMatcher{q}, nil
}

type quaminaMatcher struct{ q *quamina.Quamina }

func (m quaminaMatcher) matchCount(event []byte) (int, error) {
	xs, err := m.q.MatchesForEvent(event)
	return len(xs), err
}

func (m quaminaMatcher) copy() matcher { return quaminaMatcher{m.q.Copy()} }

// quaminaUnmarshalEngine is the work a quamina user does before a handler
// can read an event: the match, then json.Unmarshal of the body into a
// map when some pattern matched. It is the peer of oursDecodeEngine.
type quaminaUnmarshalEngine struct{}

func (quaminaUnmarshalEngine) name() string { return "quamina+unmarshal" }

func (quaminaUnmarshalEngine) build(ps []pattern) (matcher, error) {
	m, err := quaminaEngine{}.build(ps)
	if err != nil {
		return nil, err
	}
	return quaminaUnmarshalMatcher{m.(quaminaMatcher)}, nil
}

type quaminaUnmarshalMatcher struct{ quaminaMatcher }

func (m quaminaUnmarshalMatcher) matchCount(event []byte) (int, error) {
	n, err := m.quaminaMatcher.matchCount(event)
	if err != nil || n == 0 {
		return n, err
	}
	var doc map[string]any
	return n, json.Unmarshal(event, &doc)
}

func (m quaminaUnmarshalMatcher) copy() matcher {
	return quaminaUnmarshalMatcher{m.quaminaMatcher.copy().(quaminaMatcher)}
}

// matchResult is one engine on one pattern set.
type matchResult struct {
	eps             float64 // events per second, all goroutines together
	cpuUS, wallUS   float64 // CPU time (getrusage) and wall time × goroutines, per event
	buildMS         float64
	matchesPerEvent float64
	checked         int // events compared with the reference
	mismatches      int // of which the engine disagreed on
	firstMismatch   string
	err             error
}

// checkSample is how many events of the corpus each engine's answers are
// compared with the reference meaning of the patterns before it is timed.
const checkSample = 300

// runMatch builds ps with e, compares its answers with the reference
// meaning of the patterns, then matches events from GOMAXPROCS goroutines
// for d. Disagreements are counted, not fatal: the throughput of an engine
// that answers wrongly is reported with its count of wrong answers.
func runMatch(e engine, ps []pattern, events [][]byte, decoded []map[string]any, d time.Duration) matchResult {
	t0 := time.Now()
	m, err := e.build(ps)
	if err != nil {
		return matchResult{err: err}
	}
	res := matchResult{buildMS: float64(time.Since(t0).Microseconds()) / 1000}
	for i := range min(checkSample, len(events)) {
		got, err := m.matchCount(events[i])
		if err != nil {
			return matchResult{err: fmt.Errorf("event %d: %w", i, err)}
		}
		want := 0
		for _, p := range ps {
			if p.matches(decoded[i]) {
				want++
			}
		}
		res.checked++
		if got != want {
			if res.mismatches == 0 {
				res.firstMismatch = fmt.Sprintf("event %d matches %d patterns, the reference says %d", i, got, want)
			}
			res.mismatches++
		}
	}

	workers := runtime.GOMAXPROCS(0)
	var (
		wg              sync.WaitGroup
		mu              sync.Mutex
		total, nmatches int
		firstErr        error
	)
	before := rusage()
	start := time.Now()
	deadline := start.Add(d)
	for w := range workers {
		mw := m.copy()
		wg.Go(func() {
			n, k := 0, 0
			i := w * len(events) / workers
			for {
				if n%64 == 0 && time.Now().After(deadline) {
					break
				}
				c, err := mw.matchCount(events[i])
				if err != nil {
					mu.Lock()
					firstErr = errors.Join(firstErr, err)
					mu.Unlock()
					return
				}
				k += c
				n++
				if i++; i == len(events) {
					i = 0
				}
			}
			mu.Lock()
			total += n
			nmatches += k
			mu.Unlock()
		})
	}
	wg.Wait()
	if firstErr != nil {
		return matchResult{err: firstErr}
	}
	elapsed := time.Since(start)
	after := rusage()
	res.eps = float64(total) / elapsed.Seconds()
	if total > 0 {
		res.matchesPerEvent = float64(nmatches) / float64(total)
		res.cpuUS = (after.user + after.sys - before.user - before.sys) * 1e6 / float64(total)
		res.wallUS = elapsed.Seconds() * float64(workers) * 1e6 / float64(total)
	}
	return res
}

// matchWorkload runs every engine on every pattern count, with and
// without anything-but conditions in the pattern set: quamina handles
// those far more slowly than the rest, so a set with them alone would
// say more about that than about matching.
func matchWorkload(cfg runConfig, engines []engine, logf func(string, ...any)) []matchRow {
	events := corpus(cfg.Seed, cfg.MatchEvents)
	decoded := make([]map[string]any, len(events))
	for i, b := range events {
		if err := json.Unmarshal(b, &decoded[i]); err != nil {
			panic(err)
		}
	}
	var rows []matchRow
	for _, n := range cfg.PatternCounts {
		for _, ab := range []bool{false, true} {
			rows = append(rows, matchSet(cfg, engines, n, ab, events, decoded, logf))
		}
	}
	return rows
}

func matchSet(cfg runConfig, engines []engine, n int, anythingBut bool, events [][]byte, decoded []map[string]any, logf func(string, ...any)) matchRow {
	ps := genPatternsWith(cfg.Seed, n, anythingBut)
	label := "plain"
	if anythingBut {
		label = "any-but"
	}
	row := matchRow{Patterns: n, AnythingBut: anythingBut, Engines: map[string]engineResult{}}
	for _, e := range engines {
		r := runMatch(e, ps, events, decoded, cfg.MatchDuration)
		er := engineResult{}
		if r.err != nil {
			er.Error = r.err.Error()
			logf("match %6d patterns %-7s %-17s %v", n, label, e.name(), r.err)
		} else {
			er.EPS, er.BuildMS, er.MatchesPerEvent = &r.eps, &r.buildMS, &r.matchesPerEvent
			er.CPUusPerEvent, er.WallUSPerEvent = &r.cpuUS, &r.wallUS
			er.Checked, er.Mismatches, er.FirstMismatch = r.checked, &r.mismatches, r.firstMismatch
			logf("match %6d patterns %-7s %-17s %10.0f events/s  %6.2f µs CPU/event  %6.2f µs wall/event (build %.1f ms, %.2f matches/event, %d/%d answers differ from the reference)",
				n, label, e.name(), r.eps, r.cpuUS, r.wallUS, r.buildMS, r.matchesPerEvent, r.mismatches, r.checked)
		}
		row.Engines[e.name()] = er
		runtime.GC()
	}
	row.OursEPS = row.Engines["ours"].EPS
	row.QuaminaEPS = row.Engines["quamina"].EPS
	row.OursDecodeEPS = row.Engines["ours+decode"].EPS
	row.QuaminaUnmarshalEPS = row.Engines["quamina+unmarshal"].EPS
	return row
}
