#!/usr/bin/env bash
# Starts an Ember master (6380), two Ember replicas (6381, 6382) and three Redis Sentinels
# (26379-26381) on 127.0.0.1, all daemonized, with their files under $RUN_DIR.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
ember="${EMBER_SERVER:-$here/../../build/ember-server}"
RUN_DIR="${RUN_DIR:-/tmp/ember-sentinel}"
mkdir -p "$RUN_DIR"
cd "$RUN_DIR"
for conf in master replica-1 replica-2; do
  port=$(awk '$1 == "port" {print $2}' "$here/$conf.conf")
  mkdir -p "data-$port"
  "$ember" "$here/$conf.conf" --daemonize yes --pidfile "$RUN_DIR/$conf.pid" \
    --logfile "$RUN_DIR/$conf.log"
done
for n in 1 2 3; do
  cp "$here/sentinel-$n.conf" "$RUN_DIR/sentinel-$n.conf"
  redis-sentinel "$RUN_DIR/sentinel-$n.conf" --daemonize yes \
    --pidfile "$RUN_DIR/sentinel-$n.pid" --logfile "$RUN_DIR/sentinel-$n.log"
done
echo "started; ask a Sentinel: redis-cli -p 26379 SENTINEL get-master-addr-by-name mymaster"
