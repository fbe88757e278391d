package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gorilla/websocket"
)

// runner owns one load run: its clients, their goroutines and the
// measurements.
type runner struct {
	cfg        config
	t          target
	stderr     io.Writer
	start      time.Time // monotonic origin of every run timestamp
	wsURL      string
	pollURL    string
	runID      string
	nickPrefix []byte

	clients []*client
	buyers  []*buyer // buyers[i] belongs to clients[i]
	steps   []*step
	srv     probe
	poller  *poller // the epoll reader of WebSockets; nil with -reader goroutine

	nConnected    atomic.Int64
	nFailed       atomic.Int64
	nDisconnected atomic.Int64
	deliveries    atomic.Uint64 // receipts of this run's purchases
	foreign       atomic.Uint64 // BUY_GOODS not from this run's buyers
	uncorrelated  atomic.Uint64 // receipts whose emit was not found
	skippedSeqs   atomic.Uint64 // purchases a receiver saw overtaken (lost)
	stopping      atomic.Bool
	phase         atomic.Pointer[string]
	curStep       atomic.Int32
	failures      failureLog

	// connCtx scopes every connection; closeAll cancels it. wg counts the
	// client goroutines and the polling POSTs.
	connCtx    context.Context
	connCancel context.CancelFunc
	wg         sync.WaitGroup

	// watchOnly marks a shard process without the buyers: it counts
	// receipts by nickname prefix and attributes them to the running step.
	watchOnly bool

	// ready, when set, is called once every client has connected or failed,
	// before the settle pause; a shard process waits there for its parent.
	ready func(ctx context.Context) error
}

// step is one purchase rate held for cfg.Duration.
type step struct {
	rate     float64
	hist     histogram
	ticks    atomic.Uint64 // purchases due by the schedule
	emitted  atomic.Uint64
	acked    atomic.Uint64
	refused  atomic.Uint64
	skipped  atomic.Uint64 // due, but every buyer had maxInFlight pending
	received atomic.Uint64 // receipts of this step's purchases, by anyone

	begin, end, evalAt int64 // run nanoseconds
	srvBegin, srvEnd   sample
	selfBegin, selfEnd time.Duration
	delivBegin         uint64
	delivEnd           uint64
}

func newRunner(cfg config, t target, runID string, stderr io.Writer) *runner {
	r := &runner{
		cfg:        cfg,
		t:          t,
		stderr:     stderr,
		wsURL:      t.socketURL("websocket"),
		pollURL:    t.socketURL("polling"),
		runID:      runID,
		nickPrefix: []byte(nickPrefix(runID)),
		srv:        probe{pid: cfg.PID},
	}
	for _, rate := range cfg.Rates {
		r.steps = append(r.steps, &step{rate: rate})
	}
	r.clients = make([]*client, cfg.Clients)
	for i := range r.clients {
		c := &client{id: i, recv: make([]atomic.Uint32, len(r.steps))}
		if i < cfg.Buyers {
			c.buyer = &buyer{idx: i, acct: newAccount(runID, i)}
			r.buyers = append(r.buyers, c.buyer)
		}
		r.clients[i] = c
	}
	r.setPhase("start")
	return r
}

func (r *runner) now() int64 { return int64(time.Since(r.start)) }

func (r *runner) setPhase(p string) { r.phase.Store(&p) }

