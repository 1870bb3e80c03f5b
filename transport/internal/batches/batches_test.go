package batches

import (
	"errors"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/sqs-mega/sqs-mega-go/transport"
)

func body(n int) transport.Outgoing { return transport.Outgoing{Body: strings.Repeat("x", n)} }

// A batch too large for one request goes out in several; when one of them
// fails, only its entries carry the error, and the call fails as a whole
// only when no request went through.
func TestSendSplitsAndReportsPerRequest(t *testing.T) {
	boom := errors.New("boom")
	var requests [][]int
	s := Sender{
		Pkg:   "test",
		Limit: 100,
		Check: func(m transport.Outgoing) error {
			if len(m.Body) > 100 {
				return transport.ErrTooLarge
			}
			return nil
		},
		One: func(transport.Outgoing) (transport.SendResult, error) {
			t.Fatal("One called for a batch of many")
			return transport.SendResult{}, nil
		},
		Many: func(chunk []int, results []transport.SendResult) error {
			requests = append(requests, chunk)
			if chunk[0] == 0 {
				return boom
			}
			for _, i := range chunk {
				results[i].MessageID = "m"
			}
			return nil
		},
	}
	results, err := s.Send([]transport.Outgoing{body(60), body(30), body(101), body(60), body(40)})
	if err != nil {
		t.Fatal(err)
	}
	if len(requests) != 2 || len(requests[0]) != 2 || len(requests[1]) != 2 {
		t.Fatalf("requests %v, want [[0 1] [3 4]]", requests)
	}
	for i, want := range []error{boom, boom, transport.ErrTooLarge, nil, nil} {
		if !errors.Is(results[i].Err, want) || (want == nil && results[i].MessageID == "") {
			t.Errorf("entry %d: %+v, want error %v", i, results[i], want)
		}
	}

	_, err = s.Send([]transport.Outgoing{body(60), body(30)})
	if !errors.Is(err, boom) {
		t.Fatalf("every request failed: err %v, want boom", err)
	}
}

func TestSendRefusesBadBatches(t *testing.T) {
	s := Sender{Pkg: "test", Limit: 100, Check: func(transport.Outgoing) error { return nil }}
	for name, b := range map[string][]transport.Outgoing{
		"empty":        nil,
		"too many":     make([]transport.Outgoing, transport.MaxBatch+1),
		"repeated id":  {{ID: "a"}, {ID: "a"}},
		"malformed id": {{ID: "a b"}},
		"long id":      {{ID: strings.Repeat("a", 81)}},
	} {
		if _, err := s.Send(b); !errors.Is(err, transport.ErrInvalidRequest) || !strings.HasPrefix(err.Error(), "test: Send: ") {
			t.Errorf("%s: err %v, want test: Send: ... ErrInvalidRequest", name, err)
		}
	}
}

// An answer maps ids back to the entries sent, ignores ids of entries not
// sent or not numbers, and names the entries it did not mention, so that
// none passes for a success.
func TestAnswer(t *testing.T) {
	a := NewAnswer([]int{3, 5, 8})
	for _, id := range []string{"5", "4", "x", "8"} {
		i, ok := a.Entry(&id)
		if want := id == "5" || id == "8"; ok != want || (ok && strconv.Itoa(i) != id) {
			t.Errorf("Entry(%q) = %d, %v", id, i, ok)
		}
	}
	if got := a.Unanswered(); !slices.Equal(got, []int{3}) {
		t.Errorf("Unanswered() = %v, want [3]", got)
	}
}
