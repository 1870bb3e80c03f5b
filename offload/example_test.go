package offload_test

import (
	"fmt"

	"github.com/sqs-mega/sqs-mega-go/offload"
)

func ExamplePointer_Body() {
	p := offload.Pointer{Bucket: "my-payloads", Key: "mega/4f1d1f0e"}
	fmt.Println(p.Body())
	back, err := offload.ParsePointer(`["software.amazon.payloadoffloading.PayloadS3Pointer", {"s3BucketName": "my-payloads", "s3Key": "mega/4f1d1f0e"}]`)
	fmt.Println(back == p, err)
	// Output:
	// ["software.amazon.payloadoffloading.PayloadS3Pointer",{"s3BucketName":"my-payloads","s3Key":"mega/4f1d1f0e"}]
	// true <nil>
}
