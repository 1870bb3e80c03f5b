package match

import (
	"encoding/json"
	"math"
	"strconv"
)

// decimal is an exact decimal number that refers to the text it was parsed
// from, so that parsing a value never allocates. Its significant digits
// are hi followed by lo (no leading or trailing zeros across the two) and
// its value is 0.(hi lo) × 10^exp, negated when neg. Zero has no digits.
type decimal struct {
	hi, lo string
	exp    int64
	neg    bool
}

// expLimit bounds exponents so that arithmetic on them never overflows;
// numbers beyond 10^±expLimit compare as if they were at the limit.
const expLimit = 1 << 40

func (d decimal) isZero() bool { return len(d.hi)+len(d.lo) == 0 }

func (d decimal) digit(i int) byte {
	if i < len(d.hi) {
		return d.hi[i]
	}
	return d.lo[i-len(d.hi)]
}

// cmpDecimal returns -1, 0 or +1 as a is less than, equal to or greater
// than b.
func cmpDecimal(a, b decimal) int {
	az, bz := a.isZero(), b.isZero()
	switch {
	case az && bz:
		return 0
	case az:
		if b.neg {
			return 1
		}
		return -1
	case bz:
		if a.neg {
			return -1
		}
		return 1
	case a.neg != b.neg:
		if a.neg {
			return -1
		}
		return 1
	}
	c := cmpMagnitude(a, b)
	if a.neg {
		return -c
	}
	return c
}

func cmpMagnitude(a, b decimal) int {
	if a.exp != b.exp {
		if a.exp < b.exp {
			return -1
		}
		return 1
	}
	na, nb := len(a.hi)+len(a.lo), len(b.hi)+len(b.lo)
	for i := 0; i < na && i < nb; i++ {
		x, y := a.digit(i), b.digit(i)
		if x != y {
			if x < y {
				return -1
			}
			return 1
		}
	}
	switch {
	case na < nb:
		return -1
	case na > nb:
		return 1
	}
	return 0
}

// parseNumberText parses a JSON number ("-1.5e3": optional minus, digits
// with no superfluous leading zero, optional fraction and exponent).
// Leading zeros are tolerated ("007") because $number literals and Go
// callers may write them; they do not change the value.
func parseNumberText(s string) (decimal, bool) { return parseDecimal(s, true) }

// parseNumericString parses the numeric strings of SPEC.md §3:
// -?digits[.digits], without spaces, plus sign, exponent or underscores.
func parseNumericString(s string) (decimal, bool) { return parseDecimal(s, false) }

func parseDecimal(s string, exponent bool) (decimal, bool) {
	var d decimal
	i := 0
	if i < len(s) && s[i] == '-' {
		d.neg = true
		i++
	}
	intStart := i
	for i < len(s) && isDigit(s[i]) {
		i++
	}
	intPart := s[intStart:i]
	if len(intPart) == 0 {
		return decimal{}, false
	}
	var frac string
	if i < len(s) && s[i] == '.' {
		i++
		start := i
		for i < len(s) && isDigit(s[i]) {
			i++
		}
		frac = s[start:i]
		if len(frac) == 0 {
			return decimal{}, false
		}
	}
	var e int64
	if i < len(s) && (s[i] == 'e' || s[i] == 'E') {
		if !exponent {
			return decimal{}, false
		}
		i++
		eneg := false
		if i < len(s) && (s[i] == '+' || s[i] == '-') {
			eneg = s[i] == '-'
			i++
		}
		start := i
		for i < len(s) && isDigit(s[i]) {
			if e < expLimit {
				e = e*10 + int64(s[i]-'0')
			}
			i++
		}
		if i == start {
			return decimal{}, false
		}
		if e > expLimit {
			e = expLimit
		}
		if eneg {
			e = -e
		}
	}
	if i != len(s) {
		return decimal{}, false
	}
	// Strip leading zeros, possibly running into the fraction.
	lead := 0
	for lead < len(intPart) && intPart[lead] == '0' {
		lead++
	}
	hi := intPart[lead:]
	lo := frac
	d.exp = int64(len(hi)) + e
	if len(hi) == 0 {
		z := 0
		for z < len(lo) && lo[z] == '0' {
			z++
		}
		lo = lo[z:]
		d.exp = -int64(z) + e
	}
	// Strip trailing zeros, possibly running back into the integer part.
	for len(lo) > 0 && lo[len(lo)-1] == '0' {
		lo = lo[:len(lo)-1]
	}
	if len(lo) == 0 {
		for len(hi) > 0 && hi[len(hi)-1] == '0' {
			hi = hi[:len(hi)-1]
		}
	}
	d.hi, d.lo = hi, lo
	if d.isZero() {
		d = decimal{}
	}
	return d, true
}

func isDigit(c byte) bool { return '0' <= c && c <= '9' }

// numberOf returns the decimal value of a number given as a Go value: a
// json.Number or any integer or float type. ok is false for anything else,
// including NaN and infinities and json.Number text that is not a number.
// Only json.Number avoids allocating.
func numberOf(v any) (decimal, bool) {
	switch n := v.(type) {
	case json.Number:
		return parseNumberText(string(n))
	case int:
		return parseNumberText(strconv.FormatInt(int64(n), 10))
	case int64:
		return parseNumberText(strconv.FormatInt(n, 10))
	case int32:
		return parseNumberText(strconv.FormatInt(int64(n), 10))
	case int16:
		return parseNumberText(strconv.FormatInt(int64(n), 10))
	case int8:
		return parseNumberText(strconv.FormatInt(int64(n), 10))
	case uint:
		return parseNumberText(strconv.FormatUint(uint64(n), 10))
	case uint64:
		return parseNumberText(strconv.FormatUint(n, 10))
	case uint32:
		return parseNumberText(strconv.FormatUint(uint64(n), 10))
	case uint16:
		return parseNumberText(strconv.FormatUint(uint64(n), 10))
	case uint8:
		return parseNumberText(strconv.FormatUint(uint64(n), 10))
	case uintptr:
		return parseNumberText(strconv.FormatUint(uint64(n), 10))
	case float64:
		if math.IsNaN(n) || math.IsInf(n, 0) {
			return decimal{}, false
		}
		return parseNumberText(strconv.FormatFloat(n, 'g', -1, 64))
	case float32:
		f := float64(n)
		if math.IsNaN(f) || math.IsInf(f, 0) {
			return decimal{}, false
		}
		return parseNumberText(strconv.FormatFloat(f, 'g', -1, 32))
	}
	return decimal{}, false
}

// isNumberType reports whether v is of a Go number type (whatever its
// value), which makes it neither a string nor an opaque value.
func isNumberType(v any) bool {
	switch v.(type) {
	case json.Number, int, int64, int32, int16, int8, uint, uint64, uint32, uint16, uint8, uintptr, float64, float32:
		return true
	}
	return false
}
