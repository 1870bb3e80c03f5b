package filterpolicy

import (
	"bytes"
	"encoding/json"
	"math"
	"net/netip"
	"slices"
	"strconv"
	"strings"
)

// Attributes gives a message's attributes to [Policy.Match].
type Attributes interface {
	// Attribute returns the data type ("String", "Number.float", ...)
	// and the string value of the named attribute, and whether the
	// message has it. Binary attributes may be returned with an empty
	// value: the policy ignores them.
	Attribute(name string) (dataType, stringValue string, ok bool)
}

// Match reports whether SNS delivers a message with this body and these
// attributes through the policy. In the MessageBody scope only the body
// counts, and a body that is not a JSON object never passes; in the
// MessageAttributes scope only the attributes count (attrs may be nil).
func (p *Policy) Match(body string, attrs Attributes) bool {
	if p.scope != MessageBody {
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
type lookup func(key string) (values []value, children lookup, present bool)

func absent(string) ([]value, lookup, bool) { return nil, nil, false }

func (n *node) matches(look lookup) bool {
	for _, k := range n.keys {
		values, children, present := look(k.name)
		if k.child != nil {
			if children == nil {
				children = absent
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
		if !slices.ContainsFunc(or, func(alt *node) bool { return alt.matches(look) }) {
			return false
		}
	}
	return true
}

func anyCondition(conds []Condition, values []value, present bool) bool {
	for i := range conds {
		c := &conds[i]
		if c.op == opExists {
			if c.exists && slices.ContainsFunc(values, nonEmpty) || !c.exists && !present {
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

// nonEmpty reports whether v is a value exists:true surely sees.
func nonEmpty(v value) bool { return v.kind != kindNull && !(v.kind == kindString && v.s == "") }

// holds reports whether one leaf value satisfies the condition.
func (c *Condition) holds(v value) bool {
	switch c.op {
	case opExact:
		return c.value.equal(v)
	case opPrefix:
		return v.kind == kindString && strings.HasPrefix(v.s, c.str)
	case opSuffix:
		return v.kind == kindString && strings.HasSuffix(v.s, c.str)
	case opEqualsIgnoreCase:
		return v.kind == kindString && strings.EqualFold(v.s, c.str)
	case opAnythingBut:
		if v.kind != kindNumber && (v.kind != kindString || v.s == "") {
			return false
		}
		sameKind := false
		for _, x := range c.values {
			if x.equal(v) {
				return false
			}
			sameKind = sameKind || x.kind == v.kind
		}
		return sameKind
	case opAnythingButPrefix:
		return v.kind == kindString && v.s != "" && !strings.HasPrefix(v.s, c.str)
	case opAnythingButSuffix:
		return v.kind == kindString && v.s != "" && !strings.HasSuffix(v.s, c.str)
	case opNumeric:
		if v.kind != kindNumber || math.Abs(v.n) > 1e9 {
			return false
		}
		return c.admits(v.n) && c.admits(round5(v.n))
	case opCIDR:
		if v.kind != kindString {
			return false
		}
		a, err := netip.ParseAddr(v.s)
		return err == nil && c.prefix.Contains(a)
	}
	return false
}

// round5 rounds n to five decimals, the precision SNS compares numbers to.
func round5(n float64) float64 {
	r, err := strconv.ParseFloat(strconv.FormatFloat(n, 'f', 5, 64), 64)
	if err != nil {
		return n
	}
	return r
}

func (c *Condition) admits(n float64) bool {
	for _, b := range c.bounds {
		var ok bool
		switch b.op {
		case "=":
			ok = n == b.n
		case "<":
			ok = n < b.n
		case "<=":
			ok = n <= b.n
		case ">":
			ok = n > b.n
		case ">=":
			ok = n >= b.n
		}
		if !ok {
			return false
		}
	}
	return true
}

// attributeLookup looks keys up in message attributes.
func attributeLookup(attrs Attributes) lookup {
	return func(key string) ([]value, lookup, bool) {
		if attrs == nil {
			return nil, nil, false
		}
		dataType, s, ok := attrs.Attribute(key)
		if !ok {
			return nil, nil, false
		}
		base, _, _ := strings.Cut(dataType, ".")
		switch {
		case dataType == "String.Array" || dataType == "Number.Array":
			var elems []any
			dec := json.NewDecoder(bytes.NewReader([]byte(s)))
			dec.UseNumber()
			if dec.Decode(&elems) != nil {
				return nil, nil, true
			}
			var vals []value
			for _, e := range elems {
				if v, ok := literal(e); ok {
					vals = append(vals, v)
				}
			}
			return vals, nil, true
		case base == "String":
			return []value{{kind: kindString, s: s}}, nil, true
		case base == "Number":
			f, err := strconv.ParseFloat(s, 64)
			if err != nil {
				return nil, nil, true
			}
			return []value{{kind: kindNumber, s: s, n: f}}, nil, true
		}
		return nil, nil, false
	}
}

// bodyLookup looks keys up in JSON objects of a message body (several
// when the policy reaches into an array of objects). An array value
// offers each of its elements.
func bodyLookup(objs []map[string]any) lookup {
	return func(key string) ([]value, lookup, bool) {
		var (
			vals     []value
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
