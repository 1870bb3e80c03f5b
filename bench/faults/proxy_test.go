package faults_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/credentials"
	awssns "github.com/aws/aws-sdk-go-v2/service/sns"
	awssqs "github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/smithy-go"

	"github.com/sqs-mega/sqs-mega-go/bench/faults"
	"github.com/sqs-mega/sqs-mega-go/bench/sqsfake"
	"github.com/sqs-mega/sqs-mega-go/transport"
	"github.com/sqs-mega/sqs-mega-go/transport/sqs"
)

// env is an sqsfake server with one queue, a proxy in front of it and
// SQS clients through the proxy: one with the SDK's standard retryer, one
// that does not retry.
type env struct {
	srv      *sqsfake.Server
	proxy    *faults.Proxy
	url      string
	retrying *awssqs.Client
	once     *awssqs.Client
}

func newEnv(t *testing.T) *env {
	t.Helper()
	srv, err := sqsfake.New(sqsfake.Options{ExactShortPolls: true}) // the tests short-poll what they sent
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	url, err := srv.CreateQueue("jobs", nil)
	if err != nil {
		t.Fatal(err)
	}
	p, err := faults.New(srv.URL(), faults.Options{Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.Close() })
	return &env{
		srv: srv, proxy: p, url: url,
		retrying: awssqs.NewFromConfig(clientConfig(p.URL(), retry.NewStandard(func(o *retry.StandardOptions) {
			o.MaxBackoff = 10 * time.Millisecond // quick tests; the retry decisions are the SDK's
		}))),
		once: awssqs.NewFromConfig(clientConfig(p.URL(), aws.NopRetryer{})),
	}
}

func clientConfig(endpoint string, r aws.Retryer) aws.Config {
	return aws.Config{
		Region:       "us-east-1",
		Credentials:  credentials.NewStaticCredentialsProvider("test", "test", ""),
		BaseEndpoint: aws.String(endpoint),
		Retryer:      func() aws.Retryer { return r },
	}
}

func (e *env) inject(t *testing.T, r faults.Rule) {
	t.Helper()
	if _, err := e.proxy.Inject(r); err != nil {
		t.Fatal(err)
	}
}

func (e *env) send(ctx context.Context, c *awssqs.Client, body string) error {
	_, err := c.SendMessage(ctx, &awssqs.SendMessageInput{QueueUrl: aws.String(e.url), MessageBody: aws.String(body)})
	return err
}

func (e *env) receive(ctx context.Context, c *awssqs.Client) ([]string, error) {
	out, err := c.ReceiveMessage(ctx, &awssqs.ReceiveMessageInput{QueueUrl: aws.String(e.url), MaxNumberOfMessages: 10})
	if err != nil {
		return nil, err
	}
	var bodies []string
	for _, m := range out.Messages {
		bodies = append(bodies, aws.ToString(m.Body))
	}
	return bodies, nil
}

func (e *env) queued(t *testing.T) int {
	t.Helper()
	st, _ := e.srv.QueueStats("jobs")
	return st.Visible + st.InFlight
}

func errorCode(err error) string {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		return ae.ErrorCode()
	}
	return ""
}

func TestForwardsRequestsAndCountsThemByAction(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	if err := e.send(ctx, e.once, "hello"); err != nil {
		t.Fatal(err)
	}
	got, err := e.receive(ctx, e.once)
	if err != nil || len(got) != 1 || got[0] != "hello" {
		t.Fatalf("received %q, %v; want the message sent through the proxy", got, err)
	}
	c := e.proxy.Counts()
	if c["SendMessage"].Forwarded != 1 || c["ReceiveMessage"].Forwarded != 1 || c.Total().Requests != 2 || c.Total().Faults() != 0 {
		t.Errorf("counts %+v", c)
	}
}

