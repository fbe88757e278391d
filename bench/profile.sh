#!/usr/bin/env bash
# profile.sh runs one load scenario against the shop and takes its CPU and
# heap profiles, without changing the shop's code: the shop is built with a
# -overlay that adds net/http/pprof on SHOP_PPROF_ADDR to package main.
#
#   bench/profile.sh [-seconds 10] [-out DIR] -- <shop-load flags>
#   bench/profile.sh -- -clients 10000 -ramp 2000 -rate 5 -duration 25s
#   bench/profile.sh -seconds 5 -- -clients 19500 -ramp 2000 -duration 15s
#
# The CPU profile starts once every client is connected (after the ramp and
# the settle pause shop-load prints), the heap profile (after a GC) when the
# CPU profile ends. Server on core 0, load tool on core 1, as compare.sh.
set -euo pipefail

SECONDS_CPU=10
OUT=""
ROOT=$(cd "$(dirname "$0")/.." && pwd)
while [ $# -gt 0 ]; do
  case "$1" in
    -seconds) SECONDS_CPU="$2"; shift ;;
    -out) OUT="$2"; shift ;;
    --) shift; break ;;
    -h|-help|--help) sed -n '2,12p' "$0"; exit 0 ;;
    *) echo "profile.sh: unknown flag $1 (shop-load flags go after --)" >&2; exit 2 ;;
  esac
  shift
done
[ $# -gt 0 ] || { echo "profile.sh: give shop-load flags after --" >&2; exit 2; }

WORK=$(mktemp -d /tmp/livebuy-profile.XXXXXX)
OUT=${OUT:-$WORK/out}
mkdir -p "$OUT"
SERVER_PID=""
LOAD_PID=""
cleanup() {
  [ -n "$LOAD_PID" ] && kill "$LOAD_PID" 2>/dev/null || true
  [ -n "$SERVER_PID" ] && kill "$SERVER_PID" 2>/dev/null || true
  wait 2>/dev/null || true
  rm -rf "$WORK/data" "$WORK/shop" "$WORK/shop-load" "$WORK/overlay.json" "$WORK/pprof_overlay.go"
  rmdir "$WORK" 2>/dev/null || true # kept when the profiles are in it
}
trap cleanup EXIT

cat >"$WORK/pprof_overlay.go" <<'EOF'
package main

import (
	"net/http"
	_ "net/http/pprof" // registers /debug/pprof on the default mux
	"os"
)

// A profiling build only: serve pprof on SHOP_PPROF_ADDR.
func init() {
	if addr := os.Getenv("SHOP_PPROF_ADDR"); addr != "" {
		go func() { _ = http.ListenAndServe(addr, nil) }()
	}
}
EOF
printf '{"Replace":{"%s":"%s"}}\n' "$ROOT/cmd/shop/zz_pprof_overlay.go" "$WORK/pprof_overlay.go" >"$WORK/overlay.json"

cd "$ROOT"
go build -overlay "$WORK/overlay.json" -o "$WORK/shop" ./cmd/shop
go build -o "$WORK/shop-load" ./cmd/shop-load

PORT=3390
SHOP_PPROF_ADDR=127.0.0.1:6061 taskset -c 0 "$WORK/shop" -addr 127.0.0.1:$PORT -data-dir "$WORK/data" \
  -log-level warn -bcrypt-cost 4 >"$OUT/server.log" 2>&1 &
SERVER_PID=$!
for _ in $(seq 1 120); do
  curl -sf "http://127.0.0.1:$PORT/healthz" >/dev/null 2>&1 && break
  sleep 0.5
done

taskset -c 1 "$WORK/shop-load" -url "http://127.0.0.1:$PORT" -pid "$SERVER_PID" -label shop "$@" \
  >"$OUT/load.txt" 2>"$OUT/progress.txt" &
LOAD_PID=$!
# Wait for the measurement to begin: the first "step" progress line.
for _ in $(seq 1 600); do
  grep -q "step 1/" "$OUT/progress.txt" 2>/dev/null && break
  kill -0 "$LOAD_PID" 2>/dev/null || break
  sleep 0.5
done
curl -sf -o "$OUT/cpu.pprof" "http://127.0.0.1:6061/debug/pprof/profile?seconds=$SECONDS_CPU"
curl -sf -o "$OUT/heap.pprof" "http://127.0.0.1:6061/debug/pprof/heap?gc=1"
curl -sf -o "$OUT/goroutines.txt" "http://127.0.0.1:6061/debug/pprof/goroutine?debug=1"
curl -sf "http://127.0.0.1:6061/debug/pprof/heap?debug=1" | grep -E "^# (HeapAlloc|HeapInuse|HeapIdle|HeapReleased|StackInuse|Sys|NumGC|NextGC) " >"$OUT/memstats.txt" || true
wait "$LOAD_PID" || true
LOAD_PID=""

cat "$OUT/load.txt"
echo "== runtime memory after GC =="
cat "$OUT/memstats.txt"
echo "== CPU (top, cumulative) =="
go tool pprof -top -cum -nodecount=35 "$WORK/shop" "$OUT/cpu.pprof" 2>/dev/null | tail -n +6
echo "== heap in use after GC (top) =="
go tool pprof -sample_index=inuse_space -top -nodecount=25 "$WORK/shop" "$OUT/heap.pprof" 2>/dev/null | tail -n +5
cp "$WORK/shop" "$OUT/shop.bin"
echo "profiles and the binary are in $OUT"
