package protocol

import (
	"encoding/binary"
	"encoding/json"
	"math"
	"math/bits"
	"slices"
	"unicode"
	"unicode/utf16"
	"unicode/utf8"
	"unsafe"
)

// A tape is a JSON text scanned once: one token per value, in document
// order, each knowing where its value ends in the text and where the next
// sibling starts on the tape. Looking a path up on it skips whole
// sub-documents without reading them, and decoding from it sizes every
// map and slice exactly. Its slices are reused from one scan to the next,
// so scanning allocates nothing once they have grown.
type tape struct {
	src  string
	toks []tok
	// shared: src is an immutable string that decoded values may share;
	// otherwise (BSON, decoded into a reused buffer) they are copied.
	shared bool
}

type tokKind uint8

const (
	tNull tokKind = iota
	tFalse
	tTrue
	tNumber
	tString // no escape sequence: the text between the quotes is the value
	tEscaped
	tObject
	tArray
)

// tok is one value. For a string, [start, end) is the text between the
// quotes; for anything else, the whole value. An object's members follow
// it as key, value pairs; an array's elements follow it.
type tok struct {
	start, end int32
	next       int32 // the index of the token after this value
	n          int32 // members of an object, elements of an array
	kind       tokKind
}

// maxTape is the longest text a tape can index.
const maxTape = math.MaxInt32 - 1

// scanJSON scans s and reports whether it is valid UTF-8 and exactly one
// JSON value with surrounding whitespace, as codec.DecodeJSON reads it
// (nesting at most codec.MaxDepth deep). Bytes outside strings must be
// ASCII in JSON, so only strings are checked for UTF-8.
func (t *tape) scanJSON(s string) bool {
	t.src, t.shared = s, true
	if len(s) > maxTape {
		t.toks = t.toks[:0]
		return false
	}
	var ok bool
	t.toks, ok = scanTokens(t.toks[:0], s)
	return ok
}

func skipSpace(s string, i int) int {
	for i < len(s) {
		switch s[i] {
		case ' ', '\t', '\n', '\r':
			i++
		default:
			return i
		}
	}
	return i
}

// maxNesting is encoding/json's limit on nested arrays and objects.
const maxNesting = 10000

