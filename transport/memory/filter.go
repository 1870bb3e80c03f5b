package memory

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/netip"
	"slices"
	"strconv"
	"strings"

	"github.com/sqs-mega/sqs-mega-go/transport"
)

// filterPolicy is a compiled SNS subscription filter policy.
type filterPolicy struct {
	body bool // scope MessageBody, else MessageAttributes
	root *filterNode
}

// filterNode is one object level of a policy: every key must hold, and
// so must one alternative of each "$or".
type filterNode struct {
	keys []filterKey
	ors  [][]*filterNode
}

// filterKey is one key of a policy object: a list of conditions of
// which one must hold, or (in the MessageBody scope) a nested object.
type filterKey struct {
	name  string
	conds []condition
	child *filterNode
}

type condKind uint8

const (
	condExact condKind = iota
	condPrefix
	condSuffix
	condEqualsIgnoreCase
	condAnythingBut
	condAnythingButPrefix
	condAnythingButSuffix
	condNumeric
	condExists
	condCIDR
)

// condition is one entry of a policy's value list.
type condition struct {
	kind   condKind
	value  fvalue   // condExact
	values []fvalue // condAnythingBut
	str    string   // prefix, suffix, equals-ignore-case
	exists bool     // condExists
	lo, hi bound    // condNumeric
	prefix netip.Prefix
}

// bound is one side of a numeric range; op is "" when the side is open.
type bound struct {
	op string
	n  float64
}

// fvalue is a value of a message, or a literal of a policy.
type fvalue struct {
	kind fkind
	s    string
	n    float64
	b    bool
}

type fkind uint8

const (
	fString fkind = iota
	fNumber
	fBool
	fNull
)

func (v fvalue) equal(w fvalue) bool {
	if v.kind != w.kind {
		return false
	}
	switch v.kind {
	case fString:
		return v.s == w.s
	case fNumber:
		return v.n == w.n
	case fBool:
		return v.b == w.b
	}
	return true
}

// parseFilterPolicy compiles a policy.
func parseFilterPolicy(policy string, body bool) (*filterPolicy, error) {
	doc, err := decodeJSON(policy)
	if err != nil {
		return nil, fmt.Errorf("not valid JSON: %w", err)
	}
	obj, ok := doc.(map[string]any)
	if !ok || len(obj) == 0 {
		return nil, errors.New("a policy is a non-empty JSON object")
	}
	root, err := parseNode(obj, body, "")
	if err != nil {
		return nil, err
	}
	return &filterPolicy{body: body, root: root}, nil
}

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

func parseNode(obj map[string]any, body bool, path string) (*filterNode, error) {
	n := &filterNode{}
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
			var or []*filterNode
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
			n.keys = append(n.keys, filterKey{name: k, conds: conds})
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
			n.keys = append(n.keys, filterKey{name: k, child: child})
		default:
			return nil, fmt.Errorf("%s: a policy value is an array of conditions", where)
		}
	}
	return n, nil
}

// literal converts a JSON scalar of a policy.
func literal(v any) (fvalue, bool) {
	switch v := v.(type) {
	case string:
		return fvalue{kind: fString, s: v}, true
	case json.Number:
		f, err := v.Float64()
		if err != nil {
			return fvalue{}, false
		}
		return fvalue{kind: fNumber, n: f}, true
	case bool:
		return fvalue{kind: fBool, b: v}, true
	case nil:
		return fvalue{kind: fNull}, true
	}
	return fvalue{}, false
}

