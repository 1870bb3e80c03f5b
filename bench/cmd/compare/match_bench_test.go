package main

import (
	"encoding/json"
	"fmt"
	"testing"

	"github.com/sqs-mega/sqs-mega-go/codec"
	"github.com/sqs-mega/sqs-mega-go/protocol"
)

// BenchmarkMatch is the matching workload of the harness as a Go
// benchmark, one goroutine, for profiles and per-core figures:
//
//	GOMAXPROCS=1 go test -run X -bench 'Match/ours/10000' -benchmem ./cmd/compare
//
// Names are engine/patterns/plain (no anything-but in the set) or
// engine/patterns/anybut.
func BenchmarkMatch(b *testing.B) {
	events := corpus(1, 1000)
	engines := []engine{oursEngine{}, quaminaEngine{}, oursEngine{decode: true}, quaminaUnmarshalEngine{}}
	for _, n := range []int{1, 100, 1000, 10000} {
		for _, ab := range []bool{false, true} {
			for _, e := range engines {
				b.Run(fmt.Sprintf("%s/%d/%s", e.name(), n, map[bool]string{false: "plain", true: "anybut"}[ab]), func(b *testing.B) {
					m, err := e.build(genPatternsWith(1, n, ab))
					if err != nil {
						b.Fatal(err)
					}
					benchEvents(b, m, events)
				})
			}
		}
	}
}

func benchEvents(b *testing.B, m matcher, events [][]byte) {
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		if _, err := m.matchCount(events[i]); err != nil {
			b.Fatal(err)
		}
		if i++; i == len(events) {
			i = 0
		}
	}
}

// BenchmarkMatchBSON is our side of BenchmarkMatch on the same events as
// base64 BSON bodies (quamina reads JSON only).
func BenchmarkMatchBSON(b *testing.B) {
	var events [][]byte
	for _, e := range corpus(1, 1000) {
		m, err := protocol.Decode(string(e))
		if err != nil {
			b.Fatal(err)
		}
		body, err := (&protocol.Encoder{Encoding: protocol.BSON}).Encode(m.Payload)
		if err != nil {
			b.Fatal(err)
		}
		events = append(events, []byte(body))
	}
	for _, n := range []int{1, 100, 1000, 10000} {
		for _, e := range []engine{oursEngine{}, oursEngine{decode: true}} {
			b.Run(fmt.Sprintf("%s/%d/plain", e.name(), n), func(b *testing.B) {
				m, err := e.build(genPatternsWith(1, n, false))
				if err != nil {
					b.Fatal(err)
				}
				benchEvents(b, m, events)
			})
		}
	}
}

// BenchmarkDecode splits the fixed cost of our side of the matching
// workload: protocol.Decode (what a Consumer does with every body), the
// JSON parse inside it (codec.DecodeJSON), and for comparison
// encoding/json into a map, which a quamina user pays to read an event
// after matching it.
func BenchmarkDecode(b *testing.B) {
	events := corpus(1, 1000)
	run := func(name string, f func([]byte) error) {
		b.Run(name, func(b *testing.B) {
			b.ReportAllocs()
			i := 0
			for b.Loop() {
				if err := f(events[i]); err != nil {
					b.Fatal(err)
				}
				if i++; i == len(events) {
					i = 0
				}
			}
		})
	}
	run("protocol.Decode", func(e []byte) error {
		_, err := protocol.Decode(string(e))
		return err
	})
	run("codec.DecodeJSON", func(e []byte) error {
		_, err := codec.DecodeJSON(e)
		return err
	})
	run("json.Unmarshal", func(e []byte) error {
		var m map[string]any
		return json.Unmarshal(e, &m)
	})
}
