package main

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
)

// Patterns are generated in a neutral form that both engines can express
// with the same meaning, then translated: to quamina's pattern language
// here, to our DSL in ours.go.

// op is an operator both engines support.
type op int

const (
	opExact       op = iota // the value is one of Values
	opPrefix                // the value starts with Values[0]
	opAnythingBut           // the field is present and its value is none of Values
	opExists                // the field is present
)

func (o op) String() string {
	return [...]string{"exact", "prefix", "anything-but", "exists"}[o]
}

// eventFields are the keys of an event pattern that address the event
// itself; any other key addresses event.attributes.
var eventFields = []string{"name", "domain", "subject", "publisher"}

// cond is one condition on one field of a MEGA event. Field is a key of an
// event pattern (SPEC §3): "name", "domain", "subject", "publisher", or the
// name of an event attribute.
type cond struct {
	Field  string
	Op     op
	Values []string
}

// pattern is a conjunction of conditions on distinct fields.
type pattern []cond

// path is where the field lives in the MEGA envelope.
func (c cond) path() []string {
	if slices.Contains(eventFields, c.Field) {
		return []string{"event", c.Field}
	}
	return []string{"event", "attributes", c.Field}
}

// quaminaJSON is the pattern in quamina's language.
func (p pattern) quaminaJSON() (string, error) {
	root := map[string]any{}
	for _, c := range p {
		var leaf []any
		switch c.Op {
		case opExact:
			for _, v := range c.Values {
				leaf = append(leaf, v)
			}
		case opPrefix:
			leaf = []any{map[string]any{"prefix": c.Values[0]}}
		case opAnythingBut:
			leaf = []any{map[string]any{"anything-but": c.Values}}
		case opExists:
			leaf = []any{map[string]any{"exists": true}}
		}
		if err := setPath(root, c.path(), leaf); err != nil {
			return "", err
		}
	}
	b, err := json.Marshal(root)
	return string(b), err
}

func setPath(root map[string]any, path []string, leaf any) error {
	m := root
	for _, k := range path[:len(path)-1] {
		next, ok := m[k].(map[string]any)
		if !ok {
			if _, taken := m[k]; taken {
				return fmt.Errorf("field %s is both a leaf and an object", k)
			}
			next = map[string]any{}
			m[k] = next
		}
		m = next
	}
	last := path[len(path)-1]
	if _, taken := m[last]; taken {
		return fmt.Errorf("field %s appears twice", strings.Join(path, "."))
	}
	m[last] = leaf
	return nil
}

// matches is the reference meaning of the pattern, used to check both
// engines.
func (p pattern) matches(event map[string]any) bool {
	for _, c := range p {
		v, present := lookup(event, c.path())
		s, isString := v.(string)
		switch c.Op {
		case opExact:
			if !isString || !slices.Contains(c.Values, s) {
				return false
			}
		case opPrefix:
			if !isString || !strings.HasPrefix(s, c.Values[0]) {
				return false
			}
		case opAnythingBut:
			if !present || isString && slices.Contains(c.Values, s) {
				return false
			}
		case opExists:
			if !present {
				return false
			}
		}
	}
	return true
}

func lookup(doc map[string]any, path []string) (any, bool) {
	var cur any = doc
	for _, k := range path {
		m, ok := cur.(map[string]any)
		if !ok {
			return nil, false
		}
		if cur, ok = m[k]; !ok {
			return nil, false
		}
	}
	return cur, true
}

// genPatterns returns n patterns for seed, in the mix a deployment with
// many subscribers has: a few broad subscriptions (by event name, name and
// tier, name prefix and region, domain minus a publisher, name and an
// optional attribute) shared by everyone, and many narrow ones (per
// customer, per e-mail address, per object id range). Matches per event
// stay small as n grows, as they do in practice.
func genPatterns(seed uint64, n int) []pattern { return genPatternsWith(seed, n, true) }

// genPatternsWith is genPatterns, where anythingBut false drops every
// anything-but condition (each pattern with one has another condition),
// so that the set has none.
func genPatternsWith(seed uint64, n int, anythingBut bool) []pattern {
	var allNames, prefixes []string
	for _, d := range domains {
		allNames = append(allNames, d.names...)
		for _, name := range d.names {
			if i := strings.IndexAny(name, ".:"); i > 0 && !slices.Contains(prefixes, name[:i+1]) {
				prefixes = append(prefixes, name[:i+1])
			}
		}
	}
	some := func(r *rand.Rand, from []string, max int) []string {
		k := 1 + r.IntN(max)
		out := make([]string, 0, k)
		for _, i := range r.Perm(len(from))[:min(k, len(from))] {
			out = append(out, from[i])
		}
		return out
	}
	customer := func(r *rand.Rand) []string { return []string{fmt.Sprintf("c-%05d", r.IntN(customerIDs))} }
	broad := min(n, 20+n/100)
	out := make([]pattern, n)
	for i := range out {
		r := rand.New(rand.NewPCG(seed^0x9e3779b97f4a7c15, uint64(i)))
		d := pick(r, domains)
		if i < broad {
			switch r.IntN(5) {
			case 0:
				out[i] = pattern{{"name", opExact, some(r, allNames, 2)}}
			case 1:
				out[i] = pattern{{"name", opExact, some(r, d.names, 2)}, {"tier", opExact, some(r, tiers, 2)}}
			case 2:
				out[i] = pattern{{"name", opPrefix, []string{pick(r, prefixes)}}, {"region", opExact, some(r, regions, 1)}}
			case 3:
				out[i] = pattern{{"domain", opExact, []string{d.domain}}, {"publisher", opAnythingBut, some(r, d.publishers, 1)}}
			default:
				out[i] = pattern{{"name", opExact, some(r, d.names, 1)}, {pick(r, optionalAttributes), opExists, nil}}
			}
			continue
		}
		switch k := r.IntN(10); {
		case k < 4:
			p := pattern{{"customer_id", opExact, customer(r)}}
			if r.IntN(2) == 0 {
				p = append(p, cond{"domain", opExact, []string{d.domain}})
			}
			out[i] = p
		case k < 6:
			out[i] = pattern{{"customer_id", opExact, customer(r)}, {"name", opPrefix, []string{pick(r, prefixes)}}}
		case k < 8:
			out[i] = pattern{
				{"subject", opPrefix, []string{fmt.Sprintf("%s-%03d", d.objectType, r.IntN(1000))}},
				{"channel", opAnythingBut, some(r, channels, 2)},
			}
		case k < 9:
			out[i] = pattern{{"email", opExact, []string{fmt.Sprintf("%s@example.com", customer(r)[0])}}}
		default:
			out[i] = pattern{{"customer_id", opExact, customer(r)}, {pick(r, optionalAttributes), opExists, nil}}
		}
	}
	if !anythingBut {
		for i, p := range out {
			out[i] = slices.DeleteFunc(p, func(c cond) bool { return c.Op == opAnythingBut })
		}
	}
	return out
}
