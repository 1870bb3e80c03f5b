package s3store_test

import (
	"context"
	"fmt"

	"github.com/sqs-mega/sqs-mega-go/transport/s3store"
)

func ExampleDial() {
	// A store on a local S3-compatible server; on AWS, leave out
	// WithEndpoint and the credentials come from the environment.
	store, err := s3store.Dial(context.Background(),
		s3store.WithEndpoint("http://127.0.0.1:5000"), s3store.WithRegion("us-east-1"), s3store.WithSSES3())
	fmt.Println(store != nil, err)
	// Output: true <nil>
}
