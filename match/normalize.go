package match

import (
	"encoding/json"
	"fmt"
	"math"
	"reflect"
	"strconv"
	"time"
)

// normalize turns a Go pattern into its canonical form: nil, bool, string,
// json.Number, []any, map[string]any and Op (with canonical operands). It
// converts Go numbers to json.Number, time.Time to a $datetime literal and,
// by reflection, other slices and string-keyed maps.
func normalize(p any, path string, depth int) (any, error) {
	if depth > MaxDepth {
		return nil, &PatternError{Path: path, Reason: fmt.Sprintf("pattern nested deeper than %d levels", MaxDepth)}
	}
	switch x := p.(type) {
	case nil, bool, string:
		return x, nil
	case json.Number:
		if _, ok := parseNumberText(string(x)); !ok {
			return nil, &PatternError{Path: path, Reason: fmt.Sprintf("%q is not a number", string(x))}
		}
		return x, nil
	case time.Time:
		return timeLiteral(x), nil
	case Op:
		return normalizeOp(x, path, depth)
	case Event:
		return normalizeMap(x, path, depth)
	case Data:
		return normalizeMap(x, path, depth)
	case map[string]any:
		return normalizeMap(x, path, depth)
	case []any:
		return normalizeList(x, path, depth)
	case float64:
		if math.IsNaN(x) || math.IsInf(x, 0) {
			return nil, &PatternError{Path: path, Reason: "a number must be finite"}
		}
		return json.Number(strconv.FormatFloat(x, 'g', -1, 64)), nil
	case float32:
		if f := float64(x); math.IsNaN(f) || math.IsInf(f, 0) {
			return nil, &PatternError{Path: path, Reason: "a number must be finite"}
		}
		return json.Number(strconv.FormatFloat(float64(x), 'g', -1, 32)), nil
	}
	rv := reflect.ValueOf(p)
	switch rv.Kind() {
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return json.Number(strconv.FormatInt(rv.Int(), 10)), nil
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		return json.Number(strconv.FormatUint(rv.Uint(), 10)), nil
	case reflect.String:
		return rv.String(), nil
	case reflect.Bool:
		return rv.Bool(), nil
	case reflect.Slice, reflect.Array:
		if rv.Kind() == reflect.Slice && rv.IsNil() {
			return nil, nil
		}
		items := make([]any, rv.Len())
		for i := range items {
			items[i] = rv.Index(i).Interface()
		}
		return normalizeList(items, path, depth)
	case reflect.Map:
		if rv.Type().Key().Kind() != reflect.String {
			break
		}
		if rv.IsNil() {
			return nil, nil
		}
		m := make(map[string]any, rv.Len())
		it := rv.MapRange()
		for it.Next() {
			m[it.Key().String()] = it.Value().Interface()
		}
		return normalizeMap(m, path, depth)
	case reflect.Pointer, reflect.Interface:
		if rv.IsNil() {
			return nil, nil
		}
	}
	return nil, &PatternError{Path: path, Reason: fmt.Sprintf("a pattern cannot hold a Go %T", p)}
}

func normalizeMap(m map[string]any, path string, depth int) (any, error) {
	out := make(map[string]any, len(m))
	for k, v := range m {
		c, err := normalize(v, joinKey(path, k), depth+1)
		if err != nil {
			return nil, err
		}
		out[k] = c
	}
	return out, nil
}

func normalizeList(items []any, path string, depth int) (any, error) {
	if len(items) > MaxListLen {
		return nil, &PatternError{Path: path, Reason: fmt.Sprintf("a list holds %d items, more than %d", len(items), MaxListLen)}
	}
	out := make([]any, len(items))
	for i, v := range items {
		c, err := normalize(v, path+"["+strconv.Itoa(i)+"]", depth+1)
		if err != nil {
			return nil, err
		}
		out[i] = c
	}
	return out, nil
}

func normalizeOp(o Op, path string, depth int) (any, error) {
	if !knownOp(o.name) {
		if o.name == "" {
			return nil, &PatternError{Path: path, Reason: "the zero Op is not a pattern; build operators with the match constructors"}
		}
		return nil, &PatternError{Path: path, Reason: "unknown operator " + o.name}
	}
	switch o.name {
	case opDateTime, opDate:
		// Literals keep their operand as is; compiling checks it.
		return o, nil
	case opNumber:
		if _, isStr := o.arg.(string); isStr {
			return o, nil
		}
		if n, err := normalize(o.arg, joinKey(path, o.name), depth+1); err == nil {
			if _, isNum := n.(json.Number); isNum {
				return Op{o.name, n}, nil
			}
		}
		return o, nil
	}
	arg, err := normalize(o.arg, joinKey(path, o.name), depth+1)
	if err != nil {
		return nil, err
	}
	return Op{o.name, arg}, nil
}

func knownOp(name string) bool {
	switch name {
	case opEq, opMatch, opGt, opGte, opLt, opLte, opIn, opOneOf, opNot, opAnd, opOr,
		opEmpty, opExists, opPrefix, opSuffix, opContains, opDateTime, opDate, opNumber:
		return true
	}
	return false
}

func isLiteral(o Op) bool { return o.name == opDateTime || o.name == opDate || o.name == opNumber }

func joinKey(path, k string) string {
	if path == "" {
		return k
	}
	return path + "." + k
}
