#!/usr/bin/env bash
# Runs every test of the shop: the Go packages with the race detector, the
# official socket.io clients (Node) against our server, and the browser tests
# in Debian's Chromium. Installs Chromium and redis-server (the Redis adapter
# tests start their own) first when they are missing.
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v chromium >/dev/null 2>&1 || ! command -v redis-server >/dev/null 2>&1; then
  sudo_cmd=()
  if [ "$(id -u)" -ne 0 ]; then sudo_cmd=(sudo); fi
  "${sudo_cmd[@]}" apt-get update -q
  DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -q --no-install-recommends chromium fonts-noto-cjk redis-server
fi

npm ci --no-audit --no-fund
go test -race ./...
