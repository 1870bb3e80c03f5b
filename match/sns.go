package match

import (
	"encoding/json"
	"math/big"
	"slices"
	"strings"

	"github.com/sqs-mega/sqs-mega-go/filterpolicy"
)

// SNS limits on a subscription filter policy, as package filterpolicy
// states and checks them.
const (
	// SNSMaxKeys is the most keys a filter policy may test: see
	// [filterpolicy.MaxKeys].
	SNSMaxKeys = filterpolicy.MaxKeys
	// SNSMaxCombinations is the most value combinations a policy may
	// hold: see [filterpolicy.MaxCombinations].
	SNSMaxCombinations = filterpolicy.MaxCombinations
	// SNSMaxPolicySize is the largest filter policy, in bytes.
	SNSMaxPolicySize = filterpolicy.MaxSize
)

// SNSFilter is the part of a pattern that Amazon SNS can evaluate itself,
// as a subscription filter policy on the message body, so that messages
// no subscriber wants are not even delivered to the queue.
//
// The policy is conservative: SNS may deliver more messages than the
// pattern accepts, never fewer, so the subscriber still applies the whole
// pattern to every message it receives. Filtering on the message body
// requires JSON bodies: SNS cannot read BSON (base64) bodies, and a
// message whose body is not a JSON object never passes a body policy. Do
// not push policies down for topics that carry BSON or plain-text bodies.
//
// SNSFilter is a plain value, safe to share between goroutines once built.
type SNSFilter struct {
	// Scope is the FilterPolicyScope to set with the policy:
	// "MessageBody".
	Scope string `json:"scope"`
	// Policy is the FilterPolicy JSON, or nil when no part of the
	// pattern can be pushed down: then set no policy at all.
	Policy json.RawMessage `json:"policy"`
	// Pushed lists the pattern keys that the policy tests (perhaps more
	// loosely than the pattern does), such as "name" or "current.id".
	Pushed []string `json:"pushed,omitempty"`
	// Residual lists the pattern keys that only the subscriber tests, and
	// why they were not pushed down.
	Residual []SNSResidual `json:"residual,omitempty"`
}

// SNSResidual is a pattern key left out of an SNS filter policy. It is a
// plain value, safe to share between goroutines.
type SNSResidual struct {
	Key    string `json:"key"`
	Reason string `json:"reason"`
}

// fieldKind says which values a field of a valid MEGA body can hold.
type fieldKind uint8

const (
	kindAny       fieldKind = iota // any JSON value
	kindName                       // a non-empty string (event.name)
	kindOptString                  // a string, null or absent
	kindObject                     // an object or absent: only its keys can be tested
)

// snsLeaf is one tested key of a policy: the body path and the
// conditions any of which must hold there.
type snsLeaf = filterpolicy.Leaf

// snsPart is what one pattern key contributes: a conjunction of leaves, or,
// for an attribute that may also be written at event level, a choice of
// two such conjunctions.
type snsPart struct {
	key  string
	alts [][]snsLeaf
}

// reasons a key is not pushed down
const (
	whyNotExpressible = "SNS cannot express this test conservatively"
	whyTimestamp      = "timestamps are strings in the body, compared as date-times"
	whyVersion        = "versions have defaults and string forms SNS cannot see"
	whyLimits         = "the policy would exceed SNS limits"
	whyDuplicate      = "another condition on the same body field is pushed"
	whyKeyName        = "the key name is an SNS keyword"
)

