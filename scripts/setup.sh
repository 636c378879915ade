#!/usr/bin/env bash
# Installs the Debian packages Ember needs to build and test. Idempotent and fast when everything
# is present: apt-get update runs only when something is missing.
set -euo pipefail

packages=(
  build-essential cmake ninja-build pkg-config
  libfmt-dev liblzf-dev liblua5.1-0-dev lua-cjson-dev lua-bitop-dev libhiredis-dev
  libgtest-dev libgmock-dev libbenchmark-dev
  python3 python3-pytest python3-redis
  redis-server redis-tools redis-sentinel bc
)

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q '^install ok installed$'; then
    missing+=("$p")
  fi
done

if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi

echo "Installing missing packages: ${missing[*]}"
SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"

# The redis-server and redis-sentinel packages start system services on 6379 and 26379; the
# tests start their own servers on free ports, `make run` wants 6379 for Ember and the Sentinel
# example 26379. Stop the packaged services if they run.
for service in redis-server redis-sentinel; do
  if command -v systemctl >/dev/null 2>&1 && systemctl is-active --quiet "$service" 2>/dev/null; then
    $SUDO systemctl stop "$service" || true
    $SUDO systemctl disable "$service" || true
  fi
done
if pgrep -x redis-server >/dev/null 2>&1 && [ -f /var/run/redis/redis-server.pid ]; then
  $SUDO kill "$(cat /var/run/redis/redis-server.pid)" 2>/dev/null || true
fi
