package main

import (
	"encoding/json"
	"fmt"
	"html"
	"io"
	"maps"
	"math"
	"slices"
	"strings"
	"text/tabwriter"
)

// report is the JSON document of -json.
type report struct {
	Env   envInfo    `json:"env"`
	Match []matchRow `json:"match"`
	E2E   []e2eRow   `json:"e2e"`
}

type envInfo struct {
	GoVersion   string   `json:"go_version"`
	OS          string   `json:"os"`
	CPUs        int      `json:"cpus"`
	GOMAXPROCS  int      `json:"gomaxprocs"`
	Quick       bool     `json:"quick"`
	QuickNote   string   `json:"quick_note,omitempty"`
	Seed        uint64   `json:"seed"`
	MatchEvents int      `json:"match_events"`
	EventBytes  int      `json:"event_bytes_avg"`
	Messages    int      `json:"messages"`
	Concurrency int      `json:"concurrency"`
	Peers       []string `json:"peers"`
}

// matchRow is one pattern count: events per second of each engine
// (ours_eps and quamina_eps are null when the engine could not run) and
// the details by engine.
//
// AnythingBut says whether the pattern set holds anything-but conditions.
// ours_eps and quamina_eps are the match decision on the raw event;
// ours_decode_eps and quamina_unmarshal_eps add what a handler needs to
// read a matched event (the decoded message; json.Unmarshal into a map).
type matchRow struct {
	Patterns            int                     `json:"patterns"`
	AnythingBut         bool                    `json:"anything_but"`
	OursEPS             *float64                `json:"ours_eps"`
	QuaminaEPS          *float64                `json:"quamina_eps"`
	OursDecodeEPS       *float64                `json:"ours_decode_eps,omitempty"`
	QuaminaUnmarshalEPS *float64                `json:"quamina_unmarshal_eps,omitempty"`
	Engines             map[string]engineResult `json:"engines"`
}

type engineResult struct {
	EPS *float64 `json:"eps"`
	// CPUusPerEvent is the process's CPU time (getrusage) per event while
	// the engine ran; WallUSPerEvent the wall time per event and goroutine.
	CPUusPerEvent   *float64 `json:"cpu_us_per_event,omitempty"`
	WallUSPerEvent  *float64 `json:"wall_us_per_event,omitempty"`
	BuildMS         *float64 `json:"build_ms,omitempty"`
	MatchesPerEvent *float64 `json:"matches_per_event,omitempty"`
	// Checked events were compared with the reference meaning of the
	// patterns; the engine answered Mismatches of them wrongly.
	Checked       int    `json:"checked,omitempty"`
	Mismatches    *int   `json:"mismatches,omitempty"`
	FirstMismatch string `json:"first_mismatch,omitempty"`
	Error         string `json:"error,omitempty"`
}

func writeJSON(w io.Writer, r report) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(r)
}

func num(p *float64, format string) string {
	if p == nil {
		return "n/a"
	}
	return fmt.Sprintf(format, *p)
}

func wrong(e engineResult) string {
	if e.Checked == 0 {
		return "n/a"
	}
	return fmt.Sprintf("%d/%d", *e.Mismatches, e.Checked)
}

// Short names of the SQS actions in the table.
var apiAbbrev = map[string]string{
	"ReceiveMessage":               "recv",
	"DeleteMessage":                "del",
	"DeleteMessageBatch":           "delB",
	"ChangeMessageVisibility":      "vis",
	"ChangeMessageVisibilityBatch": "visB",
	"SendMessage":                  "send",
	"SendMessageBatch":             "sendB",
	"GetQueueUrl":                  "url",
	"GetQueueAttributes":           "attr",
	"CreateQueue":                  "create",
}

func byAPI(counts map[string]int64, n int) string {
	if len(counts) == 0 || n == 0 {
		return "-"
	}
	var parts []string
	for _, k := range slices.Sorted(maps.Keys(counts)) {
		name := apiAbbrev[k]
		if name == "" {
			name = k
		}
		parts = append(parts, fmt.Sprintf("%s %.3g", name, float64(counts[k])/float64(n)))
	}
	return strings.Join(parts, " ")
}

