package match

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
)

// Parse reads a pattern in its JSON form (SPEC.md §3) and returns it as a
// Go pattern: objects with a "$" key become [Op] values, other objects
// map[string]any, arrays []any and numbers json.Number, so that numbers
// keep their exact decimal value. Parse also compiles the pattern, so an
// invalid pattern fails here with an error matching [ErrInvalidPattern].
//
// The result is a data (value) pattern; use [ParseEvent] for an event
// pattern.
func Parse(data []byte) (any, error) {
	p, err := parseJSON(data)
	if err != nil {
		return nil, err
	}
	if _, err := compilePattern(p, "", 0); err != nil {
		return nil, err
	}
	return p, nil
}

// ParseEvent reads an event pattern in its JSON form: an object whose keys
// are event fields or attribute names (see [Event]).
func ParseEvent(data []byte) (Event, error) {
	p, err := parseJSON(data)
	if err != nil {
		return nil, err
	}
	m, ok := p.(map[string]any)
	if !ok {
		return nil, &PatternError{Reason: "an event pattern must be a JSON object"}
	}
	e := Event(m)
	if _, err := compileEvent(e); err != nil {
		return nil, err
	}
	return e, nil
}

func parseJSON(data []byte) (any, error) {
	if len(data) > MaxPatternSize {
		return nil, &PatternError{Reason: fmt.Sprintf("pattern larger than %d bytes", MaxPatternSize)}
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, &PatternError{Reason: "not valid JSON: " + err.Error(), Err: err}
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return nil, &PatternError{Reason: "not valid JSON: data after the pattern"}
	}
	return fromJSON(v, "", 0)
}

// fromJSON converts a decoded JSON value into the canonical Go form.
func fromJSON(v any, path string, depth int) (any, error) {
	if depth > MaxDepth {
		return nil, &PatternError{Path: path, Reason: fmt.Sprintf("pattern nested deeper than %d levels", MaxDepth)}
	}
	switch x := v.(type) {
	case []any:
		if len(x) > MaxListLen {
			return nil, &PatternError{Path: path, Reason: fmt.Sprintf("a list holds %d items, more than %d", len(x), MaxListLen)}
		}
		for i, it := range x {
			c, err := fromJSON(it, path+"["+strconv.Itoa(i)+"]", depth+1)
			if err != nil {
				return nil, err
			}
			x[i] = c
		}
		return x, nil
	case map[string]any:
		var op string
		for k := range x {
			if strings.HasPrefix(k, "$") {
				op = k
				break
			}
		}
		if op == "" {
			for k, it := range x {
				c, err := fromJSON(it, joinKey(path, k), depth+1)
				if err != nil {
					return nil, err
				}
				x[k] = c
			}
			return x, nil
		}
		if len(x) != 1 {
			return nil, &PatternError{Path: path, Reason: fmt.Sprintf("an object with an operator key (%s) must have exactly one key", op)}
		}
		if !knownOp(op) {
			return nil, &PatternError{Path: path, Reason: "unknown operator " + op}
		}
		arg, err := fromJSON(x[op], joinKey(path, op), depth+1)
		if err != nil {
			return nil, err
		}
		return Op{op, arg}, nil
	}
	return v, nil
}

// marshalPattern encodes any Go pattern in its JSON form.
func marshalPattern(p any) ([]byte, error) {
	c, err := normalize(p, "", 0)
	if err != nil {
		return nil, err
	}
	return encodeCanonical(nil, c)
}

// encodeCanonical appends the JSON form of a canonical pattern, with
// object keys sorted.
func encodeCanonical(b []byte, p any) ([]byte, error) {
	var err error
	switch x := p.(type) {
	case nil:
		return append(b, "null"...), nil
	case bool:
		return strconv.AppendBool(b, x), nil
	case string:
		return appendString(b, x), nil
	case json.Number:
		if _, ok := parseNumberText(string(x)); !ok {
			return nil, &PatternError{Reason: fmt.Sprintf("%q is not a number", string(x))}
		}
		return append(b, x...), nil
	case []any:
		b = append(b, '[')
		for i, it := range x {
			if i > 0 {
				b = append(b, ',')
			}
			if b, err = encodeCanonical(b, it); err != nil {
				return nil, err
			}
		}
		return append(b, ']'), nil
	case map[string]any:
		b = append(b, '{')
		for i, k := range sortedKeys(x) {
			if i > 0 {
				b = append(b, ',')
			}
			b = appendString(b, k)
			b = append(b, ':')
			if b, err = encodeCanonical(b, x[k]); err != nil {
				return nil, err
			}
		}
		return append(b, '}'), nil
	case Op:
		b = append(b, '{')
		b = appendString(b, x.name)
		b = append(b, ':')
		if b, err = encodeCanonical(b, x.arg); err != nil {
			return nil, err
		}
		return append(b, '}'), nil
	}
	return nil, &PatternError{Reason: fmt.Sprintf("a pattern cannot hold a Go %T", p)}
}

func appendString(b []byte, s string) []byte {
	q, _ := json.Marshal(s) // a string always marshals
	return append(b, q...)
}
