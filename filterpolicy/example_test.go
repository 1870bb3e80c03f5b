package filterpolicy_test

import (
	"fmt"

	"github.com/sqs-mega/sqs-mega-go/filterpolicy"
)

func Example() {
	policy, err := filterpolicy.Build([]filterpolicy.Leaf{
		{Path: []string{"order", "status"}, Conditions: []filterpolicy.Condition{filterpolicy.String("paid")}},
		{Path: []string{"order", "sku"}, Conditions: []filterpolicy.Condition{filterpolicy.Prefix("b-")}},
	}, nil)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(string(policy))

	p, err := filterpolicy.Parse(string(policy), filterpolicy.MessageBody)
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, body := range []string{
		`{"order": {"status": "paid", "sku": ["a-1", "b-2"]}}`,
		`{"order": {"status": "open", "sku": "b-2"}}`,
	} {
		fmt.Println(p.Match(body, nil))
	}
	// Output:
	// {"order":{"sku":[{"prefix":"b-"}],"status":["paid"]}}
	// true
	// false
}
