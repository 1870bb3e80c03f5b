package protocol_test

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/sqs-mega/sqs-mega-go/protocol"
)

// event1K returns a realistic MEGA event of about 1 KiB.
func event1K(tb testing.TB) protocol.Payload {
	p := protocol.NewEvent(protocol.Event{
		Name:      "shopping_cart.item.added",
		Domain:    "shopping_cart",
		Subject:   "987650",
		Publisher: "shopping-cart-service",
		Attributes: map[string]any{
			"item_id":  "61fcc874-624e-40f8-8fd7-0e663c7837e8",
			"quantity": 5,
			"price":    19.99,
		},
	})
	items := make([]any, 0, 4)
	for i := range 4 {
		items = append(items, map[string]any{
			"id": fmt.Sprintf("item-%d-61fcc874-624e-40f8", i), "quantity": i + 1, "price": 9.99 + float64(i), "gift": i%2 == 0,
		})
	}
	p.Mega.Object = &protocol.Object{
		Type: "shopping_cart", ID: "18a3f92e-1fbf-45eb-8769-d836d0a1be55", Version: 2,
		Current: map[string]any{"id": "18a3f92e-1fbf-45eb-8769-d836d0a1be55", "user_id": 987650, "items": items, "total": 59.96},
	}
	p.Mega.Extra = map[string]any{
		"channel":         "web/desktop",
		"user_agent":      "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_4) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/13.1 Safari/605.1.15",
		"user_ip_address": "177.182.205.103",
		"note":            strings.Repeat("x", 120),
	}
	return p
}

func benchmarkDecode(b *testing.B, enc protocol.Encoding) {
	body, err := (&protocol.Encoder{Encoding: enc}).Encode(event1K(b))
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.SetBytes(int64(len(body)))
	for b.Loop() {
		m, err := protocol.Decode(body)
		if err != nil || m.Kind != protocol.KindMega {
			b.Fatal(m.Kind, err)
		}
	}
}

func BenchmarkDecodeMegaJSON(b *testing.B) { benchmarkDecode(b, protocol.JSON) }
func BenchmarkDecodeMegaBSON(b *testing.B) { benchmarkDecode(b, protocol.BSON) }

// BenchmarkDecodeStdlibJSON is the floor the JSON decoder stands on:
// encoding/json into an interface with UseNumber.
func BenchmarkDecodeStdlibJSON(b *testing.B) {
	body, err := protocol.Encode(event1K(b))
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.SetBytes(int64(len(body)))
	for b.Loop() {
		d := json.NewDecoder(strings.NewReader(body))
		d.UseNumber()
		var v any
		if err := d.Decode(&v); err != nil {
			b.Fatal(err)
		}
	}
}

func benchmarkEncode(b *testing.B, enc protocol.Encoding) {
	p := event1K(b)
	e := protocol.Encoder{Encoding: enc}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := e.Encode(p); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkEncodeMegaJSON(b *testing.B) { benchmarkEncode(b, protocol.JSON) }
func BenchmarkEncodeMegaBSON(b *testing.B) { benchmarkEncode(b, protocol.BSON) }

// benchmarkScan measures what a consumer does with every body before it
// knows whether a subscriber wants it: the scan, which classifies the
// body and validates a MEGA event without decoding it.
func benchmarkScan(b *testing.B, enc protocol.Encoding) {
	body, err := (&protocol.Encoder{Encoding: enc}).Encode(event1K(b))
	if err != nil {
		b.Fatal(err)
	}
	var d protocol.Decoder
	var sc protocol.Body
	b.ReportAllocs()
	b.SetBytes(int64(len(body)))
	for b.Loop() {
		if k := d.Scan(body, &sc); k != protocol.KindMega {
			b.Fatal(k)
		}
	}
}

func BenchmarkScanMegaJSON(b *testing.B) { benchmarkScan(b, protocol.JSON) }
func BenchmarkScanMegaBSON(b *testing.B) { benchmarkScan(b, protocol.BSON) }
