package sqs_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	awssqs "github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/sqs-mega/sqs-mega-go/transport"
	"github.com/sqs-mega/sqs-mega-go/transport/sqs"
)

// A long poll whose answer the network loses must not wait forever: the
// SDK's HTTP client sets no timeout, and a consumer's poller that never
// comes back never receives again.
func TestReceiveGivesUpOnASilentServer(t *testing.T) {
	t.Parallel()
	// The server takes requests and never answers, as over a connection
	// whose packets are lost.
	release := make(chan struct{})
	silent := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-release:
		}
	}))
	defer silent.Close()
	defer close(release)
	client := awssqs.NewFromConfig(aws.Config{ // the SDK's default HTTP client and retryer
		Region:       "us-east-1",
		Credentials:  credentials.NewStaticCredentialsProvider("test", "test", ""),
		BaseEndpoint: aws.String(silent.URL),
	})
	q, err := sqs.New(client, silent.URL+"/000000000000/jobs")
	if err != nil {
		t.Fatal(err)
	}
	const wait = time.Second
	done := make(chan error, 1)
	start := time.Now()
	go func() {
		_, err := q.Receive(context.Background(), transport.ReceiveRequest{WaitTime: wait})
		done <- err
	}()
	select {
	case err := <-done:
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("Receive from a silent server: %v, want a deadline error", err)
		}
		if d := time.Since(start); d < wait {
			t.Errorf("Receive gave up after %v, before the wait of %v", d, wait)
		}
	case <-time.After(wait + 30*time.Second):
		t.Fatalf("Receive with a wait of %v still waits for a silent server after %v", wait, time.Since(start).Round(time.Second))
	}
}
