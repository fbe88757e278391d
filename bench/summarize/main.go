// Command summarize turns the JSON results of bench/compare.sh into the
// results section of docs/BENCHMARKS.md: medians per scenario and server,
// the ratio shop/Node, and the targets met or missed.
//
//	go run ./bench/summarize -dir /tmp/results -doc docs/BENCHMARKS.md
//
// The section sits between the markers below; text outside them is kept.
package main

import (
	"bufio"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

const (
	beginMarker = "<!-- results:begin (written by bench/compare.sh; edit outside the markers) -->"
	endMarker   = "<!-- results:end -->"
)

func main() {
	if err := run(os.Args[1:], os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "summarize:", err)
		os.Exit(1)
	}
}

func run(args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("summarize", flag.ContinueOnError)
	dir := fs.String("dir", "", "`directory` of compare.sh results")
	doc := fs.String("doc", "", "markdown `file` whose results section to replace (empty: print it)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *dir == "" {
		return errors.New("-dir is required")
	}
	runs, err := loadRuns(*dir)
	if err != nil {
		return err
	}
	meta, err := readMeta(filepath.Join(*dir, "meta.txt"))
	if err != nil {
		return err
	}
	cmds, err := readCommands(filepath.Join(*dir, "commands.txt"))
	if err != nil {
		return err
	}
	section := render(meta, cmds, runs)
	if *doc == "" {
		_, err := io.WriteString(stdout, section)
		return err
	}
	return replaceSection(*doc, section)
}

// loadResult is the part of shop-load's JSON output the summary uses.
type loadResult struct {
	Clients             int     `json:"clients"`
	Connected           int     `json:"connected"`
	Failed              int     `json:"failed"`
	Disconnected        int     `json:"disconnected"`
	Lost                uint64  `json:"lost"`
	MaxSustainedPerSec  float64 `json:"maxSustainedDeliveriesPerSec"`
	MaxSustainedRate    float64 `json:"maxSustainedRate"`
	ServerCPUPerMillion float64 `json:"serverCpuSecondsPerMillion"`
	ToolSaturated       bool    `json:"toolSaturated"`
	Server              *struct {
		RSSBeforeMB     float64 `json:"rssBeforeMB"`
		RSSConnectedMB  float64 `json:"rssConnectedMB"`
		PerConnectionKB float64 `json:"perConnectionKB"`
	} `json:"server"`
	Steps []struct {
		Rate             float64 `json:"rate"`
		DeliveriesPerSec float64 `json:"deliveriesPerSec"`
		Lost             uint64  `json:"lost"`
		Latency          struct {
			Count uint64  `json:"count"`
			P50   float64 `json:"p50Ms"`
			P90   float64 `json:"p90Ms"`
			P99   float64 `json:"p99Ms"`
			Max   float64 `json:"maxMs"`
		} `json:"latency"`
		ServerCPUFrac        float64 `json:"serverCpuFraction"`
		ServerSysFrac        float64 `json:"serverSystemCpuFraction"`
		ServerCPUPerMillion  float64 `json:"serverCpuSecondsPerMillion"`
		ToolCPUFrac          float64 `json:"toolCpuFraction"`
		ToolCPUPerDeliveryUs float64 `json:"toolCpuMicrosPerDelivery"`
		Sustained            bool    `json:"sustained"`
		Verdict              string  `json:"verdict"`
	} `json:"steps"`
}

// runKey names one result file: <rep>-<scenario>-<server>.json.
type runKey struct {
	rep      int
	scenario string
	server   string
}

func loadRuns(dir string) (map[runKey]*loadResult, error) {
	files, err := filepath.Glob(filepath.Join(dir, "*.json"))
	if err != nil {
		return nil, err
	}
	runs := map[runKey]*loadResult{}
	for _, f := range files {
		base := strings.TrimSuffix(filepath.Base(f), ".json")
		first := strings.IndexByte(base, '-')
		last := strings.LastIndexByte(base, '-')
		if first < 0 || last <= first {
			continue
		}
		var k runKey
		if _, err := fmt.Sscanf(base[:first], "%d", &k.rep); err != nil {
			continue
		}
		k.scenario, k.server = base[first+1:last], base[last+1:]
		b, err := os.ReadFile(f)
		if err != nil {
			return nil, err
		}
		var r loadResult
		if err := json.Unmarshal(b, &r); err != nil {
			return nil, fmt.Errorf("%s: %w", f, err)
		}
		runs[k] = &r
	}
	if len(runs) == 0 {
		return nil, fmt.Errorf("no results in %s", dir)
	}
	return runs, nil
}

