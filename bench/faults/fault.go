package faults

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Fault is what a [Rule] does to a request. Make one with [Latency],
// [Throttle], [ServerError], [Reset] or [ResetAfter].
type Fault struct {
	kind    kind
	latency time.Duration
	status  int
	code    string
}

type kind uint8

const (
	kindLatency kind = iota + 1
	kindThrottle
	kindServerError
	kindReset
	kindResetAfter
	kindSlowAnswer
)

var kindNames = [...]string{kindLatency: "latency", kindThrottle: "throttle", kindServerError: "server-error", kindReset: "reset", kindResetAfter: "reset-after", kindSlowAnswer: "slow-answer"}

// String names the fault: "latency 50ms", "slow-answer 1s", "throttle ThrottlingException",
// "server-error 503", "reset", "reset-after".
func (f Fault) String() string {
	if int(f.kind) >= len(kindNames) || f.kind == 0 {
		return "no fault"
	}
	s := kindNames[f.kind]
	switch f.kind {
	case kindLatency, kindSlowAnswer:
		s += " " + f.latency.String()
	case kindThrottle:
		s += " " + f.code
	case kindServerError:
		s += " " + strconv.Itoa(f.status)
	}
	return s
}

// Latency delays a request by d before it is forwarded. Other rules still
// apply to it.
func Latency(d time.Duration) Fault { return Fault{kind: kindLatency, latency: d} }

// SlowAnswer forwards a request at once and holds the server's answer
// for d: the request has taken effect d before the client learns it, as
// when a server or the way back is slow. Other rules still apply to the
// request, and several SlowAnswer rules add up.
func SlowAnswer(d time.Duration) Fault { return Fault{kind: kindSlowAnswer, latency: d} }

// Throttle answers HTTP 400 with a throttling error of the given code,
// "ThrottlingException" when code is empty; "RequestThrottled" is the
// other code SQS uses. The request does not reach the server.
func Throttle(code string) Fault {
	if code == "" {
		code = "ThrottlingException"
	}
	return Fault{kind: kindThrottle, status: http.StatusBadRequest, code: code}
}

// ServerError answers status (500 or 503; any 5xx) with an InternalError
// or ServiceUnavailable error. The request does not reach the server.
func ServerError(status int) Fault {
	code := "InternalError"
	if status == http.StatusServiceUnavailable {
		code = "ServiceUnavailable"
	}
	return Fault{kind: kindServerError, status: status, code: code}
}

// Reset resets the connection before the request reaches the server.
func Reset() Fault { return Fault{kind: kindReset} }

// ResetAfter forwards the request, waits for the server's answer and
// resets the connection instead of passing it on: the request took effect
// but the client cannot know it.
func ResetAfter() Fault { return Fault{kind: kindResetAfter} }

// Rule applies a fault to some requests.
type Rule struct {
	// Actions are the API actions the rule applies to ("ReceiveMessage",
	// "SendMessageBatch", ...); empty means every action.
	Actions []string
	// Fault is what happens to a request the rule applies to.
	Fault Fault
	// Probability that the rule applies to a request of its actions, in
	// (0, 1]; 0 means 1.
	Probability float64
	// Limit is how many requests the rule applies to at most; 0 means no
	// limit.
	Limit int
}

func (r Rule) validate() error {
	if r.Fault.kind == 0 {
		return fmt.Errorf("faults: rule without a fault")
	}
	if r.Probability < 0 || r.Probability > 1 {
		return fmt.Errorf("faults: probability %v out of [0, 1]", r.Probability)
	}
	if r.Limit < 0 {
		return fmt.Errorf("faults: negative limit %d", r.Limit)
	}
	if r.Fault.kind == kindServerError && (r.Fault.status < 500 || r.Fault.status > 599) {
		return fmt.Errorf("faults: server error status %d is not 5xx", r.Fault.status)
	}
	if (r.Fault.kind == kindLatency || r.Fault.kind == kindSlowAnswer) && r.Fault.latency < 0 {
		return fmt.Errorf("faults: negative latency %v", r.Fault.latency)
	}
	return nil
}

func (r Rule) appliesTo(action string) bool {
	if len(r.Actions) == 0 {
		return true
	}
	for _, a := range r.Actions {
		if a == action {
			return true
		}
	}
	return false
}

// writeError answers an error in the shape of the request's protocol: AWS
// JSON 1.0 (with the x-amzn-query-error header of query-compatible
// services such as SQS), or the XML of the query protocol.
func writeError(w http.ResponseWriter, query bool, status int, code, message string) {
	fault := "Sender"
	if status >= 500 {
		fault = "Receiver"
	}
	h := w.Header()
	h.Set("X-Amzn-Requestid", requestID())
	if query {
		h.Set("Content-Type", "text/xml")
		w.WriteHeader(status)
		fmt.Fprintf(w, `<ErrorResponse><Error><Type>%s</Type><Code>%s</Code><Message>%s</Message></Error><RequestId>%s</RequestId></ErrorResponse>`,
			fault, code, message, h.Get("X-Amzn-Requestid"))
		return
	}
	namespace := "com.amazonaws.sqs"
	if code == "ThrottlingException" {
		namespace = "com.amazon.coral.availability"
	}
	body, _ := json.Marshal(map[string]string{"__type": namespace + "#" + code, "message": message})
	h.Set("Content-Type", "application/x-amz-json-1.0")
	h.Set("X-Amzn-Query-Error", code+";"+fault)
	w.WriteHeader(status)
	w.Write(body)
}

func requestID() string {
	return fmt.Sprintf("%08x-%04x-4%03x-%04x-%012x", rand.Uint32(), rand.Uint32()&0xffff, rand.Uint32()&0xfff,
		rand.Uint32()&0x3fff|0x8000, rand.Uint64()&0xffffffffffff)
}

// actionOf returns the API action of a request: the part of X-Amz-Target
// after the service name, or the Action parameter of a form body.
func actionOf(r *http.Request, body []byte) (action string, query bool) {
	if t := r.Header.Get("X-Amz-Target"); t != "" {
		return t[strings.LastIndexByte(t, '.')+1:], false
	}
	if strings.HasPrefix(r.Header.Get("Content-Type"), "application/x-www-form-urlencoded") {
		for _, kv := range strings.Split(string(body), "&") {
			if v, ok := strings.CutPrefix(kv, "Action="); ok {
				return v, true
			}
		}
		return "", true
	}
	return "", false
}
