// Command faults runs the fault scenarios of SQS MEGA: it publishes and
// consumes messages through a fault-injecting proxy (package faults),
// kills and restarts consumer processes, mixes poison into the stream,
// and checks with a ledger of every message sent and processed that none
// was lost.
//
// Usage:
//
//	faults [-short] [-run REGEXP] [-consumer PATH] [-moto URL] [-keep] [-v]
//
// It prints one line per scenario with its figures and a final
// "N passed, N failed" line, and exits 0 only if every scenario held.
// The scenarios on moto need a moto_server: -moto, or MEGA_TEST_ENDPOINT
// as scripts/with-moto sets it; scripts/faults builds everything and
// starts moto. RELIABILITY.md describes the scenarios.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"time"

	"github.com/sqs-mega/sqs-mega-go/bench/faults/ledger"
)

func main() {
	var r runner
	var pattern string
	flag.BoolVar(&r.short, "short", false, "small volumes and short windows (about 3 minutes in all); blackhole-moto left out unless -run names it")
	flag.StringVar(&pattern, "run", "", "run only the scenarios whose names match this `regexp`")
	flag.StringVar(&r.consumerBin, "consumer", "", "faultconsumer `binary` (default: next to this one)")
	flag.StringVar(&r.moto, "moto", os.Getenv("MEGA_TEST_ENDPOINT"), "moto_server `URL` (default $MEGA_TEST_ENDPOINT)")
	flag.BoolVar(&r.keep, "keep", false, "keep the working directory (ledgers, logs) even when every scenario held")
	flag.BoolVar(&r.verbose, "v", false, "print progress on standard error")
	flag.Parse()
	os.Exit(r.main(pattern))
}

type runner struct {
	short       bool
	consumerBin string
	moto        string
	keep        bool
	verbose     bool
	dir         string
	children    childSet
}

// progress prints a line on standard error with -v.
func (r *runner) progress(format string, args ...any) {
	if r.verbose {
		fmt.Fprintf(os.Stderr, "  · "+format+"\n", args...)
	}
}

// size picks the full or the short value.
func (r *runner) size(full, short int) int {
	if r.short {
		return short
	}
	return full
}

func (r *runner) span(full, short time.Duration) time.Duration {
	if r.short {
		return short
	}
	return full
}

func (r *runner) main(pattern string) int {
	re, err := regexp.Compile(pattern)
	if err != nil {
		fmt.Fprintln(os.Stderr, "faults: -run:", err)
		return 2
	}
	if r.consumerBin == "" {
		exe, err := os.Executable()
		if err == nil {
			r.consumerBin = filepath.Join(filepath.Dir(exe), "faultconsumer")
		}
	}
	if r.dir, err = os.MkdirTemp("", "faults-"); err != nil {
		fmt.Fprintln(os.Stderr, "faults:", err)
		return 2
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	defer r.children.killAll()

	mode := "full"
	if r.short {
		mode = "short"
	}
	fmt.Printf("faults: %s run, working directory %s\n", mode, r.dir)
	passed, failed := 0, 0
	for i, s := range scenarios {
		if !re.MatchString(s.name) || r.short && !s.short && pattern == "" {
			continue
		}
		if ctx.Err() != nil {
			break
		}
		start := time.Now()
		res, err := r.run(ctx, s)
		elapsed := time.Since(start).Round(100 * time.Millisecond)
		status := "ok"
		if err != nil || len(res.problems) > 0 {
			status = "FAILED"
			failed++
		} else {
			passed++
		}
		fmt.Printf("%d %-14s %s  %s  %s %s\n", i+1, s.name, res.tally, status, elapsed, s.backend)
		for _, n := range res.notes {
			fmt.Printf("    %s\n", n)
		}
		if err != nil {
			fmt.Printf("    error: %v\n", err)
		}
		for _, p := range res.problems {
			fmt.Printf("    FAILED: %s\n", p)
		}
	}
	fmt.Printf("%d passed, %d failed\n", passed, failed)
	if failed > 0 || r.keep {
		fmt.Printf("faults: ledgers and logs kept in %s\n", r.dir)
	} else {
		os.RemoveAll(r.dir)
	}
	if failed > 0 || passed == 0 {
		return 1
	}
	return 0
}

// scenario is one fault scenario.
type scenario struct {
	name    string
	backend string // "sqsfake" or "moto"
	run     func(ctx context.Context, r *runner, w *world) (result, error)
	// short: part of the short run (a scenario named by -run runs anyway).
	short bool
}

// result is what a scenario found: its figures, notes that explain them,
// and what did not hold.
type result struct {
	tally    ledger.Tally
	notes    []string
	problems []string
}

func (res *result) note(format string, args ...any) {
	res.notes = append(res.notes, fmt.Sprintf(format, args...))
}

func (res *result) fail(format string, args ...any) {
	res.problems = append(res.problems, fmt.Sprintf(format, args...))
}

// bound checks a figure against the most the scenario allows, and says
// why that is the most.
func (res *result) bound(what string, got, most int, why string) {
	res.note("bound: %s %d ≤ %d (%s)", what, got, most, why)
	res.expect(got <= most, "%d %s, more than the %d allowed", got, what, most)
}

// expect records a problem unless cond holds.
func (res *result) expect(cond bool, format string, args ...any) {
	if !cond {
		res.fail(format, args...)
	}
}

func (r *runner) run(ctx context.Context, s scenario) (result, error) {
	if s.backend == "moto" && r.moto == "" {
		return result{}, errors.New("no moto_server: set MEGA_TEST_ENDPOINT or -moto, or run scripts/faults")
	}
	dir := filepath.Join(r.dir, s.name)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return result{}, err
	}
	w, err := newWorld(ctx, r, s.name, s.backend, dir)
	if err != nil {
		return result{}, err
	}
	defer w.close()
	res, err := s.run(ctx, r, w)
	if ctx.Err() != nil {
		return res, ctx.Err()
	}
	return res, err
}

// join lists items as "a, b and c".
func join(items []string) string {
	switch len(items) {
	case 0:
		return ""
	case 1:
		return items[0]
	}
	return strings.Join(items[:len(items)-1], ", ") + " and " + items[len(items)-1]
}
