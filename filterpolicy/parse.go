package filterpolicy

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/netip"
	"slices"
	"strings"
)

// Policy is a parsed filter policy. It is immutable and safe for
// concurrent use.
type Policy struct {
	scope Scope
	root  *node
}

// node is one object level of a policy: every key must hold, and so
// must one alternative of each "$or".
type node struct {
	keys []key
	ors  [][]*node
}

// key is one key of a policy object: a list of conditions of which one
// must hold, or (in the MessageBody scope) a nested object.
type key struct {
	name  string
	conds []Condition
	child *node
}

// Parse parses and validates a filter policy for the given scope ("" is
// MessageAttributes, SNS's default). Errors wrap ErrInvalid, or ErrLimit
// for a policy larger than MaxSize.
func Parse(policy string, scope Scope) (*Policy, error) {
	switch scope {
	case "":
		scope = MessageAttributes
	case MessageAttributes, MessageBody:
	default:
		return nil, fmt.Errorf("%w: scope %q is not MessageAttributes or MessageBody", ErrInvalid, scope)
	}
	if len(policy) > MaxSize {
		return nil, fmt.Errorf("%w: %d bytes, more than %d", ErrLimit, len(policy), MaxSize)
	}
	doc, err := decodeJSON(policy)
	if err != nil {
		return nil, fmt.Errorf("%w: not valid JSON: %w", ErrInvalid, err)
	}
	obj, ok := doc.(map[string]any)
	if !ok || len(obj) == 0 {
		return nil, fmt.Errorf("%w: a policy is a non-empty JSON object", ErrInvalid)
	}
	root, err := parseNode(obj, scope == MessageBody, "")
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrInvalid, err)
	}
	return &Policy{scope: scope, root: root}, nil
}

// Scope returns the scope the policy was parsed for.
func (p *Policy) Scope() Scope { return p.scope }

// decodeJSON decodes one JSON document, numbers as json.Number.
func decodeJSON(s string) (any, error) {
	dec := json.NewDecoder(strings.NewReader(s))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, err
	}
	if dec.More() {
		return nil, errors.New("trailing data after the JSON document")
	}
	return v, nil
}

func parseNode(obj map[string]any, body bool, path string) (*node, error) {
	n := &node{}
	names := make([]string, 0, len(obj))
	for k := range obj {
		names = append(names, k)
	}
	slices.Sort(names)
	for _, k := range names {
		v := obj[k]
		where := path + k
		if k == "$or" {
			alts, ok := v.([]any)
			if !ok || len(alts) < 2 {
				return nil, fmt.Errorf("%s: $or takes an array of at least two policy objects", where)
			}
			var or []*node
			for i, a := range alts {
				o, ok := a.(map[string]any)
				if !ok || len(o) == 0 {
					return nil, fmt.Errorf("%s[%d]: not a non-empty policy object", where, i)
				}
				alt, err := parseNode(o, body, fmt.Sprintf("%s[%d].", where, i))
				if err != nil {
					return nil, err
				}
				or = append(or, alt)
			}
			n.ors = append(n.ors, or)
			continue
		}
		switch v := v.(type) {
		case []any:
			conds, err := parseConditions(v, where)
			if err != nil {
				return nil, err
			}
			n.keys = append(n.keys, key{name: k, conds: conds})
		case map[string]any:
			if !body {
				return nil, fmt.Errorf("%s: nested objects need the MessageBody scope", where)
			}
			if len(v) == 0 {
				return nil, fmt.Errorf("%s: empty object", where)
			}
			child, err := parseNode(v, body, where+".")
			if err != nil {
				return nil, err
			}
			n.keys = append(n.keys, key{name: k, child: child})
		default:
			return nil, fmt.Errorf("%s: a policy value is an array of conditions", where)
		}
	}
	return n, nil
}

// literal converts a JSON scalar, of a policy or a message.
func literal(v any) (value, bool) {
	switch v := v.(type) {
	case string:
		return value{kind: kindString, s: v}, true
	case json.Number:
		f, err := v.Float64()
		if err != nil {
			return value{}, false
		}
		return value{kind: kindNumber, s: string(v), n: f}, true
	case bool:
		return value{kind: kindBool, b: v}, true
	case nil:
		return value{kind: kindNull}, true
	}
	return value{}, false
}

