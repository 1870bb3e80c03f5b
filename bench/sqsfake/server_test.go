package sqsfake_test

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/sqs-mega/sqs-mega-go/bench/sqsfake"
)

// start runs a server for the test and returns it with an SDK client.
func start(t testing.TB, opts sqsfake.Options) (*sqsfake.Server, *sqs.Client) {
	t.Helper()
	srv, err := sqsfake.New(opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := srv.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return srv, newClient(srv.URL())
}

func newClient(url string) *sqs.Client {
	return sqs.New(sqs.Options{
		Region:       "us-east-1",
		Credentials:  credentials.NewStaticCredentialsProvider("test", "test", ""),
		BaseEndpoint: aws.String(url),
		HTTPClient:   sqsfake.NewHTTPClient(nil),
	})
}

func createQueue(t testing.TB, c *sqs.Client, name string, attrs map[string]string) string {
	t.Helper()
	out, err := c.CreateQueue(context.Background(), &sqs.CreateQueueInput{QueueName: aws.String(name), Attributes: attrs})
	if err != nil {
		t.Fatalf("CreateQueue(%s): %v", name, err)
	}
	return aws.ToString(out.QueueUrl)
}

func receive(t testing.TB, c *sqs.Client, url string, in sqs.ReceiveMessageInput) []types.Message {
	t.Helper()
	in.QueueUrl = aws.String(url)
	out, err := c.ReceiveMessage(context.Background(), &in)
	if err != nil {
		t.Fatalf("ReceiveMessage: %v", err)
	}
	return out.Messages
}

func TestLatency(t *testing.T) {
	srv, c := start(t, sqsfake.Options{Second: 10 * time.Millisecond})
	url := createQueue(t, c, "slow", nil)
	ctx := context.Background()
	tests := []struct {
		name    string
		latency time.Duration
		call    func() error
		min     time.Duration
	}{
		{"none", 0, func() error {
			_, err := c.GetQueueUrl(ctx, &sqs.GetQueueUrlInput{QueueName: aws.String("slow")})
			return err
		}, 0},
		{"15ms", 15 * time.Millisecond, func() error {
			_, err := c.GetQueueUrl(ctx, &sqs.GetQueueUrlInput{QueueName: aws.String("slow")})
			return err
		}, 15 * time.Millisecond},
		{"long poll on top", 15 * time.Millisecond, func() error {
			_, err := c.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: &url, WaitTimeSeconds: 3})
			return err
		}, 45 * time.Millisecond},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv.SetLatency(tt.latency)
			t0 := time.Now()
			if err := tt.call(); err != nil {
				t.Fatal(err)
			}
			if took := time.Since(t0); took < tt.min || took > tt.min+3*time.Second {
				t.Errorf("took %v, want at least %v", took, tt.min)
			}
		})
	}
}

func TestCounts(t *testing.T) {
	srv, c := start(t, sqsfake.Options{ExactShortPolls: true})
	ctx := context.Background()
	url := createQueue(t, c, "counted", nil)
	srv.ResetCounts()
	for range 3 {
		c.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: &url, MessageBody: aws.String("m")})
	}
	msgs := receive(t, c, url, sqs.ReceiveMessageInput{MaxNumberOfMessages: 10})
	for _, m := range msgs {
		c.DeleteMessage(ctx, &sqs.DeleteMessageInput{QueueUrl: &url, ReceiptHandle: m.ReceiptHandle})
	}
	c.GetQueueUrl(ctx, &sqs.GetQueueUrlInput{QueueName: aws.String("nope")}) // failed calls count too
	want := sqsfake.Counts{"SendMessage": 3, "ReceiveMessage": 1, "DeleteMessage": 3, "GetQueueUrl": 1}
	got := srv.Counts()
	if fmt.Sprint(got) != fmt.Sprint(want) || got.Total() != 8 {
		t.Errorf("Counts() = %v (total %d), want %v", got, got.Total(), want)
	}
	if d := srv.Counts().Sub(sqsfake.Counts{"SendMessage": 1}); d["SendMessage"] != 2 {
		t.Errorf("Sub: %v", d)
	}
	if p := srv.Peaks(); p["SendMessage"] != 1 {
		t.Errorf("Peaks() = %v, want one SendMessage at a time", p)
	}
	srv.ResetCounts()
	if got := srv.Counts(); len(got) != 0 {
		t.Errorf("after ResetCounts: %v", got)
	}
}

