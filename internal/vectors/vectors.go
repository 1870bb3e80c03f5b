package vectors

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"math/big"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"time"

	"github.com/sqs-mega/sqs-mega-go/protocol"
)

// Dir is the directory holding the conformance vectors.
func Dir() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "..", "..", "testdata", "conformance")
}

// Load reads testdata/conformance/<name> and returns its vectors, with
// numbers kept as json.Number.
func Load(name string) ([]map[string]any, error) {
	b, err := os.ReadFile(filepath.Join(Dir(), name))
	if err != nil {
		return nil, err
	}
	var f struct {
		Vectors []map[string]any `json:"vectors"`
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	if err := dec.Decode(&f); err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	return f.Vectors, nil
}

// Unmarshal parses JSON keeping numbers as json.Number.
func Unmarshal(b []byte) (any, error) {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var v any
	err := dec.Decode(&v)
	return v, err
}

// Equal compares two JSON values: objects by keys, arrays in order,
// numbers by decimal value. It returns "" when they are equal, or the path
// of the first difference and what differs.
func Equal(got, want any) string {
	return equal("$", got, want, false)
}

// EqualDecoded compares a decoded message in the `mega decode` form
// ({kind, payload, sns}) with a vector's expectation: as Equal, except
// that a MEGA payload's event.timestamp compares as an instant truncated
// to whole microseconds, a missing expected payload is not compared, and
// text that is not UTF-8 compares by its payload_base64.
func EqualDecoded(got, want map[string]any) string {
	if d := equal("$.kind", got["kind"], want["kind"], false); d != "" {
		return d
	}
	if d := equal("$.sns", got["sns"], want["sns"], false); d != "" {
		return d
	}
	if wb, ok := want["payload_base64"]; ok {
		return equal("$.payload_base64", got["payload_base64"], wb, false)
	}
	wp, ok := want["payload"]
	if !ok {
		return ""
	}
	return equal("$.payload", got["payload"], wp, want["kind"] == "mega")
}

func equal(path string, got, want any, mega bool) string {
	switch w := want.(type) {
	case map[string]any:
		g, ok := got.(map[string]any)
		if !ok {
			return fmt.Sprintf("%s: got %s, want an object", path, show(got))
		}
		keys := make([]string, 0, len(w)+len(g))
		for k := range w {
			keys = append(keys, k)
		}
		for k := range g {
			if _, ok := w[k]; !ok {
				keys = append(keys, k)
			}
		}
		sort.Strings(keys)
		for _, k := range keys {
			gv, gok := g[k]
			wv, wok := w[k]
			p := path + "." + k
			if gok != wok {
				if !gok {
					return fmt.Sprintf("%s: missing, want %s", p, show(wv))
				}
				return fmt.Sprintf("%s: got %s, want no such key", p, show(gv))
			}
			if mega && p == "$.payload.event.timestamp" {
				if d := sameInstant(p, gv, wv); d != "" {
					return d
				}
				continue
			}
			if d := equal(p, gv, wv, mega); d != "" {
				return d
			}
		}
		return ""
	case []any:
		g, ok := got.([]any)
		if !ok || len(g) != len(w) {
			return fmt.Sprintf("%s: got %s, want %s", path, show(got), show(want))
		}
		for i := range w {
			if d := equal(fmt.Sprintf("%s[%d]", path, i), g[i], w[i], mega); d != "" {
				return d
			}
		}
		return ""
	case json.Number:
		g, ok := got.(json.Number)
		if !ok {
			return fmt.Sprintf("%s: got %s, want the number %s", path, show(got), w)
		}
		a, aok := new(big.Rat).SetString(string(g))
		b, bok := new(big.Rat).SetString(string(w))
		if !aok || !bok || a.Cmp(b) != 0 {
			return fmt.Sprintf("%s: got %s, want %s", path, g, w)
		}
		return ""
	default:
		if got != want {
			return fmt.Sprintf("%s: got %s, want %s", path, show(got), show(want))
		}
		return ""
	}
}

func sameInstant(path string, got, want any) string {
	gs, _ := got.(string)
	ws, _ := want.(string)
	g, err1 := time.Parse(time.RFC3339Nano, gs)
	w, err2 := time.Parse(time.RFC3339Nano, ws)
	if err1 != nil || err2 != nil || !g.Truncate(time.Microsecond).Equal(w.Truncate(time.Microsecond)) {
		return fmt.Sprintf("%s: got %s, want the instant %s", path, show(got), show(want))
	}
	return ""
}

func show(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprintf("%v", v)
	}
	if len(b) > 200 {
		b = append(b[:200], "…"...)
	}
	return string(b)
}

// Body returns a decode vector's message body, from "body" or from
// "body_base64" when its bytes are not UTF-8.
func Body(v map[string]any) (string, error) {
	if b, ok := v["body"].(string); ok {
		return b, nil
	}
	s, _ := v["body_base64"].(string)
	raw, err := base64.StdEncoding.DecodeString(s)
	if err != nil {
		return "", fmt.Errorf("%v: body_base64: %w", v["id"], err)
	}
	return string(raw), nil
}

// TopicARNs returns a decode vector's options.sns_topic_arns.
func TopicARNs(v map[string]any) []string {
	var arns []string
	if opts, ok := v["options"].(map[string]any); ok {
		for _, a := range opts["sns_topic_arns"].([]any) {
			arns = append(arns, a.(string))
		}
	}
	return arns
}

// Publish encodes an encode vector's input the way a user would publish
// it: text and bytes as such, a data document, or a MEGA document through
// protocol.ParseMega.
func Publish(v map[string]any) (string, error) {
	enc := protocol.Encoder{}
	if v["encoding"] == "bson" {
		enc.Encoding = protocol.BSON
	}
	input := v["input"]
	switch kind := v["input_kind"]; kind {
	case "text":
		return enc.Encode(protocol.NewText(input.(string)))
	case "bytes":
		raw, err := base64.StdEncoding.DecodeString(input.(string))
		if err != nil {
			return "", err
		}
		return enc.Encode(protocol.NewBinary(raw))
	case "data":
		doc, _ := input.(map[string]any)
		if input != nil && doc == nil {
			return "", errors.New("a data payload must be an object")
		}
		return enc.Encode(protocol.NewData(doc))
	case "mega":
		doc, _ := input.(map[string]any)
		m, err := protocol.ParseMega(doc)
		if err != nil {
			return "", err
		}
		return enc.Encode(protocol.Payload{Kind: protocol.KindMega, Mega: m})
	default:
		return "", fmt.Errorf("unknown input kind %v", kind)
	}
}
