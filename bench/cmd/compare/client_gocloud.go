package main

import (
	"context"
	"errors"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"gocloud.dev/pubsub"
	"gocloud.dev/pubsub/awssnssqs"
)

// gocloudClient is gocloud.dev/pubsub on SQS (awssnssqs, SDK v2) with its
// defaults: sends batched by the topic's batcher, receives in batches
// sized from the observed throughput with up to 100 ReceiveMessage calls
// at once, acks batched into DeleteMessageBatch. Raw is set, as the
// package documents for messages sent straight to SQS; the concurrency
// budget is the number of handler goroutines, following the semaphore
// loop of the pubsub package example. gocloud-pool is the same with the
// HTTP client ours gets (awsConfigPooled), which the SDK's default client
// is not: it shows what the pool alone is worth.
type gocloudClient struct{ pooled bool }

func (gocloudClient) available() error { return nil }

func (g gocloudClient) name() string {
	if g.pooled {
		return "gocloud-pool"
	}
	return "gocloud"
}

func (g gocloudClient) config(ctx context.Context, ep endpoint) (aws.Config, error) {
	if g.pooled {
		return awsConfigPooled(ctx, ep)
	}
	return awsConfig(ctx, ep)
}

// The receive batcher of awssnssqs runs up to 100 ReceiveMessage calls of
// 10 messages each.
func (gocloudClient) shape(int) clientShape { return clientShape{Pollers: 100, PerReceive: 10} }

func (g gocloudClient) publish(ctx context.Context, ep endpoint, bodies [][]byte, concurrency int) error {
	cfg, err := g.config(ctx, ep)
	if err != nil {
		return err
	}
	topic := awssnssqs.OpenSQSTopic(ctx, sqs.NewFromConfig(cfg), ep.QueueURL, nil)
	err = publishEach(ctx, bodies, concurrency, func(ctx context.Context, body []byte) error {
		return topic.Send(ctx, &pubsub.Message{Body: body})
	})
	return errors.Join(err, topic.Shutdown(context.WithoutCancel(ctx)))
}

func (g gocloudClient) consume(ctx context.Context, ep endpoint, concurrency int, handle func([]byte)) error {
	cfg, err := g.config(ctx, ep)
	if err != nil {
		return err
	}
	sub := awssnssqs.OpenSubscription(ctx, sqs.NewFromConfig(cfg), ep.QueueURL, &awssnssqs.SubscriptionOptions{Raw: true})
	sem := make(chan struct{}, concurrency)
	var recvErr error
	for {
		msg, err := sub.Receive(ctx)
		if err != nil {
			if ctx.Err() == nil {
				recvErr = err
			}
			break
		}
		sem <- struct{}{}
		go func() {
			defer func() { <-sem }()
			handle(msg.Body)
			msg.Ack()
		}()
	}
	for range concurrency {
		sem <- struct{}{}
	}
	return errors.Join(recvErr, sub.Shutdown(context.WithoutCancel(ctx)))
}