// scanTokens appends the tokens of the JSON text s to toks, in one loop
// over the text without recursion. While an array or object is open, its
// token's next holds the index of the enclosing container's token (or -1)
// and its end its depth; while a container inside it is open, its n holds
// the elements counted so far. All three get their final values when it
// closes. Tokens are written in place, field by field: a token built
// aside and copied in would be read back before its stores had landed,
// which stalls the pipeline on every token. Bytes are read through at,
// each after a check that it is within s.
func scanTokens(toks []tok, s string) ([]tok, bool) {
	var (
		p   = unsafe.StringData(s)
		end = len(s)
		buf = toks[:cap(toks)]
		nt  = len(toks) // tokens written to buf
		i   = skipSpace(s, 0)
		top = int32(-1) // the innermost open container's token
		n   = int32(0)  // its elements so far
		j   int
		k   tokKind
		c   byte
		tk  *tok
		ok  bool
	)
value:
	// A value starts at i.
	if i >= end {
		return buf[:nt], false
	}
	c = at(p, i)
valueAt:
	// A value starts at i, with byte c.
	switch c {
	case '"':
		k = tString
		if j = plainEnd(p, i+1, end); j >= end || at(p, j) != '"' {
			if j, k, ok = stringRest(s, j); !ok {
				return buf[:nt], false
			}
		}
		if nt >= len(buf) {
			buf = grow(buf)
		}
		tk = &buf[nt]
		tk.start, tk.end, tk.next, tk.n, tk.kind = int32(i+1), int32(j), int32(nt+1), 0, k
		nt++
		i = j + 1
		goto after
	case '{', '[':
		d := int32(1)
		if top >= 0 {
			buf[top].n = n
			d = buf[top].end + 1
		}
		if d > maxNesting {
			return buf[:nt], false
		}
		k = tArray
		if c == '{' {
			k = tObject
		}
		if nt >= len(buf) {
			buf = grow(buf)
		}
		tk = &buf[nt]
		tk.start, tk.end, tk.next, tk.n, tk.kind = int32(i), d, top, 0, k
		top, n = int32(nt), 0
		nt++
		if i++; i < end && at(p, i) <= ' ' {
			i = skipSpace(s, i)
		}
		if i >= end {
			return buf[:nt], false
		}
		if at(p, i) == c+2 { // '{'+2 is '}', '['+2 is ']'
			i++
			goto close
		}
		if k == tObject {
			goto key
		}
		goto value
	case 't':
		if end-i < 4 || s[i:i+4] != "true" {
			return buf[:nt], false
		}
		j, k = i+4, tTrue
	case 'f':
		if end-i < 5 || s[i:i+5] != "false" {
			return buf[:nt], false
		}
		j, k = i+5, tFalse
	case 'n':
		if end-i < 4 || s[i:i+4] != "null" {
			return buf[:nt], false
		}
		j, k = i+4, tNull
	default:
		// A number: -?(0|[1-9][0-9]*)(.[0-9]+)?([eE][+-]?[0-9]+)?
		j = i
		if c == '-' {
			if j++; j >= end {
				return buf[:nt], false
			}
			c = at(p, j)
		}
		switch {
		case c == '0':
			j++
		case c >= '1' && c <= '9':
			j = skipDigits(p, j+1, end)
		default:
			return buf[:nt], false
		}
		if j < end && at(p, j) == '.' {
			d := j + 1
			if j = skipDigits(p, d, end); j == d {
				return buf[:nt], false
			}
		}
		if j < end && at(p, j)|0x20 == 'e' {
			if j++; j < end && (at(p, j) == '+' || at(p, j) == '-') {
				j++
			}
			d := j
			if j = skipDigits(p, d, end); j == d {
				return buf[:nt], false
			}
		}
		k = tNumber
	}
	// A number or literal from i to j.
	if nt >= len(buf) {
		buf = grow(buf)
	}
	tk = &buf[nt]
	tk.start, tk.end, tk.next, tk.n, tk.kind = int32(i), int32(j), int32(nt+1), 0, k
	nt++
	i = j
after:
	// A value ends at i: a comma or the end of its container follows.
	if top < 0 {
		return buf[:nt], skipSpace(s, i) == end
	}
	n++
counted:
	if i >= end {
		return buf[:nt], false
	}
	if c = at(p, i); c <= ' ' {
		if i = skipSpace(s, i); i >= end {
			return buf[:nt], false
		}
		c = at(p, i)
	}
	if c == ',' {
		if i++; i < end && at(p, i) <= ' ' {
			i = skipSpace(s, i)
		}
		if buf[top].kind == tObject {
			goto key
		}
		goto value
	}
	// Only the bracket of the container's kind closes it.
	if c != ']' && c != '}' || (c == '}') != (buf[top].kind == tObject) {
		return buf[:nt], false
	}
	i++
close:
	// The container top ends before i.
	tk = &buf[top]
	top = tk.next
	tk.end, tk.n, tk.next = int32(i), n, int32(nt)
	if top >= 0 {
		n = buf[top].n
	}
	goto after
key:
	// A member's key starts at i, then a colon and its value follow.
	if i >= end || at(p, i) != '"' {
		return buf[:nt], false
	}
quotedKey:
	// The key's quote is at i.
	k = tString
	if j = plainEnd(p, i+1, end); j >= end || at(p, j) != '"' {
		if j, k, ok = stringRest(s, j); !ok {
			return buf[:nt], false
		}
	}
	if nt >= len(buf) {
		buf = grow(buf)
	}
	tk = &buf[nt]
	tk.start, tk.end, tk.next, tk.n, tk.kind = int32(i+1), int32(j), int32(nt+1), 0, k
	nt++
	if i = j + 1; i+1 < end && at(p, i) == ':' {
		if c = at(p, i+1); c == '"' {
			// A string value, as most are: scanned here, and the next
			// key too when it follows at once.
			i += 2
			k = tString
			if j = plainEnd(p, i, end); j >= end || at(p, j) != '"' {
				if j, k, ok = stringRest(s, j); !ok {
					return buf[:nt], false
				}
			}
			if nt >= len(buf) {
				buf = grow(buf)
			}
			tk = &buf[nt]
			tk.start, tk.end, tk.next, tk.n, tk.kind = int32(i), int32(j), int32(nt+1), 0, k
			nt++
			n++
			if i = j + 1; i+1 < end && at(p, i) == ',' && at(p, i+1) == '"' {
				i++
				goto quotedKey
			}
			goto counted
		}
		if c > ' ' {
			i++
			goto valueAt
		}
	}
	if i < end && at(p, i) <= ' ' {
		i = skipSpace(s, i)
	}
	if i >= end || at(p, i) != ':' {
		return buf[:nt], false
	}
	if i++; i < end && at(p, i) <= ' ' {
		i = skipSpace(s, i)
	}
	goto value
}

