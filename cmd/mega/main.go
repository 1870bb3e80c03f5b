package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"sort"
	"strings"
	"syscall"
)

// Exit codes shared by the commands.
const (
	exitOK       = 0
	exitFailure  = 1 // an error, or `match` found an input that did not match
	exitUsage    = 2 // bad usage or an invalid pattern
	exitUndecode = 3 // an input is not decodable or is an invalid MEGA payload
)

// env is what a command runs with; tests provide their own.
type env struct {
	stdin          io.Reader
	stdout, stderr io.Writer
}

type command struct {
	summary string
	run     func(ctx context.Context, e *env, args []string) int
}

var commands = map[string]command{}

func register(name, summary string, run func(ctx context.Context, e *env, args []string) int) {
	commands[name] = command{summary: summary, run: run}
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, &env{stdin: os.Stdin, stdout: os.Stdout, stderr: os.Stderr}, os.Args[1:])
	stop()
	os.Exit(code)
}

func run(ctx context.Context, e *env, args []string) int {
	if len(args) == 0 {
		usage(e.stderr)
		return exitUsage
	}
	switch args[0] {
	case "-h", "-help", "--help", "help":
		if len(args) > 1 {
			if c, ok := commands[args[1]]; ok {
				return c.run(ctx, e, []string{"-h"})
			}
		}
		usage(e.stdout)
		return exitOK
	}
	c, ok := commands[args[0]]
	if !ok {
		fmt.Fprintf(e.stderr, "mega: unknown command %q\n\n", args[0])
		usage(e.stderr)
		return exitUsage
	}
	defer setupTelemetry(ctx, e)() // OTEL_* environment variables: see telemetry.go
	return c.run(ctx, e, args[1:])
}

func usage(w io.Writer) {
	fmt.Fprint(w, `mega: SQS MEGA from the shell: decode message bodies, match patterns, publish and tail queues.

Usage:
  mega COMMAND [flags] [args]

Commands:
`)
	names := make([]string, 0, len(commands))
	for n := range commands {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		fmt.Fprintf(w, "  %-8s %s\n", n, commands[n].summary)
	}
	fmt.Fprint(w, `
Run 'mega COMMAND -h' for a command's flags.
`)
}

// newFlags returns a flag set whose usage is the command's help. The flag
// package prints nothing itself: parse says what went wrong, once.
func newFlags(e *env, name, synopsis, description string) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "Usage: mega %s %s\n\n%s\n", name, synopsis, strings.TrimSpace(description))
		var has bool
		fs.VisitAll(func(*flag.Flag) { has = true })
		if has {
			fmt.Fprintf(fs.Output(), "\nFlags:\n")
			fs.PrintDefaults()
		}
	}
	return fs
}

// parse parses flags that may come before, between or after positional
// arguments, and returns the positional ones. It returns ok=false with the
// exit code when parsing stopped: -h prints the help once, to standard
// output; a bad flag is named on standard error with the valid ones.
func parse(e *env, fs *flag.FlagSet, args []string) (pos []string, code int, ok bool) {
	for {
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				fs.SetOutput(e.stdout)
				fs.Usage()
				fs.SetOutput(io.Discard)
				return nil, exitOK, false
			}
			fmt.Fprintf(e.stderr, "mega %s: %v\n", fs.Name(), err)
			fmt.Fprintf(e.stderr, "mega %s: valid flags: %s (see 'mega %s -h')\n", fs.Name(), flagNames(fs), fs.Name())
			return nil, exitUsage, false
		}
		rest := fs.Args()
		if len(rest) == 0 {
			return pos, 0, true
		}
		if rest[0] == "--" && len(args) > len(rest) && args[len(args)-len(rest)] == "--" {
			return append(pos, rest[1:]...), 0, true
		}
		pos = append(pos, rest[0])
		args = rest[1:]
	}
}

// flagNames lists a flag set's flags, as they are written on the command
// line.
func flagNames(fs *flag.FlagSet) string {
	var names []string
	fs.VisitAll(func(f *flag.Flag) {
		dash := "--"
		if len(f.Name) == 1 {
			dash = "-"
		}
		names = append(names, dash+f.Name)
	})
	if len(names) == 0 {
		return "none"
	}
	return strings.Join(names, ", ")
}

// stringList is a repeatable string flag.
type stringList []string

func (s *stringList) String() string     { return strings.Join(*s, ",") }
func (s *stringList) Set(v string) error { *s = append(*s, v); return nil }

// readInput reads a file, or standard input for "-".
func readInput(e *env, name string) ([]byte, error) {
	if name == "-" {
		return io.ReadAll(e.stdin)
	}
	return os.ReadFile(name)
}

// appendField adds a field at the end of a JSON object.
func appendField(obj []byte, key string, value any) ([]byte, error) {
	v, err := json.Marshal(value)
	if err != nil {
		return nil, err
	}
	k, _ := json.Marshal(key)
	out := obj[: len(obj)-1 : len(obj)-1]
	if len(obj) > 2 {
		out = append(out, ',')
	}
	out = append(out, k...)
	out = append(out, ':')
	out = append(out, v...)
	return append(out, '}'), nil
}
