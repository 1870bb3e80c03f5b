// Package arn matches ARNs against the patterns of a queue policy's
// ArnLike condition, for the packages that decide which SNS topics are
// trusted (protocol) or may send (transport). It is not API.
package arn

import (
	"path"
	"strings"
)

// Allowed reports whether arn is one of allowed, where an allowed entry
// may use the wildcards * (any run of characters) and ? (one character),
// as the ArnLike condition of a queue policy does.
func Allowed(allowed []string, arn string) bool {
	for _, a := range allowed {
		if a == arn {
			return true
		}
		// Topic ARNs hold no '/', '[' or '\\', which path.Match treats
		// specially: an entry or an ARN with one matches only exactly.
		if strings.ContainsAny(a, "*?") && !strings.ContainsAny(a, "[\\/") && !strings.ContainsAny(arn, "*?[\\/") {
			if ok, _ := path.Match(a, arn); ok {
				return true
			}
		}
	}
	return false
}
