package mega_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"testing"

	mega "github.com/sqs-mega/sqs-mega-go"
	"github.com/sqs-mega/sqs-mega-go/match"
	"github.com/sqs-mega/sqs-mega-go/protocol"
	"github.com/sqs-mega/sqs-mega-go/transport"
)

// TestRouteManySubscribers routes an event to more subscribers than the
// router keeps on its stack: every one runs, in the order they were
// added, and the result of the last ones still decides the verdict.
func TestRouteManySubscribers(t *testing.T) {
	body, err := protocol.Encode(seedEvent("42"))
	if err != nil {
		t.Fatal(err)
	}
	for _, failing := range []int{-1, 0, 7, 8, 11} {
		t.Run(fmt.Sprintf("failing=%d", failing), func(t *testing.T) {
			r, err := mega.NewRouter(mega.WithLogger(quiet))
			if err != nil {
				t.Fatal(err)
			}
			var ran []int
			for i := range 12 {
				if err := r.Subscribe(mega.Subscriber{Event: match.Event{"domain": "user"}, Process: func(_ context.Context, m *mega.Message) error {
					if m.Mega.Event.Subject != "42" {
						return mega.Permanent(errors.New("wrong event"))
					}
					ran = append(ran, i)
					if i == failing {
						return errors.New("temporary failure")
					}
					return nil
				}}); err != nil {
					t.Fatal(err)
				}
			}
			v := r.Route(context.Background(), transport.Message{ID: "m-1", Body: body, ReceiveCount: 1})
			if want := []int{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11}; !slices.Equal(ran, want) {
				t.Errorf("subscribers ran %v, want %v", ran, want)
			}
			want := mega.ActionDelete
			if failing >= 0 {
				want = mega.ActionRetry
			}
			if v.Action != want || v.Matched != 12 {
				t.Errorf("verdict %v with %d matched, want %v with 12", v.Action, v.Matched, want)
			}
			if failing >= 0 && (v.Err == nil || v.Err.Error() != "temporary failure") {
				t.Errorf("verdict error %v, want the failing subscriber's", v.Err)
			}
		})
	}
}
