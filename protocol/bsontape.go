package protocol

import (
	"encoding/binary"
	"encoding/json"
	"math"
	"math/bits"
	"strconv"
	"time"
	"unicode/utf8"
	"unsafe"

	"github.com/sqs-mega/sqs-mega-go/codec"
)

// BSON on a tape. The scanner reads the element types a MEGA event or a
// data document is made of (double, string, document, array, boolean,
// null, undefined, 32- and 64-bit integers, date-time) into the tokens of
// a JSON scan, so that lookups and decoding work alike on both. A document
// holding any other type, or anything malformed, is left to
// codec.DecodeBSON: the scanner accepts only what that decoder accepts,
// with the same values.

const (
	tDouble tokKind = iota + tArray + 1 // 8 bytes, little-endian IEEE 754
	tInt32                              // 4 bytes
	tInt64                              // 8 bytes
	tTime                               // 8 bytes, milliseconds since 1970 UTC
)

// scanBSON scans the BSON document raw and reports whether the scanner
// could read it whole.
func (t *tape) scanBSON(raw string) bool {
	t.src, t.shared = raw, false
	t.toks = t.toks[:0]
	if len(raw) > maxTape {
		return false
	}
	return t.bsonDoc(0, len(raw), tObject, 1)
}

func int32At(s string, i int) int64 {
	_ = s[i+3]
	return int64(int32(uint32(s[i]) | uint32(s[i+1])<<8 | uint32(s[i+2])<<16 | uint32(s[i+3])<<24))
}

// bsonDoc scans the document or array at s[start:end], length prefix and
// final NUL included.
func (t *tape) bsonDoc(start, end int, kind tokKind, depth int) bool {
	s := t.src
	if depth > codec.MaxDepth || end-start < 5 || int32At(s, start) != int64(end-start) || s[end-1] != 0 {
		return false
	}
	at := len(t.toks)
	t.push(int32(start), int32(end), kind)
	i, last := start+4, end-1
	n := int32(0)
	for i < last {
		typ := s[i]
		i++
		// The key: a NUL-terminated UTF-8 string, mostly short and ASCII.
		k, ascii := cstring(s, i, last)
		if k < 0 || !ascii && !utf8.ValidString(s[i:i+k]) {
			return false
		}
		if kind == tObject {
			t.push(int32(i), int32(i+k), tString)
		}
		i += k + 1
		var ok bool
		if i, ok = t.bsonValue(typ, i, last, depth); !ok {
			return false
		}
		n++
	}
	tk := &t.toks[at]
	tk.n, tk.next = n, int32(len(t.toks))
	return true
}

// push appends a token for s[start:end], its next the token after it (a
// document or array corrects it when it ends). It writes the fields in
// place: a token built aside and copied in would be read back before its
// stores had landed, which stalls the pipeline on every token.
func (t *tape) push(start, end int32, k tokKind) {
	n := len(t.toks)
	if n == cap(t.toks) {
		t.toks = grow(t.toks)
	}
	t.toks = t.toks[:n+1]
	tk := &t.toks[n]
	tk.start, tk.end, tk.next, tk.n, tk.kind = start, end, int32(n+1), 0, k
}

// cstring returns the length of the NUL-terminated string at s[i:], which
// must end before last, or -1, and whether it is all ASCII; 8 bytes at a
// time while 8 are left.
func cstring(s string, i, last int) (int, bool) {
	p := unsafe.StringData(s)
	var high uint64 // the bytes before the NUL, or'ed
	j := i
	for ; j+8 <= last; j += 8 {
		w := load64(p, j)
		// The first zero byte is flagged exactly: no borrow comes from
		// below it.
		if z := (w - ones) &^ w & highs; z != 0 {
			b := bits.TrailingZeros64(z) >> 3
			high |= w & (1<<(8*b) - 1)
			return j + b - i, high&highs == 0
		}
		high |= w
	}
	for ; j < last; j++ {
		c := s[j]
		if c == 0 {
			return j - i, high&highs == 0
		}
		high |= uint64(c)
	}
	return -1, false
}

// validUTF8 is utf8.ValidString, checking in line, 8 bytes at a time, the
// ASCII that most strings are.
func validUTF8(s string) bool {
	p := unsafe.StringData(s)
	j := 0
	for ; j+8 <= len(s); j += 8 {
		if load64(p, j)&highs != 0 {
			return utf8.ValidString(s[j:])
		}
	}
	for ; j < len(s); j++ {
		if s[j] >= utf8.RuneSelf {
			return utf8.ValidString(s[j:])
		}
	}
	return true
}

// bsonValue scans the value of type typ at i, before last.
func (t *tape) bsonValue(typ byte, i, last, depth int) (int, bool) {
	s := t.src
	fixed := func(n int, k tokKind) (int, bool) {
		if last-i < n {
			return i, false
		}
		t.push(int32(i), int32(i+n), k)
		return i + n, true
	}
	switch typ {
	case 0x01:
		return fixed(8, tDouble)
	case 0x02:
		if last-i < 4 {
			return i, false
		}
		l := int32At(s, i)
		if l < 1 || l > int64(last-i-4) || s[i+4+int(l)-1] != 0 || !validUTF8(s[i+4:i+4+int(l)-1]) {
			return i, false
		}
		t.push(int32(i+4), int32(i+4+int(l)-1), tString)
		return i + 4 + int(l), true
	case 0x03, 0x04:
		if last-i < 4 {
			return i, false
		}
		l := int32At(s, i)
		if l < 5 || l > int64(last-i) {
			return i, false
		}
		k := tObject
		if typ == 0x04 {
			k = tArray
		}
		return i + int(l), t.bsonDoc(i, i+int(l), k, depth+1)
	case 0x06, 0x0A:
		return fixed(0, tNull)
	case 0x08:
		if last-i < 1 || s[i] > 1 {
			return i, false
		}
		return fixed(1, tFalse+tokKind(s[i]))
	case 0x09:
		return fixed(8, tTime)
	case 0x10:
		return fixed(4, tInt32)
	case 0x12:
		return fixed(8, tInt64)
	}
	return i, false
}

