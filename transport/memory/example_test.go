package memory_test

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/sqs-mega/sqs-mega-go/transport"
	"github.com/sqs-mega/sqs-mega-go/transport/memory"
)

// A queue sends, receives and deletes as SQS does.
func Example() {
	ctx := context.Background()
	broker := memory.New()
	defer broker.Close()

	q, err := broker.CreateQueue("orders", memory.QueueConfig{})
	if err != nil {
		panic(err)
	}
	_, err = q.Send(ctx, []transport.Outgoing{{
		Body:       `{"protocol": "mega", "version": 1, "event": {"name": "order.placed"}}`,
		Attributes: map[string]transport.Attribute{"tenant": transport.StringAttribute("acme")},
	}})
	if err != nil {
		panic(err)
	}

	msgs, err := q.Receive(ctx, transport.ReceiveRequest{MaxMessages: 10, WaitTime: time.Second})
	if err != nil {
		panic(err)
	}
	for _, m := range msgs {
		fmt.Println(m.Body)
		fmt.Println("tenant:", m.Attributes["tenant"].StringValue, "receives:", m.ReceiveCount)
		if _, err := q.Delete(ctx, []string{m.ReceiptHandle}); err != nil {
			panic(err)
		}
	}
	fmt.Println("left:", q.Len())
	// Output:
	// {"protocol": "mega", "version": 1, "event": {"name": "order.placed"}}
	// tenant: acme receives: 1
	// left: 0
}

// With a ManualClock, a test makes a visibility timeout pass at once:
// a message received and not deleted comes back with a higher receive
// count.
func ExampleManualClock() {
	ctx := context.Background()
	clock := memory.NewManualClock(time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC))
	broker := memory.New(memory.WithClock(clock))
	defer broker.Close()
	q, _ := broker.CreateQueue("jobs", memory.QueueConfig{VisibilityTimeout: 30 * time.Second})
	_, _ = q.Send(ctx, []transport.Outgoing{{Body: "resize image 42"}})

	first, _ := q.Receive(ctx, transport.ReceiveRequest{})
	fmt.Println("received:", first[0].Body, first[0].ReceiveCount)

	// The handler crashed: nothing deletes the message.
	clock.Advance(29 * time.Second)
	fmt.Printf("after 29s: %+v\n", q.Stats())
	clock.Advance(time.Second)
	fmt.Printf("after 30s: %+v\n", q.Stats())

	again, _ := q.Receive(ctx, transport.ReceiveRequest{})
	fmt.Println("received:", again[0].Body, again[0].ReceiveCount)
	// Output:
	// received: resize image 42 1
	// after 29s: {Visible:0 InFlight:1 Delayed:0}
	// after 30s: {Visible:1 InFlight:0 Delayed:0}
	// received: resize image 42 2
}

// A redrive policy moves a message that keeps failing to a dead-letter
// queue, where a test can inspect it without receiving it.
func ExampleQueue_Messages() {
	ctx := context.Background()
	clock := memory.NewManualClock(time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC))
	broker := memory.New(memory.WithClock(clock))
	defer broker.Close()
	dlq, _ := broker.CreateQueue("orders-dlq", memory.QueueConfig{})
	q, _ := broker.CreateQueue("orders", memory.QueueConfig{
		VisibilityTimeout: 10 * time.Second,
		Redrive:           &memory.Redrive{DeadLetterQueue: "orders-dlq", MaxReceiveCount: 2},
	})
	_, _ = q.Send(ctx, []transport.Outgoing{{Body: "poison"}})

	for range 3 {
		msgs, _ := q.Receive(ctx, transport.ReceiveRequest{})
		fmt.Println("delivered:", len(msgs))
		clock.Advance(10 * time.Second)
	}
	for _, m := range dlq.Messages() {
		fmt.Printf("dead letter: %s after %d receives\n", m.Body, m.ReceiveCount)
	}
	// Output:
	// delivered: 1
	// delivered: 1
	// delivered: 0
	// dead letter: poison after 2 receives
}

// A FIFO queue delivers a group's messages in order, and holds the
// group back while one of its messages is in flight; other groups go on.
func ExampleBroker_CreateQueue_fifo() {
	ctx := context.Background()
	broker := memory.New()
	defer broker.Close()
	q, _ := broker.CreateQueue("payments.fifo", memory.QueueConfig{ContentBasedDeduplication: true})
	_, _ = q.Send(ctx, []transport.Outgoing{
		{Body: "alice: open", GroupID: "alice"},
		{Body: "alice: pay", GroupID: "alice"},
		{Body: "bob: open", GroupID: "bob"},
		{Body: "alice: open", GroupID: "alice"}, // a duplicate: dropped
	})

	first, _ := q.Receive(ctx, transport.ReceiveRequest{MaxMessages: 1})
	fmt.Println(first[0].Body)
	next, _ := q.Receive(ctx, transport.ReceiveRequest{MaxMessages: 10})
	fmt.Println(len(next), next[0].Body) // alice is blocked until "alice: open" is deleted
	_, _ = q.Delete(ctx, []string{first[0].ReceiptHandle})
	last, _ := q.Receive(ctx, transport.ReceiveRequest{MaxMessages: 10})
	fmt.Println(len(last), last[0].Body)
	// Output:
	// alice: open
	// 1 bob: open
	// 1 alice: pay
}

// A topic delivers to its subscribed queues in the SNS notification
// envelope, unless a subscription asks for raw delivery; a filter policy
// selects what a subscription gets.
func ExampleBroker_Subscribe() {
	ctx := context.Background()
	broker := memory.New()
	defer broker.Close()
	topic, _ := broker.CreateTopic("users", memory.TopicConfig{})
	all, _ := broker.CreateQueue("audit", memory.QueueConfig{})
	admins, _ := broker.CreateQueue("admins", memory.QueueConfig{})
	_, _ = broker.Subscribe(topic, all, memory.SubscriptionConfig{})
	_, _ = broker.Subscribe(topic, admins, memory.SubscriptionConfig{
		RawMessageDelivery: true,
		FilterPolicy:       `{"role": ["admin"]}`,
	})

	for _, role := range []string{"member", "admin"} {
		_, _ = topic.Send(ctx, []transport.Outgoing{{
			Body:       "user created: " + role,
			Attributes: map[string]transport.Attribute{"role": transport.StringAttribute(role)},
		}})
	}

	msgs, _ := all.Receive(ctx, transport.ReceiveRequest{MaxMessages: 10})
	for _, m := range msgs {
		var env struct {
			Type, TopicArn, Message string
			MessageAttributes       map[string]struct{ Type, Value string }
		}
		_ = json.Unmarshal([]byte(m.Body), &env)
		fmt.Println(env.Type, env.TopicArn, env.Message, env.MessageAttributes["role"].Value)
	}
	msgs, _ = admins.Receive(ctx, transport.ReceiveRequest{MaxMessages: 10})
	for _, m := range msgs {
		fmt.Println("raw:", m.Body)
	}
	// Output:
	// Notification arn:aws:sns:us-east-1:000000000000:users user created: member member
	// Notification arn:aws:sns:us-east-1:000000000000:users user created: admin admin
	// raw: user created: admin
}
