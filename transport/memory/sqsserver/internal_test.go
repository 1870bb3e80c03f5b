package sqsserver

import "testing"

func TestAttributesMD5(t *testing.T) {
	str := func(v string) *string { return &v }
	// Expected values follow the algorithm AWS documents for
	// MD5OfMessageAttributes (computed independently with moto's
	// implementation of it).
	tests := []struct {
		name  string
		attrs map[string]attributeValue
		want  string
	}{
		{"none", nil, ""},
		{"one number", map[string]attributeValue{"timestamp": {DataType: "Number", StringValue: str("1493147359900")}}, "235c5c510d26fb653d073faed50ae77c"},
		{"string, custom number and binary", map[string]attributeValue{
			"b": {DataType: "Binary", BinaryValue: []byte{0, 1, 0xff}},
			"a": {DataType: "String", StringValue: str("héllo")},
			"n": {DataType: "Number.float", StringValue: str("3.14")},
		}, "b86c6577cb22dc4ea8eb705a075b0e21"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := attributesMD5(tt.attrs); got != tt.want {
				t.Errorf("attributesMD5 = %q, want %q", got, tt.want)
			}
		})
	}
}
