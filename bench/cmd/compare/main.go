// Command compare measures SQS MEGA against its peers on the same events,
// on the same machine, in one run.
//
// Matching: a corpus of generated MEGA events against 1, 100, 1,000 and
// 10,000 patterns, with and without anything-but conditions, with quamina
// and with our match package: the match decision on the raw event, and
// the equivalent work of a consumer, which also decodes the events that
// match (ours: the message; quamina: json.Unmarshal into a map). CPU time
// (getrusage) is reported beside wall time.
//
// End to end: publish N messages and consume them with a no-op and with a
// 5 ms handler, with watermill-aws, gocloud.dev/pubsub (awssnssqs) and
// ours, at 0 and 15 ms of injected latency, against the in-process SQS
// endpoint of package sqsfake. Each client phase runs in a child process
// (this program run again with a hidden flag) so that its CPU time and
// peak RSS are its own; the endpoint runs here and counts the requests.
//
// Usage:
//
//	compare [-quick] [-json] [-svg FILE] [flags]
//
// See bench/README.md.
package main

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"runtime"
	"runtime/debug"
	"strconv"
	"strings"
	"time"
)

type runConfig struct {
	Seed           uint64
	MatchEvents    int
	PatternCounts  []int
	MatchDuration  time.Duration
	Messages       int
	Concurrency    int
	Latencies      []time.Duration
	Handlers       []time.Duration
	Clients        []string
	ChildTimeout   time.Duration
	SkipMatch      bool
	SkipE2E        bool
	SDKDefaultHTTP bool
	ProfileDir     string
}

func main() {
	os.Exit(run(os.Args[1:]))
}

func run(args []string) int {
	fs := flag.NewFlagSet("compare", flag.ContinueOnError)
	var (
		child     = fs.String("child", "", "internal: run one client phase (JSON spec)")
		asJSON    = fs.Bool("json", false, "print one JSON document instead of tables")
		quick     = fs.Bool("quick", false, "small sizes: finishes within a minute")
		svgFile   = fs.String("svg", "", "write a bar chart of end-to-end msgs/s to this `file`")
		n         = fs.Int("n", 10000, "messages per end-to-end scenario (-quick: 1000)")
		conc      = fs.Int("concurrency", 10, "concurrency budget of each client (handlers / subscriptions)")
		clientsF  = fs.String("clients", "ours,watermill,watermill-b10,gocloud,gocloud-pool", "end-to-end `clients` (-quick: ours,watermill,gocloud)")
		latencies = fs.String("latencies", "0,15ms", "injected latencies per request")
		handlers  = fs.String("handlers", "0,5ms", "handler durations")
		patterns  = fs.String("patterns", "1,100,1000,10000", "pattern counts of the matching workload")
		matchDur  = fs.Duration("match-duration", 2*time.Second, "time per engine and pattern count (-quick: 300ms)")
		events    = fs.Int("events", 2000, "events in the matching corpus (-quick: 1000)")
		seed      = fs.Uint64("seed", 1, "seed of the generated events and patterns")
		timeout   = fs.Duration("timeout", 10*time.Minute, "limit for one client phase (-quick: 40s)")
		skipMatch = fs.Bool("skip-match", false, "skip the matching workload")
		skipE2E   = fs.Bool("skip-e2e", false, "skip the end-to-end workload")
		from      = fs.String("from", "", "print the tables (and -svg) of a `file` written by -json, without measuring")
		profDir   = fs.String("cpuprofile", "", "write a CPU profile of every client phase into this `directory` (the figures of a profiled run are not for comparison)")
		sdkHTTP   = fs.Bool("sdk-default-http", false, "give clients the SDK's HTTP client without sqsfake.HTTPClient (it then loses answers of a zero-latency endpoint now and then)")
	)
	fs.Usage = func() {
		fmt.Fprintln(fs.Output(), "usage: compare [flags]")
		fs.VisitAll(func(f *flag.Flag) {
			if f.Name == "child" {
				return
			}
			name, usage := flag.UnquoteUsage(f)
			fmt.Fprintf(fs.Output(), "  -%s %s\n    \t%s (default %q)\n", f.Name, name, usage, f.DefValue)
		})
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	if *child != "" {
		return runChild(*child, os.Stdout)
	}
	if *from != "" {
		return render(*from, *svgFile)
	}
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	if *quick {
		quickDefault(set, "n", func() { *n = 1000 })
		quickDefault(set, "clients", func() { *clientsF = "ours,watermill,gocloud" })
		quickDefault(set, "match-duration", func() { *matchDur = 300 * time.Millisecond })
		quickDefault(set, "events", func() { *events = 1000 })
		quickDefault(set, "timeout", func() { *timeout = 40 * time.Second })
	}
	cfg := runConfig{
		Seed: *seed, MatchEvents: *events, MatchDuration: *matchDur,
		Messages: *n, Concurrency: *conc, ChildTimeout: *timeout,
		SkipMatch: *skipMatch, SkipE2E: *skipE2E, SDKDefaultHTTP: *sdkHTTP, ProfileDir: *profDir,
	}
	var errs []error
	var err error
	if cfg.PatternCounts, err = parseInts(*patterns); err != nil {
		errs = append(errs, fmt.Errorf("-patterns: %w", err))
	}
	if cfg.Latencies, err = parseDurations(*latencies); err != nil {
		errs = append(errs, fmt.Errorf("-latencies: %w", err))
	}
	if cfg.Handlers, err = parseDurations(*handlers); err != nil {
		errs = append(errs, fmt.Errorf("-handlers: %w", err))
	}
	for _, c := range strings.Split(*clientsF, ",") {
		if _, ok := clients[c]; !ok {
			errs = append(errs, fmt.Errorf("-clients: unknown client %q", c))
		}
		cfg.Clients = append(cfg.Clients, c)
	}
	if cfg.Messages < 1 || cfg.Concurrency < 1 || cfg.MatchEvents < 1 {
		errs = append(errs, errors.New("-n, -concurrency and -events must be positive"))
	}
	if *profDir != "" {
		if err := os.MkdirAll(*profDir, 0o755); err != nil {
			errs = append(errs, fmt.Errorf("-cpuprofile: %w", err))
		}
	}
	if err := errors.Join(errs...); err != nil {
		fmt.Fprintln(os.Stderr, "compare:", err)
		return 2
	}
	if *quick {
		fmt.Fprintln(os.Stderr, quickNote)
	}
	rep, err := measure(cfg, *quick)
	if err != nil {
		fmt.Fprintln(os.Stderr, "compare:", err)
		return 1
	}
	if *asJSON {
		err = writeJSON(os.Stdout, rep)
	} else {
		writeTable(os.Stdout, rep)
	}
	if err == nil && *svgFile != "" {
		var f *os.File
		if f, err = os.Create(*svgFile); err == nil {
			err = errors.Join(writeSVG(f, rep.E2E), f.Close())
		}
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "compare:", err)
		return 1
	}
	return 0
}

