package main

import (
	"context"
	"sync"

	"github.com/ThreeDotsLabs/watermill"
	wsqs "github.com/ThreeDotsLabs/watermill-aws/sqs"
	"github.com/ThreeDotsLabs/watermill/message"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
)

// watermillClient is watermill-aws's SQS publisher and subscriber with
// their defaults. Its subscriber handles one message at a time per
// Subscribe call (the next waits for the previous ack), so the concurrency
// budget is spent as that many subscriptions of the queue. perReceive is
// MaxNumberOfMessages: 1 by default; watermill-aws's own tests set 10 "to
// enable batching", which the variant watermill-b10 does.
type watermillClient struct{ perReceive int32 }

func (watermillClient) available() error { return nil }

func (c watermillClient) name() string {
	if c.perReceive == 1 {
		return "watermill"
	}
	return "watermill-b10"
}

func (c watermillClient) shape(concurrency int) clientShape {
	return clientShape{Pollers: concurrency, PerReceive: int(c.perReceive)}
}

func (watermillClient) publish(ctx context.Context, ep endpoint, bodies [][]byte, concurrency int) error {
	cfg, err := awsConfig(ctx, ep)
	if err != nil {
		return err
	}
	pub, err := wsqs.NewPublisher(wsqs.PublisherConfig{
		AWSConfig:                   cfg,
		DoNotCreateQueueIfNotExists: true,
		Marshaler:                   wsqs.DefaultMarshalerUnmarshaler{},
	}, watermill.NopLogger{})
	if err != nil {
		return err
	}
	defer pub.Close()
	return publishEach(ctx, bodies, concurrency, func(_ context.Context, body []byte) error {
		return pub.Publish(ep.QueueName, message.NewMessage(watermill.NewUUID(), body))
	})
}

func (c watermillClient) consume(ctx context.Context, ep endpoint, concurrency int, handle func([]byte)) error {
	cfg, err := awsConfig(ctx, ep)
	if err != nil {
		return err
	}
	subCfg := wsqs.SubscriberConfig{
		AWSConfig:                   cfg,
		DoNotCreateQueueIfNotExists: true,
		Unmarshaler:                 wsqs.DefaultMarshalerUnmarshaler{},
	}
	if c.perReceive != 1 {
		perReceive := c.perReceive
		subCfg.GenerateReceiveMessageInput = func(ctx context.Context, u wsqs.QueueURL) (*sqs.ReceiveMessageInput, error) {
			in, err := wsqs.GenerateReceiveMessageInputDefault(ctx, u)
			if err == nil {
				in.MaxNumberOfMessages = perReceive
			}
			return in, err
		}
	}
	sub, err := wsqs.NewSubscriber(subCfg, watermill.NopLogger{})
	if err != nil {
		return err
	}
	var wg sync.WaitGroup
	for range concurrency {
		msgs, err := sub.Subscribe(ctx, ep.QueueName)
		if err != nil {
			sub.Close()
			wg.Wait()
			return err
		}
		wg.Go(func() {
			for m := range msgs {
				handle(m.Payload)
				m.Ack()
			}
		})
	}
	<-ctx.Done()
	err = sub.Close()
	wg.Wait()
	return err
}