func readMeta(path string) (map[string]string, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	m := map[string]string{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if k, v, ok := strings.Cut(sc.Text(), "="); ok {
			m[k] = v
		}
	}
	return m, sc.Err()
}

type command struct{ scenario, server, serverCmd, loadCmd string }

func readCommands(path string) ([]command, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var out []command
	for _, line := range strings.Split(strings.TrimSpace(string(b)), "\n") {
		f := strings.Split(line, "\t")
		if len(f) == 4 {
			out = append(out, command{f[0], f[1], f[2], f[3]})
		}
	}
	return out, nil
}

// median of the values; NaN for none.
func median(v []float64) float64 {
	if len(v) == 0 {
		return math.NaN()
	}
	s := append([]float64(nil), v...)
	sort.Float64s(s)
	n := len(s)
	if n%2 == 1 {
		return s[n/2]
	}
	return (s[n/2-1] + s[n/2]) / 2
}

// metric extracts one number from a run; ok is false when the run has none.
type metric func(r *loadResult) (float64, bool)

// firstStep reads a number of the first step of a run with purchases.
func firstStep(f func(r *loadResult) float64) metric {
	return func(r *loadResult) (float64, bool) {
		if len(r.Steps) == 0 || r.Steps[0].Rate == 0 {
			return 0, false
		}
		return f(r), true
	}
}

var (
	mConnected = func(r *loadResult) (float64, bool) { return float64(r.Connected), true }
	mDelivPS   = firstStep(func(r *loadResult) float64 { return r.Steps[0].DeliveriesPerSec })
	mP50       = firstStep(func(r *loadResult) float64 { return r.Steps[0].Latency.P50 })
	mP90       = firstStep(func(r *loadResult) float64 { return r.Steps[0].Latency.P90 })
	mP99       = firstStep(func(r *loadResult) float64 { return r.Steps[0].Latency.P99 })
	mMax       = firstStep(func(r *loadResult) float64 { return r.Steps[0].Latency.Max })
	mLost      = func(r *loadResult) (float64, bool) { return float64(r.Lost), true }
	mCPUFrac   = firstStep(func(r *loadResult) float64 { return r.Steps[0].ServerCPUFrac })
	mSysFrac   = firstStep(func(r *loadResult) float64 { return r.Steps[0].ServerSysFrac })
	mCPUPerM   = func(r *loadResult) (float64, bool) { return r.ServerCPUPerMillion, r.ServerCPUPerMillion > 0 }
	mToolUs    = firstStep(func(r *loadResult) float64 { return r.Steps[0].ToolCPUPerDeliveryUs })
	mRSS       = func(r *loadResult) (float64, bool) {
		if r.Server == nil {
			return 0, false
		}
		return r.Server.RSSConnectedMB, true
	}
	mPerConn = func(r *loadResult) (float64, bool) {
		if r.Server == nil {
			return 0, false
		}
		return r.Server.PerConnectionKB, true
	}
	mMaxSustained     = func(r *loadResult) (float64, bool) { return r.MaxSustainedPerSec, true }
	mMaxSustainedRate = func(r *loadResult) (float64, bool) { return r.MaxSustainedRate, true }
)

// stat is the median of a metric over the repetitions of one scenario on
// one server.
func stat(runs map[runKey]*loadResult, scenario, server string, m metric) float64 {
	var v []float64
	for k, r := range runs {
		if k.scenario == scenario && k.server == server {
			if x, ok := m(r); ok {
				v = append(v, x)
			}
		}
	}
	return median(v)
}

func scenarios(runs map[runKey]*loadResult) []string {
	order := map[string]int{"fanout-1k": 0, "fanout-10k": 1, "max-10k": 2, "idle-19500": 3}
	seen := map[string]bool{}
	var out []string
	for k := range runs {
		if !seen[k.scenario] {
			seen[k.scenario] = true
			out = append(out, k.scenario)
		}
	}
	sort.Slice(out, func(i, j int) bool {
		oi, iok := order[out[i]]
		oj, jok := order[out[j]]
		if iok != jok {
			return iok
		}
		if oi != oj {
			return oi < oj
		}
		return out[i] < out[j]
	})
	return out
}

func num(v float64, prec int) string {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return "–"
	}
	return fmt.Sprintf("%.*f", prec, v)
}

// cpuCol shows a CPU share of a core and its system part.
func cpuCol(total, sys float64) string {
	if math.IsNaN(total) {
		return "–"
	}
	return fmt.Sprintf("%.0f%% (%.0f%%)", 100*total, 100*sys)
}

