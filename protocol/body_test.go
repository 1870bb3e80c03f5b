package protocol

import (
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"math"
	"math/bits"
	"os"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/sqs-mega/sqs-mega-go/codec"
)

// lookupPaths are paths a pattern set may read, covering the normalized
// MEGA document's computed fields, folded attributes and data documents.
var lookupPaths = [][]string{
	nil,
	{"protocol"}, {"version"}, {"event"}, {"object"}, {"extra"}, {"other"},
	{"event", "name"}, {"event", "timestamp"}, {"event", "version"},
	{"event", "domain"}, {"event", "subject"}, {"event", "publisher"},
	{"event", "attributes"}, {"event", "attributes", "a"}, {"event", "attributes", "name"},
	{"event", "attributes", "x", "y"}, {"event", "other"}, {"event", "name", "x"},
	{"object", "type"}, {"object", "id"}, {"object", "version"}, {"object", "current"},
	{"object", "current", "a"}, {"object", "previous", "a"}, {"object", "other"},
	{"extra", "a"}, {"extra", "a", "b"}, {"a"}, {"a", "b"}, {"x", "y"}, {"Type"}, {"Message"},
}

// checkScan checks that scanning body agrees with decoding it: the same
// kind, the same message and error, and the same value at every path.
func checkScan(t *testing.T, d *Decoder, b *Body, body string) {
	t.Helper()
	want, werr := d.decode(body, true) // through codec.DecodeJSON
	kind := d.Scan(body, b)
	if kind != want.Kind {
		t.Fatalf("Scan(%q) = %s, Decode gives %s", body, kind, want.Kind)
	}
	var doc any
	switch want.Kind {
	case KindMega:
		doc = want.Mega.Document()
	case KindData:
		doc = want.Data
	}
	for _, p := range lookupPaths {
		wv, wok := lookupDoc(doc, p)
		if doc == nil {
			wok = false
		}
		v, ok := b.Lookup(p)
		if ok != wok || !same(v, wv) {
			t.Fatalf("Lookup(%q) in %q = %#v, %v; want %#v, %v", p, body, v, ok, wv, wok)
		}
		_, wobj := wv.(map[string]any)
		if b.IsObject(p) != (wok && wobj) {
			t.Fatalf("IsObject(%q) in %q = %v, want %v", p, body, !(wok && wobj), wok && wobj)
		}
		ws, wsok := wv.(string)
		s, sok := b.LookupString(p)
		if sok != (wok && wsok) || s != ws {
			t.Fatalf("LookupString(%q) in %q = %q, %v; want %q, %v", p, body, s, sok, ws, wok && wsok)
		}
	}
	got, err := b.Message()
	if fmt.Sprint(err) != fmt.Sprint(werr) {
		t.Fatalf("Message(%q) error %v, Decode's %v", body, err, werr)
	}
	if !reflect.DeepEqual(got, want) && (got.Kind != want.Kind || !same(got.Document(), want.Document()) ||
		!reflect.DeepEqual(got.SNS, want.SNS) || got.Text != want.Text || !reflect.DeepEqual(got.Binary, want.Binary)) {
		t.Fatalf("Message(%q) = %#v\nDecode gives %#v", body, got, want)
	}
}

// same is reflect.DeepEqual, but NaN equals NaN.
func same(a, b any) bool {
	return reflect.DeepEqual(a, b) || fmt.Sprintf("%#v", a) == fmt.Sprintf("%#v", b)
}

func lookupDoc(doc any, path []string) (any, bool) {
	v := doc
	for _, k := range path {
		m, ok := v.(map[string]any)
		if !ok {
			return nil, false
		}
		if v, ok = m[k]; !ok {
			return nil, false
		}
	}
	return v, true
}