func (t *tape) bits64(i int32) uint64 {
	s := t.src[t.toks[i].start:]
	_ = s[7]
	return uint64(s[0]) | uint64(s[1])<<8 | uint64(s[2])<<16 | uint64(s[3])<<24 |
		uint64(s[4])<<32 | uint64(s[5])<<40 | uint64(s[6])<<48 | uint64(s[7])<<56
}

// isNumber reports whether token i is a number of the value model (a
// double that is NaN or infinite is not: it stays a float64).
func (t *tape) isNumber(i int32) bool {
	switch t.toks[i].kind {
	case tNumber, tInt32, tInt64:
		return true
	case tDouble:
		f := math.Float64frombits(t.bits64(i))
		return !math.IsNaN(f) && !math.IsInf(f, 0)
	}
	return false
}

// numText returns the decimal text of number token i, as json.Number
// holds it, using buf for a BSON number.
func (t *tape) numText(i int32, buf []byte) string {
	switch t.toks[i].kind {
	case tInt32:
		return string(strconv.AppendInt(buf[:0], int32At(t.src, int(t.toks[i].start)), 10))
	case tInt64:
		return string(strconv.AppendInt(buf[:0], int64(t.bits64(i)), 10))
	case tDouble:
		return string(strconv.AppendFloat(buf[:0], math.Float64frombits(t.bits64(i)), 'g', -1, 64))
	}
	return t.text(i)
}

// bsonScalar decodes a BSON scalar token as codec.DecodeBSON does.
func (t *tape) bsonScalar(i int32) any {
	switch t.toks[i].kind {
	case tDouble:
		return codec.Float(math.Float64frombits(t.bits64(i)))
	case tTime:
		return time.UnixMilli(int64(t.bits64(i))).UTC()
	}
	var buf [24]byte
	return json.Number(t.numText(i, buf[:0]))
}

// base64Values maps the standard base64 alphabet to its values, and any
// other byte to 0xFF.
var base64Values = func() (t [256]byte) {
	for i := range t {
		t[i] = 0xFF
	}
	for i, c := range "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/" {
		t[c] = byte(i)
	}
	return t
}()

// base64At[k] maps a character at position k of a quantum of 4 to its
// value in place in the quantum's 24 bits, and any byte outside the
// alphabet to base64Bad.
var base64At = func() (t [4][256]uint32) {
	for k := range t {
		for c, v := range base64Values {
			if v == 0xFF {
				t[k][c] = base64Bad
			} else {
				t[k][c] = uint32(v) << (18 - 6*k)
			}
		}
	}
	return t
}()

const base64Bad = 1 << 31

// decodeBase64 decodes s into dst, which has room for it, in one pass
// that also checks what isBase64 checks; ok is false when s is not strict
// standard base64. Like base64.StdEncoding, it ignores the unused bits of
// the last character.
func decodeBase64(dst []byte, s string) (n int, ok bool) {
	if len(s) == 0 || len(s)%4 != 0 {
		return 0, false
	}
	pad := 0
	if s[len(s)-1] == '=' {
		pad++
		if s[len(s)-2] == '=' {
			pad++
		}
	}
	chars := s[:len(s)-pad]
	i := 0
	for ; i+8 <= len(chars) && n+8 <= len(dst); i += 8 {
		c := chars[i : i+8]
		// Each quantum of 4 characters in the low 24 bits, and bit 31 set
		// by any character outside the alphabet.
		x := base64At[0][c[0]] | base64At[1][c[1]] | base64At[2][c[2]] | base64At[3][c[3]]
		y := base64At[0][c[4]] | base64At[1][c[5]] | base64At[2][c[6]] | base64At[3][c[7]]
		if (x|y)&base64Bad != 0 {
			return 0, false
		}
		binary.BigEndian.PutUint64(dst[n:], uint64(x)<<40|uint64(y)<<16) // the last 2 bytes are overwritten next
		n += 6
	}
	for ; i+4 <= len(chars); i += 4 {
		a, b, c, d := base64Values[chars[i]], base64Values[chars[i+1]], base64Values[chars[i+2]], base64Values[chars[i+3]]
		if (a|b|c|d)&0xC0 != 0 {
			return 0, false
		}
		v := uint32(a)<<18 | uint32(b)<<12 | uint32(c)<<6 | uint32(d)
		dst[n], dst[n+1], dst[n+2] = byte(v>>16), byte(v>>8), byte(v)
		n += 3
	}
	switch rest := chars[i:]; len(rest) {
	case 2:
		a, b := base64Values[rest[0]], base64Values[rest[1]]
		if (a|b)&0xC0 != 0 {
			return 0, false
		}
		dst[n] = a<<2 | b>>4
		n++
	case 3:
		a, b, c := base64Values[rest[0]], base64Values[rest[1]], base64Values[rest[2]]
		if (a|b|c)&0xC0 != 0 {
			return 0, false
		}
		dst[n], dst[n+1] = a<<2|b>>4, b<<4|c>>2
		n += 2
	}
	return n, true
}