// plainEnd returns the index of the first byte from j on, in the string
// of length end that starts at p, that is a quote, a backslash, a control
// character or beyond ASCII, reading 8 bytes at a time; or the index from
// which fewer than 8 bytes are left.
func plainEnd(p *byte, j, end int) int {
	for j+8 <= end {
		if m := special(load64(p, j)); m != 0 {
			return j + bits.TrailingZeros64(m)>>3
		}
		j += 8
	}
	return j
}

// stringRest scans the rest of a string from j, where plainEnd stopped on
// something other than its closing quote: it returns the index of the
// closing quote and the string's kind (tEscaped when it has a backslash),
// or false when the string is not valid JSON and UTF-8.
func stringRest(s string, j int) (int, tokKind, bool) {
	k := tString
	p := unsafe.StringData(s)
	for {
		j = plainEnd(p, j, len(s))
		for j < len(s) && plain[at(p, j)] {
			j++
		}
		if j >= len(s) {
			return j, k, false
		}
		c := at(p, j)
		if c == '"' {
			return j, k, true
		}
		if c == '\\' {
			k = tEscaped
		}
		var ok bool
		if j, ok = strSpecial(s, j); !ok {
			return j, k, false
		}
	}
}

// at returns the byte at i of the string that starts at p, without a
// bounds check: the caller has checked that i is within the string.
func at(p *byte, i int) byte {
	return *(*byte)(unsafe.Add(unsafe.Pointer(p), i))
}

// load64 returns the 8 bytes at i of the string that starts at p, in
// little-endian order; the caller has checked that they are within it.
func load64(p *byte, i int) uint64 {
	return binary.LittleEndian.Uint64((*[8]byte)(unsafe.Add(unsafe.Pointer(p), i))[:])
}

// skipDigits returns the index of the first byte from i on, before end,
// that is not a decimal digit, in the string that starts at p.
func skipDigits(p *byte, i, end int) int {
	for i < end && at(p, i)-'0' <= 9 {
		i++
	}
	return i
}

// grow makes room for more tokens, its whole capacity in use.
//
//go:noinline
func grow(buf []tok) []tok {
	buf = slices.Grow(buf, 1)
	return buf[:cap(buf)]
}

// plain is true for the bytes a string holds as they are: not a quote, a
// backslash, a control character or beyond ASCII.
var plain = func() (t [256]bool) {
	for c := 0x20; c < utf8.RuneSelf; c++ {
		t[c] = c != '"' && c != '\\'
	}
	return t
}()

// strSpecial checks the byte at j inside a string, a backslash, a control
// character or the start of a multi-byte UTF-8 sequence, and returns the
// index after what it starts.
func strSpecial(s string, j int) (int, bool) {
	switch c := s[j]; {
	case c == '\\':
		j++
		if j >= len(s) {
			return j, false
		}
		switch s[j] {
		case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
			return j + 1, true
		case 'u':
			if j+4 >= len(s) {
				return j, false
			}
			for _, h := range []byte(s[j+1 : j+5]) {
				if unhex(h) < 0 {
					return j, false
				}
			}
			return j + 5, true
		}
		return j, false
	case c < 0x20:
		return j, false
	default:
		r, size := utf8.DecodeRuneInString(s[j:])
		if r == utf8.RuneError && size == 1 {
			return j, false
		}
		return j + size, true
	}
}

