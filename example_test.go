package mega_test

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	mega "github.com/sqs-mega/sqs-mega-go"
	"github.com/sqs-mega/sqs-mega-go/match"
	"github.com/sqs-mega/sqs-mega-go/protocol"
	"github.com/sqs-mega/sqs-mega-go/transport/memory"
)

// runUntil runs a consumer until cond holds, then shuts it down.
func runUntil(c *mega.Consumer, cond func(mega.Stats) bool) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- c.Run(ctx) }()
	for !cond(c.Stats()) {
		time.Sleep(time.Millisecond)
	}
	cancel()
	if err := <-done; err != nil {
		fmt.Println("run:", err)
	}
}

// The seed's UserSubscriber: an event pattern, a validation and a process
// step that asks for a retry while the user does not exist yet.
func Example() {
	broker := memory.New()
	defer broker.Close()
	queue, _ := broker.CreateQueue("users", memory.QueueConfig{})

	users := map[int]string{987650: "john.doe"}
	consumer, _ := mega.NewConsumer(queue, mega.WithLogger(quiet))
	err := consumer.Subscribe(mega.Subscriber{
		Name: "users",
		Event: match.Event{
			"name":      match.Regex(`user:(.*)`),
			"version":   match.OneOf(1, 2, 3),
			"timestamp": match.Gt(match.DateTime("2020-01-01")),
			"domain":    "user",
			"subject":   match.Regex(`\d+`),
			"email":     match.Not(match.Empty()),
			"username":  match.Not(match.OneOf("synthetic", "test")),
		},
		Validate: func(ctx context.Context, m *mega.Message) error {
			if o := m.Mega.Object; o == nil || o.Current["id"] == nil {
				return errors.New("object.current.id is required")
			}
			return nil
		},
		Process: func(ctx context.Context, m *mega.Message) error {
			id, _ := strconv.Atoi(m.Mega.Event.Subject)
			user, ok := users[id]
			if !ok {
				return mega.Retry(0)
			}
			fmt.Printf("%s: user %d (%s)\n", m.Mega.Event.Name, id, user)
			return nil
		},
	})
	if err != nil {
		fmt.Println(err)
		return
	}

	publisher, _ := mega.NewPublisher(queue)
	event := protocol.NewEvent(protocol.Event{
		Name:       "user:updated",
		Domain:     "user",
		Subject:    "987650",
		Attributes: map[string]any{"email": "johndoe_86@example.com", "username": "john.doe"},
	})
	event.Mega.Object = &protocol.Object{Current: map[string]any{"id": 987650}}
	if _, err := publisher.Publish(context.Background(), mega.Entry{Payload: event}); err != nil {
		fmt.Println(err)
		return
	}

	runUntil(consumer, func(s mega.Stats) bool { return s.Deleted == 1 })
	fmt.Printf("processed %d, left in the queue %d\n", consumer.Stats().Processed, queue.Len())
	// Output:
	// user:updated: user 987650 (john.doe)
	// processed 1, left in the queue 0
}

// Data payloads are matched with data patterns, applied to the whole
// document.
func ExampleSubscriber_data() {
	broker := memory.New()
	defer broker.Close()
	queue, _ := broker.CreateQueue("notifications", memory.QueueConfig{})
	publisher, _ := mega.NewPublisher(queue, mega.WithEncoding(protocol.BSON))
	_, _ = publisher.PublishBatch(context.Background(), []mega.Entry{
		{Payload: protocol.NewData(map[string]any{"type": "user_notification", "channel": "email", "to": "a@example.com"})},
		{Payload: protocol.NewData(map[string]any{"type": "user_notification", "channel": "pigeon", "to": "b@example.com"})},
	})

	consumer, _ := mega.NewConsumer(queue, mega.WithLogger(quiet), mega.WithConcurrency(1))
	_ = consumer.Subscribe(mega.Subscriber{
		Data: match.Data{"type": "user_notification", "channel": match.OneOf("email", "sms")},
		Process: func(ctx context.Context, m *mega.Message) error {
			fmt.Println("notify", m.Data["to"], "by", m.Data["channel"])
			return nil
		},
	})
	runUntil(consumer, func(s mega.Stats) bool { return s.Deleted == 2 })
	fmt.Println("unmatched:", consumer.Stats().Unmatched)
	// Output:
	// notify a@example.com by email
	// unmatched: 1
}

// A permanent error sends the message to the dead-letter queue named by
// the queue's redrive policy, with the reason in a message attribute.
func ExamplePermanent() {
	broker := memory.New()
	defer broker.Close()
	dlq, _ := broker.CreateQueue("orders-dlq", memory.QueueConfig{})
	queue, _ := broker.CreateQueue("orders", memory.QueueConfig{
		Redrive: &memory.Redrive{DeadLetterQueue: "orders-dlq", MaxReceiveCount: 5},
	})
	publisher, _ := mega.NewPublisher(queue)
	_, _ = publisher.PublishEvent(context.Background(), protocol.Event{Name: "order.placed", Subject: "A-1"})

	consumer, _ := mega.NewConsumer(queue, mega.WithLogger(quiet))
	_ = consumer.Subscribe(mega.Subscriber{
		Name:  "orders",
		Event: match.Event{"name": match.Prefix("order.")},
		Process: func(ctx context.Context, m *mega.Message) error {
			return mega.Permanent(fmt.Errorf("order %s has no lines", m.Mega.Event.Subject))
		},
	})
	runUntil(consumer, func(s mega.Stats) bool { return s.Deleted == 1 })
	for _, m := range dlq.Messages() {
		fmt.Println(m.Attributes[mega.AttrDeadLetterReason].StringValue)
	}
	// Output:
	// subscriber orders: mega: permanent failure: order A-1 has no lines
}