func TestThrottlingIsRetriedByTheSDK(t *testing.T) {
	for _, code := range []string{"ThrottlingException", "RequestThrottled"} {
		t.Run(code, func(t *testing.T) {
			e := newEnv(t)
			e.inject(t, faults.Rule{Actions: []string{"SendMessage"}, Fault: faults.Throttle(code), Limit: 2})
			if err := e.send(context.Background(), e.retrying, "x"); err != nil {
				t.Fatalf("send with the standard retryer: %v", err)
			}
			if c := e.proxy.Counts()["SendMessage"]; c.Requests != 3 || c.Throttled != 2 || c.Forwarded != 1 {
				t.Errorf("counts %+v: want 2 throttled attempts, then one forwarded", c)
			}
			if n := e.queued(t); n != 1 {
				t.Errorf("%d messages queued, want 1", n)
			}

			// Without retries the error reaches the caller as a throttling
			// error, which the transport classifies as such.
			e.inject(t, faults.Rule{Actions: []string{"SendMessage"}, Fault: faults.Throttle(code), Limit: 1})
			err := e.send(context.Background(), e.once, "y")
			if errorCode(err) != code || !retry.IsErrorThrottles(retry.DefaultThrottles).IsErrorThrottle(err).Bool() {
				t.Errorf("error %v (code %q): want a throttling error %s", err, errorCode(err), code)
			}
			q, err := sqs.New(e.once, e.url)
			if err != nil {
				t.Fatal(err)
			}
			e.inject(t, faults.Rule{Actions: []string{"ReceiveMessage"}, Fault: faults.Throttle(code), Limit: 1})
			if _, err := q.Receive(context.Background(), transport.ReceiveRequest{MaxMessages: 1}); !errors.Is(err, transport.ErrThrottled) {
				t.Errorf("Receive: %v, want transport.ErrThrottled", err)
			}
		})
	}
}

func TestServerErrorsAreRetriedByTheSDK(t *testing.T) {
	for _, status := range []int{500, 503} {
		e := newEnv(t)
		e.inject(t, faults.Rule{Actions: []string{"ReceiveMessage"}, Fault: faults.ServerError(status), Limit: 2})
		if err := e.send(context.Background(), e.once, "x"); err != nil {
			t.Fatal(err)
		}
		got, err := e.receive(context.Background(), e.retrying)
		if err != nil || len(got) != 1 {
			t.Fatalf("%d: receive %q, %v", status, got, err)
		}
		if c := e.proxy.Counts()["ReceiveMessage"]; c.ServerErrors != 2 || c.Forwarded != 1 {
			t.Errorf("%d: counts %+v", status, c)
		}
		e.inject(t, faults.Rule{Fault: faults.ServerError(status), Limit: 1})
		_, err = e.receive(context.Background(), e.once)
		var re interface{ HTTPStatusCode() int }
		if !errors.As(err, &re) || re.HTTPStatusCode() != status {
			t.Errorf("%d: error %v, want HTTP status %d", status, err, status)
		}
	}
}

func TestResetBeforeTheServer(t *testing.T) {
	e := newEnv(t)
	e.inject(t, faults.Rule{Actions: []string{"SendMessage"}, Fault: faults.Reset(), Limit: 1})
	err := e.send(context.Background(), e.once, "x")
	if err == nil || !strings.Contains(err.Error(), "connection reset") {
		t.Fatalf("send: %v, want a connection reset", err)
	}
	if n := e.srv.Counts()["SendMessage"]; n != 0 {
		t.Errorf("the server saw %d SendMessage requests, want 0", n)
	}
	e.inject(t, faults.Rule{Actions: []string{"SendMessage"}, Fault: faults.Reset(), Limit: 1})
	if err := e.send(context.Background(), e.retrying, "x"); err != nil {
		t.Fatalf("the SDK does not retry a reset: %v", err)
	}
	if n := e.queued(t); n != 1 {
		t.Errorf("%d messages queued, want 1", n)
	}
}

func TestResetAfterTheServerActed(t *testing.T) {
	e := newEnv(t)
	e.inject(t, faults.Rule{Actions: []string{"SendMessage"}, Fault: faults.ResetAfter(), Limit: 1})
	if err := e.send(context.Background(), e.once, "x"); err == nil {
		t.Fatal("send succeeded through a reset")
	}
	if n := e.queued(t); n != 1 {
		t.Fatalf("%d messages queued, want the 1 whose answer was lost", n)
	}
	// The SDK sends again: the message is there twice.
	e.inject(t, faults.Rule{Actions: []string{"SendMessage"}, Fault: faults.ResetAfter(), Limit: 1})
	if err := e.send(context.Background(), e.retrying, "y"); err != nil {
		t.Fatal(err)
	}
	if n := e.queued(t); n != 3 {
		t.Errorf("%d messages queued, want 3", n)
	}
	if c := e.proxy.Counts()["SendMessage"]; c.ResetsAfter != 2 || c.Forwarded != 1 {
		t.Errorf("counts %+v", c)
	}
}