var scanSeeds = []string{
	``, ` `, `{}`, `[]`, `"x"`, `"\u00e9\ud83d\ude00\ud800x\udc00"`, `1`, `-0.5e+3`, `01`, `1.`, `true`, `nul`, `{"a":1,"a":2}`,
	`{"a" : [1, {"b": null}], "b": "\"q\""}`, `{"a":1}x`, "\ufeff{}", `{"a":"\x01"}`,
	`{"protocol":"mega","version":1,"event":{"name":"n","timestamp":"2021-01-02T03:04:05Z"}}`,
	`{"protocol":"mega","version":1.0,"event":{"name":"n","timestamp":"2021-01-02 03:04+01:00","version":"2","a":1,"attributes":{"a":2,"b":[1]},"domain":null,"subject":"s"},"object":{"current":{"a":1},"previous":null,"version":0,"type":"t"},"extra":{"a":{"b":true}}}`,
	`{"protocol":"mega","version":1,"event":{"name":"","timestamp":"x"},"object":{"current":{}}}`,
	`{"protocol":"mega","version":1,"event":{"name":"n","timestamp":"2021-01-02T03:04:05Z","version":1.5}}`,
	`{"protocol":"mega","version":1,"event":{"name":"n","timestamp":"2021-01-02T03:04:05Z"},"extra":null,"event":{"name":"m","timestamp":"2021-01-02T03:04:05Z"}}`,
	`{"protocol":"m\u0065ga","version":1e0,"event":{"na\u006de":"n","timestamp":"2021-01-02T03:04:05Z"}}`,
	`{"protocol":"mega","version":"1","event":{}}`,
	`{"Type":"Notification","MessageId":"m","TopicArn":"arn:aws:sns:us-east-1:1:t","Timestamp":"t","Message":"{\"protocol\":\"mega\",\"version\":1,\"event\":{\"name\":\"n\",\"timestamp\":\"2021-01-02T03:04:05Z\"}}","Subject":"s","MessageAttributes":{"k":{"Type":"String","Value":"v"},"j":1}}`,
	`{"Type":"Notification","MessageId":"m","TopicArn":"arn:aws:sns:us-east-1:1:t","Timestamp":"t","Message":"\"quoted\""}`,
	`{"Type":"Notification","MessageId":"m","TopicArn":"arn:aws:sns:us-east-1:1:t","Timestamp":"t","Message":"eyJhIjoxfQ=="}`,
	`{"Type":"Notification","MessageId":"m","TopicArn":"arn:aws:sns:us-east-1:1:t","Timestamp":"t","Message":"12"}`,
	`{"Type":"SubscriptionConfirmation","MessageId":"m","TopicArn":"arn:aws:sns:us-east-1:1:u","Timestamp":"t","Message":"x"}`,
	"eyJhIjoxfQ==", "BQAAAAA=", "1234", "abcd", "plain text",
	// Strings that end in, or run past, the last 8 bytes of the body.
	`"abcdefg"`, `"abcdefgh"`, `["abcdefgh\u00e9"]`, `"abc`, `"abcdefghijklmnop`, "\"abcdefgh\x7f\"", "\"abcdefg\xff\"",
	"\"a\xc3\xa9b\"", "{\"k\xc3\xa9y\":\"S\xc3\xa3o Paulo\"}", "[\"abc\x00\"]", "[\"\tx\"]", `["a\"b","\\",""]`,
	// Compact members: string values, numbers, literals and containers
	// straight after the colon; and everything a member may get wrong.
	`{"a":"b","c":"d","e":1,"f":-2.5e-3,"g":true,"h":null,"i":{},"j":[],"k":{"l":"m"}}`,
	`{"a":"b" ,"c" :"d", "e" : "f"}`, `{"a":"b":1}`, `{"a","b"}`, `{"a":"b",}`, `{"a":"b"`, `{"a":`, `{"a"`, `{1:2}`, `{"a":1]`, `[1}`,
	`[1,]`, `[,1]`, `[-]`, `[-0]`, `[0.]`, `[.5]`, `[1e]`, `[1E+]`, `[1e-07]`, `[tru]`, `[nulll]`, `[fals]`, `[[],[{}],{"a":[]}]`,
}

func addScanSeeds(f *testing.F) {
	for _, s := range scanSeeds {
		f.Add(s)
	}
	raw, err := os.ReadFile("../testdata/conformance/decode.json")
	if err != nil {
		f.Fatal(err)
	}
	var file struct {
		Vectors []struct {
			Body       *string
			BodyBase64 string `json:"body_base64"`
		}
	}
	if err := json.Unmarshal(raw, &file); err != nil {
		f.Fatal(err)
	}
	for _, v := range file.Vectors {
		if v.Body != nil {
			f.Add(*v.Body)
		} else if b, err := base64.StdEncoding.DecodeString(v.BodyBase64); err == nil {
			f.Add(string(b))
		}
	}
}

var scanDecoders = []*Decoder{
	{},
	{TopicARNs: []string{"arn:aws:sns:us-east-1:1:t"}},
	{TrustedOnly: true},
}

