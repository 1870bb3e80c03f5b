package main

// The adapters for SQS MEGA itself. The match package and the
// publisher/subscriber are being written; until they land, both adapters
// report errNotAvailable and the harness prints "n/a" in their place.
// Wiring them in touches this file only.

import (
	"context"
	"encoding/json"
	"errors"

	"github.com/sqs-mega/sqs-mega-go/transport"
)

// errNotAvailable marks an engine or client that this build cannot run.
var errNotAvailable = errors.New("not available in this build")

// oursEngine will compile patterns with the match package.
type oursEngine struct{}

func (oursEngine) name() string { return "ours" }

func (oursEngine) build(ps []pattern) (matcher, error) {
	// Each pattern translates with oursJSON; compile them with
	// match.ParseJSON / match.Compile once the package exists.
	for _, p := range ps {
		if _, err := p.oursJSON(); err != nil {
			return nil, err
		}
	}
	return nil, errNotAvailable
}

// oursJSON is the pattern in the JSON form of our DSL (SPEC §3), as an
// event pattern: event fields by name, attributes under "attributes".
// Anything-but is {"$not": {"$in": [...]}}; it agrees with quamina's
// "anything-but" because the generator uses it only on fields every event
// carries (our $not also holds on a missing field; quamina's does not).
func (p pattern) oursJSON() (string, error) {
	root := map[string]any{}
	for _, c := range p {
		var v any
		switch c.Op {
		case opExact:
			if len(c.Values) == 1 {
				v = c.Values[0]
			} else {
				v = map[string]any{"$in": c.Values}
			}
		case opPrefix:
			v = map[string]any{"$prefix": c.Values[0]}
		case opAnythingBut:
			v = map[string]any{"$not": map[string]any{"$in": c.Values}}
		case opExists:
			v = map[string]any{"$exists": true}
		}
		path := []string{c.Field}
		if !isEventField(c.Field) {
			path = []string{"attributes", c.Field}
		}
		if err := setPath(root, path, v); err != nil {
			return "", err
		}
	}
	b, err := json.Marshal(root)
	return string(b), err
}

func isEventField(f string) bool {
	for _, e := range eventFields {
		if e == f {
			return true
		}
	}
	return false
}

// oursClient will publish with mega.Publisher and consume with
// mega.Subscriber on the transport/sqs transport.
type oursClient struct{}

func (oursClient) name() string { return "ours" }

func (oursClient) available() error { return errNotAvailable }

// The subscriber will receive full batches; how many pollers it runs for
// a concurrency budget is its own to say once it exists.
func (oursClient) shape(int) clientShape {
	return clientShape{PerReceive: transport.MaxBatch}
}

func (oursClient) publish(context.Context, endpoint, [][]byte, int) error {
	return errNotAvailable
}

func (oursClient) consume(context.Context, endpoint, int, func([]byte)) error {
	return errNotAvailable
}