func parseConditions(list []any, where string) ([]Condition, error) {
	if len(list) == 0 {
		return nil, fmt.Errorf("%s: empty array of conditions", where)
	}
	conds := make([]Condition, 0, len(list))
	for i, item := range list {
		at := fmt.Sprintf("%s[%d]", where, i)
		if v, ok := literal(item); ok {
			conds = append(conds, Condition{op: opExact, value: v})
			continue
		}
		op, ok := item.(map[string]any)
		if !ok || len(op) != 1 {
			return nil, fmt.Errorf("%s: a condition is a string, number, boolean, null or an object with one operator", at)
		}
		for name, arg := range op {
			c, err := parseOperator(name, arg, at)
			if err != nil {
				return nil, err
			}
			conds = append(conds, c)
		}
	}
	return conds, nil
}

func parseOperator(name string, arg any, at string) (Condition, error) {
	bad := func(format string, args ...any) (Condition, error) {
		return Condition{}, fmt.Errorf("%s: %s: %s", at, name, fmt.Sprintf(format, args...))
	}
	str := func() (string, bool) { s, ok := arg.(string); return s, ok }
	switch name {
	case "prefix", "suffix", "equals-ignore-case":
		s, ok := str()
		if !ok {
			return bad("takes a string")
		}
		op := map[string]opKind{"prefix": opPrefix, "suffix": opSuffix, "equals-ignore-case": opEqualsIgnoreCase}[name]
		return Condition{op: op, str: s}, nil
	case "exists":
		b, ok := arg.(bool)
		if !ok {
			return bad("takes true or false")
		}
		return Condition{op: opExists, exists: b}, nil
	case "cidr":
		s, ok := str()
		if !ok {
			return bad("takes a string")
		}
		p, err := netip.ParsePrefix(s)
		if err != nil {
			return bad("%v", err)
		}
		return Condition{op: opCIDR, str: s, prefix: p.Masked()}, nil
	case "anything-but":
		switch a := arg.(type) {
		case []any:
			if len(a) == 0 {
				return bad("takes a non-empty list")
			}
			var vals []value
			for _, x := range a {
				v, ok := literal(x)
				if !ok || (v.kind != kindString && v.kind != kindNumber) {
					return bad("lists strings or numbers")
				}
				vals = append(vals, v)
			}
			return Condition{op: opAnythingBut, values: vals}, nil
		case map[string]any:
			if len(a) != 1 {
				return bad("takes one nested operator")
			}
			for k, x := range a {
				s, ok := x.(string)
				switch {
				case !ok:
					return bad("%s takes a string", k)
				case k == "prefix":
					return Condition{op: opAnythingButPrefix, str: s}, nil
				case k == "suffix":
					return Condition{op: opAnythingButSuffix, str: s}, nil
				}
				return bad("nests only prefix or suffix, not %q", k)
			}
		default:
			v, ok := literal(a)
			if !ok || (v.kind != kindString && v.kind != kindNumber) {
				return bad("takes a string, a number, a list of them, or a prefix or suffix")
			}
			return Condition{op: opAnythingBut, values: []value{v}}, nil
		}
	case "numeric":
		return parseNumeric(arg, at)
	default:
		return bad("unknown operator")
	}
	return bad("takes a string, a number, a list of them, or a prefix or suffix")
}

func parseNumeric(arg any, at string) (Condition, error) {
	bad := func(why string) (Condition, error) {
		return Condition{}, fmt.Errorf("%s: numeric: %s", at, why)
	}
	list, ok := arg.([]any)
	if !ok || (len(list) != 2 && len(list) != 4) {
		return bad(`takes ["op", n] or [">" or ">=", n, "<" or "<=", n]`)
	}
	var bs []bound
	for i := 0; i < len(list); i += 2 {
		op, ok := list[i].(string)
		num, isNum := list[i+1].(json.Number)
		if !ok || !isNum {
			return bad("operators are strings and operands numbers")
		}
		f, err := num.Float64()
		if err != nil {
			return bad(err.Error())
		}
		switch op {
		case "=", "<", "<=", ">", ">=":
		default:
			return bad(fmt.Sprintf("unknown operator %q", op))
		}
		bs = append(bs, bound{op: op, text: string(num), n: f})
	}
	if len(bs) == 2 {
		lo, hi := bs[0], bs[1]
		if (lo.op != ">" && lo.op != ">=") || (hi.op != "<" && hi.op != "<=") || lo.n > hi.n {
			return bad("a range is a lower bound (> or >=) then a higher upper bound (< or <=)")
		}
	}
	return Condition{op: opNumeric, bounds: bs}, nil
}
