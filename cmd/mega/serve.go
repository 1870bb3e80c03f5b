package main

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/sqs-mega/sqs-mega-go/transport/memory"
	"github.com/sqs-mega/sqs-mega-go/transport/memory/sqsserver"
)

func init() {
	register("serve", "serve a local SQS endpoint for development and tests", cmdServe)
}

const serveHelp = `
Serves the SQS API on a loopback address, with in-memory queues that
behave as SQS's do: visibility timeouts, receive counts, delays, long
polls, FIFO queues, redrive to a dead-letter queue and SQS's limits. Any
SDK and the AWS CLI can talk to it (the AWS JSON protocol of SQS); the
queues are gone when it stops.

It prints the endpoint URL on the first line of standard output, then the
URL of each queue --queue created, and serves until Ctrl-C or SIGTERM.
It listens on loopback addresses only: it checks no credentials (any will
do, but SDKs want some, for instance AWS_ACCESS_KEY_ID=test
AWS_SECRET_ACCESS_KEY=test).

Short polls (WaitTimeSeconds 0) sample as SQS's do: they may return fewer
messages than are available, or none. Not served: SNS, message retention,
permissions, tags and KMS.

Exit status: 0 when stopped, 1 if serving failed, 2 for bad usage.

Examples:
  mega serve --queue jobs --queue jobs-dlq
  aws --endpoint-url http://127.0.0.1:9324 sqs send-message --queue-url http://127.0.0.1:9324/000000000000/jobs --message-body hi
  mega tail --queue-url http://127.0.0.1:9324/000000000000/jobs
`

func cmdServe(ctx context.Context, e *env, args []string) int {
	fs := newFlags(e, "serve", "[--addr 127.0.0.1:9324] [--queue NAME]...", serveHelp)
	addr := fs.String("addr", "127.0.0.1:9324", "loopback `address` to listen on (port 0 picks a free one)")
	var queues stringList
	fs.Var(&queues, "queue", "create a queue of this `name` at start (a name ending in .fifo makes a FIFO queue; repeatable)")
	pos, code, ok := parse(e, fs, args)
	if !ok {
		return code
	}
	if len(pos) > 0 {
		fmt.Fprintf(e.stderr, "mega serve: unexpected argument %q\n", pos[0])
		return exitUsage
	}
	broker := memory.New()
	defer broker.Close()
	srv := sqsserver.New(broker)
	for _, name := range queues {
		var attrs map[string]string
		if strings.HasSuffix(name, ".fifo") {
			attrs = map[string]string{"FifoQueue": "true"}
		}
		if _, err := srv.CreateQueue(name, attrs); err != nil {
			fmt.Fprintf(e.stderr, "mega serve: --queue %q: %v\n", name, err)
			return exitUsage
		}
	}
	ep, err := sqsserver.Listen(*addr, srv)
	if err != nil {
		fmt.Fprintf(e.stderr, "mega serve: %v\n", err)
		if errors.Is(err, sqsserver.ErrNotLoopback) {
			return exitUsage
		}
		return exitFailure
	}
	fmt.Fprintln(e.stdout, ep.URL())
	for _, name := range queues {
		fmt.Fprintln(e.stdout, ep.QueueURL(name))
	}
	<-ctx.Done()
	if err := ep.Close(); err != nil {
		fmt.Fprintf(e.stderr, "mega serve: %v\n", err)
		return exitFailure
	}
	return exitOK
}