// FuzzScan checks the scanner against the decoder for any body: the same
// JSON accepted, the same kind, values and decoded message.
func FuzzScan(f *testing.F) {
	addScanSeeds(f)
	var b Body
	f.Fuzz(func(t *testing.T, body string) {
		var tp tape
		{
			v, err := codec.DecodeJSON([]byte(body))
			if ok := tp.scanJSON(body); ok != (err == nil) {
				t.Fatalf("scanJSON(%q) = %v, DecodeJSON error %v", body, ok, err)
			} else if ok && !reflect.DeepEqual(tp.decode(0, false), v) {
				t.Fatalf("decode(%q) = %#v, want %#v", body, tp.decode(0, false), v)
			}
		}
		for _, d := range scanDecoders {
			checkScan(t, d, &b, body)
		}
	})
}

func TestScanSeeds(t *testing.T) {
	var b Body
	for _, s := range scanSeeds {
		for _, d := range scanDecoders {
			checkScan(t, d, &b, s)
		}
	}
}

// TestScanStringBytes puts every kind of byte a string treats apart at
// every position of the 8-byte words the scanner reads strings in, in
// values and keys, and checks that the scan accepts and reads what
// codec.DecodeJSON does.
func TestScanStringBytes(t *testing.T) {
	var tp tape
	for n := range 18 {
		for _, b := range []string{`"`, `\"`, `\\`, `\u00e9`, `\x`, "\x00", "\x1f", " ", "\x7f", "\x80", "\xc3\xa9", "\xc3", "\xff", "\U0001F600"} {
			pre := strings.Repeat("a", n)
			for _, body := range []string{
				`["` + pre + b + `x"]`, `{"` + pre + b + `x":1}`, `{"k":"` + pre + b + `"}`, `"` + pre + b, `"` + pre + b + `"`,
			} {
				v, err := codec.DecodeJSON([]byte(body))
				if ok := tp.scanJSON(body); ok != (err == nil) {
					t.Fatalf("scanJSON(%q) = %v, DecodeJSON error %v", body, ok, err)
				} else if ok && !reflect.DeepEqual(tp.decode(0, false), v) {
					t.Fatalf("decode(%q) = %#v, want %#v", body, tp.decode(0, false), v)
				}
			}
		}
	}
}

func TestScanDepth(t *testing.T) {
	var tp tape
	for _, n := range []int{maxNesting - 1, maxNesting, maxNesting + 1} {
		body := strings.Repeat("[", n) + strings.Repeat("]", n)
		_, err := codec.DecodeJSON([]byte(body))
		if ok := tp.scanJSON(body); ok != (err == nil) {
			t.Errorf("depth %d: scanJSON %v, DecodeJSON error %v", n, ok, err)
		}
	}
}

func TestScanAllocs(t *testing.T) {
	body := `{"protocol":"mega","version":1,"event":{"name":"user:created","timestamp":"2021-01-02T03:04:05Z","domain":"user","attributes":{"email":"a@b.c","plan":"pro"}},"object":{"current":{"id":"1","items":[1,2,3]}},"extra":{"channel":"web"}}`
	var d Decoder
	var b Body
	d.Scan(body, &b)
	paths := [][]string{{"event", "name"}, {"event", "attributes", "email"}, {"extra", "channel"}, {"object", "current", "id"}}
	allocs := testing.AllocsPerRun(100, func() {
		if d.Scan(body, &b) != KindMega {
			t.Fatal("not MEGA")
		}
		for _, p := range paths {
			if _, ok := b.LookupString(p); !ok {
				t.Fatalf("%q missing", p)
			}
		}
	})
	if allocs != 0 {
		t.Errorf("Scan and LookupString allocate %v times per body", allocs)
	}
}

// FuzzScanBSON checks the BSON scanner against the decoder: any bytes, as
// a base64 body and as the message of an SNS notification.
func FuzzScanBSON(f *testing.F) {
	for _, s := range scanSeeds {
		v, err := codec.DecodeJSON([]byte(s))
		if m, ok := v.(map[string]any); err == nil && ok {
			if raw, err := codec.EncodeBSON(m); err == nil {
				f.Add(raw)
			}
		}
	}
	for _, doc := range []codec.Doc{
		{{Key: "protocol", Value: "mega"}, {Key: "version", Value: int32(1)}, {Key: "event", Value: codec.Doc{
			{Key: "name", Value: "a\\u0062"}, {Key: "timestamp", Value: time.Date(2021, 1, 2, 3, 4, 5, 6e6, time.UTC)},
			{Key: "version", Value: 2.0}, {Key: "attributes", Value: codec.Doc{{Key: "n", Value: int64(-7)}, {Key: "f", Value: math.NaN()}, {Key: "b", Value: []byte("x")}}},
		}}},
		{{Key: "a", Value: []any{true, nil, 1.5, "s", codec.Doc{{Key: "a", Value: 1}, {Key: "a", Value: 2}}}}},
		{{Key: "protocol", Value: "mega"}, {Key: "version", Value: math.Inf(1)}},
	} {
		if raw, err := codec.EncodeBSON(doc); err == nil {
			f.Add(raw)
		} else {
			f.Fatal(err)
		}
	}
	var b Body
	f.Fuzz(func(t *testing.T, raw []byte) {
		body := base64.StdEncoding.EncodeToString(raw)
		env, _ := json.Marshal(map[string]string{"Type": "Notification", "MessageId": "m", "TopicArn": "arn:aws:sns:us-east-1:1:t", "Timestamp": "t", "Message": body})
		for _, d := range scanDecoders {
			checkScan(t, d, &b, body)
			checkScan(t, d, &b, string(env))
		}
	})
}