func writeTable(w io.Writer, r report) {
	e := r.Env
	fmt.Fprintf(w, "%s %s, %d CPUs, GOMAXPROCS %d; peers: %s\n\n", e.GoVersion, e.OS, e.CPUs, e.GOMAXPROCS, strings.Join(e.Peers, ", "))
	if len(r.Match) > 0 {
		fmt.Fprintf(w, "Matching: events/s over %d goroutines, %d MEGA events of %d bytes on average, from raw JSON; CPU µs per event (getrusage) / wall µs per event and goroutine\n", e.GOMAXPROCS, e.MatchEvents, e.EventBytes)
		fmt.Fprintln(w, "ours, quamina: the match decision; ours+decode, quamina+unmarshal: the decision, then the matched event decoded for a handler (our message; json.Unmarshal into a map)")
		tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
		fmt.Fprint(tw, "patterns\tanything-but\t")
		for _, name := range matchEngines {
			fmt.Fprintf(tw, "%s\tCPU/wall µs\t", name)
		}
		fmt.Fprintln(tw, "ours build ms\tquamina build ms\tmatches/event\twrong answers ours\twrong answers quamina\t")
		for _, m := range r.Match {
			o, q := m.Engines["ours"], m.Engines["quamina"]
			fmt.Fprintf(tw, "%d\t%v\t", m.Patterns, m.AnythingBut)
			for _, name := range matchEngines {
				er := m.Engines[name]
				fmt.Fprintf(tw, "%s\t%s/%s\t", num(er.EPS, "%.0f"), num(er.CPUusPerEvent, "%.2f"), num(er.WallUSPerEvent, "%.2f"))
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t\n", num(o.BuildMS, "%.1f"), num(q.BuildMS, "%.1f"), num(q.MatchesPerEvent, "%.3f"), wrong(o), wrong(q))
		}
		tw.Flush()
		fmt.Fprintln(w, "wrong answers: events (of those checked) on which the engine's match count differs from the reference meaning of the patterns.")
		fmt.Fprintln(w)
	}
	if e.Quick {
		fmt.Fprintln(w, quickNote)
		fmt.Fprintln(w)
	}
	if len(r.E2E) > 0 {
		fmt.Fprintf(w, "End to end: %d messages, concurrency %d, against sqsfake; consume phase unless marked publish\n", e.Messages, e.Concurrency)
		tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
		fmt.Fprintln(tw, "latency ms\thandler ms\tclient\tmsgs/s\tbound msgs/s\treq/msg\tCPU µs/msg\tRSS MB\tserver µs/msg\tpeak recv\tredeliv\tleft\tpublish msgs/s\tpublish req/msg\trequests per message by API\t")
		for _, row := range r.E2E {
			if row.Error != "" {
				fmt.Fprintf(tw, "%g\t%g\t%s\tn/a\t\t\t\t\t\t\t\t\t\t\t%s\t\n", row.LatencyMS, row.HandlerMS, row.Client, row.Error)
				continue
			}
			fmt.Fprintf(tw, "%g\t%g\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%d\t%d\t%d\t%s\t%s\t%s\t\n",
				row.LatencyMS, row.HandlerMS, row.Client,
				num(row.MsgsPerS, "%.0f"), num(row.LatencyBoundMsgsPerS, "%.0f"), num(row.RequestsPerMsg, "%.3f"),
				num(row.CPUusPerMsg, "%.0f"), num(row.RSSMB, "%.1f"), num(row.ServerCPUusPerMsg, "%.0f"),
				row.PeakReceives, row.Redeliveries, row.LeftInQueue,
				num(row.Publish.MsgsPerS, "%.0f"), num(row.Publish.RequestsPerMsg, "%.3f"),
				byAPI(row.RequestsByAPI, row.Messages))
		}
		tw.Flush()
		fmt.Fprintf(w, "\npublish: every client with %d messages in flight (ours: %d goroutines sending batches of 10; peers: %d goroutines sending one message each).\n", e.Concurrency*10, e.Concurrency, e.Concurrency*10)
		fmt.Fprintln(w, "bound: pollers × messages per receive / injected latency. req/msg counts every request of the phase (setup and shutdown included).")
		fmt.Fprintln(w, "recv receive, del/delB delete (batch), vis/visB change visibility (batch), send/sendB send (batch), url GetQueueUrl, attr GetQueueAttributes.")
	}
	writeRatios(w, r)
}

// matchEngines are the engines of the matching workload, in table order.
var matchEngines = []string{"ours", "quamina", "ours+decode", "quamina+unmarshal"}

// quickNote warns that -quick figures flatter clients that start fast.
const quickNote = "-quick: few messages per scenario; this under-ramps adaptive peers (gocloud sizes its receive batches from the observed throughput and has not ramped up within 1,000 messages), so the end-to-end ratios flatter ours: use a full run to compare."

// ratio is a/b, or n/a when either is missing or b is 0.
func ratio(a, b *float64) string {
	if a == nil || b == nil || *b == 0 {
		return "n/a"
	}
	return fmt.Sprintf("%.2f", *a / *b)
}

// writeRatios prints ours against each peer of the same run: above 1
// means more of the quantity for ours (better for msgs/s and events/s,
// worse for requests, CPU and memory).
func writeRatios(w io.Writer, r report) {
	if len(r.Match) > 0 {
		fmt.Fprintln(w, "\nRatios, ours / quamina (events/s; above 1: ours is faster; CPU: above 1, ours spends more)")
		tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
		fmt.Fprintln(tw, "patterns\tanything-but\tdecision\tdecision CPU\tequivalent work\tequivalent work CPU\t")
		for _, m := range r.Match {
			o, q := m.Engines["ours"], m.Engines["quamina"]
			od, qu := m.Engines["ours+decode"], m.Engines["quamina+unmarshal"]
			fmt.Fprintf(tw, "%d\t%v\t%s\t%s\t%s\t%s\t\n", m.Patterns, m.AnythingBut, ratio(m.OursEPS, m.QuaminaEPS), ratio(o.CPUusPerEvent, q.CPUusPerEvent),
				ratio(m.OursDecodeEPS, m.QuaminaUnmarshalEPS), ratio(od.CPUusPerEvent, qu.CPUusPerEvent))
		}
		tw.Flush()
	}
	type scenario struct{ lat, handler float64 }
	ours := map[scenario]e2eRow{}
	for _, row := range r.E2E {
		if row.Client == "ours" && row.Error == "" {
			ours[scenario{row.LatencyMS, row.HandlerMS}] = row
		}
	}
	if len(ours) == 0 {
		return
	}
	fmt.Fprintln(w, "\nRatios, ours / peer, consume phase (msgs/s above 1: ours is faster; req/msg, CPU and RSS below 1: ours spends less)")
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "latency ms\thandler ms\tpeer\tmsgs/s\treq/msg\tCPU µs/msg\tRSS MB\tpublish msgs/s\tpublish req/msg\tpublish CPU µs/msg\t")
	for _, row := range r.E2E {
		o, ok := ours[scenario{row.LatencyMS, row.HandlerMS}]
		if !ok || row.Client == "ours" || row.Error != "" {
			continue
		}
		fmt.Fprintf(tw, "%g\t%g\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t\n", row.LatencyMS, row.HandlerMS, row.Client,
			ratio(o.MsgsPerS, row.MsgsPerS), ratio(o.RequestsPerMsg, row.RequestsPerMsg),
			ratio(o.CPUusPerMsg, row.CPUusPerMsg), ratio(o.RSSMB, row.RSSMB),
			ratio(o.Publish.MsgsPerS, row.Publish.MsgsPerS), ratio(o.Publish.RequestsPerMsg, row.Publish.RequestsPerMsg),
			ratio(o.Publish.CPUusPerMsg, row.Publish.CPUusPerMsg))
	}
	tw.Flush()
}