func ratio(shop, node float64) string {
	if math.IsNaN(shop) || math.IsNaN(node) || node == 0 {
		return "–"
	}
	return fmt.Sprintf("%.2f×", shop/node)
}

func yes(ok bool) string {
	if ok {
		return "**met**"
	}
	return "**missed**"
}

func render(meta map[string]string, cmds []command, runs map[runKey]*loadResult) string {
	var b strings.Builder
	w := func(format string, a ...any) { fmt.Fprintf(&b, format, a...) }
	w("%s\n", beginMarker)
	w("## Results\n\n")
	reps := meta["reps"]
	kind := "full run"
	if meta["quick"] == "1" {
		kind = "**quick run** (fewer clients, one repetition: a smoke test, not a measurement)"
	}
	w("%s, %s, commit `%s`; medians of %s repetition(s).\n\n", meta["date"], kind, meta["commit"], reps)
	w("Machine: %s, %s cores, %s RAM, Linux %s. Go %s, Node %s, socket.io %s. ",
		meta["cpu"], meta["cores"], meta["ram"], meta["kernel"], strings.TrimPrefix(meta["go"], "go"), meta["node"], meta["socketio"])
	w("Server on core 0, load tool on core 1 (`taskset`). Load average at start %s, at end %s (other work on the machine shows here).\n\n",
		meta["loadavg_start"], meta["loadavg_end"])

	// Targets.
	w("### Targets\n\n")
	w("| target | shop | Node | shop/Node | goal | |\n|---|---:|---:|---:|---|---|\n")
	cpuS, cpuN := stat(runs, "fanout-10k", "shop", mCPUPerM), stat(runs, "fanout-10k", "node", mCPUPerM)
	w("| server CPU s per million deliveries (10k clients, 5/s) | %s | %s | %s | ≤ 0.4× | %s |\n",
		num(cpuS, 2), num(cpuN, 2), ratio(cpuS, cpuN), yes(cpuS <= 0.4*cpuN))
	maxS, maxN := stat(runs, "max-10k", "shop", mMaxSustained), stat(runs, "max-10k", "node", mMaxSustained)
	w("| highest sustained deliveries/s (10k clients) | %s | %s | %s | ≥ 2× | %s |\n",
		num(maxS, 0), num(maxN, 0), ratio(maxS, maxN), yes(maxS >= 2*maxN && maxS > 0))
	p99S, p99N := stat(runs, "fanout-10k", "shop", mP99), stat(runs, "fanout-10k", "node", mP99)
	w("| p99 latency ms (10k clients, 5/s) | %s | %s | %s | ≤ 0.25× and < 250 ms | %s |\n",
		num(p99S, 1), num(p99N, 1), ratio(p99S, p99N), yes(p99S <= 0.25*p99N && p99S < 250))
	memS, memN := stat(runs, "idle-19500", "shop", mPerConn), stat(runs, "idle-19500", "node", mPerConn)
	w("| RSS KB per idle WebSocket (19,500 idle) | %s | %s | %s | below Node | %s |\n",
		num(memS, 2), num(memN, 2), ratio(memS, memN), yes(memS < memN))
	heldS, clients := minHeld(runs, "idle-19500", "shop")
	heldN, _ := minHeld(runs, "idle-19500", "node")
	w("| connections held, worst run (idle-19500) | %d/%d | %d/%d | | all, no failure | %s |\n",
		heldS, clients, heldN, clients, yes(heldS == clients && clients > 0))
	lostS, lostN := totalLost(runs, "shop"), totalLost(runs, "node")
	w("| deliveries lost, all runs | %d | %d | | 0 | %s |\n\n", lostS, lostN, yes(lostS == 0))

	// Per scenario.
	w("### Per scenario (medians)\n\n")
	w("Latency is from the buyer's emit of `BUY` to each client's receipt of `BUY_GOODS`; for max-10k it is the first step's. ")
	w("CPU s/M is server CPU seconds per million deliveries; tool µs/d is the load tool's own CPU per delivery.\n\n")
	w("| scenario | server | connected | deliveries/s | p50 ms | p90 ms | p99 ms | max ms | lost | server CPU (system) | CPU s/M | RSS MB | KB/conn | max sustained/s | tool µs/d |\n")
	w("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n")
	for _, sc := range scenarios(runs) {
		for _, srv := range []string{"shop", "node"} {
			if math.IsNaN(stat(runs, sc, srv, mConnected)) {
				continue
			}
			maxCol := "–"
			if sc == "max-10k" {
				maxCol = fmt.Sprintf("%s (at %s/s)", num(stat(runs, sc, srv, mMaxSustained), 0), num(stat(runs, sc, srv, mMaxSustainedRate), 0))
			}
			w("| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |\n", sc, srv,
				num(stat(runs, sc, srv, mConnected), 0), num(stat(runs, sc, srv, mDelivPS), 0),
				num(stat(runs, sc, srv, mP50), 1), num(stat(runs, sc, srv, mP90), 1), num(stat(runs, sc, srv, mP99), 1), num(stat(runs, sc, srv, mMax), 1),
				num(stat(runs, sc, srv, mLost), 0), cpuCol(stat(runs, sc, srv, mCPUFrac), stat(runs, sc, srv, mSysFrac)), num(stat(runs, sc, srv, mCPUPerM), 2),
				num(stat(runs, sc, srv, mRSS), 1), num(stat(runs, sc, srv, mPerConn), 2), maxCol, num(stat(runs, sc, srv, mToolUs), 2))
		}
	}

	// Every run, to show the spread.
	w("\n### Every run\n\n| rep | scenario | server | connected | failed | dropped | p99 ms | lost | CPU s/M | KB/conn | steps (rate/s: verdict) |\n|---:|---|---|---:|---:|---:|---:|---:|---:|---:|---|\n")
	keys := make([]runKey, 0, len(runs))
	for k := range runs {
		keys = append(keys, k)
	}
	order := map[string]int{}
	for i, s := range scenarios(runs) {
		order[s] = i
	}
	sort.Slice(keys, func(i, j int) bool {
		a, c := keys[i], keys[j]
		if a.rep != c.rep {
			return a.rep < c.rep
		}
		if a.scenario != c.scenario {
			return order[a.scenario] < order[c.scenario]
		}
		return a.server > c.server
	})
	for _, k := range keys {
		r := runs[k]
		p99, _ := mP99(r)
		perConn, _ := mPerConn(r)
		var steps []string
		if len(r.Steps) > 1 {
			for _, s := range r.Steps {
				steps = append(steps, fmt.Sprintf("%g: %s", s.Rate, s.Verdict))
			}
		} else if len(r.Steps) == 1 && r.Steps[0].Verdict != "ok" {
			steps = append(steps, r.Steps[0].Verdict)
		}
		stepText := strings.Join(steps, "; ")
		if len(stepText) > 400 {
			stepText = "… " + stepText[len(stepText)-400:]
		}
		w("| %d | %s | %s | %d | %d | %d | %s | %d | %s | %s | %s |\n", k.rep, k.scenario, k.server, r.Connected, r.Failed, r.Disconnected,
			num(p99, 1), r.Lost, num(r.ServerCPUPerMillion, 2), num(perConn, 2), stepText)
	}

	w("\n### Commands\n\n")
	w("Built with `go build -o shop ./cmd/shop` and `go build -o shop-load ./cmd/shop-load`; each run starts a fresh server.\n\n```sh\n")
	for _, c := range cmds {
		w("# %s, %s\n%s &\nSERVER_PID=$!\n%s\n", c.scenario, c.server, c.serverCmd, c.loadCmd)
	}
	w("```\n%s\n", endMarker)
	return b.String()
}

