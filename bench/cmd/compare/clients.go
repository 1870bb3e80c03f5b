package main

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"

	oursqs "github.com/sqs-mega/sqs-mega-go/transport/sqs"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials"

	"github.com/sqs-mega/sqs-mega-go/bench/sqsfake"
	"github.com/sqs-mega/sqs-mega-go/transport"
)

// endpoint says where a client finds its queue.
type endpoint struct {
	URL       string `json:"url"` // the SQS endpoint
	QueueName string `json:"queue_name"`
	QueueURL  string `json:"queue_url"`
	// SDKDefaultHTTP keeps the SDK's HTTP client exactly as it comes,
	// instead of sqsfake.HTTPClient (see there: a race of the SDK that
	// loses responses of an endpoint answering at once).
	SDKDefaultHTTP bool `json:"sdk_default_http"`
}

// clientShape is how a client polls with a given concurrency budget: how
// many ReceiveMessage calls it keeps open at most and how many messages
// each asks for. It bounds throughput at pollers × per-receive / round trip.
type clientShape struct {
	Pollers    int `json:"pollers"`
	PerReceive int `json:"per_receive"`
}

// client is one library under test, configured as its documentation
// recommends. Implementations run in the child process.
type client interface {
	name() string
	// available reports why the client cannot run in this build, if so.
	available() error
	shape(concurrency int) clientShape
	// publish sends every body to the queue from concurrency goroutines.
	publish(ctx context.Context, ep endpoint, bodies [][]byte, concurrency int) error
	// consume receives messages and calls handle for each, with at most
	// concurrency handlers at once, acknowledging each message after handle
	// returns. It returns once ctx is done and the client has shut down.
	consume(ctx context.Context, ep endpoint, concurrency int, handle func(body []byte)) error
}

// preparer is a client that publishes messages of its own kind rather than
// bodies: prepare turns the corpus into them, before the publish phase is
// timed, and returns the client that publishes them. A user of such a
// client holds those messages already.
type preparer interface {
	prepare(bodies [][]byte) (client, error)
}

// clients are the selectable clients by name.
var clients = map[string]client{
	"ours":          oursClient{},
	"watermill":     watermillClient{perReceive: 1},
	"watermill-b10": watermillClient{perReceive: 10},
	"gocloud":       gocloudClient{},
	"gocloud-pool":  gocloudClient{pooled: true},
}

// awsConfig is the SDK configuration every client gets: the recommended
// config.LoadDefaultConfig, pointed at the endpoint, with static
// credentials and no shared files so that the machine's AWS setup cannot
// leak in, and the SDK's default HTTP client behind sqsfake.HTTPClient,
// which keeps an SDK race from losing answers of a zero-latency endpoint.
func awsConfig(ctx context.Context, ep endpoint) (aws.Config, error) {
	opts := []func(*config.LoadOptions) error{
		config.WithRegion("us-east-1"),
		config.WithCredentialsProvider(credentials.NewStaticCredentialsProvider("bench", "bench", "")),
		config.WithBaseEndpoint(ep.URL),
		config.WithSharedConfigFiles([]string{}),
		config.WithSharedCredentialsFiles([]string{}),
	}
	cfg, err := config.LoadDefaultConfig(ctx, opts...)
	if err == nil && !ep.SDKDefaultHTTP {
		cfg.HTTPClient = sqsfake.NewHTTPClient(nil)
	}
	return cfg, err
}

// awsConfigPooled is awsConfig with the HTTP client that our
// transport/sqs builds (sqs.NewHTTPClient: the SDK's default client
// keeping 128 idle connections per host instead of 10), for ours and for
// gocloud-pool.
func awsConfigPooled(ctx context.Context, ep endpoint) (aws.Config, error) {
	cfg, err := awsConfig(ctx, ep)
	switch {
	case err != nil:
	case ep.SDKDefaultHTTP:
		cfg.HTTPClient = oursqs.NewHTTPClient()
	default:
		cfg.HTTPClient = sqsfake.NewHTTPClient(oursqs.NewHTTPClient())
	}
	return cfg, err
}

// publishGoroutines is how many goroutines a client publishes from, so
// that every client has the same number of messages in flight:
// publishInFlight. Ours sends batches of transport.MaxBatch from
// concurrency goroutines; the peers send one message per call, from as
// many goroutines as ours has messages in flight (gocloud's topic batches
// them again behind Send).
func publishGoroutines(c client, concurrency int) int {
	if c.name() == "ours" {
		return concurrency
	}
	return publishInFlight(concurrency)
}

// publishInFlight is the number of messages every client has in flight
// while publishing with a concurrency budget.
func publishInFlight(concurrency int) int { return concurrency * transport.MaxBatch }

// publishEach calls send for every body from n goroutines and returns the
// first error.
func publishEach(ctx context.Context, bodies [][]byte, n int, send func(ctx context.Context, body []byte) error) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var next atomic.Int64
	var once sync.Once
	var firstErr error
	var wg sync.WaitGroup
	for range max(n, 1) {
		wg.Go(func() {
			for {
				i := int(next.Add(1)) - 1
				if i >= len(bodies) || ctx.Err() != nil {
					return
				}
				if err := send(ctx, bodies[i]); err != nil {
					once.Do(func() { firstErr = fmt.Errorf("message %d: %w", i, err); cancel() })
					return
				}
			}
		})
	}
	wg.Wait()
	return firstErr
}