const (
	ones  = 0x0101010101010101
	highs = 0x8080808080808080
)

// special has the high bit of the first byte of w (in memory order) that
// is a quote, a backslash, below 0x20 or not ASCII set, and no lower bit
// set; bytes after that one may be flagged wrongly. Below that byte no
// subtraction borrows, so a byte b has its high bit set only when it is a
// quote (b^'"' - 1), a backslash (b^'\\' - 1) or a control character
// (b - 0x20); for b >= 0x80, b^'"' and b^'\\' are both >= 0x80 and not
// both 0x80, so one of them minus 1 keeps the high bit.
func special(w uint64) uint64 {
	q := w ^ (ones * '"')
	bs := w ^ (ones * '\\')
	return ((q - ones) | (bs - ones) | (w - ones*0x20)) & highs
}

func unhex(c byte) int {
	switch {
	case '0' <= c && c <= '9':
		return int(c - '0')
	case 'a' <= c && c <= 'f':
		return int(c - 'a' + 10)
	case 'A' <= c && c <= 'F':
		return int(c - 'A' + 10)
	}
	return -1
}

// text returns the raw text of token i.
func (t *tape) text(i int32) string {
	tk := &t.toks[i]
	return t.src[tk.start:tk.end]
}

// str returns the string of token i, which must be a string. Without
// escape sequences it is a piece of the source and costs nothing.
func (t *tape) str(i int32) string {
	if t.toks[i].kind == tString {
		return t.text(i)
	}
	return string(unquote(nil, t.text(i)))
}

// strInto is str, writing an escaped string into buf: the result is only
// valid until buf is written again.
func (t *tape) strInto(i int32, buf *[]byte) string {
	if t.toks[i].kind == tString {
		return t.text(i)
	}
	*buf = unquote((*buf)[:0], t.text(i))
	return unsafe.String(unsafe.SliceData(*buf), len(*buf))
}

// strBuf is str, unquoting an escaped string into buf.
func (t *tape) strBuf(i int32, buf []byte) string {
	if t.toks[i].kind == tString {
		return t.text(i)
	}
	return string(unquote(buf, t.text(i)))
}

// keyIs reports whether the key token i is k.
func (t *tape) keyIs(i int32, k string) bool {
	tk := &t.toks[i]
	if tk.kind == tString {
		return t.src[tk.start:tk.end] == k
	}
	var buf [64]byte
	return string(unquote(buf[:0], t.src[tk.start:tk.end])) == k
}

// member returns the value of the last member of object i under key k
// (encoding/json keeps the last of duplicate keys), or -1.
func (t *tape) member(i int32, k string) int32 {
	found := int32(-1)
	j := i + 1
	for range t.toks[i].n {
		if tk := &t.toks[j]; tk.kind == tString {
			if int(tk.end-tk.start) == len(k) && t.src[tk.start:tk.end] == k {
				found = j + 1
			}
		} else if t.keyIs(j, k) {
			found = j + 1
		}
		j = t.toks[j+1].next
	}
	return found
}

