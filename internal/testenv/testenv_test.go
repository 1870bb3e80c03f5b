package testenv_test

import (
	"os"
	"os/exec"
	"regexp"
	"strings"
	"testing"

	"github.com/sqs-mega/sqs-mega-go/internal/testenv"
)

var validName = regexp.MustCompile(`^[A-Za-z0-9_-]+$`)

func TestName(t *testing.T) {
	tests := []struct {
		name    string
		subtest string
	}{
		{"Plain", "plain"},
		{"Punctuation", "a/b c.d:e*f"},
		{"Long", strings.Repeat("very-long-subtest-name-", 10) + "tail"},
		{"Unicode", "naïve ✓"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Run(tc.subtest, func(t *testing.T) {
				a, b := testenv.Name(t), testenv.Name(t)
				for _, n := range []string{a, b} {
					if len(n) > testenv.MaxNameLen || !validName.MatchString(n) {
						t.Errorf("Name() = %q (%d chars): want at most %d of [A-Za-z0-9_-]", n, len(n), testenv.MaxNameLen)
					}
				}
				if a == b {
					t.Errorf("two calls returned the same name %q", a)
				}
				if tc.name == "Long" && !strings.Contains(a, "tail") {
					t.Errorf("Name() = %q: a shortened name should keep the end of the test path", a)
				}
			})
		})
	}
}

// TestEndpoint runs this test binary again with the helper test below,
// under each combination of the environment variables.
func TestEndpoint(t *testing.T) {
	if os.Getenv("TESTENV_HELPER") == "1" {
		t.Skip("helper run")
	}
	tests := []struct {
		name, endpoint, require string
		wantExit                bool // the helper run fails
		wantOut                 string
	}{
		{"Unset", "", "", false, "SKIP"},
		{"UnsetRequired", "", "1", true, "MEGA_TEST_REQUIRE=1 forbids skipping"},
		{"Set", "http://127.0.0.1:1/", "1", false, "endpoint=http://127.0.0.1:1;"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cmd := exec.Command(os.Args[0], "-test.run=^TestEndpointHelper$", "-test.v")
			cmd.Env = append(os.Environ(),
				"TESTENV_HELPER=1",
				testenv.EndpointEnv+"="+tc.endpoint,
				testenv.RequireEnv+"="+tc.require)
			out, err := cmd.CombinedOutput()
			if gotExit := err != nil; gotExit != tc.wantExit {
				t.Errorf("helper failed = %v (%v), want %v\n%s", gotExit, err, tc.wantExit, out)
			}
			if !strings.Contains(string(out), tc.wantOut) {
				t.Errorf("helper output lacks %q:\n%s", tc.wantOut, out)
			}
			if tc.endpoint == "" && !strings.Contains(string(out), "scripts/with-moto") {
				t.Errorf("the skip or failure should say how to run the tests:\n%s", out)
			}
		})
	}
}

func TestEndpointHelper(t *testing.T) {
	if os.Getenv("TESTENV_HELPER") != "1" {
		t.Skip("run by TestEndpoint")
	}
	t.Logf("endpoint=%s;", testenv.Endpoint(t))
	cfg := testenv.AWSConfig(t)
	if cfg.Region != testenv.Region || cfg.BaseEndpoint == nil || cfg.Credentials == nil {
		t.Errorf("AWSConfig = %+v: want region, endpoint and credentials", cfg)
	}
}