// SNSFilter translates the pattern into an SNS filter policy on the
// message body, for the JSON body of a MEGA event (event patterns) or of a
// data payload (data patterns). See [SNSFilter] for the guarantees: they
// hold under the semantics package filterpolicy states, and the policy
// is one [filterpolicy.Parse] accepts in the MessageBody scope.
func (m *Matcher) SNSFilter() SNSFilter {
	var parts []snsPart
	var residual []SNSResidual
	add := func(key string, alts [][]snsLeaf, why string) {
		if why != "" {
			residual = append(residual, SNSResidual{key, why})
			return
		}
		parts = append(parts, snsPart{key, alts})
	}
	if m.event {
		fields := slices.Clone(m.fields)
		slices.SortStableFunc(fields, func(a, b field) int { return eventKeyRank(a.key) - eventKeyRank(b.key) })
		for _, f := range fields {
			switch f.key {
			case "timestamp":
				add(f.key, nil, whyTimestamp)
			case "version", "object_version":
				add(f.key, nil, whyVersion)
			case "name":
				alts, why := single(snsLeaves(f.path, f.node, kindName))
				add(f.key, alts, why)
			case "domain", "subject", "publisher", "object_type", "object_id":
				alts, why := single(snsLeaves(f.path, f.node, kindOptString))
				add(f.key, alts, why)
			case "current", "previous", "extra":
				alts, why := single(snsLeaves(f.path, f.node, kindObject))
				add(f.key, alts, why)
			case "attributes":
				mn, ok := f.node.(*mapNode)
				if !ok {
					add(f.key, nil, whyNotExpressible)
					continue
				}
				for i, k := range mn.keys {
					alts, why := attributeAlts(k, mn.nodes[i])
					add(f.key+"."+k, alts, why)
				}
			default:
				alts, why := attributeAlts(f.key, f.node)
				add(f.key, alts, why)
			}
		}
	} else {
		mn, ok := m.root.(*mapNode)
		if !ok {
			return SNSFilter{Scope: "MessageBody", Residual: []SNSResidual{{"", "only a mapping pattern can be pushed down"}}}
		}
		for i, k := range mn.keys {
			alts, why := single(snsLeaves([]string{k}, mn.nodes[i], kindAny))
			add(k, alts, why)
		}
	}
	// Push the most selective parts first, so that when SNS limits force
	// a choice, the weakest tests are the ones left to the subscriber.
	slices.SortStableFunc(parts, func(a, b snsPart) int { return partWeakness(a) - partWeakness(b) })
	return assemble(parts, residual)
}

// partWeakness estimates how little a part filters: the number of values
// SNS must try, with a penalty for anything but exact strings.
func partWeakness(p snsPart) int {
	best := 1 << 30
	for _, alt := range p.alts {
		for _, l := range alt {
			w := len(l.Conditions)
			for _, c := range l.Conditions {
				if !exactString(c) {
					w += 5
					break
				}
			}
			best = min(best, w)
		}
	}
	return best
}

// exactString reports whether c asks for one string.
func exactString(c filterpolicy.Condition) bool {
	if c.Operator() != "" {
		return false
	}
	js, err := c.MarshalJSON()
	return err == nil && len(js) > 0 && js[0] == '"'
}

func single(leaves []snsLeaf, why string) ([][]snsLeaf, string) {
	if why != "" {
		return nil, why
	}
	return [][]snsLeaf{leaves}, ""
}

// attributeAlts translates a test on attribute k. The attribute may be in
// event.attributes or, unless k names a field of the event itself, directly
// under event, where the decoder folds it into the attributes.
func attributeAlts(k string, n node) ([][]snsLeaf, string) {
	inAttrs, why := snsLeaves([]string{"event", "attributes", k}, n, kindAny)
	if why != "" {
		return nil, why
	}
	if isEventField(k) {
		return [][]snsLeaf{inAttrs}, ""
	}
	atEvent, why := snsLeaves([]string{"event", k}, n, kindAny)
	if why != "" {
		return nil, why
	}
	return [][]snsLeaf{inAttrs, atEvent}, ""
}

// isEventField reports whether event.k is a field of the event itself, so
// that a decoder never folds it into the attributes.
func isEventField(k string) bool {
	switch k {
	case "name", "timestamp", "version", "domain", "subject", "publisher", "attributes":
		return true
	}
	return false
}

func eventKeyRank(k string) int {
	switch k {
	case "name":
		return 0
	case "object_type":
		return 1
	case "domain":
		return 2
	case "subject", "publisher", "object_id":
		return 3
	}
	return 4
}

// snsReserved are words SNS reads as operators in a policy.
var snsReserved = map[string]bool{
	"prefix": true, "suffix": true, "anything-but": true, "numeric": true,
	"exists": true, "equals-ignore-case": true, "cidr": true, "wildcard": true,
}