func TestLatency(t *testing.T) {
	e := newEnv(t)
	e.inject(t, faults.Rule{Actions: []string{"SendMessage"}, Fault: faults.Latency(200 * time.Millisecond)})
	start := time.Now()
	if err := e.send(context.Background(), e.once, "x"); err != nil {
		t.Fatal(err)
	}
	if d := time.Since(start); d < 200*time.Millisecond {
		t.Errorf("answered after %v, want at least the 200ms of latency", d)
	}
	if _, err := e.receive(context.Background(), e.once); err != nil {
		t.Fatal(err)
	}
	if c := e.proxy.Counts(); c["SendMessage"].Delayed != 1 || c["ReceiveMessage"].Delayed != 0 {
		t.Errorf("counts %+v: only SendMessage is delayed", c)
	}
}

// A slow answer comes after the request took effect: the message is in
// the queue while its sender still waits.
func TestSlowAnswer(t *testing.T) {
	e := newEnv(t)
	e.inject(t, faults.Rule{Actions: []string{"SendMessage"}, Fault: faults.SlowAnswer(time.Hour)})
	ctx, cancel := context.WithCancel(context.Background())
	sent := make(chan error, 1)
	go func() { sent <- e.send(ctx, e.once, "x") }()
	for e.queued(t) != 1 {
		select {
		case err := <-sent:
			t.Fatalf("send returned %v before its answer was due", err)
		case <-time.After(10 * time.Millisecond):
		}
	}
	cancel()
	if err := <-sent; err == nil {
		t.Error("the send was answered within its hour of slowness")
	}
	if c := e.proxy.Counts()["SendMessage"]; c.Delayed != 1 || c.Forwarded != 0 {
		t.Errorf("counts %+v", c)
	}
	if s := faults.SlowAnswer(time.Second).String(); s != "slow-answer 1s" {
		t.Errorf("String() = %q", s)
	}
	if _, err := e.proxy.Inject(faults.Rule{Fault: faults.SlowAnswer(-time.Second)}); err == nil {
		t.Error("a negative slow answer was accepted")
	}
}

func TestProbabilityAndLimit(t *testing.T) {
	e := newEnv(t)
	e.inject(t, faults.Rule{Actions: []string{"GetQueueUrl"}, Fault: faults.ServerError(500), Probability: 0.3})
	e.inject(t, faults.Rule{Actions: []string{"ListQueues"}, Fault: faults.ServerError(503), Limit: 5})
	failed := 0
	for range 200 {
		if _, err := e.once.GetQueueUrl(context.Background(), &awssqs.GetQueueUrlInput{QueueName: aws.String("jobs")}); err != nil {
			failed++
		}
	}
	// With the seed fixed, the count is the same on every run; the bounds
	// say what it means.
	if failed < 40 || failed > 80 {
		t.Errorf("%d of 200 requests failed with probability 0.3", failed)
	}
	for range 10 {
		e.once.ListQueues(context.Background(), &awssqs.ListQueuesInput{})
	}
	if c := e.proxy.Counts()["ListQueues"]; c.ServerErrors != 5 || c.Forwarded != 5 {
		t.Errorf("counts %+v: want a limit of 5 faults", c)
	}
}

func TestRemoveAndClear(t *testing.T) {
	e := newEnv(t)
	remove, err := e.proxy.Inject(faults.Rule{Fault: faults.ServerError(500)})
	if err != nil {
		t.Fatal(err)
	}
	if err := e.send(context.Background(), e.once, "x"); err == nil {
		t.Fatal("no fault")
	}
	remove()
	if err := e.send(context.Background(), e.once, "x"); err != nil {
		t.Fatalf("after remove: %v", err)
	}
	e.inject(t, faults.Rule{Fault: faults.Reset()})
	e.proxy.Clear()
	if err := e.send(context.Background(), e.once, "x"); err != nil {
		t.Fatalf("after Clear: %v", err)
	}
	for _, bad := range []faults.Rule{{}, {Fault: faults.ServerError(400)}, {Fault: faults.Reset(), Probability: 2}, {Fault: faults.Reset(), Limit: -1}} {
		if _, err := e.proxy.Inject(bad); err == nil {
			t.Errorf("Inject(%+v) accepted an invalid rule", bad)
		}
	}
}

