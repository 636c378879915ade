#!/usr/bin/env bash
# Stops what start.sh started.
RUN_DIR="${RUN_DIR:-/tmp/ember-sentinel}"
for pidfile in "$RUN_DIR"/*.pid; do
  [ -f "$pidfile" ] && kill "$(cat "$pidfile")" 2>/dev/null
done
exit 0
