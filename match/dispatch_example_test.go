package match_test

import (
	"fmt"

	"github.com/sqs-mega/sqs-mega-go/match"
	"github.com/sqs-mega/sqs-mega-go/protocol"
)

// A Dispatcher decides on the body as it arrives which patterns want a
// message; the message is decoded only for those that do.
func ExampleDispatcher() {
	var events match.Set
	events.Add(1, match.MustCompile(match.Event{"name": "user:created"}))
	events.Add(2, match.MustCompile(match.Event{"name": match.Prefix("user:"), "plan": "pro"}))
	events.Add(3, match.MustCompile(match.Event{"name": "order:placed"}))
	d := match.Dispatcher{Decoder: &protocol.Decoder{}, Events: &events}

	var body protocol.Body // reused from one message to the next
	for _, b := range []string{
		`{"protocol":"mega","version":1,"event":{"name":"user:created","timestamp":"2021-03-04T05:06:07Z","plan":"pro"}}`,
		`{"protocol":"mega","version":1,"event":{"name":"user:created"}}`,
		`{"hello":"world"}`,
	} {
		kind, ids := d.Dispatch(b, &body, nil)
		if len(ids) == 0 {
			_, err := body.Message()
			fmt.Println(kind, ids, err)
			continue
		}
		m, _ := body.Message()
		fmt.Println(kind, ids, m.Mega.Event.Attributes["plan"])
	}
	// Output:
	// mega [1 2] pro
	// invalid [] protocol: invalid MEGA payload: event.timestamp: required
	// data [] <nil>
}