func TestSchedule(t *testing.T) {
	e := newEnv(t)
	cancel, err := e.proxy.Schedule(faults.Rule{Actions: []string{"SendMessage"}, Fault: faults.ServerError(503)}, 200*time.Millisecond, 300*time.Millisecond)
	if err != nil {
		t.Fatal(err)
	}
	defer cancel()
	if err := e.send(context.Background(), e.once, "before"); err != nil {
		t.Fatalf("before the window: %v", err)
	}
	deadline := time.Now().Add(5 * time.Second)
	for e.send(context.Background(), e.once, "during") == nil { // until the window opens
		if time.Now().After(deadline) {
			t.Fatal("the scheduled rule never applied")
		}
		time.Sleep(10 * time.Millisecond)
	}
	for e.send(context.Background(), e.once, "after") != nil { // until it closes
		if time.Now().After(deadline) {
			t.Fatal("the scheduled rule was never removed")
		}
		time.Sleep(10 * time.Millisecond)
	}
	// Cancelled before it starts, a rule never applies.
	cancel2, err := e.proxy.Schedule(faults.Rule{Fault: faults.Reset()}, 100*time.Millisecond, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	cancel2()
	time.Sleep(150 * time.Millisecond)
	if err := e.send(context.Background(), e.once, "x"); err != nil {
		t.Errorf("a cancelled schedule applied: %v", err)
	}
	if _, err := e.proxy.Schedule(faults.Rule{}, 0, time.Second); err == nil {
		t.Error("Schedule accepted a rule without a fault")
	}
}

func TestBlackholeHangNeverAnswers(t *testing.T) {
	e := newEnv(t)
	if err := e.send(context.Background(), e.once, "x"); err != nil {
		t.Fatal(err)
	}
	end, err := e.proxy.StartBlackhole(faults.Hang)
	if err != nil {
		t.Fatal(err)
	}
	result := make(chan error, 1)
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		_, err := e.receive(ctx, e.once)
		result <- err
	}()
	// The request is held; it stays unanswered after the window ends.
	for e.proxy.Counts()["ReceiveMessage"].Held == 0 {
		time.Sleep(time.Millisecond)
	}
	end()
	if err := <-result; !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("receive caught in the blackhole: %v, want the client's own deadline", err)
	}
	if n := e.srv.Counts()["ReceiveMessage"]; n != 0 {
		t.Errorf("the server saw %d receives, want 0", n)
	}
	got, err := e.receive(context.Background(), e.once)
	if err != nil || len(got) != 1 {
		t.Fatalf("after the window: %q, %v", got, err)
	}
}

func TestBlackholeHangSwallowsAnswers(t *testing.T) {
	e := newEnv(t)
	e.inject(t, faults.Rule{Actions: []string{"SendMessage"}, Fault: faults.Latency(300 * time.Millisecond)})
	result := make(chan error, 1)
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		result <- e.send(ctx, e.once, "x")
	}()
	for e.proxy.Counts()["SendMessage"].Delayed == 0 {
		time.Sleep(time.Millisecond)
	}
	// The request went out before the window; its answer comes during it.
	end, err := e.proxy.StartBlackhole(faults.Hang)
	if err != nil {
		t.Fatal(err)
	}
	defer end()
	if err := <-result; !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("send: %v, want the client's deadline", err)
	}
	if n := e.queued(t); n != 1 {
		t.Errorf("%d messages queued: the send took effect, its answer was lost", n)
	}
}

func TestBlackholeDeliverLate(t *testing.T) {
	e := newEnv(t)
	done, err := e.proxy.Blackhole(faults.DeliverLate, 300*time.Millisecond)
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	if err := e.send(context.Background(), e.once, "x"); err != nil {
		t.Fatal(err)
	}
	if d := time.Since(start); d < 250*time.Millisecond {
		t.Errorf("answered after %v, during the window", d)
	}
	<-done
	if n := e.queued(t); n != 1 {
		t.Errorf("%d messages queued, want 1", n)
	}
}

