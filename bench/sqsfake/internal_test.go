package sqsfake

import (
	"fmt"
	"math/rand/v2"
	"testing"
	"time"
)

func TestAttributesMD5(t *testing.T) {
	str := func(v string) *string { return &v }
	// Expected values follow the algorithm AWS documents for
	// MD5OfMessageAttributes (computed independently with moto's
	// implementation of it).
	tests := []struct {
		name  string
		attrs map[string]attributeValue
		want  string
	}{
		{"none", nil, ""},
		{"one number", map[string]attributeValue{"timestamp": {DataType: "Number", StringValue: str("1493147359900")}}, "235c5c510d26fb653d073faed50ae77c"},
		{"string, custom number and binary", map[string]attributeValue{
			"b": {DataType: "Binary", BinaryValue: []byte{0, 1, 0xff}},
			"a": {DataType: "String", StringValue: str("héllo")},
			"n": {DataType: "Number.float", StringValue: str("3.14")},
		}, "b86c6577cb22dc4ea8eb705a075b0e21"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := attributesMD5(tt.attrs); got != tt.want {
				t.Errorf("attributesMD5 = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestValidBody(t *testing.T) {
	tests := []struct {
		body string
		want bool
	}{
		{"plain", true},
		{"tab\tnewline\ncr\r", true},
		{"émoji 🎉", true},
		{"nul \x00", false},
		{"bell \a", false},
		{"bad utf-8 \xff", false},
		{"U+FFFE \uFFFE", false},
	}
	for _, tt := range tests {
		t.Run(tt.body, func(t *testing.T) {
			if got := validBody(tt.body); got != tt.want {
				t.Errorf("validBody(%q) = %v", tt.body, got)
			}
		})
	}
}

// TestQueueInvariants applies random operations to a queue and checks after
// each that its counters agree with its messages.
func TestQueueInvariants(t *testing.T) {
	q := newQueue("q", "url", "arn", 7, time.Now())
	r := rand.New(rand.NewPCG(1, 2))
	now := time.Unix(1_000_000, 0)
	var handles []string
	for step := range 6000 {
		now = now.Add(time.Duration(r.IntN(50)) * time.Millisecond)
		if r.IntN(1000) == 0 {
			q.purge() // old receipt handles must keep working, finding nothing
		}
		switch op := r.IntN(10); {
		case op < 4:
			q.add(&message{body: "m"}, time.Duration(r.IntN(3))*100*time.Millisecond, now)
		case op < 7:
			got, _ := q.take(1+r.IntN(10), time.Duration(r.IntN(4))*100*time.Millisecond, now)
			for _, m := range got {
				handles = append(handles, q.receiptHandle(m))
			}
		case op < 9 && len(handles) > 0:
			i := r.IntN(len(handles))
			if err := q.delete(handles[i]); err != nil {
				t.Fatalf("step %d: delete: %v", step, err)
			}
		case len(handles) > 0:
			i := r.IntN(len(handles))
			q.changeVisibility(handles[i], time.Duration(r.IntN(3))*100*time.Millisecond, now)
		}
		if step%7 != 0 {
			continue
		}
		var ready, delayed, inflight int
		for _, m := range q.msgs {
			switch m.state {
			case stateReady:
				ready++
			case stateDelayed:
				delayed++
			case stateInflight:
				inflight++
			default:
				t.Fatalf("step %d: live message in state %d", step, m.state)
			}
			if (m.state == stateReady) != (m.index < 0) {
				t.Fatalf("step %d: message in state %d at heap index %d", step, m.state, m.index)
			}
		}
		if ready != q.nReady || delayed != q.nDelayed || inflight != q.nInflight || len(q.hidden) != delayed+inflight {
			t.Fatalf("step %d: counted %d/%d/%d, queue says %d/%d/%d, heap %d", step, ready, delayed, inflight, q.nReady, q.nDelayed, q.nInflight, len(q.hidden))
		}
		if uint64(len(q.msgs)) != q.sent-q.removed {
			t.Fatalf("step %d: %d messages, sent %d removed %d", step, len(q.msgs), q.sent, q.removed)
		}
	}
}

// BenchmarkQueueDepth shows that sending, receiving and deleting one
// message costs the same whatever the depth of the queue.
func BenchmarkQueueDepth(b *testing.B) {
	for _, depth := range []int{1_000, 100_000} {
		b.Run(fmt.Sprint(depth), func(b *testing.B) {
			q := newQueue("q", "url", "arn", 7, time.Now())
			now := time.Now()
			for range depth {
				q.add(&message{body: "m"}, 0, now)
			}
			// Half of the backlog in flight, so that the heap is deep too.
			q.take(depth/2, time.Hour, now)
			b.ReportAllocs()
			for b.Loop() {
				q.add(&message{body: "m"}, 0, now)
				got, _ := q.take(1, time.Hour, now)
				q.delete(q.receiptHandle(got[0]))
			}
		})
	}
}
