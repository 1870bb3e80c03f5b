package testenv_test

import (
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sqs-mega/sqs-mega-go/internal/testenv"
)

// script is scripts/with-moto, relative to this package.
var script = filepath.Join("..", "..", "scripts", "with-moto")

func TestWithMoto(t *testing.T) {
	if _, err := exec.LookPath("moto_server"); err != nil {
		if os.Getenv(testenv.RequireEnv) == "1" {
			t.Fatal("moto_server is not on PATH")
		}
		t.Skip("moto_server is not on PATH")
	}
	t.Parallel()
	// The command checks that the server answers, prints the endpoint and
	// exits with a status of its own.
	cmd := exec.Command(script, "sh", "-c",
		`curl -sf -o /dev/null "$MEGA_TEST_ENDPOINT/moto-api/" || exit 99; echo "endpoint=$MEGA_TEST_ENDPOINT require=$MEGA_TEST_REQUIRE"; exit 7`)
	out, err := cmd.CombinedOutput()
	if cmd.ProcessState == nil || cmd.ProcessState.ExitCode() != 7 {
		t.Fatalf("with-moto exited with %v, want the command's status 7\n%s", err, out)
	}
	line := ""
	for l := range strings.Lines(string(out)) {
		if strings.HasPrefix(l, "endpoint=") {
			line = strings.TrimSpace(l)
		}
	}
	host, require, ok := strings.Cut(strings.TrimPrefix(line, "endpoint=http://"), " require=")
	if !ok || require != "1" || !strings.HasPrefix(host, "127.0.0.1:") {
		t.Fatalf("command saw %q, want a loopback endpoint and MEGA_TEST_REQUIRE=1\n%s", line, out)
	}
	// The server is gone once the script has returned.
	conn, err := net.DialTimeout("tcp", host, time.Second)
	if err == nil {
		conn.Close()
		t.Errorf("moto_server still listens on %s after with-moto returned", host)
	}
}

func TestWithMotoMissingServer(t *testing.T) {
	t.Parallel()
	cmd := exec.Command(script, "true")
	cmd.Env = append(os.Environ(), "MOTO_SERVER=/nonexistent/moto_server")
	out, err := cmd.CombinedOutput()
	if err == nil {
		t.Fatalf("with-moto succeeded without a server:\n%s", out)
	}
	if !strings.Contains(string(out), "not found") {
		t.Errorf("with-moto should say the server is missing, said:\n%s", out)
	}
}