// run performs the whole measurement and returns its result; it always
// returns once ctx ends, having closed every connection.
func (r *runner) run(ctx context.Context) (*result, error) {
	r.start = time.Now()
	r.connCtx, r.connCancel = context.WithCancel(context.Background())
	defer r.connCancel()
	res := &result{Label: r.cfg.Label, Transport: r.cfg.Transport, URL: r.cfg.URL, Clients: r.cfg.Clients,
		Buyers: r.cfg.Buyers, RunID: r.runID, BuyPayload: map[bool]string{false: "{goodsId, quantity}", true: "{nickname, goodsId, goodsName}"}[r.cfg.BuyEvent],
		SourceAddrs: len(sourceAddrs(r.t, r.cfg.SrcAddrs)), PID: r.cfg.PID}

	if !r.cfg.Quiet {
		stop := r.progress()
		defer stop()
	}
	if len(r.buyers) > 0 && !r.cfg.NoAuth {
		r.setPhase("sign-up")
		accts := make([]account, len(r.buyers))
		for i, b := range r.buyers {
			accts[i] = b.acct
		}
		if err := signUpAll(ctx, r.t, sourceAddrs(r.t, r.cfg.SrcAddrs), accts); err != nil {
			return nil, err
		}
		for i, b := range r.buyers {
			b.acct = accts[i]
		}
	}

	before := r.srv.sample()
	r.setPhase("ramp")
	rampStart := time.Now()
	r.ramp(ctx)
	res.RampSeconds = time.Since(rampStart).Seconds()
	rampSample := r.srv.sample()
	if r.ready != nil {
		if err := r.ready(ctx); err != nil {
			r.closeAll()
			return nil, err
		}
	}
	r.setPhase("settle")
	sleepCtx(ctx, r.cfg.Settle)
	connected := r.srv.sample()
	res.Connected = int(r.nConnected.Load())
	res.Failed = int(r.nFailed.Load())
	if before.ok && connected.ok {
		res.Server = &serverMemory{
			RSSBeforeMB:    mb(before.rss),
			RSSConnectedMB: mb(connected.rss),
			RampCPUSeconds: (rampSample.cpu - before.cpu).Seconds(),
		}
		if res.Connected > 0 && connected.rss > before.rss {
			res.Server.PerConnectionKB = float64(connected.rss-before.rss) / 1024 / float64(res.Connected)
		}
	}

	for i, st := range r.steps {
		if ctx.Err() != nil {
			break
		}
		r.curStep.Store(int32(i))
		r.setPhase(fmt.Sprintf("step %d/%d", i+1, len(r.steps)))
		r.runStep(ctx, i, st)
		r.setPhase(fmt.Sprintf("drain %d/%d", i+1, len(r.steps)))
		r.drain(ctx, st)
		sr := r.evaluate(i, st)
		res.Steps = append(res.Steps, sr)
		if len(r.steps) > 1 && !sr.Sustained {
			break
		}
	}
	r.settleLate(ctx, res)

	r.setPhase("stop")
	if end := r.srv.sample(); end.ok && res.Server != nil {
		res.Server.RSSEndMB = mb(end.rss)
	}
	res.Disconnected = int(r.nDisconnected.Load())
	r.closeAll()
	res.Foreign = r.foreign.Load()
	res.Uncorrelated = r.uncorrelated.Load()
	res.Failures = r.failures.snapshot()
	res.finish()
	return res, ctx.Err()
}

// ramp opens every client at cfg.RampRate per second, buyers first, and
// waits until each has connected or failed.
func (r *runner) ramp(ctx context.Context) {
	srcs := sourceAddrs(r.t, r.cfg.SrcAddrs)
	var dialers []*websocket.Dialer
	var pollers []*http.Client
	if r.cfg.Transport == "websocket" {
		if r.cfg.Reader == "epoll" {
			limit, err := fdLimit()
			if err != nil {
				limit = 1 << 16
			}
			p, err := newPoller(r, int(min(limit, 1<<20)), r.cfg.BatchWait)
			if err != nil {
				fmt.Fprintln(r.stderr, "shop-load:", err, "- falling back to a goroutine per connection")
			} else {
				r.poller = p
			}
		}
		dialers = newDialers(srcs, r.cfg.ReadBuffer, r.poller != nil)
	} else {
		pollers = newPollClients(srcs, len(r.clients)/max(1, len(srcs))+1)
	}
	interval := float64(time.Second) / r.cfg.RampRate
	t0 := time.Now()
	timer := time.NewTimer(0)
	defer timer.Stop()
	for i, c := range r.clients {
		if wait := time.Until(t0.Add(time.Duration(float64(i) * interval))); wait > 0 {
			timer.Reset(wait)
			select {
			case <-ctx.Done():
				return
			case <-timer.C:
			}
		}
		r.wg.Add(1)
		if dialers != nil {
			d := dialers[i%len(dialers)]
			go func() { // ends when the connection does; closeAll ends it
				defer r.wg.Done()
				r.runWS(r.connCtx, c, d)
			}()
		} else {
			hc := pollers[i%len(pollers)]
			go func() { // ends when the session does; closeAll cancels connCtx
				defer r.wg.Done()
				r.runPoll(r.connCtx, c, hc)
			}()
		}
	}
	deadline := time.Now().Add(handshakeTimeout + 5*time.Second)
	for time.Now().Before(deadline) && ctx.Err() == nil {
		if r.nConnected.Load()+r.nFailed.Load()+r.nDisconnected.Load() >= int64(len(r.clients)) {
			return
		}
		sleepCtx(ctx, 20*time.Millisecond)
	}
}