// snsLeaves translates the test n at path into policy leaves.
func snsLeaves(path []string, n node, kind fieldKind) ([]snsLeaf, string) {
	for _, k := range path {
		if snsReserved[k] || strings.HasPrefix(k, "$") {
			return nil, whyKeyName
		}
	}
	if mn, ok := n.(*mapNode); ok && (kind == kindAny || kind == kindObject) {
		var leaves []snsLeaf
		for i, k := range mn.keys {
			sub := append(slices.Clip(path), k)
			if l, why := snsLeaves(sub, mn.nodes[i], kindAny); why == "" {
				leaves = append(leaves, l...)
			}
		}
		if len(leaves) == 0 {
			return nil, whyNotExpressible
		}
		return leaves, ""
	}
	if kind == kindObject {
		return nil, whyNotExpressible
	}
	conds, ok := snsConds(n, kind)
	if !ok || len(conds) == 0 {
		return nil, whyNotExpressible
	}
	return []snsLeaf{{Path: path, Conditions: conds}}, ""
}

// snsConds returns policy conditions, any of which SNS must find at the
// field, that accept every body value n accepts there. ok is false when
// SNS cannot express such a superset.
func snsConds(n node, kind fieldKind) ([]filterpolicy.Condition, bool) {
	switch x := n.(type) {
	case *eqString:
		return []filterpolicy.Condition{filterpolicy.String(x.s)}, true
	case *regexNode:
		if x.exact && x.class != nil {
			// prefix + one rune of a small class: one prefix per rune.
			var out []filterpolicy.Condition
			for i := 0; i+1 < len(x.class); i += 2 {
				for r := x.class[i]; r <= x.class[i+1]; r++ {
					if len(out) == 10 {
						return nil, false
					}
					out = append(out, filterpolicy.Prefix(x.prefix+string(r)))
				}
			}
			return out, true
		}
		if x.prefix == "" {
			return nil, false
		}
		return []filterpolicy.Condition{filterpolicy.Prefix(x.prefix)}, true
	case *prefixNode:
		if x.s == "" {
			return nil, false
		}
		return []filterpolicy.Condition{filterpolicy.Prefix(x.s)}, true
	case *suffixNode:
		if x.s == "" {
			return nil, false
		}
		return []filterpolicy.Condition{filterpolicy.Suffix(x.s)}, true
	case *eqNumber:
		return numericConds(x.d, x.d, kind)
	case *cmpNumber:
		if kind == kindAny {
			return nil, false // an open range: SNS ignores numbers beyond ±1e9
		}
		lo, hi := openRange(x)
		return numericStringPrefixes(lo, hi), true
	case *andNode:
		if lo, hi, ok := boundedRange(x.ps); ok {
			return numericConds(lo, hi, kind)
		}
		var best []filterpolicy.Condition
		for _, p := range x.ps {
			if c, ok := snsConds(p, kind); ok && (best == nil || len(c) < len(best)) {
				best = c
			}
		}
		return best, best != nil
	case *orNode:
		return unionConds(x.ps, kind)
	case *inNode:
		return unionConds(x.items, kind)
	case *containsNode:
		if kind != kindAny {
			return nil, false
		}
		// SNS matches an array when one of its elements matches.
		if _, isMap := x.p.(*mapNode); isMap {
			return nil, false
		}
		return snsConds(x.p, kindAny)
	case *existsNode:
		return existsConds(x.want, kind)
	case emptyNode:
		if kind == kindOptString {
			return []filterpolicy.Condition{filterpolicy.Exists(false), filterpolicy.Null(), filterpolicy.String("")}, true
		}
		return nil, false
	case *notNode:
		return notConds(x.p, kind)
	}
	return nil, false
}

func existsConds(want bool, kind fieldKind) ([]filterpolicy.Condition, bool) {
	switch {
	case kind == kindOptString && want:
		// SNS's exists:true needs a non-empty value.
		return []filterpolicy.Condition{filterpolicy.Exists(true), filterpolicy.String("")}, true
	case kind == kindOptString:
		return []filterpolicy.Condition{filterpolicy.Exists(false), filterpolicy.Null()}, true
	case kind == kindAny && !want:
		return []filterpolicy.Condition{filterpolicy.Exists(false)}, true
	}
	return nil, false
}

