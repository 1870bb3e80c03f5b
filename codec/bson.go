package codec

import (
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"math"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/x/bsonx/bsoncore"
)

// DecodeBSON decodes one BSON document that spans data exactly.
func DecodeBSON(data []byte) (map[string]any, error) {
	d := bsonDecoder{}
	return d.document(data, 1)
}

type bsonDecoder struct{}

func malformed(format string, args ...any) error {
	return fmt.Errorf("%w: BSON: "+format, append([]any{ErrMalformed}, args...)...)
}

// frame checks that b is exactly one document: its length prefix equals
// len(b) and it ends in NUL. It returns the element list.
func frame(b []byte) ([]byte, error) {
	if len(b) < 5 {
		return nil, malformed("document shorter than 5 bytes")
	}
	n := int64(int32(binary.LittleEndian.Uint32(b)))
	if n != int64(len(b)) {
		return nil, malformed("length prefix %d does not match the %d bytes of the document", n, len(b))
	}
	if b[len(b)-1] != 0 {
		return nil, malformed("document does not end in NUL")
	}
	return b[4 : len(b)-1], nil
}

// elements calls fn for every element of the document b, in order.
func (d bsonDecoder) elements(b []byte, depth int, fn func(key string, v any)) error {
	if depth > MaxDepth {
		return malformed("nesting deeper than %d", MaxDepth)
	}
	list, err := frame(b)
	if err != nil {
		return err
	}
	for len(list) > 0 {
		el, rest, ok := bsoncore.ReadElement(list)
		if !ok {
			return malformed("truncated or unknown element (type 0x%02x)", list[0])
		}
		key, err := el.KeyErr()
		if err != nil {
			return malformed("element key: %v", err)
		}
		if !utf8.ValidString(key) {
			return malformed("key %q is not UTF-8", key)
		}
		v, err := d.value(el.Value(), depth)
		if err != nil {
			if depth == 1 {
				// Name the top-level key only: wrapping at every level
				// would cost quadratic time on deep documents.
				return fmt.Errorf("%w (under key %q)", err, key)
			}
			return err
		}
		fn(key, v)
		list = rest
	}
	return nil
}

func (d bsonDecoder) document(b []byte, depth int) (map[string]any, error) {
	m := make(map[string]any)
	err := d.elements(b, depth, func(k string, v any) { m[k] = v })
	if err != nil {
		return nil, err
	}
	return m, nil
}

func (d bsonDecoder) array(b []byte, depth int) ([]any, error) {
	a := make([]any, 0, 4)
	err := d.elements(b, depth, func(_ string, v any) { a = append(a, v) })
	if err != nil {
		return nil, err
	}
	return a, nil
}

// bsonString reads a BSON string value: int32 length (counting the NUL),
// the bytes, NUL. The bytes must be UTF-8.
func bsonString(b []byte) (string, []byte, error) {
	if len(b) < 5 {
		return "", nil, malformed("string shorter than 5 bytes")
	}
	n := int64(int32(binary.LittleEndian.Uint32(b)))
	if n < 1 || n > int64(len(b)-4) {
		return "", nil, malformed("string length %d out of range", n)
	}
	end := 4 + int(n)
	if b[end-1] != 0 {
		return "", nil, malformed("string without its terminating NUL")
	}
	s := b[4 : end-1]
	if !utf8.Valid(s) {
		return "", nil, malformed("string is not UTF-8")
	}
	return string(s), b[end:], nil
}

func cstring(b []byte) (string, []byte, error) {
	for i, c := range b {
		if c == 0 {
			if !utf8.Valid(b[:i]) {
				return "", nil, malformed("cstring is not UTF-8")
			}
			return string(b[:i]), b[i+1:], nil
		}
	}
	return "", nil, malformed("cstring without NUL")
}

