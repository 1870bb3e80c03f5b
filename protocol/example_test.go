package protocol_test

import (
	"errors"
	"fmt"
	"time"

	"github.com/sqs-mega/sqs-mega-go/protocol"
)

// Decode an SQS message body: a MEGA event in JSON.
func ExampleDecode() {
	body := `{
	  "protocol": "mega",
	  "version": 1,
	  "event": {
	    "domain": "user",
	    "name": "user:created",
	    "timestamp": "2020-05-04T15:53:27.123Z",
	    "subject": "987650",
	    "attributes": {"username": "john.doe"}
	  }
	}`
	msg, err := protocol.Decode(body)
	if err != nil {
		fmt.Println(err)
		return
	}
	ev := msg.Mega.Event
	fmt.Println(msg.Kind)
	fmt.Println(ev.Name, ev.Subject, ev.Timestamp.Format(time.RFC3339Nano))
	fmt.Println(ev.Attributes["username"])

	// A body that claims to be MEGA but breaks the protocol is an error,
	// never data.
	_, err = protocol.Decode(`{"protocol": "mega", "version": 1, "event": {}}`)
	fmt.Println(errors.Is(err, protocol.ErrInvalidPayload))

	// Other bodies are data, text or binary.
	data, _ := protocol.Decode(`{"order": 7}`)
	text, _ := protocol.Decode("hello world!")
	fmt.Println(data.Kind, data.Data["order"], text.Kind, text.Text)
	// Output:
	// mega
	// user:created 987650 2020-05-04T15:53:27.123Z
	// john.doe
	// true
	// data 7 text hello world!
}

// Encode an event for publishing, in JSON.
func ExampleEncoder_Encode() {
	enc := protocol.Encoder{Encoding: protocol.JSON}
	body, err := enc.Encode(protocol.NewEvent(protocol.Event{
		Name:       "user:created",
		Timestamp:  time.Date(2020, 5, 4, 15, 53, 27, 0, time.UTC),
		Subject:    "987650",
		Attributes: map[string]any{"username": "john.doe"},
	}))
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(body)

	// In BSON, the body is the standard base64 of the document, which
	// Decode recognises too.
	enc.Encoding = protocol.BSON
	b64, _ := enc.Encode(protocol.NewEvent(protocol.Event{Name: "user:deleted", Timestamp: time.Unix(0, 0)}))
	msg, _ := protocol.Decode(b64)
	fmt.Println(msg.Kind, msg.Mega.Event.Name)
	// Output:
	// {"protocol":"mega","version":1,"event":{"name":"user:created","timestamp":"2020-05-04T15:53:27+00:00","version":1,"subject":"987650","attributes":{"username":"john.doe"}}}
	// mega user:deleted
}
