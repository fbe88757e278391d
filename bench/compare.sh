#!/usr/bin/env bash
# compare.sh runs the same load scenarios against the Go shop and the Node
# reference server (bench/node-server), alternating them, with the server on
# one core and the load tool on the other, and writes the medians with the
# ratio shop/Node into docs/BENCHMARKS.md (between the "results" markers;
# the rest of that file is left alone).
#
#   bench/compare.sh            # full run: 3 repetitions, about 20 minutes
#   bench/compare.sh -quick     # 1 repetition, fewer clients, about 4 minutes
#   bench/compare.sh -reps 5 -out /tmp/b.md -keep /tmp/bench-json
#
# Scenarios (see docs/BENCHMARKS.md for what each measures):
#   fanout-1k    1,000 clients, 10 purchases/s
#   fanout-10k   10,000 clients, 5 purchases/s
#   max-10k      10,000 clients, purchase rate raised step by step until a
#                step is not sustained (p99 > 1 s, a loss, or deliveries behind)
#   idle-19500   19,500 idle connections (memory per connection)
set -euo pipefail

REPS=3
QUICK=0
ROOT=$(cd "$(dirname "$0")/.." && pwd)
OUT_MD="$ROOT/docs/BENCHMARKS.md"
KEEP=""
SERVER_CPU=0
TOOL_CPU=1

while [ $# -gt 0 ]; do
  case "$1" in
    -quick) QUICK=1; REPS=1 ;;
    -reps) REPS="$2"; shift ;;
    -out) OUT_MD="$2"; shift ;;
    -keep) KEEP="$2"; shift ;;
    -h|-help|--help) sed -n '2,20p' "$0"; exit 0 ;;
    *) echo "compare.sh: unknown flag $1" >&2; exit 2 ;;
  esac
  shift
done

WORK=$(mktemp -d /tmp/livebuy-bench.XXXXXX)
RESULTS="${KEEP:-$WORK/results}"
mkdir -p "$RESULTS"
SERVER_PID=""
SERVER_DATA=""

cleanup() {
  stop_server
  rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

log() { printf '%s %s\n' "$(date +%H:%M:%S)" "$*" >&2; }

cd "$ROOT"
log "building the shop and the load tool"
go build -o "$WORK/shop" ./cmd/shop
go build -o "$WORK/shop-load" ./cmd/shop-load

if [ "$QUICK" = 1 ]; then
  DUR=5s; STEP_DUR=4s; BIG=2000; IDLE=5000
  STEPS="5,10,20,40,80,160,320"
else
  DUR=15s; STEP_DUR=6s; BIG=10000; IDLE=19500
  STEPS="2,3,4,5,6,8,10,12,15,18,22,27,33,40,50,60,75,90,110,135,165,200"
fi

# name | shop-load arguments (the URL, pid, label and JSON path are added)
SCENARIOS=(
  "fanout-1k|-clients 1000 -rate 10 -duration $DUR"
  "fanout-10k|-clients $BIG -ramp 2000 -rate 5 -duration $DUR"
  "max-10k|-clients $BIG -ramp 2000 -rate-steps $STEPS -duration $STEP_DUR -drain 3s"
  "idle-19500|-clients $IDLE -ramp 2000 -duration 5s"
)

PORT=3400
start_server() { # $1 = shop|node
  PORT=$((PORT + 1))
  case "$1" in
    shop)
      SERVER_DATA=$(mktemp -d "$WORK/shop-data.XXXXXX")
      # bcrypt cost 4: sign-ups happen before the measurement and only
      # their count matters; the default cost would add minutes per run.
      SERVER_CMD="taskset -c $SERVER_CPU $WORK/shop -addr 127.0.0.1:$PORT -data-dir $SERVER_DATA -log-level warn -bcrypt-cost 4"
      ;;
    node)
      SERVER_CMD="taskset -c $SERVER_CPU node $ROOT/bench/node-server/server.mjs --addr 127.0.0.1:$PORT"
      ;;
  esac
  $SERVER_CMD >"$WORK/server.log" 2>&1 &
  SERVER_PID=$!
  for _ in $(seq 1 120); do
    if curl -sf "http://127.0.0.1:$PORT/healthz" >/dev/null 2>&1; then
      return 0
    fi
    if ! kill -0 "$SERVER_PID" 2>/dev/null; then break; fi
    sleep 0.5
  done
  echo "compare.sh: $1 did not start:" >&2
  tail -20 "$WORK/server.log" >&2
  exit 1
}

