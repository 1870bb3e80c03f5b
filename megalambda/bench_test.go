package megalambda_test

import (
	"context"
	"encoding/json"
	"fmt"
	"testing"

	"github.com/aws/aws-lambda-go/events"

	mega "github.com/sqs-mega/sqs-mega-go"
	"github.com/sqs-mega/sqs-mega-go/match"
	"github.com/sqs-mega/sqs-mega-go/megalambda"
)

// benchEvent is a batch of n MEGA events as an SQS event source mapping
// delivers them.
func benchEvent(b *testing.B, n int) events.SQSEvent {
	b.Helper()
	base := sqsEvent(b, "sqs-standard.json").Records[0]
	ev := events.SQSEvent{Records: make([]events.SQSMessage, n)}
	for i := range ev.Records {
		r := base
		r.MessageId = fmt.Sprintf("m-%d", i)
		r.Body = fmt.Sprintf(`{"protocol":"mega","version":1,"event":{"name":"user:created","timestamp":"2024-05-01T10:00:00Z","domain":"user","subject":"%d","attributes":{"email":"john.doe@example.com","plan":"pro"}},"object":{"current":{"id":%d,"username":"john.doe"}}}`, i, i)
		ev.Records[i] = r
	}
	return ev
}

// handWritten is the handler one writes without the adapter: decode each
// body into a map, report the records that are not JSON.
func handWritten(ctx context.Context, ev events.SQSEvent) (events.SQSEventResponse, error) {
	resp := events.SQSEventResponse{BatchItemFailures: []events.SQSBatchItemFailure{}}
	for _, r := range ev.Records {
		var doc map[string]any
		if err := json.Unmarshal([]byte(r.Body), &doc); err != nil {
			resp.BatchItemFailures = append(resp.BatchItemFailures, events.SQSBatchItemFailure{ItemIdentifier: r.MessageId})
			continue
		}
		if ev, _ := doc["event"].(map[string]any); ev == nil || ev["name"] == nil {
			resp.BatchItemFailures = append(resp.BatchItemFailures, events.SQSBatchItemFailure{ItemIdentifier: r.MessageId})
		}
	}
	return resp, nil
}

// BenchmarkSQS compares the adapter's cost per record (decode, match,
// dispatch to a subscriber that does nothing, verdict) with the
// hand-written handler's, on batches of 10 and 100 records.
func BenchmarkSQS(b *testing.B) {
	for _, n := range []int{10, 100} {
		ev := benchEvent(b, n)
		b.Run(fmt.Sprintf("records=%d/handwritten", n), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				resp, _ := handWritten(context.Background(), ev)
				if len(resp.BatchItemFailures) != 0 {
					b.Fatal(resp)
				}
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*n), "ns/record")
		})
		// The router alone, record after record: what the adapter adds
		// is the difference.
		b.Run(fmt.Sprintf("records=%d/router", n), func(b *testing.B) {
			r := benchRouter()
			b.ReportAllocs()
			for b.Loop() {
				for _, rec := range ev.Records {
					if v := r.Route(context.Background(), megalambda.FromSQS(rec)); v.Action != mega.ActionDelete {
						b.Fatal(v)
					}
				}
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*n), "ns/record")
		})
		for _, conc := range []int{1, 10} {
			b.Run(fmt.Sprintf("records=%d/megalambda/concurrency=%d", n, conc), func(b *testing.B) {
				h, _ := megalambda.New(benchRouter(), megalambda.WithLogger(quiet), megalambda.WithConcurrency(conc))
				b.ReportAllocs()
				for b.Loop() {
					resp, err := h.SQS(context.Background(), ev)
					if err != nil || len(resp.BatchItemFailures) != 0 {
						b.Fatal(resp, err)
					}
				}
				b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*n), "ns/record")
			})
		}
	}
}

func benchRouter() *mega.Router {
	r, _ := mega.NewRouter(mega.WithLogger(quiet))
	_ = r.Subscribe(mega.Subscriber{
		Event:   match.Event{"name": match.Regex(`user:`), "domain": "user"},
		Process: func(ctx context.Context, m *mega.Message) error { return nil },
	})
	return r
}
