package main

import (
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestMedian(t *testing.T) {
	tests := []struct {
		in   []float64
		want float64
	}{
		{[]float64{3}, 3},
		{[]float64{5, 1, 3}, 3},
		{[]float64{4, 1, 3, 2}, 2.5},
	}
	for _, tt := range tests {
		if got := median(tt.in); got != tt.want {
			t.Errorf("median(%v) = %v, want %v", tt.in, got, tt.want)
		}
	}
	if got := median(nil); !math.IsNaN(got) {
		t.Errorf("median(nil) = %v, want NaN", got)
	}
}

func TestReplaceSection(t *testing.T) {
	section := beginMarker + "\nnew\n" + endMarker + "\n"
	tests := []struct {
		name, old, want string
	}{
		{"no file", "", "# Benchmarks\n\n" + section},
		{"no markers", "# B\n\nanalysis\n", "# B\n\nanalysis\n\n" + section},
		{"markers kept in place", "# B\n\n" + beginMarker + "\nold\n" + endMarker + "\n\n## Profiles\n", "# B\n\n" + section + "\n## Profiles\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			doc := filepath.Join(t.TempDir(), "B.md")
			if tt.old != "" {
				if err := os.WriteFile(doc, []byte(tt.old), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			if err := replaceSection(doc, section); err != nil {
				t.Fatalf("replaceSection: %v", err)
			}
			got, _ := os.ReadFile(doc)
			if string(got) != tt.want {
				t.Errorf("doc =\n%s\nwant\n%s", got, tt.want)
			}
		})
	}
}

func TestRenderComputesRatiosAndTargets(t *testing.T) {
	dir := t.TempDir()
	write := func(name, body string) {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("meta.txt", "date=2026-01-01T00:00:00Z\nreps=1\ncpu=Test CPU\n")
	write("commands.txt", "fanout-10k\tshop\tshop -addr x\tshop-load -clients 10000\n")
	step := func(p99, cpu float64) string {
		return `"steps":[{"rate":5,"deliveriesPerSec":50000,"latency":{"p99Ms":` + num(p99, 1) + `},"serverCpuSecondsPerMillion":` + num(cpu, 1) + `}]`
	}
	write("1-fanout-10k-shop.json", `{"clients":10000,"connected":10000,"serverCpuSecondsPerMillion":2,`+step(20, 2)+`}`)
	write("1-fanout-10k-node.json", `{"clients":10000,"connected":10000,"serverCpuSecondsPerMillion":10,`+step(400, 10)+`}`)
	write("1-idle-19500-shop.json", `{"clients":19500,"connected":19500,"server":{"perConnectionKB":6},"steps":[]}`)
	write("1-idle-19500-node.json", `{"clients":19500,"connected":19400,"failed":100,"server":{"perConnectionKB":15},"steps":[]}`)

	runs, err := loadRuns(dir)
	if err != nil {
		t.Fatalf("loadRuns: %v", err)
	}
	meta, _ := readMeta(filepath.Join(dir, "meta.txt"))
	cmds, _ := readCommands(filepath.Join(dir, "commands.txt"))
	out := render(meta, cmds, runs)
	for _, want := range []string{
		"| server CPU s per million deliveries (10k clients, 5/s) | 2.00 | 10.00 | 0.20× | ≤ 0.4× | **met** |",
		"| p99 latency ms (10k clients, 5/s) | 20.0 | 400.0 | 0.05× | ≤ 0.25× and < 250 ms | **met** |",
		"| RSS KB per idle WebSocket (19,500 idle) | 6.00 | 15.00 | 0.40× | below Node | **met** |",
		"| connections held, worst run (idle-19500) | 19500/19500 | 19400/19500 |",
		"shop-load -clients 10000",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("render output lacks %q\n%s", want, out)
		}
	}
}
