package sqsfake_test

import (
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/sqs-mega/sqs-mega-go/bench/sqsfake"
)

// closingBody behaves as smithy-go's request body: once closed, it reads
// as empty.
type closingBody struct {
	mu     sync.Mutex
	r      io.Reader
	closed bool
}

func (b *closingBody) Read(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.closed {
		return 0, io.EOF
	}
	return b.r.Read(p)
}

func (b *closingBody) Close() error {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.closed = true
	return nil
}

// lateReader stands for net/http reading the body after the caller of Do
// has closed it: it keeps the request and reads its body later.
type lateReader struct{ req *http.Request }

func (l *lateReader) Do(req *http.Request) (*http.Response, error) {
	l.req = req
	return &http.Response{StatusCode: http.StatusOK, Body: http.NoBody}, nil
}

func TestHTTPClientKeepsTheBodyItSends(t *testing.T) {
	const payload = `{"QueueUrl":"http://127.0.0.1/000000000000/q"}`
	tests := []struct {
		name string
		do   func(next *lateReader, req *http.Request)
		want string
	}{
		// What goes wrong without HTTPClient: the body read after the
		// caller closed it comes out empty.
		{"plain", func(next *lateReader, req *http.Request) { next.Do(req) }, ""},
		{"HTTPClient", func(next *lateReader, req *http.Request) { sqsfake.NewHTTPClient(next).Do(req) }, payload},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			body := &closingBody{r: strings.NewReader(payload)}
			req, _ := http.NewRequest(http.MethodPost, "http://127.0.0.1/", body)
			req.ContentLength = int64(len(payload))
			next := &lateReader{}
			tt.do(next, req)
			body.Close() // as smithy-go does once Do returns
			got, err := io.ReadAll(next.req.Body)
			if err != nil || string(got) != tt.want {
				t.Errorf("the transport read %q, %v; want %q", got, err, tt.want)
			}
			if tt.want != "" && next.req.ContentLength != int64(len(payload)) {
				t.Errorf("ContentLength = %d", next.req.ContentLength)
			}
		})
	}
}