func notConds(p node, kind fieldKind) ([]filterpolicy.Condition, bool) {
	var but filterpolicy.Condition
	var empty string // a string the negation accepts that anything-but may not
	switch x := p.(type) {
	case *notNode:
		return snsConds(x.p, kind)
	case *existsNode:
		return existsConds(!x.want, kind)
	case emptyNode:
		if kind == kindOptString {
			return []filterpolicy.Condition{filterpolicy.Exists(true)}, true
		}
		return nil, false
	case *prefixNode:
		if x.s == "" {
			return nil, false
		}
		but = filterpolicy.AnythingButPrefix(x.s)
	default:
		var items []node
		switch y := p.(type) {
		case *eqString:
			items = []node{y}
		case *inNode:
			items = y.items
		case *orNode:
			items = y.ps
		default:
			return nil, false
		}
		strs, ok := allStrings(items)
		if !ok || len(strs) == 0 {
			return nil, false
		}
		if slices.Contains(strs, "") {
			empty = "-" // "" is excluded: nothing to add
		}
		but = filterpolicy.AnythingBut(strs...)
	}
	switch kind {
	case kindName:
		return []filterpolicy.Condition{but}, true
	case kindOptString:
		conds := []filterpolicy.Condition{but, filterpolicy.Exists(false), filterpolicy.Null()}
		if empty == "" {
			conds = append(conds, filterpolicy.String(""))
		}
		return conds, true
	}
	// Elsewhere the negation accepts arrays, objects, numbers and nulls,
	// which anything-but does not reliably match.
	return nil, false
}

func unionConds(items []node, kind fieldKind) ([]filterpolicy.Condition, bool) {
	var out []filterpolicy.Condition
	for _, it := range items {
		c, ok := snsConds(it, kind)
		if !ok {
			return nil, false
		}
		for _, v := range c {
			if !slices.ContainsFunc(out, func(o filterpolicy.Condition) bool { return sameJSON(o, v) }) {
				out = append(out, v)
			}
		}
	}
	return out, len(out) > 0
}

func sameJSON(a, b filterpolicy.Condition) bool {
	x, _ := a.MarshalJSON()
	y, _ := b.MarshalJSON()
	return string(x) == string(y)
}

// Numbers. SNS matches numbers only within ±1e9 and to five decimals, and
// only JSON numbers: a numeric string such as "042" is a string to SNS, so
// every numeric condition also admits the strings that could be numeric.

var (
	snsNumMax = big.NewRat(1_000_000_000, 1)
	snsNumMin = big.NewRat(-1_000_000_000, 1)
)

func ratOf(d decimal) *big.Rat {
	var b strings.Builder
	if d.neg {
		b.WriteByte('-')
	}
	b.WriteString("0.")
	b.WriteString(d.hi)
	b.WriteString(d.lo)
	b.WriteString("0e")
	b.WriteString(big.NewInt(d.exp).String())
	r, ok := new(big.Rat).SetString(b.String())
	if !ok {
		return new(big.Rat)
	}
	return r
}

// numericConds accepts the numbers in [lo, hi] and the numeric strings
// that could be in it.
func numericConds(lo, hi decimal, kind fieldKind) ([]filterpolicy.Condition, bool) {
	prefixes := numericStringPrefixes(&lo, &hi)
	if kind != kindAny {
		return prefixes, true
	}
	rlo, rhi := ratOf(lo), ratOf(hi)
	if rlo.Cmp(snsNumMin) < 0 || rhi.Cmp(snsNumMax) > 0 {
		return nil, false
	}
	var num filterpolicy.Condition
	var err error
	if rlo.Cmp(rhi) == 0 && fiveDecimals(rlo) {
		num, err = filterpolicy.Numeric("=", ratText(rlo))
	} else {
		num, err = filterpolicy.Numeric(">=", ratText(round5(rlo, false)), "<=", ratText(round5(rhi, true)))
	}
	if err != nil {
		return nil, false
	}
	return append([]filterpolicy.Condition{num}, prefixes...), true
}

// numericStringPrefixes returns prefix conditions covering every numeric
// string whose value may lie in [lo, hi] (nil bounds are open).
func numericStringPrefixes(lo, hi *decimal) []filterpolicy.Condition {
	var firsts []string
	nonNeg := hi == nil || !hi.neg || hi.isZero()
	nonPos := lo == nil || lo.neg || lo.isZero()
	if nonNeg {
		firsts = append(firsts, "0") // leading zeros are allowed
		if lo != nil && hi != nil && cmpDecimal(*lo, *hi) == 0 && !lo.neg {
			if lead := leadDigit(*lo); lead != '0' {
				firsts = append(firsts, string(lead))
			}
		} else {
			for c := '1'; c <= '9'; c++ {
				firsts = append(firsts, string(c))
			}
		}
	}
	if nonPos {
		firsts = append(firsts, "-") // "-0" is zero
	}
	out := make([]filterpolicy.Condition, len(firsts))
	for i, f := range firsts {
		out[i] = filterpolicy.Prefix(f)
	}
	return out
}