func (d bsonDecoder) value(v bsoncore.Value, depth int) (any, error) {
	switch v.Type {
	case bsoncore.TypeDouble:
		f, ok := v.DoubleOK()
		if !ok {
			return nil, malformed("truncated double")
		}
		return Float(f), nil
	case bsoncore.TypeString, bsoncore.TypeJavaScript, bsoncore.TypeSymbol:
		s, rest, err := bsonString(v.Data)
		if err != nil {
			return nil, err
		}
		if len(rest) != 0 {
			return nil, malformed("string length does not match its element")
		}
		return s, nil
	case bsoncore.TypeEmbeddedDocument:
		return d.document(v.Data, depth+1)
	case bsoncore.TypeArray:
		return d.array(v.Data, depth+1)
	case bsoncore.TypeBinary:
		_, data, ok := v.BinaryOK()
		if !ok {
			return nil, malformed("truncated binary")
		}
		return slices.Clone(data), nil
	case bsoncore.TypeUndefined, bsoncore.TypeNull:
		return nil, nil
	case bsoncore.TypeObjectID:
		id, ok := v.ObjectIDOK()
		if !ok {
			return nil, malformed("truncated ObjectId")
		}
		return hex.EncodeToString(id[:]), nil
	case bsoncore.TypeBoolean:
		if len(v.Data) != 1 || v.Data[0] > 1 {
			return nil, malformed("boolean byte is not 0 or 1")
		}
		return v.Data[0] == 1, nil
	case bsoncore.TypeDateTime:
		ms, ok := v.DateTimeOK()
		if !ok {
			return nil, malformed("truncated date-time")
		}
		return time.UnixMilli(ms).UTC(), nil
	case bsoncore.TypeRegex:
		pattern, rest, err := cstring(v.Data)
		if err != nil {
			return nil, err
		}
		options, _, err := cstring(rest)
		if err != nil {
			return nil, err
		}
		return map[string]any{"$regex": pattern, "$options": options}, nil
	case bsoncore.TypeDBPointer:
		ns, rest, err := bsonString(v.Data)
		if err != nil {
			return nil, err
		}
		if len(rest) != 12 {
			return nil, malformed("truncated DBPointer")
		}
		return map[string]any{"$ref": ns, "$id": hex.EncodeToString(rest)}, nil
	case bsoncore.TypeCodeWithScope:
		if len(v.Data) < 4 {
			return nil, malformed("truncated code with scope")
		}
		code, rest, err := bsonString(v.Data[4:])
		if err != nil {
			return nil, err
		}
		scope, err := d.document(rest, depth+1)
		if err != nil {
			return nil, err
		}
		return map[string]any{"$code": code, "$scope": scope}, nil
	case bsoncore.TypeInt32:
		i, ok := v.Int32OK()
		if !ok {
			return nil, malformed("truncated int32")
		}
		return json.Number(strconv.FormatInt(int64(i), 10)), nil
	case bsoncore.TypeInt64:
		i, ok := v.Int64OK()
		if !ok {
			return nil, malformed("truncated int64")
		}
		return json.Number(strconv.FormatInt(i, 10)), nil
	case bsoncore.TypeTimestamp:
		t, i, ok := v.TimestampOK()
		if !ok {
			return nil, malformed("truncated timestamp")
		}
		return map[string]any{"$timestamp": map[string]any{
			"t": json.Number(strconv.FormatUint(uint64(t), 10)),
			"i": json.Number(strconv.FormatUint(uint64(i), 10)),
		}}, nil
	case bsoncore.TypeDecimal128:
		h, l, ok := v.Decimal128OK()
		if !ok {
			return nil, malformed("truncated decimal128")
		}
		s := bson.NewDecimal128(h, l).String()
		if _, err := strconv.ParseFloat(s, 64); err != nil && !strings.Contains(err.Error(), "range") {
			return s, nil // NaN, Infinity
		}
		return json.Number(s), nil
	case bsoncore.TypeMinKey:
		return map[string]any{"$minKey": json.Number("1")}, nil
	case bsoncore.TypeMaxKey:
		return map[string]any{"$maxKey": json.Number("1")}, nil
	}
	return nil, malformed("unknown element type 0x%02x", byte(v.Type))
}

// Float returns f in the value model: the shortest decimal that
// round-trips, or f itself when it is NaN or infinite.
func Float(f float64) any {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return f
	}
	return json.Number(strconv.FormatFloat(f, 'g', -1, 64))
}

