package main

import (
	"encoding/json"
	"fmt"
	"testing"

	"github.com/sqs-mega/sqs-mega-go/codec"
	"github.com/sqs-mega/sqs-mega-go/protocol"
)

// BenchmarkMatch is the matching workload of the harness as a Go
// benchmark, one goroutine, for profiles:
//
//	go test -run X -bench 'Match/ours/10000' -cpuprofile cpu.out ./cmd/compare
func BenchmarkMatch(b *testing.B) {
	events := corpus(1, 1000)
	for _, e := range []engine{oursEngine{}, quaminaEngine{}} {
		for _, n := range []int{1, 100, 10000} {
			b.Run(fmt.Sprintf("%s/%d", e.name(), n), func(b *testing.B) {
				m, err := e.build(genPatterns(1, n))
				if err != nil {
					b.Fatal(err)
				}
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
