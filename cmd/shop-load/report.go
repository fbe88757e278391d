package main

import (
	"encoding/json"
	"fmt"
	"io"
	"math"
	"os"
	"sort"
	"strings"
	"text/tabwriter"
	"time"
)

// result is everything a run measured; it is also the JSON output.
type result struct {
	Label        string         `json:"label,omitempty"`
	URL          string         `json:"url"`
	Transport    string         `json:"transport"`
	Clients      int            `json:"clients"`
	Buyers       int            `json:"buyers"`
	BuyPayload   string         `json:"buyPayload"`
	RunID        string         `json:"runId"`
	SourceAddrs  int            `json:"sourceAddrs"`
	Shards       int            `json:"shards,omitempty"`
	PID          int            `json:"pid,omitempty"`
	RampSeconds  float64        `json:"rampSeconds"`
	Connected    int            `json:"connected"`
	Failed       int            `json:"failed"`
	Disconnected int            `json:"disconnected"`
	Server       *serverMemory  `json:"server,omitempty"`
	Steps        []stepResult   `json:"steps"`
	Foreign      uint64         `json:"foreignDeliveries"`
	Uncorrelated uint64         `json:"uncorrelatedDeliveries"`
	Failures     map[string]int `json:"failures,omitempty"`

	// Summary over the steps.
	Lost                  uint64  `json:"lost"`
	MaxSustainedPerSec    float64 `json:"maxSustainedDeliveriesPerSec"`
	MaxSustainedRate      float64 `json:"maxSustainedRate"`
	ServerCPUPerMillion   float64 `json:"serverCpuSecondsPerMillion"`
	ToolSaturated         bool    `json:"toolSaturated"`
	AllConnectionsHeld    bool    `json:"allConnectionsHeld"`
	ConnectedMemoryPerKB  float64 `json:"perConnectionKB,omitempty"`
	FirstStepLatencyP99Ms float64 `json:"firstStepP99Ms"`
}

// serverMemory is the server's resident memory around the ramp.
type serverMemory struct {
	RSSBeforeMB     float64 `json:"rssBeforeMB"`
	RSSConnectedMB  float64 `json:"rssConnectedMB"`
	RSSEndMB        float64 `json:"rssEndMB"`
	PerConnectionKB float64 `json:"perConnectionKB"`
	RampCPUSeconds  float64 `json:"rampCpuSeconds"`
}

// stepResult is one purchase rate's measurements.
type stepResult struct {
	Rate                 float64        `json:"rate"`
	Seconds              float64        `json:"seconds"`
	Due                  uint64         `json:"due"`
	Emitted              uint64         `json:"emitted"`
	Acked                uint64         `json:"acked"`
	Refused              uint64         `json:"refused"`
	Skipped              uint64         `json:"skipped"`
	Receivers            int            `json:"receivers"`
	Expected             uint64         `json:"expected"`
	Received             uint64         `json:"received"`
	Lost                 uint64         `json:"lost"`
	Disconnects          int            `json:"disconnects"`
	Deliveries           uint64         `json:"deliveries"`
	DeliveriesPerSec     float64        `json:"deliveriesPerSec"`
	Latency              latencySummary `json:"latency"`
	ServerCPUSeconds     float64        `json:"serverCpuSeconds"`
	ServerCPUFrac        float64        `json:"serverCpuFraction"`
	ServerSysFrac        float64        `json:"serverSystemCpuFraction"`
	ServerCPUPerMillion  float64        `json:"serverCpuSecondsPerMillion"`
	ServerRSSMB          float64        `json:"serverRssMB"`
	ToolCPUFrac          float64        `json:"toolCpuFraction"`
	ToolCPUPerDeliveryUs float64        `json:"toolCpuMicrosPerDelivery"`
	Sustained            bool           `json:"sustained"`
	Verdict              string         `json:"verdict"`
}

// toolSaturation is the share of a core above which the load tool, not the
// server, may be what limits a step.
const toolSaturation = 0.9

// judge decides whether the step was sustained, and says why not.
func (s *stepResult) judge(p99Limit time.Duration) {
	var why []string
	if s.Rate > 0 {
		if s.Acked < s.Due*95/100 {
			why = append(why, fmt.Sprintf("purchases behind (%d of %d acknowledged)", s.Acked, s.Due))
		}
		if s.Latency.P99 > float64(p99Limit)/float64(time.Millisecond) {
			why = append(why, fmt.Sprintf("p99 %.0fms > %v", s.Latency.P99, p99Limit))
		}
		if s.Seconds > 0 && s.Expected > 0 && s.DeliveriesPerSec < 0.9*float64(s.Expected)/s.Seconds {
			why = append(why, "deliveries behind")
		}
	}
	if s.Lost > 0 {
		why = append(why, fmt.Sprintf("%d lost", s.Lost))
	}
	if s.Disconnects > 0 {
		why = append(why, fmt.Sprintf("%d disconnects", s.Disconnects))
	}
	if s.ToolCPUFrac >= toolSaturation {
		why = append(why, "load tool saturated")
	}
	s.Sustained = len(why) == 0 || len(why) == 1 && why[0] == "load tool saturated"
	if len(why) == 0 {
		s.Verdict = "ok"
	} else {
		s.Verdict = strings.Join(why, "; ")
	}
}