// EncodeBSON writes a document as BSON. doc is a map[string]any (written
// with sorted keys) or a Doc (written in order); values follow the value
// model, and other Go values are first converted through their JSON form.
func EncodeBSON(doc any) ([]byte, error) {
	d, err := toBSONDoc(doc, 0)
	if err != nil {
		return nil, err
	}
	b, err := bson.Marshal(d)
	if err != nil {
		return nil, fmt.Errorf("codec: encoding BSON: %w", err)
	}
	return b, nil
}

func toBSONDoc(doc any, depth int) (bson.D, error) {
	if depth > MaxDepth {
		return nil, fmt.Errorf("codec: encoding BSON: nesting deeper than %d", MaxDepth)
	}
	var d bson.D
	add := func(k string, v any) error {
		if strings.IndexByte(k, 0) >= 0 {
			return fmt.Errorf("codec: encoding BSON: key %q holds a NUL byte", k)
		}
		bv, err := toBSON(v, depth+1)
		if err != nil {
			return err
		}
		d = append(d, bson.E{Key: k, Value: bv})
		return nil
	}
	switch m := doc.(type) {
	case Doc:
		d = make(bson.D, 0, len(m))
		for _, f := range m {
			if err := add(f.Key, f.Value); err != nil {
				return nil, err
			}
		}
	case map[string]any:
		d = make(bson.D, 0, len(m))
		keys := make([]string, 0, len(m))
		for k := range m {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		for _, k := range keys {
			if err := add(k, m[k]); err != nil {
				return nil, err
			}
		}
	default:
		v, err := viaJSON(doc)
		if err != nil {
			return nil, err
		}
		m, ok := v.(map[string]any)
		if !ok {
			return nil, fmt.Errorf("codec: encoding BSON: %T is not a document", doc)
		}
		return toBSONDoc(m, depth)
	}
	return d, nil
}

func toBSON(v any, depth int) (any, error) {
	switch x := v.(type) {
	case nil:
		return nil, nil
	case bool, string, int32, int64, time.Time:
		return x, nil
	case int:
		return bsonInt(int64(x)), nil
	case int8:
		return int32(x), nil
	case int16:
		return int32(x), nil
	case uint8:
		return int32(x), nil
	case uint16:
		return int32(x), nil
	case uint32:
		return bsonInt(int64(x)), nil
	case uint:
		if uint64(x) > math.MaxInt64 {
			return nil, fmt.Errorf("codec: encoding BSON: %d does not fit a BSON int64", x)
		}
		return bsonInt(int64(x)), nil
	case uint64:
		if x > math.MaxInt64 {
			return nil, fmt.Errorf("codec: encoding BSON: %d does not fit a BSON int64", x)
		}
		return bsonInt(int64(x)), nil
	case float32:
		return float64(x), nil
	case float64:
		return x, nil
	case json.Number:
		return bsonNumber(x)
	case []byte:
		return bson.Binary{Data: x}, nil
	case []any:
		a := make(bson.A, len(x))
		for i, e := range x {
			bv, err := toBSON(e, depth+1)
			if err != nil {
				return nil, err
			}
			a[i] = bv
		}
		return a, nil
	case map[string]any, Doc:
		return toBSONDoc(x, depth)
	}
	if rv := reflect.ValueOf(v); rv.Kind() == reflect.Pointer && rv.IsNil() {
		return nil, nil
	}
	j, err := viaJSON(v)
	if err != nil {
		return nil, err
	}
	return toBSON(j, depth)
}

func bsonInt(i int64) any {
	if i >= math.MinInt32 && i <= math.MaxInt32 {
		return int32(i)
	}
	return i
}

// bsonNumber writes an integer as int32 or int64 and any other number as a
// double, as Python's bson does for int and float.
func bsonNumber(n json.Number) (any, error) {
	s := string(n)
	if !strings.ContainsAny(s, ".eE") {
		i, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			return nil, fmt.Errorf("codec: encoding BSON: %s does not fit a BSON int64", s)
		}
		return bsonInt(i), nil
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil {
		return nil, fmt.Errorf("codec: encoding BSON: %s is not a finite double", s)
	}
	return f, nil
}

// viaJSON converts an arbitrary Go value to the value model through its
// JSON form.
func viaJSON(v any) (any, error) {
	b, err := EncodeJSON(v)
	if err != nil {
		return nil, err
	}
	return DecodeJSON(b)
}
