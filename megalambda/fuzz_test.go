package megalambda_test

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/aws/aws-lambda-go/events"

	mega "github.com/sqs-mega/sqs-mega-go"
)

// FuzzInvoke: whatever the payload, Invoke does not panic, and a record is
// reported done only if its subscriber finished with it or no subscriber
// matched it (there is no dead-letter queue, so nothing else may be done).
func FuzzInvoke(f *testing.F) {
	files, _ := filepath.Glob(filepath.Join("testdata", "*.json"))
	for _, name := range files {
		b, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte("hello"))
	f.Add([]byte(`{"Records":[{"eventSource":"aws:sqs","messageId":"1","receiptHandle":"r","body":"x"}]}`))
	f.Fuzz(func(t *testing.T, payload []byte) {
		var u users
		h := newHandler(t, &u, []mega.Option{mega.WithTopicARNs(trustedTopic)})
		out, err := h.Invoke(context.Background(), payload)
		if err != nil {
			return
		}
		var resp events.SQSEventResponse
		if string(out) == "null" || json.Unmarshal(out, &resp) != nil || resp.BatchItemFailures == nil {
			return // SNS: done or an error, checked by the stats below
		}
		var ev events.SQSEvent
		if err := json.Unmarshal(payload, &ev); err != nil {
			t.Fatalf("answered %s to a payload that is not an SQS event: %v", out, err)
		}
		ids := map[string]bool{}
		for _, r := range ev.Records {
			ids[r.MessageId] = true
		}
		for _, f := range resp.BatchItemFailures {
			if !ids[f.ItemIdentifier] {
				t.Fatalf("failure %q is not a record of the event", f.ItemIdentifier)
			}
		}
		st := h.Stats()
		done := int64(len(ev.Records) - len(resp.BatchItemFailures))
		if st.Processed+st.Unmatched != done {
			t.Fatalf("%d records reported done, but %d processed and %d unmatched (stats %+v)", done, st.Processed, st.Unmatched, st)
		}
	})
}
