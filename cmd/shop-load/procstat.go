package main

import (
	"bytes"
	"fmt"
	"os"
	"strconv"
	"syscall"
	"time"
)

// clockTicks is USER_HZ, the unit of utime and stime in /proc/PID/stat; it
// is 100 on every Linux architecture Go supports.
const clockTicks = 100

// procCPU returns the user and system CPU time a process has used.
func procCPU(pid int) (user, sys time.Duration, err error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, 0, fmt.Errorf("read cpu of %d: %w", pid, err)
	}
	return parseStatCPU(b)
}

// parseStatCPU reads fields 14 and 15 (utime, stime). The command name,
// field 2, may hold spaces and parentheses, so fields count from the last
// ')'.
func parseStatCPU(b []byte) (user, sys time.Duration, err error) {
	i := bytes.LastIndexByte(b, ')')
	if i < 0 {
		return 0, 0, fmt.Errorf("malformed stat %q", truncate(b, 60))
	}
	f := bytes.Fields(b[i+1:])
	// f[0] is field 3 (state); utime is field 14 -> f[11], stime f[12].
	if len(f) < 13 {
		return 0, 0, fmt.Errorf("short stat %q", truncate(b, 60))
	}
	ut, err1 := strconv.ParseUint(string(f[11]), 10, 64)
	st, err2 := strconv.ParseUint(string(f[12]), 10, 64)
	if err1 != nil || err2 != nil {
		return 0, 0, fmt.Errorf("malformed stat times %q %q", f[11], f[12])
	}
	return time.Duration(ut) * time.Second / clockTicks, time.Duration(st) * time.Second / clockTicks, nil
}

// procRSS returns the resident set size of a process in bytes.
func procRSS(pid int) (uint64, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, fmt.Errorf("read memory of %d: %w", pid, err)
	}
	return parseStatusRSS(b)
}

func parseStatusRSS(b []byte) (uint64, error) {
	for line := range bytes.SplitSeq(b, []byte("\n")) {
		rest, ok := bytes.CutPrefix(line, []byte("VmRSS:"))
		if !ok {
			continue
		}
		f := bytes.Fields(rest)
		if len(f) != 2 || string(f[1]) != "kB" {
			return 0, fmt.Errorf("malformed VmRSS line %q", line)
		}
		kb, err := strconv.ParseUint(string(f[0]), 10, 64)
		if err != nil {
			return 0, fmt.Errorf("malformed VmRSS line %q", line)
		}
		return kb * 1024, nil
	}
	return 0, fmt.Errorf("no VmRSS in status")
}

// selfCPU is the CPU time this process has used, to tell whether the load
// tool itself was the bottleneck.
func selfCPU() time.Duration {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// probe samples a process's CPU and memory; the zero probe (no pid) reports
// nothing and never fails.
type probe struct{ pid int }

type sample struct {
	ok  bool
	cpu time.Duration // user + system
	sys time.Duration
	rss uint64
}

func (p probe) sample() sample {
	if p.pid <= 0 {
		return sample{}
	}
	user, sys, err1 := procCPU(p.pid)
	rss, err2 := procRSS(p.pid)
	if err1 != nil || err2 != nil {
		return sample{}
	}
	return sample{ok: true, cpu: user + sys, sys: sys, rss: rss}
}