func parseConditions(list []any, where string) ([]condition, error) {
	if len(list) == 0 {
		return nil, fmt.Errorf("%s: empty array of conditions", where)
	}
	conds := make([]condition, 0, len(list))
	for i, item := range list {
		at := fmt.Sprintf("%s[%d]", where, i)
		if v, ok := literal(item); ok {
			conds = append(conds, condition{kind: condExact, value: v})
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

func parseOperator(name string, arg any, at string) (condition, error) {
	bad := func(format string, args ...any) (condition, error) {
		return condition{}, fmt.Errorf("%s: %s: %s", at, name, fmt.Sprintf(format, args...))
	}
	str := func() (string, bool) { s, ok := arg.(string); return s, ok }
	switch name {
	case "prefix", "suffix", "equals-ignore-case":
		s, ok := str()
		if !ok {
			return bad("takes a string")
		}
		kind := map[string]condKind{"prefix": condPrefix, "suffix": condSuffix, "equals-ignore-case": condEqualsIgnoreCase}[name]
		return condition{kind: kind, str: s}, nil
	case "exists":
		b, ok := arg.(bool)
		if !ok {
			return bad("takes true or false")
		}
		return condition{kind: condExists, exists: b}, nil
	case "cidr":
		s, ok := str()
		if !ok {
			return bad("takes a string")
		}
		p, err := netip.ParsePrefix(s)
		if err != nil {
			return bad("%v", err)
		}
		return condition{kind: condCIDR, prefix: p.Masked()}, nil
	case "anything-but":
		switch a := arg.(type) {
		case []any:
			if len(a) == 0 {
				return bad("takes a non-empty list")
			}
			var vals []fvalue
			for _, x := range a {
				v, ok := literal(x)
				if !ok || (v.kind != fString && v.kind != fNumber) {
					return bad("lists strings or numbers")
				}
				vals = append(vals, v)
			}
			return condition{kind: condAnythingBut, values: vals}, nil
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
					return condition{kind: condAnythingButPrefix, str: s}, nil
				case k == "suffix":
					return condition{kind: condAnythingButSuffix, str: s}, nil
				}
				return bad("nests only prefix or suffix, not %q", k)
			}
		default:
			v, ok := literal(a)
			if !ok || (v.kind != fString && v.kind != fNumber) {
				return bad("takes a string, a number, a list of them, or a prefix or suffix")
			}
			return condition{kind: condAnythingBut, values: []fvalue{v}}, nil
		}
	case "numeric":
		return parseNumeric(arg, at)
	default:
		return bad("unknown operator")
	}
	return bad("takes a string, a number, a list of them, or a prefix or suffix")
}

func parseNumeric(arg any, at string) (condition, error) {
	bad := func(why string) (condition, error) {
		return condition{}, fmt.Errorf("%s: numeric: %s", at, why)
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
		bs = append(bs, bound{op: op, n: f})
	}
	if len(bs) == 1 {
		switch bs[0].op {
		case "<", "<=":
			return condition{kind: condNumeric, hi: bs[0]}, nil
		}
		return condition{kind: condNumeric, lo: bs[0]}, nil
	}
	lo, hi := bs[0], bs[1]
	if (lo.op != ">" && lo.op != ">=") || (hi.op != "<" && hi.op != "<=") || lo.n > hi.n {
		return bad("a range is a lower bound (> or >=) then a higher upper bound (< or <=)")
	}
	return condition{kind: condNumeric, lo: lo, hi: hi}, nil
}

// matches reports whether a published message passes the policy.
func (p *filterPolicy) matches(body string, attrs map[string]transport.Attribute) bool {
	if !p.body {
		return p.root.matches(attributeLookup(attrs))
	}
	doc, err := decodeJSON(body)
	if err != nil {
		return false
	}
	obj, ok := doc.(map[string]any)
	if !ok {
		return false
	}
	return p.root.matches(bodyLookup([]map[string]any{obj}))
}

// lookup finds what a key holds: the values at its leaves, or the
// objects under it to which a nested policy applies. present is false
// when the key is absent.
type lookup func(key string) (values []fvalue, children lookup, present bool)

func (n *filterNode) matches(look lookup) bool {
	for _, k := range n.keys {
		values, children, present := look(k.name)
		if k.child != nil {
			if children == nil {
				children = func(string) ([]fvalue, lookup, bool) { return nil, nil, false }
			}
			if !k.child.matches(children) {
				return false
			}
			continue
		}
		if !anyCondition(k.conds, values, present) {
			return false
		}
	}
	for _, or := range n.ors {
		if !slices.ContainsFunc(or, func(alt *filterNode) bool { return alt.matches(look) }) {
			return false
		}
	}
	return true
}

func anyCondition(conds []condition, values []fvalue, present bool) bool {
	for _, c := range conds {
		if c.kind == condExists {
			if c.exists == present {
				return true
			}
			continue
		}
		for _, v := range values {
			if c.holds(v) {
				return true
			}
		}
	}
	return false
}

// holds reports whether one value satisfies the condition.
func (c *condition) holds(v fvalue) bool {
	switch c.kind {
	case condExact:
		return c.value.equal(v)
	case condPrefix:
		return v.kind == fString && strings.HasPrefix(v.s, c.str)
	case condSuffix:
		return v.kind == fString && strings.HasSuffix(v.s, c.str)
	case condEqualsIgnoreCase:
		return v.kind == fString && strings.EqualFold(v.s, c.str)
	case condAnythingBut:
		return !slices.ContainsFunc(c.values, v.equal)
	case condAnythingButPrefix:
		return v.kind == fString && !strings.HasPrefix(v.s, c.str)
	case condAnythingButSuffix:
		return v.kind == fString && !strings.HasSuffix(v.s, c.str)
	case condNumeric:
		return v.kind == fNumber && c.lo.admits(v.n) && c.hi.admits(v.n)
	case condCIDR:
		if v.kind != fString {
			return false
		}
		a, err := netip.ParseAddr(v.s)
		return err == nil && c.prefix.Contains(a)
	}
	return false
}

func (b bound) admits(n float64) bool {
	switch b.op {
	case "=":
		return n == b.n
	case "<":
		return n < b.n
	case "<=":
		return n <= b.n
	case ">":
		return n > b.n
	case ">=":
		return n >= b.n
	}
	return true
}

// attributeLookup looks keys up in message attributes: String values
// are strings, Number values numbers, String.Array and Number.Array
// values JSON arrays of their elements; Binary attributes are ignored.
func attributeLookup(attrs map[string]transport.Attribute) lookup {
	return func(key string) ([]fvalue, lookup, bool) {
		a, ok := attrs[key]
		if !ok {
			return nil, nil, false
		}
		switch {
		case a.DataType == "String.Array" || a.DataType == "Number.Array":
			var elems []any
			dec := json.NewDecoder(bytes.NewReader([]byte(a.StringValue)))
			dec.UseNumber()
			if dec.Decode(&elems) != nil {
				return nil, nil, true
			}
			var vals []fvalue
			for _, e := range elems {
				if v, ok := literal(e); ok {
					vals = append(vals, v)
				}
			}
			return vals, nil, true
		case attributeBase(a.DataType) == "String":
			return []fvalue{{kind: fString, s: a.StringValue}}, nil, true
		case attributeBase(a.DataType) == "Number":
			f, err := strconv.ParseFloat(a.StringValue, 64)
			if err != nil {
				return nil, nil, true
			}
			return []fvalue{{kind: fNumber, n: f}}, nil, true
		}
		return nil, nil, false
	}
}

// bodyLookup looks keys up in JSON objects of a message body (several
// when the policy reaches into an array of objects). An array value
// offers each of its elements.
func bodyLookup(objs []map[string]any) lookup {
	return func(key string) ([]fvalue, lookup, bool) {
		var (
			vals     []fvalue
			children []map[string]any
			present  bool
		)
		var add func(x any)
		add = func(x any) {
			switch x := x.(type) {
			case map[string]any:
				children = append(children, x)
			case []any:
				for _, e := range x {
					add(e)
				}
			default:
				if v, ok := literal(x); ok {
					vals = append(vals, v)
				}
			}
		}
		for _, o := range objs {
			if x, ok := o[key]; ok {
				present = true
				add(x)
			}
		}
		var next lookup
		if len(children) > 0 {
			next = bodyLookup(children)
		}
		return vals, next, present
	}
}
