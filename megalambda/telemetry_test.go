package megalambda_test

import (
	"context"
	"testing"

	"go.opentelemetry.io/otel/attribute"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"

	mega "github.com/sqs-mega/sqs-mega-go"
)

// The adapter records what became of each record in the router's metrics,
// as a consumer does: retries, dead letters by class, unmatched.
func TestSQSTelemetry(t *testing.T) {
	reader := sdkmetric.NewManualReader()
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader))
	defer mp.Shutdown(context.Background())
	u := &users{}
	h := newHandler(t, u, []mega.Option{mega.WithTopicARNs(trustedTopic), mega.WithMeterProvider(mp)})
	if _, err := h.SQS(context.Background(), sqsEvent(t, "sqs-standard.json")); err != nil {
		t.Fatal(err)
	}
	var rm metricdata.ResourceMetrics
	if err := reader.Collect(context.Background(), &rm); err != nil {
		t.Fatal(err)
	}
	sums := map[string]int64{}
	for _, sm := range rm.ScopeMetrics {
		for _, m := range sm.Metrics {
			if s, ok := m.Data.(metricdata.Sum[int64]); ok {
				for _, p := range s.DataPoints {
					key := m.Name
					if c, ok := p.Attributes.Value(attribute.Key("mega.dead_letter.class")); ok {
						key += "/" + c.AsString()
					}
					sums[key] += p.Value
				}
			}
		}
	}
	// Without a dead-letter queue nothing is dead-lettered; the retries
	// (a retry asked for, an error, a panic) are counted.
	if sums["mega.consumer.retries"] != 3 {
		t.Errorf("retries %d, want 3; metrics %v", sums["mega.consumer.retries"], sums)
	}
	if sums["mega.consumer.unmatched"] < 1 {
		t.Errorf("no unmatched record counted; metrics %v", sums)
	}
}