func (res *result) finish() {
	res.AllConnectionsHeld = res.Failed == 0 && res.Disconnected == 0 && res.Connected == res.Clients
	if res.Server != nil {
		res.ConnectedMemoryPerKB = res.Server.PerConnectionKB
	}
	var cpu float64
	var deliv uint64
	for i, s := range res.Steps {
		res.Lost += s.Lost
		if s.ToolCPUFrac >= toolSaturation {
			res.ToolSaturated = true
		}
		if i == 0 {
			res.FirstStepLatencyP99Ms = s.Latency.P99
		}
		if s.Sustained && s.Rate > 0 && s.DeliveriesPerSec > res.MaxSustainedPerSec {
			res.MaxSustainedPerSec = s.DeliveriesPerSec
			res.MaxSustainedRate = s.Rate
		}
		cpu += s.ServerCPUSeconds
		deliv += s.Deliveries
	}
	if deliv > 0 && cpu > 0 {
		res.ServerCPUPerMillion = cpu / float64(deliv) * 1e6
	}
}

// writeTable prints the result for a person.
func (res *result) writeTable(w io.Writer) {
	label := res.Label
	if label == "" {
		label = res.URL
	}
	fmt.Fprintf(w, "\nshop-load %s: %s, %d clients (%d buyers, BUY %s), %d source addresses\n",
		label, res.Transport, res.Clients, res.Buyers, res.BuyPayload, max(res.SourceAddrs, 1))
	fmt.Fprintf(w, "connections: %d connected, %d failed, %d dropped during the run; ramp %.1fs\n",
		res.Connected, res.Failed, res.Disconnected, res.RampSeconds)
	if m := res.Server; m != nil {
		fmt.Fprintf(w, "server pid %d memory: %.1f MB before, %.1f MB connected (%.2f KB per connection), %.1f MB at the end; ramp cpu %.2fs\n",
			res.PID, m.RSSBeforeMB, m.RSSConnectedMB, m.PerConnectionKB, m.RSSEndMB, m.RampCPUSeconds)
	}
	if len(res.Steps) > 0 && (res.Buyers > 0 || len(res.Steps) > 1) {
		tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
		fmt.Fprintln(tw, "rate/s\tacked\trefused\tskipped\tdeliv/s\tp50 ms\tp90 ms\tp99 ms\tmax ms\tlost\tsrv cpu\tsrv sys\tcpu s/M\ttool cpu\ttool µs/d\tverdict\t")
		for _, s := range res.Steps {
			fmt.Fprintf(tw, "%g\t%d\t%d\t%d\t%.0f\t%s\t%s\t%s\t%s\t%d\t%s\t%s\t%s\t%.0f%%\t%.2f\t%s\t\n",
				s.Rate, s.Acked, s.Refused, s.Skipped, s.DeliveriesPerSec,
				ms(s.Latency.P50, s.Latency.Count), ms(s.Latency.P90, s.Latency.Count), ms(s.Latency.P99, s.Latency.Count), ms(s.Latency.Max, s.Latency.Count),
				s.Lost, pct(s.ServerCPUFrac, res.PID), pct(s.ServerSysFrac, res.PID), per(s.ServerCPUPerMillion), s.ToolCPUFrac*100, s.ToolCPUPerDeliveryUs, s.Verdict)
		}
		tw.Flush()
	}
	if res.Buyers > 0 && len(res.Steps) > 1 {
		fmt.Fprintf(w, "highest sustained: %.0f deliveries/s (at %g purchases/s)\n", res.MaxSustainedPerSec, res.MaxSustainedRate)
	}
	if res.Foreign > 0 || res.Uncorrelated > 0 {
		fmt.Fprintf(w, "other BUY_GOODS: %d from other buyers, %d not matched to an emit\n", res.Foreign, res.Uncorrelated)
	}
	if len(res.Failures) > 0 {
		keys := make([]string, 0, len(res.Failures))
		for k := range res.Failures {
			keys = append(keys, k)
		}
		sort.Slice(keys, func(i, j int) bool { return res.Failures[keys[i]] > res.Failures[keys[j]] })
		fmt.Fprintln(w, "failures:")
		for i, k := range keys {
			if i == 8 {
				fmt.Fprintf(w, "  … %d more reasons\n", len(keys)-i)
				break
			}
			fmt.Fprintf(w, "  %6d  %s\n", res.Failures[k], k)
		}
	}
	if res.ToolSaturated {
		fmt.Fprintln(w, "warning: the load tool used ≥90% of its core in some step; the server may not be the limit there")
	}
}

func ms(v float64, n uint64) string {
	if n == 0 || math.IsNaN(v) {
		return "-"
	}
	if v < 10 {
		return fmt.Sprintf("%.2f", v)
	}
	return fmt.Sprintf("%.0f", v)
}

func pct(f float64, pid int) string {
	if pid <= 0 {
		return "-"
	}
	return fmt.Sprintf("%.0f%%", f*100)
}

func per(v float64) string {
	if v == 0 {
		return "-"
	}
	return fmt.Sprintf("%.3f", v)
}

func writeJSON(path string, res *result) error {
	b, err := json.MarshalIndent(res, "", "  ")
	if err != nil {
		return fmt.Errorf("encode results: %w", err)
	}
	if err := os.WriteFile(path, append(b, '\n'), 0o644); err != nil {
		return fmt.Errorf("write results: %w", err)
	}
	return nil
}
