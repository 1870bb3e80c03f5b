package protocol_test

import (
	"encoding/json"
	"errors"
	"testing"

	"github.com/sqs-mega/sqs-mega-go/internal/vectors"
	"github.com/sqs-mega/sqs-mega-go/protocol"
)

func vectorBody(t testing.TB, v map[string]any) string {
	b, err := vectors.Body(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// decodedForm renders a decoded message as the vectors write it.
func decodedForm(t testing.TB, m protocol.Message) map[string]any {
	t.Helper()
	b, err := json.Marshal(m)
	if err != nil {
		t.Fatalf("marshal: %v", err)
	}
	v, err := vectors.Unmarshal(b)
	if err != nil {
		t.Fatalf("unmarshal %s: %v", b, err)
	}
	return v.(map[string]any)
}

func TestDecodeVectors(t *testing.T) {
	vs, err := vectors.Load("decode.json")
	if err != nil {
		t.Fatal(err)
	}
	for _, v := range vs {
		t.Run(v["id"].(string), func(t *testing.T) {
			want := v["expected"].(map[string]any)
			m, err := (&protocol.Decoder{TopicARNs: vectors.TopicARNs(v)}).Decode(vectorBody(t, v))
			if want["kind"] == "invalid" {
				if !errors.Is(err, protocol.ErrInvalidPayload) || m.Kind != protocol.KindInvalid {
					t.Fatalf("got kind %s, err %v; want an invalid MEGA payload", m.Kind, err)
				}
				var fe *protocol.FieldError
				if !errors.As(err, &fe) || fe.Path == "" {
					t.Fatalf("error %v names no field", err)
				}
				return
			}
			if err != nil {
				t.Fatalf("Decode: %v", err)
			}
			if d := vectors.EqualDecoded(decodedForm(t, m), want); d != "" {
				t.Errorf("%s\n%s", v["description"], d)
			}
		})
	}
}

func TestEncodeVectors(t *testing.T) {
	vs, err := vectors.Load("encode.json")
	if err != nil {
		t.Fatal(err)
	}
	for _, v := range vs {
		t.Run(v["id"].(string), func(t *testing.T) {
			want := v["expected"].(map[string]any)
			body, err := vectors.Publish(v)
			if reason, ok := want["error"]; ok {
				if err == nil {
					t.Fatalf("published %q; want an error (%s)", body, reason)
				}
				return
			}
			if err != nil {
				t.Fatalf("Encode: %v", err)
			}
			if v["encoding"] == "bson" && json.Valid([]byte(body)) {
				t.Fatalf("BSON encoding produced JSON: %s", body)
			}
			m, err := protocol.Decode(body)
			if err != nil {
				t.Fatalf("decoding our body %q: %v", body, err)
			}
			decoded := want["decoded"].(map[string]any)
			if d := vectors.EqualDecoded(decodedForm(t, m), decoded); d != "" {
				t.Errorf("our body %q decodes differently: %s", body, d)
			}
			// The Python library's body decodes to the same thing.
			if pb, ok := want["python_body"].(string); ok {
				m, err := protocol.Decode(pb)
				if err != nil {
					t.Fatalf("decoding the Python body: %v", err)
				}
				if d := vectors.EqualDecoded(decodedForm(t, m), decoded); d != "" {
					t.Errorf("Python body: %s", d)
				}
			}
		})
	}
}