// members sets out[k] to the value of the last member of object i whose
// key has slot k+1 in slots, for every k in out, or to -1, in one pass
// over the object. The switch numbers the keys of every keySlots.
func (t *tape) members(i int32, slots *keySlots, out []int32) {
	for k := range out {
		out[k] = -1
	}
	// The members of a token on the tape and their offsets are within the
	// tape and its source by construction, so they are read without
	// bounds checks.
	toks, src := unsafe.Pointer(unsafe.SliceData(t.toks)), unsafe.Pointer(unsafe.StringData(t.src))
	token := func(j int32) *tok { return (*tok)(unsafe.Add(toks, uintptr(j)*unsafe.Sizeof(tok{}))) }
	j := i + 1
	for range t.toks[i].n {
		tk := token(j)
		key := unsafe.String((*byte)(unsafe.Add(src, tk.start)), int(uint32(tk.end-tk.start)))
		if tk.kind != tString {
			key = t.str(j)
		}
		var k int
		switch key {
		case "protocol":
			k = kProtocol
		case "version":
			k = kVersion
		case "event":
			k = kEvent
		case "object":
			k = kObject
		case "extra":
			k = kExtra
		case "Type":
			k = kType
		case "MessageId":
			k = kMessageID
		case "TopicArn":
			k = kTopicARN
		case "Timestamp":
			k = kTimestamp
		case "Message":
			k = kMessage
		case "name":
			k = kName
		case "timestamp":
			k = kEventTimestamp
		case "domain":
			k = kDomain
		case "subject":
			k = kSubject
		case "publisher":
			k = kPublisher
		case "attributes":
			k = kAttributes
		case "current":
			k = kCurrent
		case "previous":
			k = kPrevious
		case "type":
			k = kObjectType
		case "id":
			k = kID
		}
		if k = int(slots[k]); k > 0 {
			out[k-1] = j + 1
		}
		j = token(j + 1).next
	}
}

// path follows keys from token i through objects; -1 when a key is
// missing or a value on the way is not an object.
func (t *tape) path(i int32, keys []string) int32 {
	for _, k := range keys {
		if i < 0 || t.toks[i].kind != tObject {
			return -1
		}
		i = t.member(i, k)
	}
	return i
}

// decode returns the value of token i in the value model of package
// codec, as codec.DecodeJSON would: maps and slices sized exactly,
// numbers as json.Number, strings copied out of the source unless share.
func (t *tape) decode(i int32, share bool) any {
	share = share && t.shared
	switch tk := &t.toks[i]; tk.kind {
	case tNull:
		return nil
	case tFalse:
		return false
	case tTrue:
		return true
	case tNumber:
		return json.Number(t.own(t.text(i), share))
	case tString:
		return t.own(t.text(i), share)
	case tEscaped:
		return t.str(i)
	case tObject:
		m := make(map[string]any, tk.n)
		j := i + 1
		for range tk.n {
			m[t.own(t.str(j), share && t.toks[j].kind == tString)] = t.decode(j+1, share)
			j = t.toks[j+1].next
		}
		return m
	case tArray:
		a := make([]any, tk.n)
		j := i + 1
		for k := range a {
			a[k] = t.decode(j, share)
			j = t.toks[j].next
		}
		return a
	default:
		return t.bsonScalar(i)
	}
}

func (t *tape) own(s string, share bool) string {
	if share {
		return s
	}
	return string([]byte(s))
}

// unquote appends the string that the inside of a JSON string literal
// (already checked by the scanner) holds, as encoding/json decodes it: an
// escaped UTF-16 surrogate that is not part of a pair becomes U+FFFD.
func unquote(dst []byte, s string) []byte {
	for i := 0; i < len(s); {
		c := s[i]
		if c != '\\' {
			j := i + 1
			for j < len(s) && s[j] != '\\' {
				j++
			}
			dst = append(dst, s[i:j]...)
			i = j
			continue
		}
		i++
		switch s[i] {
		case 'b':
			dst = append(dst, '\b')
		case 'f':
			dst = append(dst, '\f')
		case 'n':
			dst = append(dst, '\n')
		case 'r':
			dst = append(dst, '\r')
		case 't':
			dst = append(dst, '\t')
		case 'u':
			r := hex4(s[i+1:])
			i += 4
			if utf16.IsSurrogate(r) {
				if i+7 <= len(s) && s[i+1] == '\\' && s[i+2] == 'u' {
					if r2 := hex4(s[i+3:]); utf16.DecodeRune(r, r2) != unicode.ReplacementChar {
						dst = utf8.AppendRune(dst, utf16.DecodeRune(r, r2))
						i += 7
						continue
					}
				}
				r = unicode.ReplacementChar
			}
			dst = utf8.AppendRune(dst, r)
		default: // '"', '\\', '/'
			dst = append(dst, s[i])
		}
		i++
	}
	return dst
}

func hex4(s string) rune {
	var r rune
	for _, c := range []byte(s[:4]) {
		r = r<<4 | rune(unhex(c))
	}
	return r
}
