package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"
)

// config is everything the tool reads from its flags.
type config struct {
	URL         string
	Path        string
	Transport   string // "websocket" or "polling"
	Clients     int
	RampRate    float64 // connections opened per second
	Buyers      int
	Rates       []float64 // purchases per second, one per step
	Duration    time.Duration
	Settle      time.Duration
	Drain       time.Duration
	LateWait    time.Duration
	P99Limit    time.Duration
	PID         int
	JSONPath    string
	Label       string
	AllowRemote bool
	SrcAddrs    int
	BuyEvent    bool // the original front end's BUY payload
	NoAuth      bool
	ReadBuffer  int
	Reader      string // "epoll" or "goroutine"
	BatchWait   time.Duration
	Shards      int
	Quiet       bool
	CPUProfile  string

	// shardIndex/shardCount are set on the processes a -shards run starts;
	// see shard.go.
	shardIndex, shardCount int
	runID                  string
}

const usage = `Usage: shop-load -url http://127.0.0.1:3000 [flags]

Opens N Socket.IO clients against the shop (or any server speaking its
BUY / BUY_GOODS events), makes K of them signed-in buyers that emit BUY at a
total rate, and measures deliveries of BUY_GOODS, their latency from emit to
receipt, losses, and the server's CPU and memory (-pid).

With -rate-steps the purchase rate rises step by step on the same
connections until a step is not sustained (p99 above -p99-limit, a lost
delivery, a disconnect, or purchases or deliveries falling 5% behind).

Flags:
`

func parseConfig(args []string, stderr io.Writer) (config, error) {
	fs := flag.NewFlagSet("shop-load", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprint(stderr, usage)
		fs.PrintDefaults()
	}
	var c config
	var rate float64
	var steps string
	fs.StringVar(&c.URL, "url", "http://127.0.0.1:3000", "server `URL` (scheme, host and port)")
	fs.StringVar(&c.Path, "path", "/socket.io/", "Socket.IO `path`")
	fs.StringVar(&c.Transport, "transport", "websocket", "`transport`: websocket or polling")
	fs.IntVar(&c.Clients, "clients", 100, "number of `clients` (buyers included)")
	fs.Float64Var(&c.RampRate, "ramp", 1000, "connections opened per `second`")
	fs.IntVar(&c.Buyers, "buyers", 0, "how many of the clients are signed-in buyers (default: 50 when a rate is set)")
	fs.Float64Var(&rate, "rate", 0, "total purchases per `second` (0: idle connections)")
	fs.StringVar(&steps, "rate-steps", "", "comma-separated purchase `rates`, one step each, stopping at the first step not sustained")
	fs.DurationVar(&c.Duration, "duration", 10*time.Second, "measuring window of each step")
	fs.DurationVar(&c.Settle, "settle", 2*time.Second, "pause between the last connection and the first purchase")
	fs.DurationVar(&c.Drain, "drain", 5*time.Second, "longest wait after a step for its acknowledgements and deliveries")
	fs.DurationVar(&c.LateWait, "late-wait", 30*time.Second, "after the last step, longest wait for deliveries that missed their drain before they count as lost")
	fs.DurationVar(&c.P99Limit, "p99-limit", time.Second, "p99 latency above which a step is not sustained")
	fs.IntVar(&c.PID, "pid", 0, "server process `id` whose CPU and memory to measure (Linux /proc)")
	fs.StringVar(&c.JSONPath, "json", "", "also write the results as JSON to `file`")
	fs.StringVar(&c.Label, "label", "", "name of the server under test, for the report")
	fs.BoolVar(&c.AllowRemote, "allow-remote", false, "allow a target that is not a loopback address")
	fs.IntVar(&c.SrcAddrs, "src-addrs", 4, "spread connections over this many loopback source `addresses` (127.0.0.2, …)")
	fs.BoolVar(&c.BuyEvent, "buy-event", false, "send BUY as the original front end does: {nickname, goodsId, goodsName}")
	fs.BoolVar(&c.NoAuth, "no-auth", false, "do not sign buyers up or in (implies -buy-event; for servers that trust the payload)")
	fs.IntVar(&c.ReadBuffer, "read-buffer", 4096, "read buffer `bytes` per WebSocket connection during the handshake (and after, with -reader goroutine)")
	fs.DurationVar(&c.BatchWait, "batch-wait", 200*time.Microsecond, "with -reader epoll, nap this long after a small batch of ready connections so that the next gather (adds at most this to latencies)")
	fs.StringVar(&c.Reader, "reader", "epoll", "how WebSockets are read after the handshake: epoll (one goroutine for all) or goroutine (one per connection)")
	fs.IntVar(&c.Shards, "shards", 1, "split the clients over this many processes (each has its own file limit)")
	fs.BoolVar(&c.Quiet, "quiet", false, "no progress lines on stderr")
	fs.StringVar(&c.CPUProfile, "cpuprofile", "", "write the load tool's own CPU profile to `file`")
	fs.IntVar(&c.shardIndex, "shard-index", 0, "internal: index of this shard process")
	fs.IntVar(&c.shardCount, "shard-count", 0, "internal: number of shard processes")
	fs.StringVar(&c.runID, "run-id", "", "internal: run identifier shared by the shard processes")
	if err := fs.Parse(args); err != nil {
		return config{}, err
	}
	if fs.NArg() > 0 {
		return config{}, fmt.Errorf("unexpected arguments %q", fs.Args())
	}
	if steps != "" {
		for _, f := range strings.Split(steps, ",") {
			v, err := strconv.ParseFloat(strings.TrimSpace(f), 64)
			if err != nil || v <= 0 {
				return config{}, fmt.Errorf("-rate-steps: %q is not a positive rate", f)
			}
			c.Rates = append(c.Rates, v)
		}
	} else {
		c.Rates = []float64{rate}
	}
	if c.NoAuth {
		c.BuyEvent = true
	}
	buyersSet := false
	fs.Visit(func(f *flag.Flag) { buyersSet = buyersSet || f.Name == "buyers" })
	if !buyersSet && c.shardCount == 0 && c.Rates[len(c.Rates)-1] > 0 {
		c.Buyers = min(50, c.Clients)
	}
	return c, c.validate()
}

