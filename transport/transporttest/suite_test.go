package transporttest_test

import (
	"context"
	"os"
	"os/exec"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/sqs-mega/sqs-mega-go/transport"
	"github.com/sqs-mega/sqs-mega-go/transport/memory"
	"github.com/sqs-mega/sqs-mega-go/transport/transporttest"
)

// faultEnv names the fault TestFaultyTransport injects.
const faultEnv = "TRANSPORTTEST_FAULT"

const unit = 100 * time.Millisecond

// TestSuiteDetectsFaults checks that the suite fails transports that
// break the contract: for each fault, it runs the case that should catch
// it against a memory transport with that fault, in a child process (a
// failing case cannot run inside a passing test), and expects a failure.
func TestSuiteDetectsFaults(t *testing.T) {
	if os.Getenv(faultEnv) != "" {
		t.Skip("in a child process")
	}
	for _, tc := range []struct {
		fault string
		cases string // the -run pattern below TestFaultyTransport
	}{
		{"messages stay visible", "VisibilityTimeout"},
		{"receive count stuck at 1", "VisibilityTimeout"},
		{"delete does nothing", "SendReceiveDelete"},
		{"attributes dropped", "SendReceiveDelete"},
		{"batch results reversed", "SendBatch"},
		{"no long polling", "LongPoll"},
		{"context ignored", "ContextCancel"},
		{"no redrive", "Redrive"},
		{"FIFO batches reversed", "FIFO/order_within_a_group"},
		{"no deduplication", "FIFO/deduplication_id"},
	} {
		t.Run(tc.fault, func(t *testing.T) {
			t.Parallel()
			cmd := exec.CommandContext(t.Context(), os.Args[0],
				"-test.run=^TestFaultyTransport$/^"+tc.cases+"$", "-test.count=1", "-test.v")
			cmd.Env = append(os.Environ(), faultEnv+"="+tc.fault)
			out, err := cmd.CombinedOutput()
			if err == nil {
				t.Fatalf("the suite passed a transport whose %s:\n%s", tc.fault, out)
			}
			first, _, _ := strings.Cut(tc.cases, "/")
			if !strings.Contains(string(out), "--- FAIL: TestFaultyTransport/"+first) {
				t.Fatalf("case %s did not fail:\n%s", tc.cases, out)
			}
		})
	}
}

// TestFaultyTransport is run by TestSuiteDetectsFaults.
func TestFaultyTransport(t *testing.T) {
	fault := os.Getenv(faultEnv)
	if fault == "" {
		t.Skip("run by TestSuiteDetectsFaults")
	}
	transporttest.Run(t, transporttest.Harness{
		Features: transporttest.Features{FIFO: true, Delay: true, Redrive: true, ExactReceive: true, VisibilityGranularity: unit},
		NewQueue: func(t *testing.T, cfg transporttest.QueueConfig) (transport.Queue, transport.Queue) {
			b := memory.New()
			t.Cleanup(func() { _ = b.Close() })
			suffix := map[bool]string{false: "", true: ".fifo"}[cfg.FIFO]
			qc := memory.QueueConfig{VisibilityTimeout: cfg.VisibilityTimeout, Delay: cfg.Delay, ContentBasedDeduplication: cfg.ContentBasedDeduplication}
			var dlq transport.Queue
			if cfg.MaxReceiveCount > 0 {
				d, err := b.CreateQueue("dlq"+suffix, memory.QueueConfig{})
				if err != nil {
					t.Fatal(err)
				}
				dlq = d
				if fault != "no redrive" {
					qc.Redrive = &memory.Redrive{DeadLetterQueue: d.Name(), MaxReceiveCount: cfg.MaxReceiveCount}
				}
			}
			q, err := b.CreateQueue("q"+suffix, qc)
			if err != nil {
				t.Fatal(err)
			}
			return &faulty{Queue: q, fault: fault}, dlq
		},
	})
}

// faulty is a queue with one fault.
type faulty struct {
	transport.Queue
	fault string
	n     int
}

func (f *faulty) Send(ctx context.Context, batch []transport.Outgoing) ([]transport.SendResult, error) {
	if f.fault == "no deduplication" {
		batch = slices.Clone(batch)
		for i := range batch {
			if batch[i].DeduplicationID != "" {
				f.n++
				batch[i].DeduplicationID += "-" + strings.Repeat("x", f.n)
			}
		}
	}
	res, err := f.Queue.Send(ctx, batch)
	if f.fault == "batch results reversed" {
		slices.Reverse(res)
	}
	return res, err
}

func (f *faulty) Receive(ctx context.Context, req transport.ReceiveRequest) ([]transport.Message, error) {
	switch f.fault {
	case "no long polling":
		req.WaitTime = 0
	case "context ignored":
		ctx = context.WithoutCancel(ctx)
		req.WaitTime = min(req.WaitTime, 2*unit)
	}
	msgs, err := f.Queue.Receive(ctx, req)
	for i := range msgs {
		switch f.fault {
		case "messages stay visible":
			_, _ = f.Queue.ChangeVisibility(ctx, []transport.VisibilityChange{{ReceiptHandle: msgs[i].ReceiptHandle}})
		case "receive count stuck at 1":
			msgs[i].ReceiveCount = 1
			msgs[i].System["ApproximateReceiveCount"] = "1"
		case "attributes dropped":
			msgs[i].Attributes = nil
		}
	}
	if f.fault == "FIFO batches reversed" {
		slices.Reverse(msgs)
	}
	return msgs, err
}

func (f *faulty) Delete(ctx context.Context, handles []string) ([]error, error) {
	if f.fault == "delete does nothing" {
		return make([]error, len(handles)), nil
	}
	return f.Queue.Delete(ctx, handles)
}
