package main

import (
	"context"
	"fmt"
	"net"
	"net/url"
	"strings"
	"syscall"
)

// target is the server under load, resolved once.
type target struct {
	base     *url.URL // scheme://host:port, no path
	path     string   // Socket.IO path, "/socket.io/"
	loopback bool     // every address of the host is a loopback address
	ipv4     bool     // the host resolves to IPv4 loopback (source spreading works)
}

// parseTarget checks the URL and resolves its host. A target that is not
// loopback is refused unless allowRemote: the tool opens tens of thousands
// of connections and must not be pointed at someone else's server by
// mistake.
func parseTarget(ctx context.Context, raw, path string, allowRemote bool) (target, error) {
	u, err := url.Parse(raw)
	if err != nil {
		return target{}, fmt.Errorf("parse -url: %w", err)
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return target{}, fmt.Errorf("-url %q: scheme must be http or https", raw)
	}
	if u.Hostname() == "" {
		return target{}, fmt.Errorf("-url %q: no host", raw)
	}
	if !strings.HasPrefix(path, "/") {
		path = "/" + path
	}
	if !strings.HasSuffix(path, "/") {
		path += "/"
	}
	t := target{base: &url.URL{Scheme: u.Scheme, Host: u.Host}, path: path}
	ips, err := net.DefaultResolver.LookupIPAddr(ctx, u.Hostname())
	if err != nil {
		return target{}, fmt.Errorf("resolve %s: %w", u.Hostname(), err)
	}
	t.loopback, t.ipv4 = allLoopback(ips)
	if !t.loopback && !allowRemote {
		return target{}, fmt.Errorf("refusing non-loopback target %s (pass -allow-remote to load a remote server)", u.Host)
	}
	return t, nil
}

// allLoopback reports whether every address is loopback, and whether they
// are all IPv4.
func allLoopback(ips []net.IPAddr) (loopback, ipv4 bool) {
	if len(ips) == 0 {
		return false, false
	}
	loopback, ipv4 = true, true
	for _, ip := range ips {
		if !ip.IP.IsLoopback() {
			loopback = false
		}
		if ip.IP.To4() == nil {
			ipv4 = false
		}
	}
	return loopback, ipv4
}

// socketURL is the Engine.IO endpoint for a transport, with the scheme the
// transport needs.
func (t target) socketURL(transport string) string {
	u := *t.base
	if transport == "websocket" {
		u.Scheme = map[string]string{"http": "ws", "https": "wss"}[u.Scheme]
	}
	u.Path = t.path
	u.RawQuery = "EIO=4&transport=" + transport
	return u.String()
}

func (t target) apiURL(path string) string {
	u := *t.base
	u.Path = path
	return u.String()
}

// sourceAddrs returns the local addresses connections are spread over:
// 127.0.0.2, 127.0.0.3, … Linux picks ephemeral ports per local address, so
// each adds ~28,000 possible connections to one server port. Spreading only
// applies to an IPv4 loopback target; otherwise the kernel chooses.
func sourceAddrs(t target, n int) []*net.TCPAddr {
	if !t.loopback || !t.ipv4 || n <= 0 {
		return nil
	}
	out := make([]*net.TCPAddr, n)
	for i := range out {
		out[i] = &net.TCPAddr{IP: net.IPv4(127, 0, byte((i+2)>>8), byte((i+2)&0xff))}
	}
	return out
}

// fdReserve is the number of descriptors the process keeps besides its
// connections: stdio, the poller, the REST client, /proc reads, shards'
// pipes.
const fdReserve = 48

// fdLimit is the soft RLIMIT_NOFILE of the process.
func fdLimit() (uint64, error) {
	var r syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &r); err != nil {
		return 0, fmt.Errorf("getrlimit: %w", err)
	}
	return r.Cur, nil
}

// fdsPerClient is what one client holds: a WebSocket is one socket; a
// polling client has its pending GET and, at times, a POST.
func fdsPerClient(transport string) int {
	if transport == "polling" {
		return 2
	}
	return 1
}

// checkFDs refuses a plan that cannot fit in the file limit, so that a run
// fails at once with advice instead of with EMFILE in the middle.
func checkFDs(clients, shards int, transport string, limit uint64) error {
	if shards < 1 {
		shards = 1
	}
	per := (clients + shards - 1) / shards
	need := uint64(per*fdsPerClient(transport) + fdReserve)
	if need > limit {
		min := (clients*fdsPerClient(transport) + int(limit) - fdReserve - 1) / (int(limit) - fdReserve)
		return fmt.Errorf("%d %s clients in %d process(es) need %d descriptors each, above the limit of %d: use -shards %d or more",
			clients, transport, shards, need, limit, min)
	}
	return nil
}
