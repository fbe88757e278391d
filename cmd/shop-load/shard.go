package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Going past one process's file limit.
//
// A process here may hold 20,000 descriptors and the limit cannot be
// raised, so one load process holds at most ~19,950 WebSockets (half as
// many polling clients). -shards S re-executes the tool S times, each
// process with its own limit:
//
//   - shard 0 signs the buyers up, holds them and its share of the
//     watchers, and measures latency, acknowledgements and the server;
//   - shards 1..S-1 hold only watchers and count their receipts, each
//     attributed to the step running when it arrives.
//
// The parent waits until every shard has finished its ramp, then tells
// them all to start at once, and merges: connections and deliveries are
// summed, lost = purchases acknowledged (shard 0) × receivers that stayed
// (all shards) − their receipts, latency is shard 0's, a uniform sample
// since clients are dealt to shards evenly. Only a single rate is
// supported: a stepped run decides when to stop from complete results,
// which exist only in one process.
//
// Protocol between parent and shard: the shard writes "READY" on stdout
// after its ramp and waits for "GO" on stdin; at the end it writes
// "RESULT <json>". Progress goes to stderr (shard 0 only).

// shardShare returns how many clients and buyers shard i of n holds.
func shardShare(clients, buyers, i, n int) (c, b int) {
	watchers := clients - buyers
	c = watchers / n
	if i < watchers%n {
		c++
	}
	if i == 0 {
		c += buyers
		b = buyers
	}
	return c, b
}

// runShards is the parent of a -shards run.
func runShards(ctx context.Context, cfg config, args []string, stdout, stderr io.Writer) int {
	if len(cfg.Rates) > 1 {
		fmt.Fprintln(stderr, "shop-load: -rate-steps cannot be combined with -shards")
		return 2
	}
	limit, err := fdLimit()
	if err == nil {
		err = checkFDs(cfg.Clients, cfg.Shards, cfg.Transport, limit)
	}
	if err != nil {
		fmt.Fprintln(stderr, "shop-load:", err)
		return 2
	}
	exe, err := os.Executable()
	if err != nil {
		fmt.Fprintln(stderr, "shop-load: find own executable:", err)
		return 1
	}
	runID := newRunID()
	before := probe{pid: cfg.PID}.sample()

	type child struct {
		cmd    *exec.Cmd
		stdin  io.WriteCloser
		lines  chan string
		result *result
	}
	children := make([]*child, cfg.Shards)
	var wg sync.WaitGroup
	defer func() {
		for _, ch := range children {
			if ch != nil && ch.stdin != nil {
				ch.stdin.Close()
			}
		}
		wg.Wait()
	}()
	for i := range children {
		n, b := shardShare(cfg.Clients, cfg.Buyers, i, cfg.Shards)
		cargs := append(append([]string{}, args...),
			"-shards", "1", "-shard-index", strconv.Itoa(i), "-shard-count", strconv.Itoa(cfg.Shards),
			"-run-id", runID, "-clients", strconv.Itoa(n), "-buyers", strconv.Itoa(b), "-json", "",
			"-quiet="+strconv.FormatBool(cfg.Quiet || i > 0))
		cmd := exec.CommandContext(ctx, exe, cargs...)
		cmd.Stderr = stderr
		cmd.WaitDelay = 5 * time.Second
		in, err1 := cmd.StdinPipe()
		out, err2 := cmd.StdoutPipe()
		if err := errors.Join(err1, err2, cmd.Start()); err != nil {
			fmt.Fprintln(stderr, "shop-load: start shard:", err)
			return 1
		}
		ch := &child{cmd: cmd, stdin: in, lines: make(chan string, 4)}
		children[i] = ch
		wg.Add(1)
		go func() { // ends when the shard closes its stdout, i.e. exits
			defer wg.Done()
			defer close(ch.lines)
			sc := bufio.NewScanner(out)
			sc.Buffer(make([]byte, 64<<10), 16<<20)
			for sc.Scan() {
				ch.lines <- sc.Text()
			}
			_ = cmd.Wait()
		}()
	}
	// Start every shard's measurement together once all have ramped.
	for i, ch := range children {
		select {
		case line, ok := <-ch.lines:
			if !ok || line != "READY" {
				fmt.Fprintf(stderr, "shop-load: shard %d ended before its ramp finished\n", i)
				return 1
			}
		case <-ctx.Done():
			return 1
		}
	}
	for _, ch := range children {
		fmt.Fprintln(ch.stdin, "GO")
	}
	for i, ch := range children {
		for line := range ch.lines {
			if js, ok := strings.CutPrefix(line, "RESULT "); ok {
				ch.result = new(result)
				if err := json.Unmarshal([]byte(js), ch.result); err != nil {
					fmt.Fprintf(stderr, "shop-load: shard %d result: %v\n", i, err)
					return 1
				}
			}
		}
		if ch.result == nil {
			fmt.Fprintf(stderr, "shop-load: shard %d gave no result\n", i)
			return 1
		}
	}
	results := make([]*result, len(children))
	for i, ch := range children {
		results[i] = ch.result
	}
	res := mergeShards(results, before, cfg.P99Limit)
	res.RunID = runID
	res.Clients = cfg.Clients
	res.Buyers = cfg.Buyers
	res.writeTable(stdout)
	if cfg.JSONPath != "" {
		if err := writeJSON(cfg.JSONPath, res); err != nil {
			fmt.Fprintln(stderr, "shop-load:", err)
			return 1
		}
	}
	return 0
}

