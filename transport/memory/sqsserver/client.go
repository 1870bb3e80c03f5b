package sqsserver

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
)

// Doer sends HTTP requests, as *http.Client does and as aws-sdk-go-v2
// clients take (aws.HTTPClient).
type Doer interface {
	Do(*http.Request) (*http.Response, error)
}

// HTTPClient is an HTTP client for aws-sdk-go-v2 clients that talk to an
// endpoint answering at once, as a local [Server] does. Give it to an
// SDK client as its HTTPClient (sqs.Options.HTTPClient, the sqs
// transport's WithHTTPClient). It is safe for concurrent use.
//
// It works around a race between smithy-go and net/http that loses
// responses. net/http flushes the headers of a request whose body it does
// not know, writes the body straight to the socket, then reads the body
// once more to check its length. smithy-go closes the request body as soon
// as the response headers arrive, and a closed body answers that last read
// with io.EOF, which net/http takes for a write error: it closes the
// connection while the response is being read. The SDK then sends the
// request again; a ReceiveMessage's first answer is lost, and its messages
// stay invisible until their visibility timeout ends. Against AWS the
// answer comes too late for this to happen; against a local endpoint it
// hits about one large ReceiveMessage in a few hundred. HTTPClient hands
// net/http a copy of the body in a bytes.Reader, which net/http writes
// with the headers in one piece once the request is complete, and which
// nothing else closes.
type HTTPClient struct {
	next Doer
}

// NewHTTPClient returns an HTTPClient sending requests through next, or
// through http.DefaultClient if next is nil.
func NewHTTPClient(next Doer) *HTTPClient {
	if next == nil {
		next = http.DefaultClient
	}
	return &HTTPClient{next: next}
}

// Do sends req with a private copy of its body.
func (c *HTTPClient) Do(req *http.Request) (*http.Response, error) {
	if req.Body != nil && req.Body != http.NoBody {
		body, err := io.ReadAll(req.Body)
		req.Body.Close()
		if err != nil {
			return nil, fmt.Errorf("sqsserver: reading the request body: %w", err)
		}
		req = req.Clone(req.Context())
		req.ContentLength = int64(len(body))
		req.Body = io.NopCloser(bytes.NewReader(body))
		req.GetBody = func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(body)), nil }
	}
	return c.next.Do(req)
}