func minHeld(runs map[runKey]*loadResult, scenario, server string) (held, clients int) {
	held = -1
	for k, r := range runs {
		if k.scenario != scenario || k.server != server {
			continue
		}
		h := r.Connected
		if r.Failed > 0 || r.Disconnected > 0 {
			h = min(h, r.Clients-r.Failed-r.Disconnected)
		}
		if held < 0 || h < held {
			held = h
		}
		clients = r.Clients
	}
	return max(held, 0), clients
}

func totalLost(runs map[runKey]*loadResult, server string) uint64 {
	var n uint64
	for k, r := range runs {
		if k.server == server {
			n += r.Lost
		}
	}
	return n
}

// replaceSection writes section into doc between the markers, appending it
// when the markers are absent, and creating doc when it does not exist.
func replaceSection(doc, section string) error {
	old, err := os.ReadFile(doc)
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return err
	}
	s := string(old)
	i := strings.Index(s, beginMarker)
	j := strings.Index(s, endMarker)
	switch {
	case i >= 0 && j > i:
		s = s[:i] + section + strings.TrimPrefix(s[j+len(endMarker):], "\n")
	case s == "":
		s = "# Benchmarks\n\n" + section
	default:
		s = strings.TrimRight(s, "\n") + "\n\n" + section
	}
	return os.WriteFile(doc, []byte(s), 0o644)
}
