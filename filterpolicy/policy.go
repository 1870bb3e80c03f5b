package filterpolicy

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/netip"
	"strconv"
)

// SNS limits on a subscription filter policy.
const (
	// MaxKeys is the most keys a policy may test. AWS counts keys
	// differently for nested policies; [Build] counts every leaf, and
	// every leaf again in each branch of an "$or", which never falls
	// short of AWS's count.
	MaxKeys = 5
	// MaxCombinations is the most value combinations a policy may hold:
	// the product of the lengths of its value lists, summed over the
	// branches of an "$or".
	MaxCombinations = 150
	// MaxSize is the largest policy, in bytes.
	MaxSize = 256 << 10
)

// Errors. Every error of this package wraps one of them.
var (
	// ErrInvalid: the text is not a filter policy SNS accepts.
	ErrInvalid = errors.New("filterpolicy: invalid policy")
	// ErrLimit: the policy would exceed SNS's limits on keys,
	// combinations or size.
	ErrLimit = errors.New("filterpolicy: policy exceeds SNS limits")
)

// Scope is what a policy applies to: the FilterPolicyScope attribute of
// an SNS subscription.
type Scope string

// The scopes SNS offers.
const (
	// MessageAttributes, SNS's default: the policy tests message
	// attributes, and does not nest.
	MessageAttributes Scope = "MessageAttributes"
	// MessageBody: the policy tests the properties of a JSON body, and
	// nests like it.
	MessageBody Scope = "MessageBody"
)

type opKind uint8

const (
	opExact opKind = iota
	opPrefix
	opSuffix
	opEqualsIgnoreCase
	opAnythingBut
	opAnythingButPrefix
	opAnythingButSuffix
	opNumeric
	opExists
	opCIDR
)

var opNames = [...]string{
	opExact:             "",
	opPrefix:            "prefix",
	opSuffix:            "suffix",
	opEqualsIgnoreCase:  "equals-ignore-case",
	opAnythingBut:       "anything-but",
	opAnythingButPrefix: "anything-but",
	opAnythingButSuffix: "anything-but",
	opNumeric:           "numeric",
	opExists:            "exists",
	opCIDR:              "cidr",
}

// Condition is one entry of a key's list of conditions: a value the key
// must equal, or one operator. Build conditions with the functions of
// this package ([String], [Prefix], [Numeric], ...) or get them from
// [Parse]. A Condition is an immutable value, safe to share between
// goroutines.
type Condition struct {
	op     opKind
	value  value   // opExact
	values []value // opAnythingBut
	str    string  // prefix, suffix, equals-ignore-case, cidr
	exists bool    // opExists
	bounds []bound // opNumeric: one or two
	prefix netip.Prefix
}

// bound is one comparison of a numeric condition.
type bound struct {
	op   string // "=", "<", "<=", ">", ">="
	text string // the number as written
	n    float64
}

type valueKind uint8

const (
	kindString valueKind = iota
	kindNumber
	kindBool
	kindNull
)

// value is a leaf value of a message, or a literal of a policy. Numbers
// keep their text, for rendering, beside their value.
type value struct {
	kind valueKind
	s    string // a string, or a number's text
	n    float64
	b    bool
}

func (v value) equal(w value) bool {
	if v.kind != w.kind {
		return false
	}
	switch v.kind {
	case kindString:
		return v.s == w.s
	case kindNumber:
		return v.n == w.n
	case kindBool:
		return v.b == w.b
	}
	return true
}

// String is the condition that the value equals the string s.
func String(s string) Condition { return Condition{op: opExact, value: value{kind: kindString, s: s}} }

// Null is the condition that the value is null.
func Null() Condition { return Condition{op: opExact, value: value{kind: kindNull}} }

// Prefix is the condition that the value is a string beginning with s.
func Prefix(s string) Condition { return Condition{op: opPrefix, str: s} }

// Suffix is the condition that the value is a string ending with s.
func Suffix(s string) Condition { return Condition{op: opSuffix, str: s} }

// Exists is the condition that the key is present (a leaf value neither
// null nor "") or, with false, absent.
func Exists(present bool) Condition { return Condition{op: opExists, exists: present} }

// AnythingBut is the condition that the value is a non-empty string none
// of strs.
func AnythingBut(strs ...string) Condition {
	vals := make([]value, len(strs))
	for i, s := range strs {
		vals[i] = value{kind: kindString, s: s}
	}
	return Condition{op: opAnythingBut, values: vals}
}

// AnythingButPrefix is the condition that the value is a non-empty
// string that does not begin with s.
func AnythingButPrefix(s string) Condition { return Condition{op: opAnythingButPrefix, str: s} }

// Numeric is the condition that the value is a number satisfying one
// comparison (op one of "=", "<", "<=", ">", ">=") or a range (a lower
// bound with ">" or ">=", then an upper bound with "<" or "<="), as in
// Numeric(">=", "1", "<=", "10"). Numbers are decimal text. An invalid
// comparison fails with ErrInvalid.
func Numeric(opsAndNumbers ...string) (Condition, error) {
	list := make([]any, len(opsAndNumbers))
	for i, s := range opsAndNumbers {
		if i%2 == 0 {
			list[i] = s
			continue
		}
		if n, err := decodeJSON(s); err == nil {
			list[i] = n // a json.Number when s is a JSON number
		}
	}
	c, err := parseNumeric(list, "condition")
	if err != nil {
		return Condition{}, fmt.Errorf("%w: %w", ErrInvalid, err)
	}
	return c, nil
}

