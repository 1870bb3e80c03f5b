package sqsserver

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"io"
	mrand "math/rand/v2"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/sqs-mega/sqs-mega-go/transport/memory"
)

const (
	contentType    = "application/x-amz-json-1.0"
	targetPrefix   = "AmazonSQS."
	maxRequestSize = 8 << 20 // a SendMessageBatch of 10 × 1 MiB bodies, JSON-escaped

	// Region and AccountID appear in the queue URLs and ARNs the server
	// hands out: those of the memory transport.
	Region    = "us-east-1"
	AccountID = "000000000000"
)

// Server answers the SQS API, in the AWS JSON 1.0 protocol, for the
// queues of a [memory.Broker]: it is an http.Handler. The broker does the
// queueing; the server translates requests and answers, and keeps the
// queue attributes the broker has no use for (ReceiveMessageWaitTimeSeconds,
// MessageRetentionPeriod, Policy, ...). Server is safe for concurrent use.
type Server struct {
	broker *memory.Broker
	second time.Duration

	randMu sync.Mutex
	rand   *mrand.Rand // nil: short polls do not sample

	mu    sync.Mutex
	metas map[*memory.Queue]*queueMeta
}

// Option configures a [Server]; options are applied by New, in order.
type Option func(*Server)

// WithSecond sets the length of one second of the API:
// VisibilityTimeout, DelaySeconds and WaitTimeSeconds count in it. The
// default is time.Second; tests of redelivery make it a few
// milliseconds. Values of zero or less keep the default.
func WithSecond(d time.Duration) Option {
	return func(s *Server) {
		if d > 0 {
			s.second = d
		}
	}
}

// WithShortPollSampling makes short polls (WaitTimeSeconds 0) draw from
// r to decide how many messages they find, as SQS's do (see [Server]);
// a nil r makes them return every available message, up to
// MaxNumberOfMessages. By default short polls sample, from a source
// seeded at random. The server guards r: nothing else may use it.
func WithShortPollSampling(r *mrand.Rand) Option {
	return func(s *Server) { s.rand = r }
}

// New returns a server for the queues of b. Queues created on b directly
// are served too.
func New(b *memory.Broker, opts ...Option) *Server {
	s := &Server{
		broker: b,
		second: time.Second,
		rand:   mrand.New(mrand.NewPCG(mrand.Uint64(), mrand.Uint64())),
		metas:  make(map[*memory.Queue]*queueMeta),
	}
	for _, o := range opts {
		o(s)
	}
	return s
}

// Broker returns the broker whose queues the server serves.
func (s *Server) Broker() *memory.Broker { return s.broker }

// QueueURL returns the URL of the queue called name on the server
// reached at endpoint (such as "http://127.0.0.1:9324"), as the server
// itself writes it.
func QueueURL(endpoint, name string) string {
	return strings.TrimRight(endpoint, "/") + "/" + AccountID + "/" + name
}

// handler runs one action on a decoded request body; host is the
// endpoint the client reached, for queue URLs.
type handler func(s *Server, ctx context.Context, host string, body []byte) (any, *Error)

// handlers are the actions the server implements.
var handlers = map[string]handler{
	"CreateQueue":                  (*Server).createQueueAction,
	"GetQueueUrl":                  (*Server).getQueueURL,
	"ListQueues":                   (*Server).listQueues,
	"DeleteQueue":                  (*Server).deleteQueue,
	"GetQueueAttributes":           (*Server).getQueueAttributes,
	"SetQueueAttributes":           (*Server).setQueueAttributes,
	"PurgeQueue":                   (*Server).purgeQueue,
	"ListDeadLetterSourceQueues":   (*Server).listDeadLetterSourceQueues,
	"SendMessage":                  (*Server).sendMessage,
	"SendMessageBatch":             (*Server).sendMessageBatch,
	"ReceiveMessage":               (*Server).receiveMessage,
	"DeleteMessage":                (*Server).deleteMessage,
	"DeleteMessageBatch":           (*Server).deleteMessageBatch,
	"ChangeMessageVisibility":      (*Server).changeMessageVisibility,
	"ChangeMessageVisibilityBatch": (*Server).changeMessageVisibilityBatch,
}

