package filterpolicy

import "testing"

// FuzzParse: parsing any policy and matching any message against
// it never panics, and a policy that parses keeps its verdict when
// parsed again.
func FuzzParse(f *testing.F) {
	for _, seed := range []struct{ policy, body string }{
		{`{"store": ["example_corp"], "price": [{"numeric": [">", 0, "<=", 150]}]}`, `{"store": "example_corp", "price": 10}`},
		{`{"a": [{"anything-but": {"prefix": "x"}}], "$or": [{"b": [null]}, {"c": [{"exists": false}]}]}`, `{"a": "y", "b": null}`},
		{`{"order": {"items": {"sku": [{"suffix": "-1"}, {"equals-ignore-case": "X"}]}}}`, `{"order": {"items": [{"sku": "a-1"}]}}`},
		{`{"ip": [{"cidr": "10.0.0.0/8"}]}`, `{"ip": "10.1.2.3"}`},
		{`{"a": [1e400]}`, `{"a": 1e400}`},
		{`[]`, `[]`},
	} {
		f.Add(seed.policy, seed.body, true)
		f.Add(seed.policy, seed.body, false)
	}
	f.Fuzz(func(t *testing.T, policy, body string, bodyScope bool) {
		scope := MessageAttributes
		if bodyScope {
			scope = MessageBody
		}
		p, err := Parse(policy, scope)
		if err != nil {
			return
		}
		attrs := attributes{
			"a":     {"String", body},
			"store": {"String.Array", body},
			"price": {"Number", body},
		}
		verdict := p.Match(body, attrs)
		again, err := Parse(policy, scope)
		if err != nil {
			t.Fatalf("a policy parsed once and failed the second time: %v", err)
		}
		if again.Match(body, attrs) != verdict {
			t.Fatal("the same policy gave two verdicts on the same message")
		}
	})
}
