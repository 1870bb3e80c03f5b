package match_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/sqs-mega/sqs-mega-go/match"
)

// The seed subscriber of SQS MEGA, applied to the normalized document of
// a MEGA event.
func Example() {
	m, err := match.Compile(match.Event{
		"name":      match.Regex(`user:(.*)`),
		"version":   match.OneOf(1, 2, 3),
		"timestamp": match.Gt(match.DateTime("2020-01-01")),
		"domain":    "user",
		"subject":   match.Regex(`\d+`),
		"email":     match.Not(match.Empty()),
		"username":  match.Not(match.OneOf("synthetic", "test")),
	})
	if err != nil {
		panic(err)
	}
	event := map[string]any{
		"protocol": "mega",
		"version":  json.Number("1"),
		"event": map[string]any{
			"name":      "user:updated",
			"timestamp": time.Date(2020, 5, 4, 15, 53, 27, 823e6, time.UTC),
			"version":   json.Number("2"),
			"domain":    "user",
			"subject":   "987650",
			"attributes": map[string]any{
				"email":    "johndoe_84@example.com",
				"username": "john.doe",
			},
		},
		"extra": map[string]any{},
	}
	fmt.Println(m.Match(event))
	event["event"].(map[string]any)["attributes"].(map[string]any)["username"] = "test"
	fmt.Println(m.Match(event))
	// Output:
	// true
	// false
}

func ExampleParse() {
	p, err := match.Parse([]byte(`{"user": {"id": {"$gt": 0}, "email": {"$not": {"$match": "test@"}}}, "total": {"$lte": {"$number": "19.99"}}}`))
	if err != nil {
		panic(err)
	}
	m := match.MustCompile(p)
	var doc any
	dec := json.NewDecoder(strings.NewReader(`{"user": {"id": 7, "email": "ann@example.com"}, "total": "19.990"}`))
	dec.UseNumber()
	if err := dec.Decode(&doc); err != nil {
		panic(err)
	}
	fmt.Println(m.Match(doc))
	// Output: true
}

func ExampleCompile_invalid() {
	_, err := match.Compile(match.Event{"timestamp": match.Gt("2020-01-01")})
	var pe *match.PatternError
	fmt.Println(errors.Is(err, match.ErrInvalidPattern), errors.As(err, &pe))
	fmt.Println(pe.Path, "-", pe.Reason)
	// Output:
	// true true
	// timestamp - $gt needs a number or a date-time literal
}

func ExampleMatcher_MarshalJSON() {
	m := match.MustCompile(match.Data{
		"type":  match.Prefix("user:"),
		"score": match.And(match.Gte(1), match.Lt(match.Number("9.5"))),
	})
	b, _ := json.Marshal(m)
	fmt.Println(string(b))
	// Output: {"score":{"$and":[{"$gte":1},{"$lt":{"$number":"9.5"}}]},"type":{"$prefix":"user:"}}
}

func ExampleSet() {
	var s match.Set
	s.Add(1, match.MustCompile(match.Event{"name": "order:placed"}))
	s.Add(2, match.MustCompile(match.Event{"name": match.Regex(`order:.*`)}))
	s.Add(3, match.MustCompile(match.Event{"name": "user:created"}))
	doc := map[string]any{"event": map[string]any{"name": "order:placed", "attributes": map[string]any{}}}
	fmt.Println(s.Matches(doc, nil))
	// Output: [1 2]
}

func ExampleMatcher_SNSFilter() {
	m := match.MustCompile(match.Event{
		"name":     match.OneOf("order:placed", "order:paid"),
		"domain":   match.Not("test"),
		"channel":  "web",
		"subject":  match.Regex(`\d+`),
		"quantity": match.Gt(3),
	})
	f := m.SNSFilter()
	fmt.Println(f.Scope)
	fmt.Println(string(f.Policy))
	for _, r := range f.Residual {
		fmt.Printf("%s: %s\n", r.Key, r.Reason)
	}
	// Output:
	// MessageBody
	// {"$or":[{"event":{"attributes":{"channel":["web"]}}},{"event":{"channel":["web"]}}],"event":{"domain":[{"anything-but":["test"]},{"exists":false},null,""],"name":["order:placed","order:paid"]}}
	// quantity: SNS cannot express this test conservatively
	// subject: the policy would exceed SNS limits
}
