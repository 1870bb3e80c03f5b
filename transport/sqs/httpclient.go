package sqs

import (
	"net/http"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
)

// IdleConnsPerHost is how many idle connections to the queue's host the
// HTTP client of [NewHTTPClient] keeps for reuse. A consumer may have up
// to 64 receives and as many batches of deletes under way at once; the
// SDK's default client keeps 10 and closes the others as requests end, so
// that a busy consumer dials (and, on AWS, handshakes TLS) again and
// again.
const IdleConnsPerHost = 128

// NewHTTPClient returns the SDK's default HTTP client
// (awshttp.NewBuildableClient) keeping up to [IdleConnsPerHost] idle
// connections per host. [Dial] and [NewClient] use it unless
// [WithHTTPClient] or config.WithHTTPClient gives one; a client built
// elsewhere can take it, or its transport's MaxIdleConnsPerHost raised.
func NewHTTPClient() *awshttp.BuildableClient {
	return pooled(awshttp.NewBuildableClient())
}

func pooled(c *awshttp.BuildableClient) *awshttp.BuildableClient {
	return c.WithTransportOptions(func(t *http.Transport) {
		t.MaxIdleConnsPerHost = max(t.MaxIdleConnsPerHost, IdleConnsPerHost)
		if t.MaxIdleConns != 0 {
			t.MaxIdleConns = max(t.MaxIdleConns, IdleConnsPerHost)
		}
	})
}

// poolConnections widens the idle pool of the SDK's own client, the one
// config.LoadDefaultConfig sets when nothing chose another; a client of
// another type is the caller's choice and stays as it is.
func poolConnections(c aws.HTTPClient) aws.HTTPClient {
	if b, ok := c.(*awshttp.BuildableClient); ok {
		return pooled(b)
	}
	return c
}
