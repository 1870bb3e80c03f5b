package sqs_test

import (
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/credentials"
	awssqs "github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/sqs-mega/sqs-mega-go/transport/sqs"
)

// connCounter is an SQS endpoint that answers GetQueueUrl once `wave`
// requests are under way at once, and counts the connections clients
// open to it.
type connCounter struct {
	srv   *httptest.Server
	opens atomic.Int64

	mu      sync.Mutex
	waiting int
	release chan struct{}
	wave    int
}

func newConnCounter(t *testing.T, wave int) *connCounter {
	c := &connCounter{wave: wave, release: make(chan struct{})}
	c.srv = httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c.mu.Lock()
		ch := c.release
		if c.waiting++; c.waiting == c.wave {
			close(ch)
			c.waiting, c.release = 0, make(chan struct{})
		}
		c.mu.Unlock()
		select {
		case <-ch:
		case <-r.Context().Done():
			return
		}
		w.Header().Set("Content-Type", "application/x-amz-json-1.0")
		fmt.Fprint(w, `{"QueueUrl":"http://127.0.0.1/000000000000/q"}`)
	}))
	c.srv.Config.ConnState = func(_ net.Conn, s http.ConnState) {
		if s == http.StateNew {
			c.opens.Add(1)
		}
	}
	c.srv.Start()
	t.Cleanup(c.srv.Close)
	return c
}

// waves sends `waves` rounds of c.wave requests at once through client.
func (c *connCounter) waves(t *testing.T, client *awssqs.Client, waves int) {
	t.Helper()
	for range waves {
		var wg sync.WaitGroup
		errs := make(chan error, c.wave)
		for range c.wave {
			wg.Go(func() {
				_, err := client.GetQueueUrl(t.Context(), &awssqs.GetQueueUrlInput{QueueName: aws.String("q")})
				errs <- err
			})
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			if err != nil {
				t.Fatalf("GetQueueUrl: %v", err)
			}
		}
	}
}

// A consumer keeps dozens of receives and deletes under way: the client
// Dial and NewClient build reuses their connections, where the SDK's
// default client, which keeps 10 idle, dials most of them again for
// every round.
func TestNewClientReusesConnections(t *testing.T) {
	const wave, waves = 40, 3
	isolateAWSEnv(t)
	creds := sqs.WithCredentials(credentials.NewStaticCredentialsProvider("test", "test", ""))

	ours := newConnCounter(t, wave)
	client, err := sqs.NewClient(t.Context(), sqs.WithEndpoint(ours.srv.URL), sqs.WithRegion("us-east-1"), creds)
	if err != nil {
		t.Fatal(err)
	}
	ours.waves(t, client, waves)
	if got := ours.opens.Load(); got > wave {
		t.Errorf("%d rounds of %d requests at once opened %d connections, want at most %d", waves, wave, got, wave)
	}

	// The SDK's default, for contrast: the same rounds open more.
	sdk := newConnCounter(t, wave)
	client, err = sqs.NewClient(t.Context(), sqs.WithEndpoint(sdk.srv.URL), sqs.WithRegion("us-east-1"), creds,
		sqs.WithHTTPClient(awshttp.NewBuildableClient()))
	if err != nil {
		t.Fatal(err)
	}
	sdk.waves(t, client, waves)
	if got := sdk.opens.Load(); got <= wave {
		t.Errorf("the SDK's default client opened only %d connections for %d rounds of %d: the comparison measures nothing", got, waves, wave)
	}
}
