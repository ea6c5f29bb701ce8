# Sourced by the contract tests: a server process started in the background, its port read from
# its log, stopped by SIGTERM, its log searched for errors. Each bound: 20 s to say its port, 20 s
# to stop. The caller sets `name` (for messages) and `log` (the server's stderr) first.

# start_server COMMAND...: starts it, sets `server` (its pid) and `port` (from "listening on
# http://127.0.0.1:PORT" in $log), and stops it on exit unless `stop_server` ran; exits 1 when it
# dies or says no port.
start_server() {
  : >"$log"  # before the server: its shell opens the file only after the fork, maybe after the first read below
  "$@" 2>"$log" &
  server=$!
  trap 'stop_server >/dev/null 2>&1 || true' EXIT
  port=""
  local i
  for ((i = 0; i < 200; i++)); do
    kill -0 "$server" 2>/dev/null || { echo "schemathesis test: $name exited at start:" >&2; cat "$log" >&2; exit 1; }
    port=$(sed -n 's|.*listening on http://127\.0\.0\.1:\([0-9]*\).*|\1|p' "$log" | head -n 1)
    [[ -z "$port" ]] || return 0
    sleep 0.1
  done
  echo "schemathesis test: $name printed no port within 20 s:" >&2
  cat "$log" >&2
  exit 1
}

# stop_server: SIGTERM, then up to 20 s for a graceful exit; its status
stop_server() {
  kill -TERM "$server" 2>/dev/null || return 0
  local i
  for ((i = 0; i < 200; i++)); do
    kill -0 "$server" 2>/dev/null || break
    sleep 0.1
  done
  if kill -0 "$server" 2>/dev/null; then
    echo "schemathesis test: $name did not stop within 20 s of SIGTERM" >&2
    kill -KILL "$server" 2>/dev/null || true
    wait "$server" 2>/dev/null || true
    return 1
  fi
  wait "$server"
}

# finish STATUS: stops the server and exits with STATUS, or 1 when the server did not stop
# cleanly or logged an error.
finish() {
  local status=$1
  if ! stop_server; then
    status=1
  else
    trap - EXIT
  fi
  if grep -q '"level":"error"\|\[error\]\|internal error' "$log"; then
    echo "schemathesis test: $name logged errors:" >&2
    grep '"level":"error"\|\[error\]\|internal error' "$log" | head -n 20 >&2
    status=1
  fi
  exit "$status"
}
