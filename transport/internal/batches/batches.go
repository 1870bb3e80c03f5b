// Package batches holds what the SQS and SNS transports share in sending a
// batch of messages: the checks SQS and SNS would make of the entries, and
// the split of a batch over as many requests as its size needs.
package batches

import (
	"fmt"
	"slices"
	"strconv"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/sqs-mega/sqs-mega-go/transport"
)

// A Sender is what Send needs of a service, whose package name (pkg)
// prefixes the errors.
type Sender struct {
	Pkg string
	// Limit is the largest request, summed over its entries' sizes.
	Limit int
	// Check checks one entry, before any request, so that a bad entry
	// fails alone and at once.
	Check func(transport.Outgoing) error
	// One sends a batch of one entry, with the service's single call.
	One func(transport.Outgoing) (transport.SendResult, error)
	// Many sends the entries chunk of batch in one request and records
	// each one's result; an error means the request as a whole failed.
	Many func(chunk []int, results []transport.SendResult) error
}

// Send checks batch and sends its valid entries: alone with One, or with
// Many in as many requests as Limit needs. Results keep the order of the
// entries; the call fails as a whole only when no request went through.
func (s Sender) Send(batch []transport.Outgoing) ([]transport.SendResult, error) {
	if err := transport.CheckBatchSize(len(batch)); err != nil {
		return nil, fmt.Errorf("%s: Send: %w", s.Pkg, err)
	}
	if err := s.checkIDs(batch); err != nil {
		return nil, err
	}
	results := make([]transport.SendResult, len(batch))
	var valid []int
	for i, m := range batch {
		if err := s.Check(m); err != nil {
			results[i].Err = err
			continue
		}
		valid = append(valid, i)
	}
	if len(valid) == 0 {
		return results, nil
	}
	if len(batch) == 1 {
		r, err := s.One(batch[0])
		if err != nil {
			return nil, err
		}
		results[0] = r
		return results, nil
	}
	var firstErr error
	sentSome := false
	for _, chunk := range PackBySize(batch, valid, s.Limit) {
		err := s.Many(chunk, results)
		if err == nil {
			sentSome = true
			continue
		}
		if firstErr == nil {
			firstErr = err
		}
		for _, i := range chunk {
			results[i].Err = err
		}
	}
	if !sentSome && firstErr != nil {
		return nil, firstErr // no request went through: the call failed as a whole
	}
	return results, nil
}

// checkIDs rejects a batch whose caller-given entry ids the service would
// refuse: malformed or repeated. The ids sent are the entries' positions,
// so that results map back to entries whatever the caller gave.
func (s Sender) checkIDs(batch []transport.Outgoing) error {
	var ids []string
	for _, m := range batch {
		if m.ID != "" {
			ids = append(ids, m.ID)
		}
	}
	if err := transport.CheckBatchEntryIDs(ids); err != nil {
		return fmt.Errorf("%s: Send: %w", s.Pkg, err)
	}
	return nil
}

// PackBySize splits the entries idx of batch into consecutive groups whose
// sizes add up to at most limit.
func PackBySize(batch []transport.Outgoing, idx []int, limit int) [][]int {
	var (
		chunks [][]int
		cur    []int
		total  int
	)
	for _, i := range idx {
		size := batch[i].Size()
		if len(cur) > 0 && total+size > limit {
			chunks = append(chunks, cur)
			cur, total = nil, 0
		}
		cur = append(cur, i)
		total += size
	}
	if len(cur) > 0 {
		chunks = append(chunks, cur)
	}
	return chunks
}

// ID is the id of the entry at position i of a batch.
func ID(i int) *string { return aws.String(strconv.Itoa(i)) }

// An Answer reads the answer to a batch request: it maps each entry id
// back to the entry's position, and tells which entries sent the answer
// did not mention, so that no failure passes for success.
type Answer struct {
	sent []int
	seen map[int]bool
}

// NewAnswer reads the answer to a request that sent the entries at the
// positions sent.
func NewAnswer(sent []int) *Answer {
	return &Answer{sent: sent, seen: make(map[int]bool, len(sent))}
}

// Entry returns the position of the entry with the given id, if it was
// sent, and records it as answered.
func (a *Answer) Entry(id *string) (int, bool) {
	i, err := strconv.Atoi(aws.ToString(id))
	if err != nil || !slices.Contains(a.sent, i) {
		return 0, false
	}
	a.seen[i] = true
	return i, true
}

// Unanswered returns the positions of the entries sent that the answer
// did not mention.
func (a *Answer) Unanswered() []int {
	var out []int
	for _, i := range a.sent {
		if !a.seen[i] {
			out = append(out, i)
		}
	}
	return out
}

// OptString is nil for "", as the SDK wants optional fields.
func OptString(s string) *string {
	if s == "" {
		return nil
	}
	return aws.String(s)
}