// runStep emits purchases at st.rate for cfg.Duration, round-robin over
// the buyers, skipping a buyer with maxInFlight purchases unacknowledged.
func (r *runner) runStep(ctx context.Context, i int, st *step) {
	st.begin = r.now()
	st.srvBegin = r.srv.sample()
	st.selfBegin = selfCPU()
	st.delivBegin = r.deliveries.Load()
	t0 := time.Now()
	end := t0.Add(r.cfg.Duration)
	if st.rate > 0 && len(r.buyers) > 0 {
		timer := time.NewTimer(0)
		defer timer.Stop()
		next := 0
		for k := 0; ; k++ {
			due := t0.Add(time.Duration(float64(k) * float64(time.Second) / st.rate))
			if !due.Before(end) {
				break
			}
			if wait := time.Until(due); wait > 0 {
				timer.Reset(wait)
				select {
				case <-ctx.Done():
					return
				case <-timer.C:
				}
			}
			st.ticks.Add(1)
			if r.emitNext(i, &next) {
				st.emitted.Add(1)
			} else {
				st.skipped.Add(1)
			}
		}
	}
	sleepCtx(ctx, time.Until(end))
	st.end = r.now()
	st.srvEnd = r.srv.sample()
	st.selfEnd = selfCPU()
	st.delivEnd = r.deliveries.Load()
}

// emitNext has the next ready buyer, in turn, buy once.
func (r *runner) emitNext(stepIdx int, next *int) bool {
	for range r.buyers {
		c := r.clients[*next]
		*next = (*next + 1) % len(r.buyers)
		if c.state.Load() != stateConnected || c.buyer.inflight.Load() >= maxInFlight {
			continue
		}
		if r.emit(c, stepIdx) {
			return true
		}
	}
	return false
}

// drain waits until the step's purchases are acknowledged and delivered to
// every connected client, or cfg.Drain passes.
func (r *runner) drain(ctx context.Context, st *step) {
	deadline := time.Now().Add(r.cfg.Drain)
	if r.watchOnly {
		// Without the buyers' acknowledgements, wait for receipts to stop.
		last, quietSince := st.received.Load(), time.Now()
		for time.Now().Before(deadline) && ctx.Err() == nil && time.Since(quietSince) < time.Second {
			sleepCtx(ctx, 50*time.Millisecond)
			if n := st.received.Load(); n != last {
				last, quietSince = n, time.Now()
			}
		}
		st.evalAt = r.now()
		return
	}
	for time.Now().Before(deadline) && ctx.Err() == nil {
		if r.inflight() == 0 && st.received.Load() >= st.acked.Load()*uint64(r.nConnected.Load()) {
			break
		}
		sleepCtx(ctx, 10*time.Millisecond)
	}
	st.evalAt = r.now()
}

// settleLate gives deliveries that missed a step's drain a last chance,
// so that "lost" means never delivered rather than late, then evaluates the
// steps again with every receipt. A step's verdict can only get worse.
func (r *runner) settleLate(ctx context.Context, res *result) {
	late := false
	for _, s := range res.Steps {
		late = late || s.Lost > 0
	}
	if !late {
		return
	}
	r.setPhase("late")
	received := func() (n uint64) {
		for _, st := range r.steps[:len(res.Steps)] {
			n += st.received.Load()
		}
		return n
	}
	deadline := time.Now().Add(r.cfg.LateWait)
	last, quietSince := received(), time.Now()
	for time.Now().Before(deadline) && ctx.Err() == nil && time.Since(quietSince) < 3*time.Second {
		complete := r.inflight() == 0
		for _, st := range r.steps[:len(res.Steps)] {
			complete = complete && st.received.Load() >= st.acked.Load()*uint64(r.nConnected.Load())
		}
		if complete {
			break
		}
		sleepCtx(ctx, 50*time.Millisecond)
		if n := received(); n != last {
			last, quietSince = n, time.Now()
		}
	}
	now := r.now()
	for i := range res.Steps {
		st := r.steps[i]
		st.evalAt = now
		again := r.evaluate(i, st)
		first := res.Steps[i]
		if !first.Sustained {
			again.Sustained = false
		}
		if late := int64(first.Lost) - int64(again.Lost); late > 0 {
			note := fmt.Sprintf("%d deliveries arrived after the drain", late)
			if again.Verdict == "ok" {
				again.Verdict = note
			} else {
				again.Verdict += "; " + note
			}
		}
		res.Steps[i] = again
	}
}

// inflight counts the purchases of connected buyers still unacknowledged.
func (r *runner) inflight() (n int64) {
	for _, b := range r.buyers {
		if r.clients[b.idx].state.Load() == stateConnected {
			n += int64(b.inflight.Load())
		}
	}
	return n
}

