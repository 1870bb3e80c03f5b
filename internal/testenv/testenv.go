package testenv

import (
	"crypto/rand"
	"encoding/hex"
	"os"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
)

// Environment variables read by this package.
const (
	// EndpointEnv names the variable holding the server's base URL,
	// e.g. http://127.0.0.1:5000.
	EndpointEnv = "MEGA_TEST_ENDPOINT"
	// RequireEnv names the variable that, when "1", turns a missing
	// endpoint into a test failure instead of a skip.
	RequireEnv = "MEGA_TEST_REQUIRE"
)

// Region is the region the tests sign their requests for.
const Region = "us-east-1"

// MaxNameLen is the longest name [Name] returns. It leaves room for the
// ".fifo" suffix within the 80 characters SQS and SNS allow.
const MaxNameLen = 75

// Endpoint returns the server's base URL, or ends the test: skipped when
// no server is configured, failed when one is required.
func Endpoint(t testing.TB) string {
	t.Helper()
	ep := strings.TrimRight(os.Getenv(EndpointEnv), "/")
	if ep != "" {
		return ep
	}
	const how = EndpointEnv + " is not set; run the integration tests with scripts/with-moto go test ./..."
	if os.Getenv(RequireEnv) == "1" {
		t.Fatal(how + " (" + RequireEnv + "=1 forbids skipping)")
	}
	t.Skip(how)
	return ""
}

// AWSConfig returns a configuration for the test server: static dummy
// credentials (test/test), region us-east-1 and the server as base
// endpoint. It reads no shared configuration files or environment
// credentials, so a developer's real AWS account is never touched.
func AWSConfig(t testing.TB) aws.Config {
	t.Helper()
	return aws.Config{
		Region:       Region,
		Credentials:  credentials.NewStaticCredentialsProvider("test", "test", ""),
		BaseEndpoint: aws.String(Endpoint(t)),
	}
}

// Name returns a queue or topic name unique to this test and run: the
// test's name, shortened and reduced to the characters SQS and SNS accept
// (letters, digits, '-' and '_'), and a random suffix. It is at most
// [MaxNameLen] characters long; append ".fifo" for a FIFO queue or topic.
func Name(t testing.TB) string {
	t.Helper()
	var b [6]byte
	if _, err := rand.Read(b[:]); err != nil {
		t.Fatalf("testenv: random name: %v", err)
	}
	suffix := "-" + hex.EncodeToString(b[:])
	base := sanitize(t.Name())
	if limit := MaxNameLen - len("mega-") - len(suffix); len(base) > limit {
		base = base[len(base)-limit:] // the end of a subtest path is the distinctive part
	}
	return "mega-" + base + suffix
}

func sanitize(s string) string {
	var b strings.Builder
	for _, r := range s {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '-', r == '_':
			b.WriteRune(r)
		default:
			b.WriteByte('_')
		}
	}
	return strings.Trim(b.String(), "_-")
}