stop_server() {
  if [ -n "$SERVER_PID" ] && kill -0 "$SERVER_PID" 2>/dev/null; then
    kill "$SERVER_PID" 2>/dev/null || true
    for _ in $(seq 1 100); do
      kill -0 "$SERVER_PID" 2>/dev/null || break
      sleep 0.1
    done
    kill -9 "$SERVER_PID" 2>/dev/null || true
    wait "$SERVER_PID" 2>/dev/null || true
  fi
  SERVER_PID=""
  if [ -n "$SERVER_DATA" ]; then rm -rf "$SERVER_DATA"; SERVER_DATA=""; fi
}

# Machine and versions, for the report.
{
  echo "date=$(date -u +%Y-%m-%dT%H:%M:%SZ)"
  echo "cpu=$(lscpu | sed -n 's/^Model name: *//p' | head -1)"
  echo "cores=$(nproc)"
  echo "ram=$(awk '/MemTotal/ {printf "%.1f GiB", $2/1048576}' /proc/meminfo)"
  echo "kernel=$(uname -r)"
  echo "go=$(go version | awk '{print $3}')"
  echo "node=$(node --version)"
  echo "socketio=$(node -p "require('$ROOT/node_modules/socket.io/package.json').version")"
  echo "commit=$(git rev-parse --short HEAD)$(git diff --quiet HEAD -- cmd internal bench 2>/dev/null || echo '+changes')"
  echo "reps=$REPS"
  echo "quick=$QUICK"
  echo "loadavg_start=$(cut -d' ' -f1-3 /proc/loadavg)"
} >"$RESULTS/meta.txt"
: >"$RESULTS/commands.txt"

for rep in $(seq 1 "$REPS"); do
  for entry in "${SCENARIOS[@]}"; do
    name=${entry%%|*}
    args=${entry#*|}
    # Alternate which server goes first, so that neither always runs on a
    # machine the other has just warmed or loaded.
    if [ $((rep % 2)) = 1 ]; then order="shop node"; else order="node shop"; fi
    for server in $order; do
      start_server "$server"
      out="$RESULTS/$rep-$name-$server.json"
      log "rep $rep/$REPS $name on $server (pid $SERVER_PID, load $(cut -d' ' -f1 /proc/loadavg))"
      cmd="taskset -c $TOOL_CPU ./shop-load -url http://127.0.0.1:$PORT $args -pid \$SERVER_PID -label $server"
      if [ "$rep" = 1 ]; then
        # As a reader would type it: binaries in the current directory, a
        # fresh data directory.
        show=$(printf '%s' "$SERVER_CMD" | sed -e "s|-data-dir [^ ]*|-data-dir \$(mktemp -d)|" -e "s|$WORK/|./|g" -e "s|$ROOT/||g")
        printf '%s\t%s\t%s\t%s\n' "$name" "$server" "$show" "$cmd" >>"$RESULTS/commands.txt"
      fi
      # shellcheck disable=SC2086
      if ! taskset -c $TOOL_CPU "$WORK/shop-load" -url "http://127.0.0.1:$PORT" $args \
          -pid "$SERVER_PID" -label "$server" -json "$out" -quiet >"$WORK/load.out" 2>&1; then
        log "load run failed (kept going):"
        tail -5 "$WORK/load.out" >&2
      fi
      grep -E "connections:|rate/s|^ +[0-9]" "$WORK/load.out" | sed 's/^/    /' >&2 || true
      stop_server
      sleep 2 # let closed connections leave the server's and the tool's tables
    done
  done
done
echo "loadavg_end=$(cut -d' ' -f1-3 /proc/loadavg)" >>"$RESULTS/meta.txt"

log "writing $OUT_MD"
go run ./bench/summarize -dir "$RESULTS" -doc "$OUT_MD"
log "done"