// leadDigit is the first digit of a non-negative decimal's usual text.
func leadDigit(d decimal) byte {
	if d.isZero() || d.exp <= 0 {
		return '0'
	}
	return d.digit(0)
}

func openRange(x *cmpNumber) (lo, hi *decimal) {
	d := x.d
	if x.op == cmpGt || x.op == cmpGte {
		return &d, nil
	}
	return nil, &d
}

// boundedRange combines number comparisons into [lo, hi], widened to
// include strict bounds.
func boundedRange(ps []node) (lo, hi decimal, ok bool) {
	var haveLo, haveHi bool
	for _, p := range ps {
		c, isCmp := p.(*cmpNumber)
		if !isCmp {
			continue
		}
		switch c.op {
		case cmpGt, cmpGte:
			if !haveLo || cmpDecimal(c.d, lo) > 0 {
				lo, haveLo = c.d, true
			}
		default:
			if !haveHi || cmpDecimal(c.d, hi) < 0 {
				hi, haveHi = c.d, true
			}
		}
	}
	return lo, hi, haveLo && haveHi && cmpDecimal(lo, hi) <= 0
}

var fiveDec = big.NewInt(100_000)

func fiveDecimals(r *big.Rat) bool {
	x := new(big.Rat).Mul(r, new(big.Rat).SetInt(fiveDec))
	return x.IsInt()
}

// round5 rounds r to five decimals, down or up.
func round5(r *big.Rat, up bool) *big.Rat {
	x := new(big.Rat).Mul(r, new(big.Rat).SetInt(fiveDec))
	q, m := new(big.Int).DivMod(x.Num(), x.Denom(), new(big.Int))
	if up && m.Sign() != 0 {
		q.Add(q, big.NewInt(1))
	}
	return new(big.Rat).SetFrac(q, fiveDec)
}

func ratText(r *big.Rat) string {
	s := r.FloatString(5)
	if strings.Contains(s, ".") {
		s = strings.TrimRight(strings.TrimRight(s, "0"), ".")
	}
	if s == "-0" {
		s = "0"
	}
	return s
}

// assemble builds the policy from as many parts as the limits allow.
func assemble(parts []snsPart, residual []SNSResidual) SNSFilter {
	f := SNSFilter{Scope: "MessageBody"}
	var base []snsLeaf
	var folded [][][]snsLeaf
	for _, p := range parts {
		nb, nf := base, folded
		if len(p.alts) == 1 {
			if overlaps(base, p.alts[0]) || foldedOverlap(folded, p.alts[0]) {
				residual = append(residual, SNSResidual{p.key, whyDuplicate})
				continue
			}
			nb = append(slices.Clip(base), p.alts[0]...)
		} else {
			clash := false
			for _, alt := range p.alts {
				clash = clash || overlaps(base, alt) || foldedOverlap(folded, alt)
			}
			if clash {
				residual = append(residual, SNSResidual{p.key, whyDuplicate})
				continue
			}
			nf = append(slices.Clip(folded), p.alts)
		}
		policy, ok := buildPolicy(nb, nf)
		if !ok {
			residual = append(residual, SNSResidual{p.key, whyLimits})
			continue
		}
		base, folded = nb, nf
		f.Policy = policy
		f.Pushed = append(f.Pushed, p.key)
	}
	f.Residual = residual
	return f
}

func overlaps(have, add []snsLeaf) bool {
	for _, a := range add {
		for _, h := range have {
			if slices.Equal(a.Path, h.Path) || isPrefix(a.Path, h.Path) || isPrefix(h.Path, a.Path) {
				return true
			}
		}
	}
	return false
}

func foldedOverlap(folded [][][]snsLeaf, add []snsLeaf) bool {
	for _, alts := range folded {
		for _, alt := range alts {
			if overlaps(alt, add) {
				return true
			}
		}
	}
	return false
}

func isPrefix(p, of []string) bool { return len(p) < len(of) && slices.Equal(p, of[:len(p)]) }

// buildPolicy renders base AND (each folded part's alternatives OR-ed),
// or reports that the policy would exceed SNS limits.
func buildPolicy(base []snsLeaf, folded [][][]snsLeaf) (json.RawMessage, bool) {
	js, err := filterpolicy.Build(base, folded)
	return js, err == nil
}
