package main

import (
	"context"
	"strings"
	"testing"

	awssqs "github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/sqs-mega/sqs-mega-go/internal/testenv"
)

// demoStory is what a newcomer must be able to read in the demo's output.
var demoStory = []string{
	"users         ✓ user:updated: user 987650 (john.doe) processed on delivery 1",
	"users         ↻ user:created: user 123456 is not in the database yet: retry later (delivery 1)",
	"users         ✓ user:created: user 123456 (jane) processed on delivery 2",
	"carts         ✓ shopping_cart.item.added",
	"(the body was BSON)",
	"orders        ✓ order.placed: order A-1042, arrived through SNS topic arn:aws:sns:",
	"notifications ✓ data payload: send an email to johndoe_86@example.com",
	"2 messages, each with its reason",
	"✗ user:updated for user 555: subscriber users: mega: permanent failure: validation failed: object.current.id is required",
	"✗ user:deleted: protocol: invalid MEGA payload: event.timestamp: required",
	"Counters: received 9, processed 5, retried 1, dead-lettered 2, unmatched 1, deleted 8",
	// mega dlq's view, then the redrive once the fix is deployed.
	`"dead_letter_reason":"protocol: invalid MEGA payload: event.timestamp: required"`,
	"     1  failed in subscriber users",
	"     1  invalid MEGA payload",
	"→ user:updated for user 555 back to mega-demo",
	"1 moved, 1 left in the dead-letter queue",
	"users         ✓ user:updated: user 555 (x) processed on delivery 2, redriven from the dead-letter queue",
}

func checkStory(t *testing.T, out string) {
	t.Helper()
	for _, line := range demoStory {
		if !strings.Contains(out, line) {
			t.Errorf("the demo's output lacks %q:\n%s", line, out)
		}
	}
}

func TestDemo(t *testing.T) {
	code, out, errs := runCLI(t, "", "demo")
	if code != exitOK {
		t.Fatalf("exit %d: %s\n%s", code, errs, out)
	}
	checkStory(t, out)
}

func TestDemoAgainstEndpoint(t *testing.T) {
	endpoint := testenv.Endpoint(t)
	code, out, errs := runCLI(t, "", "demo", "--endpoint", endpoint)
	if code != exitOK {
		t.Fatalf("exit %d: %s\n%s", code, errs, out)
	}
	checkStory(t, out)
	if !strings.Contains(out, "SQS MEGA demo, on "+endpoint) {
		t.Errorf("the demo does not say where it runs:\n%s", out)
	}
	// It removes what it created.
	client := awssqs.NewFromConfig(testenv.AWSConfig(t))
	list, err := client.ListQueues(context.Background(), &awssqs.ListQueuesInput{QueueNamePrefix: strPtr("mega-demo-")})
	if err != nil {
		t.Fatal(err)
	}
	if len(list.QueueUrls) != 0 {
		t.Errorf("the demo left queues behind: %v", list.QueueUrls)
	}
}

func strPtr(s string) *string { return &s }