// mergeShards combines the shards' results; results[0] is shard 0's.
func mergeShards(results []*result, before sample, p99Limit time.Duration) *result {
	res := *results[0]
	res.Shards = len(results)
	res.Steps = append([]stepResult(nil), results[0].Steps...)
	res.Failures = map[string]int{}
	for k, v := range results[0].Failures {
		res.Failures[k] = v
	}
	for _, o := range results[1:] {
		res.Connected += o.Connected
		res.Failed += o.Failed
		res.Disconnected += o.Disconnected
		res.Foreign += o.Foreign
		res.Uncorrelated += o.Uncorrelated
		res.RampSeconds = max(res.RampSeconds, o.RampSeconds)
		for k, v := range o.Failures {
			res.Failures[k] += v
		}
		for i := range res.Steps {
			if i >= len(o.Steps) {
				break
			}
			s, os := &res.Steps[i], o.Steps[i]
			s.Receivers += os.Receivers
			s.Received += os.Received
			s.Disconnects += os.Disconnects
			s.Deliveries += os.Deliveries
			s.ToolCPUFrac += os.ToolCPUFrac
		}
	}
	for i := range res.Steps {
		s := &res.Steps[i]
		s.Expected = s.Acked * uint64(s.Receivers)
		s.Lost = 0
		if s.Expected > s.Received {
			s.Lost = s.Expected - s.Received
		}
		if s.Seconds > 0 {
			s.DeliveriesPerSec = float64(s.Deliveries) / s.Seconds
		}
		if s.Deliveries > 0 && s.ServerCPUSeconds > 0 {
			s.ServerCPUPerMillion = s.ServerCPUSeconds / float64(s.Deliveries) * 1e6
		}
		s.judge(p99Limit)
	}
	if m := res.Server; m != nil && before.ok {
		m.RSSBeforeMB = mb(before.rss)
		if res.Connected > 0 && m.RSSConnectedMB > m.RSSBeforeMB {
			m.PerConnectionKB = (m.RSSConnectedMB - m.RSSBeforeMB) * 1024 / float64(res.Connected)
		}
	}
	res.Lost, res.MaxSustainedPerSec, res.ServerCPUPerMillion = 0, 0, 0
	res.finish()
	return &res
}

// runShard is one process of a -shards run.
func runShard(ctx context.Context, cfg config, t target, stdout, stderr io.Writer) int {
	r := newRunner(cfg, t, cfg.runID, stderr)
	r.watchOnly = cfg.shardIndex > 0
	in := bufio.NewReader(os.Stdin)
	r.ready = func(ctx context.Context) error {
		fmt.Fprintln(stdout, "READY")
		line, err := in.ReadString('\n')
		if err != nil || strings.TrimSpace(line) != "GO" {
			return fmt.Errorf("shard %d: no start signal: %v", cfg.shardIndex, err)
		}
		return nil
	}
	res, err := r.run(ctx)
	if res == nil {
		fmt.Fprintln(stderr, "shop-load:", err)
		return 1
	}
	b, err := json.Marshal(res)
	if err != nil {
		fmt.Fprintln(stderr, "shop-load:", err)
		return 1
	}
	fmt.Fprintf(stdout, "RESULT %s\n", b)
	return 0
}
