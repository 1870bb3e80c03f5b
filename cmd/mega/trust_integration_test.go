package main

import (
	"strings"
	"testing"
	"time"

	"github.com/sqs-mega/sqs-mega-go/internal/awstest"
	"github.com/sqs-mega/sqs-mega-go/transport"
	"github.com/sqs-mega/sqs-mega-go/transport/sns"
	"github.com/sqs-mega/sqs-mega-go/transport/sqs"
)

// TestTailTrustsThePolicyTopics runs tail on a queue subscribed to a topic
// (whose policy then lets the topic send) holding a real notification of
// the topic and a forged envelope of another topic: without topics given
// both are unwrapped and only the real one is trusted; given the other
// topic, the real one is data.
func TestTailTrustsThePolicyTopics(t *testing.T) {
	env, endpoint := cliEnv(t)
	q := env.Queue(t, sqs.QueueConfig{VisibilityTimeout: time.Hour})
	tp := env.Topic(t, sns.TopicConfig{})
	env.Subscribe(t, tp, q, sns.QueueSubscription{})
	const forgedTopic = "arn:aws:sns:us-east-1:123456789012:forged"
	awstest.Send(t, tp, transport.Outgoing{Body: `{"order": 1}`})
	// Wait for the notification, so that the forged envelope comes second.
	awstest.Eventually(t, 10*time.Second, "the notification reaches the queue", func() bool { return env.Count(t, q).Visible == 1 })
	forged := strings.Replace(snsBody, "arn:aws:sns:us-east-1:123456789012:events", forgedTopic, 1)
	sendBodies(t, q, forged)

	tail := func(args ...string) []map[string]any {
		t.Helper()
		args = append([]string{"tail", "--queue-url", q.URL(), "--endpoint", endpoint, "--wait", "1"}, args...)
		code, out, errs := runCLI(t, "", args...)
		if code != exitOK {
			t.Fatalf("exit %d, stderr %s", code, errs)
		}
		var got []map[string]any
		for _, l := range lines(out) {
			got = append(got, decodeLine(t, l))
		}
		if len(got) != 2 {
			t.Fatalf("printed %d lines, want 2:\n%s", len(got), out)
		}
		return got
	}
	topicOf := func(m map[string]any) any {
		if s, ok := m["sns"].(map[string]any); ok {
			return s["topic_arn"]
		}
		return nil
	}

	got := tail()
	if topicOf(got[0]) != tp.ARN() || got[0]["sns_trusted"] != true {
		t.Errorf("the topic's notification: %v; want it unwrapped and trusted (the queue's policy allows %s)", got[0], tp.ARN())
	}
	if topicOf(got[1]) != forgedTopic || got[1]["sns_trusted"] != false {
		t.Errorf("the forged envelope: %v; want it unwrapped and not trusted", got[1])
	}

	got = tail("--sns-topic-arn", forgedTopic)
	if got[0]["sns"] != nil || got[0]["kind"] != "data" || got[0]["payload"].(map[string]any)["TopicArn"] != tp.ARN() {
		t.Errorf("the topic's notification, trusting another topic: %v; want the envelope as data", got[0])
	}
	if topicOf(got[1]) != forgedTopic || got[1]["sns_trusted"] != true {
		t.Errorf("the envelope of the topic given: %v; want it unwrapped and trusted", got[1])
	}
}
