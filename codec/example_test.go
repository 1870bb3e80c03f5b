package codec_test

import (
	"fmt"
	"time"

	"github.com/sqs-mega/sqs-mega-go/codec"
)

// A document goes from JSON to BSON and back. Numbers are json.Number:
// integers keep every digit, and a BSON double comes back as the shortest
// decimal that round-trips, so that 99.95 stays 99.95 (a decimal with more
// digits than a double holds is rounded in BSON).
func Example() {
	doc, err := codec.DecodeJSON([]byte(`{"order": 9007199254740993, "total": 99.95, "tags": ["a", "b"], "paid": true}`))
	if err != nil {
		fmt.Println(err)
		return
	}
	bin, err := codec.EncodeBSON(doc)
	if err != nil {
		fmt.Println(err)
		return
	}
	back, err := codec.DecodeBSON(bin)
	if err != nil {
		fmt.Println(err)
		return
	}
	out, _ := codec.EncodeJSON(back)
	fmt.Println(string(out))
	fmt.Printf("%T %v\n", back["total"], back["total"])
	// Output:
	// {"order":9007199254740993,"paid":true,"tags":["a","b"],"total":99.95}
	// json.Number 99.95
}

// A Doc keeps its keys in order, in JSON and in BSON; BSON date-times
// decode to time.Time.
func ExampleDoc() {
	doc := codec.Doc{
		{Key: "name", Value: "user:created"},
		{Key: "at", Value: time.Date(2020, 5, 4, 15, 53, 27, 0, time.UTC)},
		{Key: "count", Value: 3},
	}
	js, _ := codec.EncodeJSON(doc)
	fmt.Println(string(js))
	bin, _ := codec.EncodeBSON(doc)
	back, _ := codec.DecodeBSON(bin)
	fmt.Printf("%v %T\n", back["at"], back["at"])
	// Output:
	// {"name":"user:created","at":"2020-05-04T15:53:27Z","count":3}
	// 2020-05-04 15:53:27 +0000 UTC time.Time
}