// Operator returns the operator of the condition as written in a policy
// ("prefix", "anything-but", "numeric", ...), or "" for a value to equal.
func (c Condition) Operator() string { return opNames[c.op] }

// MarshalJSON renders the condition as it stands in a policy.
func (c Condition) MarshalJSON() ([]byte, error) {
	var b []byte
	switch c.op {
	case opExact:
		return c.value.appendJSON(nil), nil
	case opPrefix, opSuffix, opEqualsIgnoreCase, opCIDR:
		b = appendString(append(b, '{'), opNames[c.op])
		b = appendString(append(b, ':'), c.str)
	case opExists:
		b = append(appendString(append(b, '{'), "exists"), ':')
		b = strconv.AppendBool(b, c.exists)
	case opAnythingBut:
		b = append(appendString(append(b, '{'), "anything-but"), ":["...)
		for i, v := range c.values {
			if i > 0 {
				b = append(b, ',')
			}
			b = v.appendJSON(b)
		}
		b = append(b, ']')
	case opAnythingButPrefix, opAnythingButSuffix:
		inner := "prefix"
		if c.op == opAnythingButSuffix {
			inner = "suffix"
		}
		b = append(appendString(append(b, '{'), "anything-but"), ":{"...)
		b = appendString(append(appendString(b, inner), ':'), c.str)
		b = append(b, '}')
	case opNumeric:
		b = append(appendString(append(b, '{'), "numeric"), ":["...)
		for i, bd := range c.bounds {
			if i > 0 {
				b = append(b, ',')
			}
			b = append(append(appendString(b, bd.op), ','), bd.text...)
		}
		b = append(b, ']')
	}
	return append(b, '}'), nil
}

func (v value) appendJSON(b []byte) []byte {
	switch v.kind {
	case kindString:
		return appendString(b, v.s)
	case kindNumber:
		return append(b, v.s...)
	case kindBool:
		return strconv.AppendBool(b, v.b)
	}
	return append(b, "null"...)
}

// appendString appends s as a JSON string, without escaping HTML
// characters, which SNS reads literally.
func appendString(b []byte, s string) []byte {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(s) // a string always encodes
	return append(b, bytes.TrimSuffix(buf.Bytes(), []byte("\n"))...)
}

// Leaf is one tested key of a policy being built: the path of body
// properties (or the one attribute name) down to the key, and the
// conditions, one of which must hold there.
type Leaf struct {
	Path       []string
	Conditions []Condition
}

// Build renders the policy that requires every leaf of all and, for each
// element of choices, one of its alternatives (each a conjunction of
// leaves). Choices are distributed into one top-level "$or". Build fails
// with ErrLimit when the policy would test more than MaxKeys keys, hold
// more than MaxCombinations combinations or exceed MaxSize bytes, and
// with ErrInvalid when it tests nothing, when two leaves of one branch
// share a path or one lies under another, or when the result is not a
// valid MessageBody policy.
func Build(all []Leaf, choices [][][]Leaf) ([]byte, error) {
	keys := len(all)
	combos := 1
	for _, l := range all {
		combos *= len(l.Conditions)
	}
	branches := [][]Leaf{nil}
	for _, alts := range choices {
		var next [][]Leaf
		for _, b := range branches {
			for _, alt := range alts {
				next = append(next, append(b[:len(b):len(b)], alt...))
			}
		}
		branches = next
	}
	if len(choices) > 0 {
		sum := 0
		for _, b := range branches {
			keys += len(b)
			c := 1
			for _, l := range b {
				c *= len(l.Conditions)
			}
			sum += c
		}
		combos *= sum
	}
	switch {
	case keys == 0:
		return nil, fmt.Errorf("%w: the policy tests nothing", ErrInvalid)
	case keys > MaxKeys:
		return nil, fmt.Errorf("%w: %d keys, more than %d", ErrLimit, keys, MaxKeys)
	case combos > MaxCombinations:
		return nil, fmt.Errorf("%w: %d combinations, more than %d", ErrLimit, combos, MaxCombinations)
	}
	root := map[string]any{}
	for _, l := range all {
		if err := setPath(root, l); err != nil {
			return nil, err
		}
	}
	if len(choices) > 0 {
		or := make([]any, len(branches))
		for i, b := range branches {
			m := map[string]any{}
			for _, l := range b {
				if err := setPath(m, l); err != nil {
					return nil, err
				}
			}
			or[i] = m
		}
		root["$or"] = or
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(root); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrInvalid, err)
	}
	js := bytes.TrimSuffix(buf.Bytes(), []byte("\n"))
	if len(js) > MaxSize {
		return nil, fmt.Errorf("%w: %d bytes, more than %d", ErrLimit, len(js), MaxSize)
	}
	if _, err := Parse(string(js), MessageBody); err != nil {
		return nil, err
	}
	return js, nil
}

// setPath puts the leaf's conditions at its path, which no other leaf
// of the same object may share or lie under.
func setPath(m map[string]any, l Leaf) error {
	path := l.Path
	if len(path) == 0 {
		return fmt.Errorf("%w: a leaf without a path", ErrInvalid)
	}
	for _, k := range path[:len(path)-1] {
		next, ok := m[k].(map[string]any)
		if !ok {
			if _, taken := m[k]; taken {
				return fmt.Errorf("%w: two leaves on the path %q", ErrInvalid, path)
			}
			next = map[string]any{}
			m[k] = next
		}
		m = next
	}
	if _, taken := m[path[len(path)-1]]; taken {
		return fmt.Errorf("%w: two leaves on the path %q", ErrInvalid, path)
	}
	m[path[len(path)-1]] = l.Conditions
	return nil
}
