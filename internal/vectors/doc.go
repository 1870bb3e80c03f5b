// Package vectors loads the conformance vectors in testdata/conformance
// and compares results the way their "about" texts prescribe.
package vectors
