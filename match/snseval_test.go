package match

import (
	"encoding/json"
	"math/big"
	"strings"
)

// snsAccepts evaluates an SNS filter policy (FilterPolicyScope
// MessageBody) on a decoded JSON body, following AWS's documented
// semantics and, where the documentation leaves a case open, taking the
// reading under which SNS delivers the least. A push-down that passes the
// property test against this evaluator is conservative under every
// reading of the documentation:
//
//   - a policy key is matched against the leaf values at its path; arrays
//     hold several leaf values, and the key matches when one of them does;
//     an object is not a leaf value;
//   - an exact string matches that string; null matches null; a number
//     matches an equal JSON number;
//   - prefix and suffix match strings only;
//   - anything-but matches non-empty strings only (not numbers, "" or null)
//     outside its list, or without its prefix;
//   - numeric matches JSON numbers within ±1e9 only, and must hold both on
//     the exact value and on the value rounded to five decimals;
//   - exists:true needs a leaf value that is neither null nor "";
//     exists:false holds only when there is no leaf value at all (a null
//     counts as a value);
//   - "$or" holds when one of its branches does.
func snsAccepts(policy map[string]any, body any) bool {
	return snsObject(policy, []any{body})
}

func snsObject(policy map[string]any, objs []any) bool {
	for k, v := range policy {
		if k == "$or" {
			hit := false
			for _, b := range v.([]any) {
				if snsObject(b.(map[string]any), objs) {
					hit = true
					break
				}
			}
			if !hit {
				return false
			}
			continue
		}
		var children []any
		for _, o := range objs {
			if m, ok := o.(map[string]any); ok {
				if c, ok := m[k]; ok {
					children = flatten(children, c)
				}
			}
		}
		switch p := v.(type) {
		case map[string]any:
			if !snsObject(p, children) {
				return false
			}
		case []any:
			var leaves []any
			for _, c := range children {
				if _, isObj := c.(map[string]any); !isObj {
					leaves = append(leaves, c)
				}
			}
			if !snsLeafMatches(p, leaves) {
				return false
			}
		default:
			return false
		}
	}
	return true
}

func flatten(out []any, v any) []any {
	if arr, ok := v.([]any); ok {
		for _, e := range arr {
			out = flatten(out, e)
		}
		return out
	}
	return append(out, v)
}

func snsLeafMatches(conds []any, leaves []any) bool {
	for _, c := range conds {
		if m, ok := c.(map[string]any); ok {
			if e, ok := m["exists"]; ok {
				if e == false && len(leaves) == 0 {
					return true
				}
				if e == true {
					for _, l := range leaves {
						if s, isStr := l.(string); l != nil && !(isStr && s == "") {
							return true
						}
					}
				}
				continue
			}
		}
		for _, l := range leaves {
			if snsValueMatches(c, l) {
				return true
			}
		}
	}
	return false
}

func snsValueMatches(cond, v any) bool {
	switch c := cond.(type) {
	case nil:
		return v == nil
	case string:
		s, ok := v.(string)
		return ok && s == c
	case json.Number:
		n, ok := v.(json.Number)
		return ok && snsRat(n) != nil && snsRat(n).Cmp(snsRat(c)) == 0
	case bool:
		b, ok := v.(bool)
		return ok && b == c
	case map[string]any:
		s, isStr := v.(string)
		if p, ok := c["prefix"].(string); ok {
			return isStr && strings.HasPrefix(s, p)
		}
		if p, ok := c["suffix"].(string); ok {
			return isStr && strings.HasSuffix(s, p)
		}
		if but, ok := c["anything-but"]; ok {
			if !isStr || s == "" {
				return false
			}
			switch b := but.(type) {
			case []any:
				for _, x := range b {
					if x == s {
						return false
					}
				}
				return true
			case map[string]any:
				return !strings.HasPrefix(s, b["prefix"].(string))
			}
			return false
		}
		if ops, ok := c["numeric"].([]any); ok {
			n, isNum := v.(json.Number)
			if !isNum {
				return false
			}
			x := snsRat(n)
			if x == nil || new(big.Rat).Abs(x).Cmp(big.NewRat(1e9, 1)) > 0 {
				return false
			}
			return snsNumeric(ops, x) && snsNumeric(ops, snsRound5(x))
		}
	}
	return false
}

func snsNumeric(ops []any, x *big.Rat) bool {
	for i := 0; i+1 < len(ops); i += 2 {
		bound := snsRat(ops[i+1].(json.Number))
		c := x.Cmp(bound)
		var ok bool
		switch ops[i] {
		case "=":
			ok = c == 0
		case ">":
			ok = c > 0
		case ">=":
			ok = c >= 0
		case "<":
			ok = c < 0
		case "<=":
			ok = c <= 0
		}
		if !ok {
			return false
		}
	}
	return true
}

func snsRat(n json.Number) *big.Rat {
	r, ok := new(big.Rat).SetString(string(n))
	if !ok {
		return nil
	}
	return r
}

func snsRound5(x *big.Rat) *big.Rat {
	f, _ := x.Float64()
	r, _ := new(big.Rat).SetString(big.NewFloat(f).Text('f', 5))
	if r == nil {
		return x
	}
	return r
}