// TestScanBSONStrings puts a NUL-terminated key and a string value of
// every length up to 17, with a byte beyond ASCII (valid UTF-8 or not) at
// every position, in a BSON body, and checks that the scan reads it as the
// decoder does.
func TestScanBSONStrings(t *testing.T) {
	var b Body
	for n := range 18 {
		for _, kv := range [][2]string{{"", ""}, {"\xc3\xa9", ""}, {"", "\xc3\xa9"}, {"\xff", ""}, {"", "\xff"}, {"\xc3", ""}, {"", "\xc3"}} {
			key, val := strings.Repeat("k", n)+kv[0]+"z", strings.Repeat("v", n)+kv[1]
			raw := []byte{0, 0, 0, 0, 0x02}
			raw = append(raw, key...)
			raw = append(raw, 0)
			raw = binary.LittleEndian.AppendUint32(raw, uint32(len(val)+1))
			raw = append(raw, val...)
			raw = append(raw, 0, 0)
			binary.LittleEndian.PutUint32(raw, uint32(len(raw)))
			for _, d := range scanDecoders {
				checkScan(t, d, &b, base64.StdEncoding.EncodeToString(raw))
			}
		}
	}
}

// FuzzDecodeBase64 checks the one-pass base64 decoder against isBase64
// and encoding/base64.
func FuzzDecodeBase64(f *testing.F) {
	for _, s := range []string{"", "AA==", "AAA=", "A===", "AAAA", "AB+/", "A\nAA", "====", "eyJhIjoxfQ==", "AAB="} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		dst := make([]byte, base64.StdEncoding.DecodedLen(len(s)))
		n, ok := decodeBase64(dst, s)
		want, err := base64.StdEncoding.DecodeString(s)
		wok := isBase64(s) && err == nil
		if ok != wok || ok && string(dst[:n]) != string(want) {
			t.Fatalf("decodeBase64(%q) = %x, %v; want %x, %v", s, dst[:n], ok, want, wok)
		}
	})
}

// A Body that has scanned nothing reads as an empty message.
func TestZeroBody(t *testing.T) {
	var b Body
	if m, err := b.Message(); err != nil || m.Kind != KindNone || m.SNS != nil {
		t.Fatalf("zero Body: %#v, %v", m, err)
	}
	if _, ok := b.Lookup([]string{"a"}); ok || b.IsObject(nil) {
		t.Fatal("zero Body has values")
	}
}

// daysIn agrees with time.Date's calendar, which the timestamp parser
// used to check dates such as 2021-02-30 with.
func TestDaysIn(t *testing.T) {
	for _, y := range []int{0, 1, 4, 100, 400, 1900, 2000, 2004, 2021, 2100, 9999} {
		for m := 1; m <= 12; m++ {
			for d := 1; d <= 31; d++ {
				tm := time.Date(y, time.Month(m), d, 0, 0, 0, 0, time.UTC)
				if valid := tm.Day() == d; valid != (d <= daysIn(m, y)) {
					t.Fatalf("%04d-%02d-%02d: time.Date says valid %v, daysIn %d", y, m, d, valid, daysIn(m, y))
				}
			}
		}
	}
}

// TestSpecial checks the test for the bytes a string scan stops at, for
// every byte at every position of a word of plain bytes.
func TestSpecial(t *testing.T) {
	for pos := range 8 {
		for c := range 256 {
			w := []byte("abcdefgh")
			w[pos] = byte(c)
			m := special(binary.LittleEndian.Uint64(w))
			want := c == '"' || c == '\\' || c < 0x20 || c >= 0x80
			if got := m != 0 && bits.TrailingZeros64(m)>>3 == pos; got != want || m != 0 && !got {
				t.Errorf("special(%q) = %#x; byte %d special: %v", w, m, pos, want)
			}
		}
	}
}
