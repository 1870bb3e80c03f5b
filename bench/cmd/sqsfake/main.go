// Command sqsfake serves the in-process SQS endpoint of package sqsfake on
// a loopback address, so that other processes (a consumer under test, a
// crash-test child) can share one queue service.
//
// Usage:
//
//	sqsfake [-addr 127.0.0.1:9324] [-latency 15ms] [-second 1s] [-seed n] [-exact-short-polls] [-queue name]...
//
// It prints the endpoint URL on the first line of standard output, then
// serves until interrupted; on SIGINT or SIGTERM it prints the request
// counts as JSON on standard error and exits.
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/sqs-mega/sqs-mega-go/bench/sqsfake"
)

type queueList []string

func (q *queueList) String() string     { return strings.Join(*q, ",") }
func (q *queueList) Set(v string) error { *q = append(*q, v); return nil }

func main() {
	var opts sqsfake.Options
	var queues queueList
	flag.StringVar(&opts.Addr, "addr", "127.0.0.1:9324", "loopback `address` to listen on (port 0 picks one)")
	flag.DurationVar(&opts.Latency, "latency", 0, "`delay` before answering each request")
	flag.DurationVar(&opts.Second, "second", 0, "length of one API second (visibility timeouts, delays, waits); default 1s")
	flag.Uint64Var(&opts.ShortPollSeed, "seed", 0, "seed of what short polls find, for repeatable runs (0: random)")
	flag.BoolVar(&opts.ExactShortPolls, "exact-short-polls", false, "short polls return every available message instead of sampling as SQS does")
	flag.Var(&queues, "queue", "create a standard queue of this `name` at start (repeatable)")
	flag.Parse()
	if err := run(opts, queues); err != nil {
		fmt.Fprintln(os.Stderr, "sqsfake:", err)
		os.Exit(1)
	}
}

func run(opts sqsfake.Options, queues []string) error {
	srv, err := sqsfake.New(opts)
	if err != nil {
		return err
	}
	defer srv.Close()
	for _, q := range queues {
		if _, err := srv.CreateQueue(q, nil); err != nil {
			return err
		}
	}
	fmt.Println(srv.URL())
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	<-ctx.Done()
	counts, _ := json.Marshal(srv.Counts())
	fmt.Fprintln(os.Stderr, string(counts))
	return srv.Close()
}