func TestPeaks(t *testing.T) {
	srv, c := start(t, sqsfake.Options{})
	url := createQueue(t, c, "peaks", nil)
	srv.ResetCounts()
	const pollers = 3
	var wg sync.WaitGroup
	for range pollers {
		wg.Go(func() {
			c.ReceiveMessage(context.Background(), &sqs.ReceiveMessageInput{QueueUrl: &url, WaitTimeSeconds: 5})
		})
	}
	// Wait until the three long polls are pending, then release them.
	deadline := time.Now().Add(2 * time.Second)
	for srv.Peaks()["ReceiveMessage"] < pollers && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond)
	}
	for range pollers {
		c.SendMessage(context.Background(), &sqs.SendMessageInput{QueueUrl: &url, MessageBody: aws.String("m")})
	}
	wg.Wait()
	if p := srv.Peaks(); p["ReceiveMessage"] != pollers || p["SendMessage"] != 1 {
		t.Errorf("Peaks() = %v, want %d concurrent receives and 1 send", p, pollers)
	}
}

// TestQueueStats checks the stats the benchmarks read: what was sent,
// received and removed, and where the messages are.
func TestQueueStats(t *testing.T) {
	srv, c := start(t, sqsfake.Options{ExactShortPolls: true})
	ctx := context.Background()
	url := createQueue(t, c, "stats", nil)
	for range 3 {
		if _, err := c.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: &url, MessageBody: aws.String("m")}); err != nil {
			t.Fatal(err)
		}
	}
	msgs := receive(t, c, url, sqs.ReceiveMessageInput{MaxNumberOfMessages: 2})
	if _, err := c.DeleteMessage(ctx, &sqs.DeleteMessageInput{QueueUrl: &url, ReceiptHandle: msgs[0].ReceiptHandle}); err != nil {
		t.Fatal(err)
	}
	want := sqsfake.QueueStats{Visible: 1, InFlight: 1, Sent: 3, Received: 2, Removed: 1}
	if got, ok := srv.QueueStats("stats"); !ok || got != want {
		t.Errorf("QueueStats = %+v, %v; want %+v", got, ok, want)
	}
	if _, ok := srv.QueueStats("missing"); ok {
		t.Error("QueueStats of a missing queue is ok")
	}
	if got := srv.QueueNames(); len(got) != 1 || got[0] != "stats" {
		t.Errorf("QueueNames = %v", got)
	}
}

// TestShortPollSeed checks that a seed repeats what short polls find.
func TestShortPollSeed(t *testing.T) {
	draw := func() []int {
		_, c := start(t, sqsfake.Options{ShortPollSeed: 7})
		ctx := context.Background()
		url := createQueue(t, c, "seeded", nil)
		c.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: &url, MessageBody: aws.String("m")})
		var got []int
		for range 20 {
			msgs := receive(t, c, url, sqs.ReceiveMessageInput{})
			got = append(got, len(msgs))
			for _, m := range msgs {
				c.ChangeMessageVisibility(ctx, &sqs.ChangeMessageVisibilityInput{QueueUrl: &url, ReceiptHandle: m.ReceiptHandle, VisibilityTimeout: 0})
			}
		}
		return got
	}
	a, b := draw(), draw()
	if fmt.Sprint(a) != fmt.Sprint(b) {
		t.Errorf("the same seed found %v, then %v", a, b)
	}
	if !strings.Contains(fmt.Sprint(a), "0") || !strings.Contains(fmt.Sprint(a), "1") {
		t.Errorf("20 short polls of one message found %v: want some empty and some not", a)
	}
}

func TestIntercept(t *testing.T) {
	srv, c := start(t, sqsfake.Options{})
	url := createQueue(t, c, "flaky", nil)
	var mu sync.Mutex
	failures := 1
	srv.SetIntercept(func(action string) error {
		mu.Lock()
		defer mu.Unlock()
		if action == "SendMessage" && failures > 0 {
			failures--
			return &sqsfake.Error{Code: "RequestThrottled", Message: "slow down"}
		}
		return nil
	})
	srv.ResetCounts()
	// The SDK retries a throttled request (here without its backoff).
	noBackoff := func(o *sqs.Options) {
		o.Retryer = retry.NewStandard(func(so *retry.StandardOptions) {
			so.Backoff = retry.BackoffDelayerFunc(func(int, error) (time.Duration, error) { return 0, nil })
		})
	}
	if _, err := c.SendMessage(context.Background(), &sqs.SendMessageInput{QueueUrl: &url, MessageBody: aws.String("m")}, noBackoff); err != nil {
		t.Fatal(err)
	}
	if n := srv.Counts()["SendMessage"]; n != 2 {
		t.Errorf("SendMessage requests = %d, want 2 (one throttled, one retried)", n)
	}
	srv.SetIntercept(nil)
}

func TestNewRejectsNonLoopback(t *testing.T) {
	tests := []string{"0.0.0.0:0", "example.com:80", ":0", "10.0.0.1:0"}
	for _, addr := range tests {
		t.Run(addr, func(t *testing.T) {
			srv, err := sqsfake.New(sqsfake.Options{Addr: addr})
			if err == nil {
				srv.Close()
				t.Fatalf("New accepted %s", addr)
			}
		})
	}
}