// evaluate turns a drained step into its result.
func (r *runner) evaluate(i int, st *step) stepResult {
	dur := time.Duration(st.end - st.begin)
	sr := stepResult{
		Rate:        st.rate,
		Seconds:     dur.Seconds(),
		Due:         st.ticks.Load(),
		Emitted:     st.emitted.Load(),
		Acked:       st.acked.Load(),
		Refused:     st.refused.Load(),
		Skipped:     st.skipped.Load(),
		Latency:     st.hist.summary(),
		Deliveries:  st.delivEnd - st.delivBegin,
		ToolCPUFrac: (st.selfEnd - st.selfBegin).Seconds() / dur.Seconds(),
	}
	if sr.Deliveries > 0 {
		sr.ToolCPUPerDeliveryUs = (st.selfEnd - st.selfBegin).Seconds() / float64(sr.Deliveries) * 1e6
	}
	for _, c := range r.clients {
		at := c.connectedAt.Load()
		closed := c.closedAt.Load()
		if at == 0 || at > st.begin {
			continue
		}
		if closed != 0 && closed <= st.evalAt {
			if closed > st.begin {
				sr.Disconnects++
			}
			continue
		}
		sr.Receivers++
		sr.Received += uint64(c.recv[i].Load())
	}
	sr.Expected = sr.Acked * uint64(sr.Receivers)
	if sr.Expected > sr.Received {
		sr.Lost = sr.Expected - sr.Received
	}
	sr.DeliveriesPerSec = float64(sr.Deliveries) / dur.Seconds()
	if st.srvBegin.ok && st.srvEnd.ok {
		sr.ServerCPUSeconds = (st.srvEnd.cpu - st.srvBegin.cpu).Seconds()
		sr.ServerCPUFrac = sr.ServerCPUSeconds / dur.Seconds()
		sr.ServerSysFrac = (st.srvEnd.sys - st.srvBegin.sys).Seconds() / dur.Seconds()
		if sr.Deliveries > 0 {
			sr.ServerCPUPerMillion = sr.ServerCPUSeconds / float64(sr.Deliveries) * 1e6
		}
		sr.ServerRSSMB = mb(st.srvEnd.rss)
	}
	sr.judge(r.cfg.P99Limit)
	return sr
}

// closeAll ends every connection and waits for the client goroutines.
func (r *runner) closeAll() {
	r.stopping.Store(true)
	r.connCancel()
	for _, c := range r.clients {
		if c.fc.Load() != nil {
			continue // the poller's now
		}
		if conn := c.ws.Load(); conn != nil {
			_ = conn.Close()
		}
	}
	done := make(chan struct{})
	go func() { // ends when every client goroutine has
		r.wg.Wait()
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(15 * time.Second):
		fmt.Fprintln(r.stderr, "shop-load: some connections did not close within 15s")
	}
	if r.poller != nil {
		r.poller.shutdown()
	}
}

// progress prints one line per second on stderr until stop is called.
func (r *runner) progress() (stop func()) {
	quit := make(chan struct{})
	done := make(chan struct{})
	go func() { // ends when stop closes quit
		defer close(done)
		tick := time.NewTicker(time.Second)
		defer tick.Stop()
		var lastDeliv uint64
		var lastSrv sample
		lastSelf := selfCPU()
		last := time.Now()
		for {
			select {
			case <-quit:
				return
			case now := <-tick.C:
				el := now.Sub(last).Seconds()
				last = now
				d := r.deliveries.Load()
				self := selfCPU()
				line := fmt.Sprintf("[%4.0fs] %-10s conns %d/%d fail %d drop %d | deliv %d (%.0f/s)",
					time.Since(r.start).Seconds(), *r.phase.Load(), r.nConnected.Load(), len(r.clients),
					r.nFailed.Load(), r.nDisconnected.Load(), d, float64(d-lastDeliv)/el)
				lastDeliv = d
				if i := int(r.curStep.Load()); len(r.buyers) > 0 && i < len(r.steps) {
					st := r.steps[i]
					line += fmt.Sprintf(" | rate %g/s acked %d p99 %sms", st.rate, st.acked.Load(), ms(st.hist.quantile(0.99)/1000, st.hist.count.Load()))
				}
				if s := r.srv.sample(); s.ok {
					if lastSrv.ok {
						line += fmt.Sprintf(" | srv cpu %3.0f%% rss %.0fMB", (s.cpu-lastSrv.cpu).Seconds()/el*100, mb(s.rss))
					}
					lastSrv = s
				}
				line += fmt.Sprintf(" | tool cpu %3.0f%%", (self-lastSelf).Seconds()/el*100)
				lastSelf = self
				fmt.Fprintln(r.stderr, line)
			}
		}
	}()
	return func() {
		close(quit)
		<-done
	}
}

func sleepCtx(ctx context.Context, d time.Duration) {
	if d <= 0 {
		return
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
	case <-t.C:
	}
}

func mb(b uint64) float64 { return float64(b) / (1 << 20) }
