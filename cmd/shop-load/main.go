// Command shop-load measures how many Socket.IO viewers a shop server holds
// and how fast purchases reach them.
//
// It is a protocol-level client (Engine.IO v4 over WebSocket or HTTP
// long-polling, Socket.IO v5), independent of the server's code: it opens N
// clients at a given rate, spread over loopback source addresses, signs K of
// them up and in through the REST API, has those emit BUY at a total rate,
// and times every BUY_GOODS from the emit that caused it to each receipt.
// Given the server's pid it reads the server's CPU time and resident memory
// from /proc.
//
//	shop-load -url http://127.0.0.1:3000 -clients 10000 -rate 5 -duration 15s -pid 1234
//	shop-load -url http://127.0.0.1:3000 -clients 10000 -rate-steps 5,10,20,40 -duration 8s
//	shop-load -url http://127.0.0.1:3000 -clients 19500 -ramp 2000 -pid 1234
//
// The run always ends by itself: every phase has a bound and the whole run
// a hard deadline derived from the flags.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime/debug"
	"runtime/pprof"
	"syscall"
	"time"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	os.Exit(run(ctx, os.Args[1:], os.Stdout, os.Stderr))
}

// run parses args, performs the load run and reports; the result is the
// process's exit code: 0 success, 1 a run that could not be measured, 2 bad
// flags.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	cfg, err := parseConfig(args, stderr)
	if errors.Is(err, flag.ErrHelp) {
		return 0
	}
	if err != nil {
		fmt.Fprintln(stderr, "shop-load:", err)
		return 2
	}
	// The tool shares the machine with the server: trade memory for fewer
	// collections, which cost CPU on every delivery.
	debug.SetGCPercent(400)

	hard := cfg.hardDeadline()
	ctx, cancel := context.WithTimeout(ctx, hard)
	defer cancel()
	// Last resort if a connection refuses to close after the deadline.
	watchdog := time.AfterFunc(hard+30*time.Second, func() {
		fmt.Fprintln(stderr, "shop-load: hard deadline passed, exiting")
		os.Exit(3)
	})
	defer watchdog.Stop()

	t, err := parseTarget(ctx, cfg.URL, cfg.Path, cfg.AllowRemote)
	if err != nil {
		fmt.Fprintln(stderr, "shop-load:", err)
		return 2
	}
	if cfg.Shards > 1 && cfg.shardCount == 0 {
		return runShards(ctx, cfg, args, stdout, stderr)
	}
	limit, err := fdLimit()
	if err == nil {
		err = checkFDs(cfg.Clients, 1, cfg.Transport, limit)
	}
	if err != nil {
		fmt.Fprintln(stderr, "shop-load:", err)
		return 2
	}
	if cfg.shardCount > 0 {
		return runShard(ctx, cfg, t, stdout, stderr)
	}

	if cfg.CPUProfile != "" {
		f, err := os.Create(cfg.CPUProfile)
		if err == nil {
			err = pprof.StartCPUProfile(f)
		}
		if err != nil {
			fmt.Fprintln(stderr, "shop-load: cpu profile:", err)
			return 2
		}
		defer func() {
			pprof.StopCPUProfile()
			f.Close()
		}()
	}
	r := newRunner(cfg, t, newRunID(), stderr)
	res, err := r.run(ctx)
	if res == nil {
		fmt.Fprintln(stderr, "shop-load:", err)
		return 1
	}
	res.writeTable(stdout)
	if err != nil {
		fmt.Fprintln(stderr, "shop-load: run cut short:", err)
	}
	if cfg.JSONPath != "" {
		if err := writeJSON(cfg.JSONPath, res); err != nil {
			fmt.Fprintln(stderr, "shop-load:", err)
			return 1
		}
	}
	if err != nil {
		return 1
	}
	return 0
}
