package match

import (
	"encoding/json"
	"errors"
	"math/big"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// refMatch is a deliberately simple evaluator of SPEC.md §3, written
// independently of the compiled matcher: it interprets the JSON form
// directly (objects with a "$" key are operators), with math/big for
// numbers, regular expressions for the date and number grammars and the
// time package for calendars. The differential tests and fuzz target hold
// the matcher to it.
//
// It returns errRefInvalid for an invalid pattern.
func refMatch(p any, v any, present bool) (bool, error) {
	if err := refValid(p, 0); err != nil {
		return false, err
	}
	return refEval(p, v, present), nil
}

var errRefInvalid = errors.New("invalid pattern")

func refOp(p any) (string, any, bool) {
	m, ok := p.(map[string]any)
	if !ok {
		return "", nil, false
	}
	for k, v := range m {
		if strings.HasPrefix(k, "$") {
			return k, v, true
		}
	}
	return "", nil, false
}

func refIsLiteral(p any) bool {
	op, _, ok := refOp(p)
	return ok && (op == "$datetime" || op == "$date" || op == "$number")
}

// refValid checks a pattern (in a pattern position).
func refValid(p any, depth int) error {
	if depth > MaxDepth {
		return errRefInvalid
	}
	op, arg, isOp := refOp(p)
	if !isOp {
		return refValidValue(p, depth)
	}
	if len(p.(map[string]any)) != 1 {
		return errRefInvalid
	}
	switch op {
	case "$datetime", "$date", "$number":
		return refValidValue(p, depth)
	case "$eq":
		if _, _, ok := refOp(arg); ok && !refIsLiteral(arg) {
			return errRefInvalid
		}
		return refValidValue(arg, depth+1)
	case "$match":
		switch a := arg.(type) {
		case string:
			if len(a) > MaxRegexLen {
				return errRefInvalid
			}
			if _, err := regexp.Compile(a); err != nil {
				return errRefInvalid
			}
			return nil
		case nil, bool:
			return nil
		}
		if _, _, ok := refOp(arg); ok && !refIsLiteral(arg) {
			return errRefInvalid
		}
		return refValidValue(arg, depth+1)
	case "$gt", "$gte", "$lt", "$lte":
		if _, ok := arg.(json.Number); ok {
			return nil
		}
		if o, _, ok := refOp(arg); ok && refIsLiteral(arg) && (o == "$number" || o == "$datetime" || o == "$date") {
			return refValidValue(arg, depth+1)
		}
		return errRefInvalid
	case "$in", "$one_of", "$and", "$or":
		items, ok := arg.([]any)
		if !ok || len(items) > MaxListLen || (len(items) == 0 && (op == "$and" || op == "$or")) {
			return errRefInvalid
		}
		for _, it := range items {
			if err := refValid(it, depth+2); err != nil {
				return err
			}
		}
		return nil
	case "$not", "$contains":
		return refValid(arg, depth+1)
	case "$empty":
		if arg != true {
			return errRefInvalid
		}
		return nil
	case "$exists":
		if _, ok := arg.(bool); !ok {
			return errRefInvalid
		}
		return nil
	case "$prefix", "$suffix":
		if _, ok := arg.(string); !ok {
			return errRefInvalid
		}
		return nil
	}
	return errRefInvalid
}

// refValidValue checks a value (equality operand), whose arrays and
// mappings hold patterns.
func refValidValue(p any, depth int) error {
	if depth > MaxDepth {
		return errRefInvalid
	}
	switch x := p.(type) {
	case []any:
		if len(x) > MaxListLen {
			return errRefInvalid
		}
		for _, it := range x {
			if err := refValid(it, depth+1); err != nil {
				return err
			}
		}
	case map[string]any:
		if op, arg, ok := refOp(x); ok {
			if len(x) != 1 {
				return errRefInvalid
			}
			s, isStr := arg.(string)
			switch op {
			case "$number":
				if n, isNum := arg.(json.Number); isNum {
					s, isStr = string(n), true
				}
				if _, ok := refNumberText(s); !isStr || !ok {
					return errRefInvalid
				}
			case "$datetime":
				if _, ok := refDate(s, true); !isStr || !ok {
					return errRefInvalid
				}
			case "$date":
				if d, ok := refDate(s, false); !isStr || !ok || !d.dateOnly {
					return errRefInvalid
				}
			default:
				return errRefInvalid
			}
			return nil
		}
		for _, it := range x {
			if err := refValid(it, depth+1); err != nil {
				return err
			}
		}
	case json.Number:
		if _, ok := refNumberText(string(x)); !ok {
			return errRefInvalid
		}
	}
	return nil
}

var (
	refJSONNumber    = regexp.MustCompile(`^-?[0-9]+(\.[0-9]+)?([eE][+-]?[0-9]+)?$`)
	refNumericString = regexp.MustCompile(`^-?[0-9]+(\.[0-9]+)?$`)
	refDateRe        = regexp.MustCompile(`^([0-9]{4})-([0-9]{1,2})-([0-9]{1,2})(?:[Tt ]([0-9]{2}):([0-9]{2})(?::([0-9]{2})(?:[.,][0-9]+)?)?(?: ?(Z|z|[+-][0-9]{2}(?::?[0-9]{2})?))?)?$`)
)

func refNumberText(s string) (*big.Rat, bool) {
	if !refJSONNumber.MatchString(s) {
		return nil, false
	}
	// Keep exponents small enough for big.Rat; the fuzz target never
	// needs more.
	if i := strings.IndexAny(s, "eE"); i >= 0 {
		e, err := strconv.Atoi(strings.TrimPrefix(s[i+1:], "+"))
		if err != nil || e > 400 || e < -400 {
			return nil, false
		}
	}
	r, ok := new(big.Rat).SetString(s)
	return r, ok
}

func refNumber(v any) (*big.Rat, bool) {
	switch x := v.(type) {
	case json.Number:
		return refNumberText(string(x))
	case string:
		if !refNumericString.MatchString(x) {
			return nil, false
		}
		return new(big.Rat).SetString(x)
	}
	return nil, false
}

type refDT struct {
	dateOnly bool
	date     time.Time // midnight UTC of the calendar date (own offset)
	instant  int64     // Unix seconds
}

func refDate(s string, allowTime bool) (refDT, bool) {
	m := refDateRe.FindStringSubmatch(s)
	if m == nil {
		return refDT{}, false
	}
	y, _ := strconv.Atoi(m[1])
	mo, _ := strconv.Atoi(m[2])
	d, _ := strconv.Atoi(m[3])
	date := time.Date(y, time.Month(mo), d, 0, 0, 0, 0, time.UTC)
	if y == 0 || date.Year() != y || int(date.Month()) != mo || date.Day() != d {
		return refDT{}, false
	}
	if m[4] == "" {
		if strings.ContainsAny(s, "Tt ") && len(s) > 10 {
			return refDT{}, false
		}
		return refDT{dateOnly: true, date: date}, true
	}
	if !allowTime {
		return refDT{}, false
	}
	hh, _ := strconv.Atoi(m[4])
	mm, _ := strconv.Atoi(m[5])
	ss, _ := strconv.Atoi(m[6])
	if hh > 23 || mm > 59 || ss > 59 {
		return refDT{}, false
	}
	off := 0
	if z := m[7]; z != "" && z != "Z" && z != "z" {
		oh, _ := strconv.Atoi(z[1:3])
		om := 0
		if rest := strings.TrimPrefix(z[3:], ":"); rest != "" {
			om, _ = strconv.Atoi(rest)
		}
		if oh > 23 || om > 59 {
			return refDT{}, false
		}
		off = oh*3600 + om*60
		if z[0] == '-' {
			off = -off
		}
	}
	t := time.Date(y, time.Month(mo), d, hh, mm, ss, 0, time.FixedZone("", off))
	return refDT{date: date, instant: t.Unix()}, true
}

func refDateOf(v any) (refDT, bool) {
	switch x := v.(type) {
	case string:
		return refDate(x, true)
	case time.Time:
		y, m, d := x.Date()
		return refDT{date: time.Date(y, m, d, 0, 0, 0, 0, time.UTC), instant: x.Unix()}, true
	}
	return refDT{}, false
}

func refCmpDT(a, b refDT) int {
	if a.dateOnly || b.dateOnly {
		return a.date.Compare(b.date)
	}
	switch {
	case a.instant < b.instant:
		return -1
	case a.instant > b.instant:
		return 1
	}
	return 0
}

func refLiteral(p any) (num *big.Rat, dt refDT, isNum, isDT bool) {
	op, arg, _ := refOp(p)
	s, _ := arg.(string)
	if n, ok := arg.(json.Number); ok {
		s = string(n)
	}
	switch op {
	case "$number":
		n, _ := refNumberText(s)
		return n, refDT{}, true, false
	case "$datetime":
		d, _ := refDate(s, true)
		return nil, d, false, true
	case "$date":
		d, _ := refDate(s, false)
		return nil, d, false, true
	}
	return nil, refDT{}, false, false
}

func refScalar(v any) bool {
	switch v.(type) {
	case nil, bool, string, json.Number, time.Time:
		return true
	}
	return false
}

func refFalsy(v any) bool {
	switch x := v.(type) {
	case nil:
		return true
	case bool:
		return !x
	case string:
		return x == ""
	case json.Number:
		r, ok := refNumberText(string(x))
		return ok && r.Sign() == 0
	case []any:
		return len(x) == 0
	case map[string]any:
		return len(x) == 0
	}
	return false
}

// refEval applies a valid pattern.
func refEval(p any, v any, present bool) bool {
	op, arg, isOp := refOp(p)
	if !isOp || refIsLiteral(p) {
		return present && refEqual(p, v)
	}
	switch op {
	case "$not":
		return !refEval(arg, v, present)
	case "$and":
		for _, it := range arg.([]any) {
			if !refEval(it, v, present) {
				return false
			}
		}
		return true
	case "$or":
		for _, it := range arg.([]any) {
			if refEval(it, v, present) {
				return true
			}
		}
		return false
	case "$exists":
		return present == arg.(bool)
	case "$empty":
		return !present || v == nil || v == "" || refEmptyColl(v)
	}
	if !present {
		return false
	}
	switch op {
	case "$eq":
		return refEqual(arg, v)
	case "$match":
		switch a := arg.(type) {
		case string:
			s, ok := v.(string)
			if !ok {
				return false
			}
			// re.match: some match starts at 0, so the leftmost one does.
			loc := regexp.MustCompile(a).FindStringIndex(s)
			return loc != nil && loc[0] == 0
		case nil:
			return refFalsy(v)
		case bool:
			t := !refFalsy(v)
			if s, ok := v.(string); ok && strings.ToLower(s) == "false" {
				t = false
			}
			return t == a
		case []any:
			if arr, ok := v.([]any); ok {
				return refSubset(a, arr)
			}
			if !refScalar(v) {
				return false
			}
			for _, it := range a {
				if refEval(it, v, true) {
					return true
				}
			}
			return false
		}
		return refEqual(arg, v)
	case "$in", "$one_of":
		if !refScalar(v) {
			return false
		}
		for _, it := range arg.([]any) {
			if refEval(it, v, true) {
				return true
			}
		}
		return false
	case "$gt", "$gte", "$lt", "$lte":
		var c int
		if n, ok := arg.(json.Number); ok {
			r, _ := refNumberText(string(n))
			x, ok := refNumber(v)
			if !ok {
				return false
			}
			c = x.Cmp(r)
		} else {
			num, dt, isNum, _ := refLiteral(arg)
			if isNum {
				x, ok := refNumber(v)
				if !ok {
					return false
				}
				c = x.Cmp(num)
			} else {
				x, ok := refDateOf(v)
				if !ok {
					return false
				}
				c = refCmpDT(x, dt)
			}
		}
		switch op {
		case "$gt":
			return c > 0
		case "$gte":
			return c >= 0
		case "$lt":
			return c < 0
		}
		return c <= 0
	case "$prefix":
		s, ok := v.(string)
		return ok && strings.HasPrefix(s, arg.(string))
	case "$suffix":
		s, ok := v.(string)
		return ok && strings.HasSuffix(s, arg.(string))
	case "$contains":
		arr, ok := v.([]any)
		if !ok {
			return false
		}
		for _, e := range arr {
			if refEval(arg, e, true) {
				return true
			}
		}
		return false
	}
	panic("unreachable: " + op)
}

func refEmptyColl(v any) bool {
	switch x := v.(type) {
	case []any:
		return len(x) == 0
	case map[string]any:
		return len(x) == 0
	}
	return false
}

// refSubset: every pattern item matches some element.
func refSubset(items, arr []any) bool {
	for _, it := range items {
		found := false
		for _, e := range arr {
			if refEval(it, e, true) {
				found = true
			}
		}
		if !found {
			return false
		}
	}
	return true
}

// refEqual is equality with value p (present value v).
func refEqual(p, v any) bool {
	switch x := p.(type) {
	case nil:
		return v == nil
	case bool:
		b, ok := v.(bool)
		return ok && b == x
	case string:
		s, ok := v.(string)
		return ok && s == x
	case json.Number:
		r, _ := refNumberText(string(x))
		n, ok := refNumber(v)
		return ok && n.Cmp(r) == 0
	case []any:
		arr, ok := v.([]any)
		if !ok || !refSubset(x, arr) {
			return false
		}
		for _, e := range arr {
			found := false
			for _, it := range x {
				if refEval(it, e, true) {
					found = true
				}
			}
			if !found {
				return false
			}
		}
		return true
	case map[string]any:
		if refIsLiteral(x) {
			num, dt, isNum, _ := refLiteral(x)
			if isNum {
				n, ok := refNumber(v)
				return ok && n.Cmp(num) == 0
			}
			d, ok := refDateOf(v)
			return ok && refCmpDT(d, dt) == 0
		}
		m, ok := v.(map[string]any)
		if !ok {
			return false
		}
		for k, sub := range x {
			val, has := m[k]
			if !refEval(sub, val, has) {
				return false
			}
		}
		return true
	}
	return false
}
