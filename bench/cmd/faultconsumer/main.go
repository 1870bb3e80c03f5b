// Command faultconsumer is the consumer process of the fault scenarios
// (cmd/faults): a mega.Consumer on one queue whose subscriber records
// every test event it begins, processes and fails in a ledger file,
// appended and synced before the message can be deleted, so that the
// ledger tells the truth after a kill -9. With -permanent, -fail, -panic
// or -slow its handlers misbehave at random, reproducibly (harness.Chaos).
//
// Usage:
//
//	faultconsumer -endpoint URL -queue URL -ledger FILE [flags]
//
// It runs until SIGTERM or SIGINT, shuts down gracefully and prints its
// consumer's counters (mega.Stats) as JSON on standard output.
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"syscall"
	"time"

	mega "github.com/sqs-mega/sqs-mega-go"
	"github.com/sqs-mega/sqs-mega-go/bench/faults/harness"
	"github.com/sqs-mega/sqs-mega-go/bench/faults/ledger"
)

func main() {
	var (
		endpoint    = flag.String("endpoint", "", "SQS endpoint `URL` (the fault proxy)")
		queueURL    = flag.String("queue", "", "queue `URL`")
		ledgerPath  = flag.String("ledger", "", "ledger `file` to append to")
		logPath     = flag.String("log", "", "log `file` (default: standard error)")
		concurrency = flag.Int("concurrency", 20, "messages in flight at most")
		pollers     = flag.Int("pollers", 2, "concurrent receives")
		wait        = flag.Duration("wait", 2*time.Second, "long-poll wait of each receive")
		grace       = flag.Duration("grace", 5*time.Second, "grace period at shutdown")
		maxWork     = flag.Duration("max-work", time.Hour, "longest time a handler works on a message")
		ch          harness.Chaos
	)
	flag.Uint64Var(&ch.Seed, "chaos-seed", 1, "seed of the chaos handlers' choices")
	flag.Float64Var(&ch.Permanent, "permanent", 0, "`fraction` of the messages whose handler fails permanently")
	flag.Float64Var(&ch.Fail, "fail", 0, "`fraction` of the handlings that return an error")
	flag.Float64Var(&ch.Panic, "panic", 0, "`fraction` of the handlings that panic")
	flag.Float64Var(&ch.Slow, "slow", 0, "`fraction` of the handlings that work -slow-work")
	flag.DurationVar(&ch.SlowWork, "slow-work", 9*time.Second, "how long a slow handling works")
	flag.Parse()
	if *endpoint == "" || *queueURL == "" || *ledgerPath == "" {
		fmt.Fprintln(os.Stderr, "faultconsumer: -endpoint, -queue and -ledger are required")
		os.Exit(2)
	}
	if err := run(*endpoint, *queueURL, *ledgerPath, *logPath, *concurrency, *pollers, *wait, *grace, *maxWork, ch); err != nil {
		fmt.Fprintln(os.Stderr, "faultconsumer:", err)
		os.Exit(1)
	}
}

func run(endpoint, queueURL, ledgerPath, logPath string, concurrency, pollers int, wait, grace, maxWork time.Duration, ch harness.Chaos) error {
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
	defer stop()
	logOut := os.Stderr
	if logPath != "" {
		f, err := os.OpenFile(logPath, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o644)
		if err != nil {
			return err
		}
		defer f.Close()
		logOut = f
	}
	log := slog.New(slog.NewTextHandler(logOut, nil)).With("pid", os.Getpid())
	w, err := ledger.Open(ledgerPath)
	if err != nil {
		return err
	}
	defer w.Close()
	q, err := harness.Dial(context.WithoutCancel(ctx), endpoint, queueURL)
	if err != nil {
		return err
	}
	c, err := mega.NewConsumer(q, mega.WithLogger(log), mega.WithConcurrency(concurrency), mega.WithPollers(pollers),
		mega.WithWaitTime(wait), mega.WithGracePeriod(grace), mega.WithBackoff(time.Second, 2*time.Second))
	if err != nil {
		return err
	}
	rec := harness.NewRecorder(w)
	sub := rec.Subscriber(maxWork)
	if ch.Permanent > 0 || ch.Fail > 0 || ch.Panic > 0 || ch.Slow > 0 {
		sub = ch.Subscriber(rec, maxWork)
	}
	if err := c.Subscribe(sub); err != nil {
		return err
	}
	if err := c.Run(ctx); err != nil && ctx.Err() == nil {
		return err // a signal during the start is a clean stop
	}
	return json.NewEncoder(os.Stdout).Encode(c.Stats())
}
