package protocol_test

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"testing"

	"github.com/sqs-mega/sqs-mega-go/codec"
	"github.com/sqs-mega/sqs-mega-go/internal/vectors"
	"github.com/sqs-mega/sqs-mega-go/protocol"
)

func addDecodeSeeds(f *testing.F) {
	vs, err := vectors.Load("decode.json")
	if err != nil {
		f.Fatal(err)
	}
	for _, v := range vs {
		f.Add(vectorBody(f, v))
	}
	es, err := vectors.Load("encode.json")
	if err != nil {
		f.Fatal(err)
	}
	for _, v := range es {
		if pb, ok := v["expected"].(map[string]any)["python_body"].(string); ok {
			f.Add(pb)
		}
	}
}

// FuzzDecode checks that any body decodes without panicking to exactly
// one of the kinds, that documents survive a round trip through our own
// encoder in both encodings, and that the result renders as JSON.
func FuzzDecode(f *testing.F) {
	addDecodeSeeds(f)
	f.Fuzz(func(t *testing.T, body string) {
		m, err := protocol.Decode(body)
		if (err != nil) != (m.Kind == protocol.KindInvalid) {
			t.Fatalf("kind %s with error %v", m.Kind, err)
		}
		if err != nil && !errors.Is(err, protocol.ErrInvalidPayload) {
			t.Fatalf("unexpected error %v", err)
		}
		out, jerr := json.Marshal(m)
		if jerr != nil {
			t.Fatalf("rendering %s: %v", m.Kind, jerr)
		}
		if m.Kind != protocol.KindMega && m.Kind != protocol.KindData {
			return
		}
		if m.SNS != nil {
			return // the envelope is not re-published
		}
		for _, enc := range []protocol.Encoding{protocol.JSON, protocol.BSON} {
			again, err := (&protocol.Encoder{Encoding: enc, MaxSize: 1 << 30}).Encode(m.Payload)
			if err != nil {
				// Only numbers BSON cannot hold, and data carrying the MEGA
				// header in another number form, may be refused.
				continue
			}
			m2, err := protocol.Decode(again)
			if err != nil {
				t.Fatalf("%s re-encoding %q of %q does not decode: %v", enc, again, body, err)
			}
			if m2.Kind != m.Kind {
				t.Fatalf("%s round trip changed kind %s to %s (%q)", enc, m.Kind, m2.Kind, again)
			}
			out2, _ := json.Marshal(m2)
			a, _ := vectors.Unmarshal(out)
			b, _ := vectors.Unmarshal(out2)
			if enc == protocol.JSON {
				if d := vectors.EqualDecoded(b.(map[string]any), a.(map[string]any)); d != "" {
					t.Fatalf("JSON round trip of %q: %s", body, d)
				}
			}
		}
	})
}

// FuzzDecodeBSON feeds raw bytes to the BSON path: they must decode or be
// refused without panicking, and a decoded document must encode again.
func FuzzDecodeBSON(f *testing.F) {
	vs, err := vectors.Load("decode.json")
	if err != nil {
		f.Fatal(err)
	}
	for _, v := range vs {
		if raw, err := base64.StdEncoding.DecodeString(vectorBody(f, v)); err == nil && len(raw) > 0 {
			f.Add(raw)
		}
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		doc, err := codec.DecodeBSON(raw)
		if err != nil {
			if !errors.Is(err, codec.ErrMalformed) {
				t.Fatalf("error %v does not wrap ErrMalformed", err)
			}
			return
		}
		out, err := codec.EncodeBSON(doc)
		if err != nil {
			return // a decimal128 beyond int64 or a non-finite double
		}
		if _, err := codec.DecodeBSON(out); err != nil {
			t.Fatalf("re-encoded document does not decode: %v", err)
		}
		m, err := protocol.Decode(base64.StdEncoding.EncodeToString(raw))
		if m.Kind != protocol.KindMega && m.Kind != protocol.KindData && m.Kind != protocol.KindInvalid {
			t.Fatalf("a well-formed BSON document decoded as %s (%v)", m.Kind, err)
		}
	})
}
