package sqsfake

import (
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"

	"github.com/sqs-mega/sqs-mega-go/transport/memory/sqsserver"
)

// HTTPClient is an HTTP client for aws-sdk-go-v2 clients that talk to an
// endpoint answering at once: see sqsserver.HTTPClient.
type HTTPClient = sqsserver.HTTPClient

// NewHTTPClient returns an HTTPClient sending requests through next, or
// through the SDK's default client (awshttp.NewBuildableClient) if next is
// nil.
func NewHTTPClient(next sqsserver.Doer) *HTTPClient {
	if next == nil {
		next = awshttp.NewBuildableClient()
	}
	return sqsserver.NewHTTPClient(next)
}
