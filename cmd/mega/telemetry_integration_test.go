package main

import (
	"bytes"
	"compress/gzip"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	colmetricpb "go.opentelemetry.io/proto/otlp/collector/metrics/v1"
	coltracepb "go.opentelemetry.io/proto/otlp/collector/trace/v1"
	metricpb "go.opentelemetry.io/proto/otlp/metrics/v1"
	tracepb "go.opentelemetry.io/proto/otlp/trace/v1"
	"google.golang.org/protobuf/proto"

	"github.com/sqs-mega/sqs-mega-go/transport/sqs"
)

// otlpReceiver is an OTLP/HTTP endpoint on 127.0.0.1 that keeps the spans
// and metrics exported to it.
type otlpReceiver struct {
	mu       sync.Mutex
	spans    []*tracepb.Span
	services []string
	metrics  []*metricpb.Metric
}

func newOTLPReceiver(t *testing.T) (*otlpReceiver, string) {
	r := &otlpReceiver{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		var body io.Reader = req.Body
		if req.Header.Get("Content-Encoding") == "gzip" {
			gz, err := gzip.NewReader(req.Body)
			if err != nil {
				http.Error(w, err.Error(), http.StatusBadRequest)
				return
			}
			body = gz
		}
		b, err := io.ReadAll(body)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		r.mu.Lock()
		defer r.mu.Unlock()
		switch req.URL.Path {
		case "/v1/traces":
			var m coltracepb.ExportTraceServiceRequest
			if err := proto.Unmarshal(b, &m); err != nil {
				http.Error(w, err.Error(), http.StatusBadRequest)
				return
			}
			for _, rs := range m.ResourceSpans {
				for _, kv := range rs.GetResource().GetAttributes() {
					if kv.Key == "service.name" {
						r.services = append(r.services, kv.GetValue().GetStringValue())
					}
				}
				for _, ss := range rs.ScopeSpans {
					r.spans = append(r.spans, ss.Spans...)
				}
			}
		case "/v1/metrics":
			var m colmetricpb.ExportMetricsServiceRequest
			if err := proto.Unmarshal(b, &m); err != nil {
				http.Error(w, err.Error(), http.StatusBadRequest)
				return
			}
			for _, rm := range m.ResourceMetrics {
				for _, sm := range rm.ScopeMetrics {
					r.metrics = append(r.metrics, sm.Metrics...)
				}
			}
		default:
			http.NotFound(w, req)
			return
		}
		w.Header().Set("Content-Type", "application/x-protobuf")
	}))
	t.Cleanup(srv.Close)
	return r, srv.URL
}

// named returns the spans received with the given name.
func (r *otlpReceiver) named(name string) []*tracepb.Span {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []*tracepb.Span
	for _, s := range r.spans {
		if s.Name == name {
			out = append(out, s)
		}
	}
	return out
}

// sum is the total of an integer sum metric received.
func (r *otlpReceiver) sum(name string) int64 {
	r.mu.Lock()
	defer r.mu.Unlock()
	var n int64
	for _, m := range r.metrics {
		if m.Name == name {
			for _, p := range m.GetSum().GetDataPoints() {
				n += p.GetAsInt()
			}
		}
	}
	return n
}

func spanAttr(s *tracepb.Span, key string) string {
	for _, kv := range s.Attributes {
		if kv.Key == key {
			return kv.GetValue().GetStringValue()
		}
	}
	return ""
}

// With OTEL_EXPORTER_OTLP_ENDPOINT set, mega publish exports a span per
// message and the sent-messages metric; mega tail prints the trace id of
// each message and exports its process span under the message's span.
func TestTelemetryExportsOverOTLP(t *testing.T) {
	env, endpoint := cliEnv(t)
	recv, url := newOTLPReceiver(t)
	t.Setenv("OTEL_EXPORTER_OTLP_ENDPOINT", url)
	t.Setenv("OTEL_EXPORTER_OTLP_PROTOCOL", "http/protobuf")
	t.Setenv("OTEL_SERVICE_NAME", "")
	t.Setenv("OTEL_TRACES_EXPORTER", "")
	t.Setenv("OTEL_METRICS_EXPORTER", "")
	q := env.Queue(t, sqs.QueueConfig{})
	name := q.URL()[strings.LastIndexByte(q.URL(), '/')+1:]

	stdin := `{"protocol": "mega", "version": 1, "event": {"name": "user:created"}}` + "\n" + `{"order": 7}` + "\n"
	code, out, errs := runCLI(t, stdin, "publish", "--queue-url", q.URL(), "--endpoint", endpoint, "-")
	if code != exitOK {
		t.Fatalf("publish: exit %d, stderr %s", code, errs)
	}
	ids := lines(out)
	creates, sends := recv.named("create "+name), recv.named("send "+name)
	if len(creates) != 2 || len(sends) != 1 {
		t.Fatalf("publish exported %d create and %d send spans, want 2 and 1", len(creates), len(sends))
	}
	traceOf := map[string]string{} // message id → trace id
	spanOf := map[string][]byte{}  // message id → create span id
	for _, s := range creates {
		id := spanAttr(s, "messaging.message.id")
		traceOf[id], spanOf[id] = hex.EncodeToString(s.TraceId), s.SpanId
		if spanAttr(s, "messaging.system") != "aws_sqs" || spanAttr(s, "messaging.destination.name") != name {
			t.Errorf("create span attributes %v", s.Attributes)
		}
	}
	for _, id := range ids {
		if traceOf[id] == "" {
			t.Errorf("message %s has no create span (create spans: %v)", id, traceOf)
		}
	}
	if n := recv.sum("messaging.client.sent.messages"); n != 2 {
		t.Errorf("messaging.client.sent.messages = %d, want 2", n)
	}
	recv.mu.Lock()
	services := recv.services
	recv.mu.Unlock()
	if len(services) == 0 || services[0] != "mega" {
		t.Errorf("service.name %v, want mega", services)
	}

	code, out, errs = runCLI(t, "", "tail", "--queue-url", q.URL(), "--endpoint", endpoint, "--max", "2", "--wait", "10", "--delete")
	if code != exitOK {
		t.Fatalf("tail: exit %d, stderr %s", code, errs)
	}
	printed := lines(out)
	if len(printed) != 2 {
		t.Fatalf("tail printed %q", out)
	}
	for _, l := range printed {
		var line struct {
			MessageID string `json:"message_id"`
			TraceID   string `json:"trace_id"`
		}
		if err := json.Unmarshal([]byte(l), &line); err != nil {
			t.Fatal(err)
		}
		if len(line.TraceID) != 32 || line.TraceID != traceOf[line.MessageID] {
			t.Errorf("tail printed trace_id %q for message %s, want %q", line.TraceID, line.MessageID, traceOf[line.MessageID])
		}
	}
	procs := recv.named("process " + name)
	if len(procs) != 2 {
		t.Fatalf("tail exported %d process spans, want 2", len(procs))
	}
	for _, p := range procs {
		id := spanAttr(p, "messaging.message.id")
		if !bytes.Equal(p.ParentSpanId, spanOf[id]) || hex.EncodeToString(p.TraceId) != traceOf[id] {
			t.Errorf("tail's span of message %s is not under its create span", id)
		}
	}
}