func (c config) validate() error {
	var errs []error
	if c.Transport != "websocket" && c.Transport != "polling" {
		errs = append(errs, fmt.Errorf("-transport %q: want websocket or polling", c.Transport))
	}
	if c.Clients < 1 {
		errs = append(errs, errors.New("-clients must be at least 1"))
	}
	if c.Buyers < 0 || c.Buyers > c.Clients {
		errs = append(errs, fmt.Errorf("-buyers %d: want 0..%d", c.Buyers, c.Clients))
	}
	for _, r := range c.Rates {
		if r < 0 {
			errs = append(errs, fmt.Errorf("negative rate %g", r))
		}
		if r > 0 && c.Buyers == 0 && c.shardIndex == 0 {
			errs = append(errs, errors.New("a purchase rate needs -buyers of at least 1"))
			break
		}
	}
	if c.Reader != "epoll" && c.Reader != "goroutine" {
		errs = append(errs, fmt.Errorf("-reader %q: want epoll or goroutine", c.Reader))
	}
	if c.RampRate <= 0 {
		errs = append(errs, errors.New("-ramp must be positive"))
	}
	if c.Duration <= 0 {
		errs = append(errs, errors.New("-duration must be positive"))
	}
	if c.SrcAddrs < 0 || c.SrcAddrs > 250 {
		errs = append(errs, errors.New("-src-addrs: want 0..250"))
	}
	if c.ReadBuffer < 128 {
		errs = append(errs, errors.New("-read-buffer: want at least 128"))
	}
	if c.Shards < 1 || c.Shards > 16 {
		errs = append(errs, errors.New("-shards: want 1..16"))
	}
	if len(c.Rates) > 1000 {
		errs = append(errs, errors.New("-rate-steps: at most 1000 steps"))
	}
	return errors.Join(errs...)
}

// hardDeadline bounds the whole run, whatever the server does: sign-ups,
// the ramp at half the asked rate, every step with its drain, and slack.
func (c config) hardDeadline() time.Duration {
	d := 60*time.Second + time.Duration(c.Buyers)*2*time.Second
	d += time.Duration(2*float64(c.Clients)/c.RampRate*float64(time.Second)) + 30*time.Second
	d += c.Settle + c.LateWait
	d += time.Duration(len(c.Rates)) * (c.Duration + c.Drain + 5*time.Second)
	return d
}