func TestBlackholeRefuse(t *testing.T) {
	e := newEnv(t)
	if err := e.send(context.Background(), e.once, "x"); err != nil { // a connection is open
		t.Fatal(err)
	}
	end, err := e.proxy.StartBlackhole(faults.Refuse)
	if err != nil {
		t.Fatal(err)
	}
	err = e.send(context.Background(), e.once, "y")
	if err == nil || !strings.Contains(err.Error(), "connection refused") && !strings.Contains(err.Error(), "connection reset") {
		t.Fatalf("send during the window: %v, want a refused or reset connection", err)
	}
	end()
	if err := e.send(context.Background(), e.once, "z"); err != nil {
		t.Fatalf("send after the window: %v", err)
	}
	if n := e.queued(t); n != 2 {
		t.Errorf("%d messages queued, want 2", n)
	}
}

func TestCloseReleasesHeldRequests(t *testing.T) {
	e := newEnv(t)
	if _, err := e.proxy.StartBlackhole(faults.Hang); err != nil {
		t.Fatal(err)
	}
	result := make(chan error, 1)
	go func() { result <- e.send(context.Background(), e.once, "x") }()
	for e.proxy.Counts()["SendMessage"].Held == 0 {
		time.Sleep(time.Millisecond)
	}
	if err := e.proxy.Close(); err != nil {
		t.Fatal(err)
	}
	if err := <-result; err == nil {
		t.Fatal("a held request was answered at Close")
	}
	if err := e.proxy.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
}

// The query protocol (SNS, older SQS clients): the action comes from the
// form body, errors are XML, and the SDK retries them.
func TestQueryProtocol(t *testing.T) {
	var seen atomic.Int32
	upstream := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		seen.Add(1)
		body, _ := io.ReadAll(r.Body)
		if !strings.Contains(string(body), "Action=Publish") {
			http.Error(w, "unexpected request", http.StatusBadRequest)
			return
		}
		w.Header().Set("Content-Type", "text/xml")
		io.WriteString(w, `<PublishResponse xmlns="http://sns.amazonaws.com/doc/2010-03-31/"><PublishResult><MessageId>m-1</MessageId></PublishResult><ResponseMetadata><RequestId>r</RequestId></ResponseMetadata></PublishResponse>`)
	}))
	defer upstream.Close()
	p, err := faults.New(upstream.URL, faults.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	if _, err := p.Inject(faults.Rule{Actions: []string{"Publish"}, Fault: faults.Throttle("Throttling"), Limit: 1}); err != nil {
		t.Fatal(err)
	}
	in := &awssns.PublishInput{TopicArn: aws.String("arn:aws:sns:us-east-1:000000000000:t"), Message: aws.String("m")}
	_, err = awssns.NewFromConfig(clientConfig(p.URL(), aws.NopRetryer{})).Publish(context.Background(), in)
	if errorCode(err) != "Throttling" {
		t.Fatalf("publish: %v, want the XML throttling error", err)
	}
	p.Inject(faults.Rule{Actions: []string{"Publish"}, Fault: faults.ServerError(503), Limit: 1})
	out, err := awssns.NewFromConfig(clientConfig(p.URL(), retry.NewStandard())).Publish(context.Background(), in)
	if err != nil || aws.ToString(out.MessageId) != "m-1" {
		t.Fatalf("publish with retries: %v", err)
	}
	if c := p.Counts()["Publish"]; c.Throttled != 1 || c.ServerErrors != 1 || c.Forwarded != 1 || seen.Load() != 1 {
		t.Errorf("counts %+v, upstream saw %d", c, seen.Load())
	}
}

func TestNew(t *testing.T) {
	for _, target := range []string{"http://10.0.0.1:80", "https://127.0.0.1:1", "127.0.0.1:1", "http://example.com"} {
		if p, err := faults.New(target, faults.Options{}); err == nil {
			p.Close()
			t.Errorf("New(%q) accepted a target that is not on loopback over http", target)
		}
	}
	if p, err := faults.New("http://127.0.0.1:1", faults.Options{Addr: "0.0.0.0:0"}); err == nil {
		p.Close()
		t.Error("New listened on a non-loopback address")
	}
}