// Actions lists the actions the server implements, such as
// "SendMessage", in no particular order.
func Actions() []string {
	out := make([]string, 0, len(handlers))
	for a := range handlers {
		out = append(out, a)
	}
	return out
}

// Action returns the SQS action a request asks for ("SendMessage"), or
// "" when it does not name one in its X-Amz-Target header.
func Action(r *http.Request) string {
	a, _ := strings.CutPrefix(r.Header.Get("X-Amz-Target"), targetPrefix)
	return a
}

// ServeHTTP answers one request of the AWS JSON 1.0 protocol: POST with
// X-Amz-Target: AmazonSQS.<Action> and a JSON body.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	action, ok := strings.CutPrefix(r.Header.Get("X-Amz-Target"), targetPrefix)
	if r.Method != http.MethodPost || !ok {
		WriteError(w, errorf("UnknownOperationException", "expected POST with X-Amz-Target: %s<Action> (only the AWS JSON 1.0 protocol is served)", targetPrefix))
		return
	}
	handle := handlers[action]
	if handle == nil {
		WriteError(w, errorf("UnknownOperationException", "the server does not implement %s", action))
		return
	}
	body, err := readBody(r)
	if err != nil {
		WriteError(w, errorf("SerializationException", "reading the request: %v", err))
		return
	}
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	out, apiErr := handle(s, r.Context(), scheme+"://"+r.Host, body)
	if apiErr != nil {
		WriteError(w, apiErr)
		return
	}
	writeJSON(w, out)
}

func readBody(r *http.Request) ([]byte, error) {
	if r.ContentLength > maxRequestSize {
		return nil, fmt.Errorf("request of %d bytes exceeds %d", r.ContentLength, maxRequestSize)
	}
	if r.ContentLength > 0 {
		buf := make([]byte, r.ContentLength)
		_, err := io.ReadFull(r.Body, buf)
		return buf, err
	}
	return io.ReadAll(io.LimitReader(r.Body, maxRequestSize))
}

func decode(body []byte, v any) *Error {
	if len(body) == 0 {
		return nil
	}
	if err := json.Unmarshal(body, v); err != nil {
		return errorf("SerializationException", "%v", err)
	}
	return nil
}

func writeJSON(w http.ResponseWriter, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		WriteError(w, &Error{Code: "InternalError", Message: err.Error(), Status: http.StatusInternalServerError})
		return
	}
	h := w.Header()
	h["Content-Type"] = []string{contentType}
	h["Content-Length"] = []string{strconv.Itoa(len(b))}
	h["X-Amzn-Requestid"] = []string{newRequestID()}
	w.WriteHeader(http.StatusOK)
	w.Write(b)
}

// newRequestID returns a random request id.
func newRequestID() string { return rand.Text() }

// seconds converts a count of API seconds to a duration.
func (s *Server) seconds(n int) time.Duration { return time.Duration(n) * s.second }

// toSeconds converts a duration to whole API seconds.
func (s *Server) toSeconds(d time.Duration) int { return int(d / s.second) }

// decodeFor decodes a request on one queue into in and finds the queue.
func (s *Server) decodeFor(body []byte, in interface{ queueURL() string }) (*memory.Queue, *Error) {
	if err := decode(body, in); err != nil {
		return nil, err
	}
	return s.queueByURL(in.queueURL())
}

// queueByURL finds a queue by the last path segment of its URL, so that
// URLs written for another host (the memory transport's, or one behind a
// proxy) work too.
func (s *Server) queueByURL(url string) (*memory.Queue, *Error) {
	if url == "" {
		return nil, errMissing("QueueUrl")
	}
	name := url[strings.LastIndexByte(url, '/')+1:]
	if name == "" {
		return nil, errQueueDoesNotExist()
	}
	q, err := s.broker.Queue(name)
	if err != nil {
		return nil, apiError(err)
	}
	return q, nil
}