// writeSVG draws msgs/s of the consume phase per client per scenario as a
// grouped bar chart.
func writeSVG(w io.Writer, rows []e2eRow) error {
	type scenario struct{ lat, handler float64 }
	var scenarios []scenario
	var names []string
	val := map[scenario]map[string]*float64{}
	for _, r := range rows {
		s := scenario{r.LatencyMS, r.HandlerMS}
		if val[s] == nil {
			val[s] = map[string]*float64{}
			scenarios = append(scenarios, s)
		}
		if !slices.Contains(names, r.Client) {
			names = append(names, r.Client)
		}
		if r.Error == "" {
			val[s][r.Client] = r.MsgsPerS
		}
	}
	top := 0.0
	for _, m := range val {
		for _, v := range m {
			if v != nil {
				top = max(top, *v)
			}
		}
	}
	top = niceCeil(top)

	const (
		barW, gap, left, right, topM, bottom, plotH = 34, 30, 70, 20, 50, 70, 320
	)
	groupW := len(names)*barW + gap
	width := left + len(scenarios)*groupW + right
	height := topM + plotH + bottom
	palette := []string{"#1b9e77", "#d95f02", "#7570b3", "#e7298a", "#66a61e", "#e6ab02"}

	var b strings.Builder
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" viewBox="0 0 %d %d" font-family="sans-serif" font-size="11">`+"\n", width, height, width, height)
	fmt.Fprintf(&b, `<rect width="%d" height="%d" fill="white"/>`+"\n", width, height)
	fmt.Fprintf(&b, `<text x="%d" y="20" font-size="14" font-weight="bold">Messages consumed per second (higher is better)</text>`+"\n", left)
	// Axis and grid: 5 steps under 5, 10, 50…, 4 under 1, 2, 10, 20…
	ticks := 4
	if lead := top / math.Pow(10, math.Floor(math.Log10(top))); math.Abs(lead-5) < 1e-9 {
		ticks = 5
	}
	for i := 0; i <= ticks; i++ {
		v := top * float64(i) / float64(ticks)
		y := topM + plotH - int(math.Round(float64(plotH)*float64(i)/float64(ticks)))
		fmt.Fprintf(&b, `<line x1="%d" y1="%d" x2="%d" y2="%d" stroke="#ddd"/>`+"\n", left, y, width-right, y)
		fmt.Fprintf(&b, `<text x="%d" y="%d" text-anchor="end">%s</text>`+"\n", left-6, y+4, humanize(v))
	}
	fmt.Fprintf(&b, `<line x1="%d" y1="%d" x2="%d" y2="%d" stroke="#333"/>`+"\n", left, topM+plotH, width-right, topM+plotH)
	for si, s := range scenarios {
		x0 := left + si*groupW + gap/2
		for ci, name := range names {
			x := x0 + ci*barW
			v := val[s][name]
			if v == nil {
				fmt.Fprintf(&b, `<text x="%d" y="%d" text-anchor="middle" fill="#999">n/a</text>`+"\n", x+barW/2, topM+plotH-4)
				continue
			}
			h := 0
			if top > 0 {
				h = int(math.Round(*v / top * plotH))
			}
			fmt.Fprintf(&b, `<rect x="%d" y="%d" width="%d" height="%d" fill="%s"><title>%s: %.0f msgs/s</title></rect>`+"\n",
				x+2, topM+plotH-h, barW-4, h, palette[ci%len(palette)], html.EscapeString(name), *v)
			fmt.Fprintf(&b, `<text x="%d" y="%d" text-anchor="middle" font-size="9">%s</text>`+"\n", x+barW/2, topM+plotH-h-3, humanize(*v))
		}
		cx := x0 + len(names)*barW/2
		fmt.Fprintf(&b, `<text x="%d" y="%d" text-anchor="middle">%g ms latency</text>`+"\n", cx, topM+plotH+16, s.lat)
		fmt.Fprintf(&b, `<text x="%d" y="%d" text-anchor="middle">%g ms handler</text>`+"\n", cx, topM+plotH+30, s.handler)
	}
	for ci, name := range names {
		x := left + ci*110
		y := height - 16
		fmt.Fprintf(&b, `<rect x="%d" y="%d" width="12" height="12" fill="%s"/>`+"\n", x, y-10, palette[ci%len(palette)])
		fmt.Fprintf(&b, `<text x="%d" y="%d">%s</text>`+"\n", x+16, y, html.EscapeString(name))
	}
	b.WriteString("</svg>\n")
	_, err := io.WriteString(w, b.String())
	return err
}

// niceCeil rounds v up to 1, 2 or 5 times a power of ten.
func niceCeil(v float64) float64 {
	if v <= 0 {
		return 1
	}
	p := math.Pow(10, math.Floor(math.Log10(v)))
	for _, m := range []float64{1, 2, 5, 10} {
		if m*p >= v {
			return m * p
		}
	}
	return 10 * p
}

func humanize(v float64) string {
	switch {
	case v >= 1e6:
		return fmt.Sprintf("%.3gM", v/1e6)
	case v >= 1e3:
		return fmt.Sprintf("%.3gk", v/1e3)
	default:
		return fmt.Sprintf("%.3g", v)
	}
}