// render prints the tables of a saved JSON report.
func render(file, svgFile string) int {
	b, err := os.ReadFile(file)
	var rep report
	if err == nil {
		err = json.Unmarshal(b, &rep)
	}
	if err == nil {
		writeTable(os.Stdout, rep)
		if svgFile != "" {
			var f *os.File
			if f, err = os.Create(svgFile); err == nil {
				err = errors.Join(writeSVG(f, rep.E2E), f.Close())
			}
		}
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "compare:", err)
		return 1
	}
	return 0
}

func quickNoteIf(quick bool) string {
	if quick {
		return quickNote
	}
	return ""
}

func quickDefault(set map[string]bool, name string, apply func()) {
	if !set[name] {
		apply()
	}
}

func measure(cfg runConfig, quick bool) (report, error) {
	logf := func(format string, args ...any) {
		fmt.Fprintf(os.Stderr, format+"\n", args...)
	}
	sample := corpus(cfg.Seed, min(cfg.MatchEvents, 200))
	total := 0
	for _, e := range sample {
		total += len(e)
	}
	rep := report{Env: envInfo{
		GoVersion:   runtime.Version(),
		OS:          runtime.GOOS + "/" + runtime.GOARCH,
		CPUs:        runtime.NumCPU(),
		GOMAXPROCS:  runtime.GOMAXPROCS(0),
		Quick:       quick,
		QuickNote:   quickNoteIf(quick),
		Seed:        cfg.Seed,
		MatchEvents: cfg.MatchEvents,
		EventBytes:  total / len(sample),
		Messages:    cfg.Messages,
		Concurrency: cfg.Concurrency,
		Peers:       peerVersions(),
	}}
	if !cfg.SkipMatch {
		rep.Match = matchWorkload(cfg, []engine{oursEngine{}, quaminaEngine{}, oursEngine{decode: true}, quaminaUnmarshalEngine{}}, logf)
	}
	if !cfg.SkipE2E {
		rows, err := e2eWorkload(cfg, cfg.Clients, logf)
		if err != nil {
			return rep, err
		}
		rep.E2E = rows
	}
	return rep, nil
}

// peerVersions lists the modules under comparison as built in.
func peerVersions() []string {
	info, ok := debug.ReadBuildInfo()
	if !ok {
		return nil
	}
	want := map[string]bool{
		"github.com/ThreeDotsLabs/watermill": true, "github.com/ThreeDotsLabs/watermill-aws": true,
		"gocloud.dev": true, "quamina.net/go/quamina": true, "github.com/aws/aws-sdk-go-v2/service/sqs": true,
	}
	var out []string
	for _, d := range info.Deps {
		if want[d.Path] {
			out = append(out, d.Path+" "+d.Version)
		}
	}
	return out
}

func parseInts(s string) ([]int, error) {
	var out []int
	for _, f := range strings.Split(s, ",") {
		v, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || v < 1 {
			return nil, fmt.Errorf("%q is not a positive integer", f)
		}
		out = append(out, v)
	}
	return out, nil
}

// parseDurations reads "0,15ms"; a bare number is milliseconds.
func parseDurations(s string) ([]time.Duration, error) {
	var out []time.Duration
	for _, f := range strings.Split(s, ",") {
		f = strings.TrimSpace(f)
		if v, err := strconv.ParseFloat(f, 64); err == nil {
			out = append(out, time.Duration(v*float64(time.Millisecond)))
			continue
		}
		d, err := time.ParseDuration(f)
		if err != nil || d < 0 {
			return nil, fmt.Errorf("%q is not a duration", f)
		}
		out = append(out, d)
	}
	return out, nil
}
