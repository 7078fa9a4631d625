# Sourced by the .ci scripts that test the running service.
#
#   start_upcheck BIN WORKDIR [ENV=VALUE ...]
#
# Starts `BIN serve` on a free loopback port with the given environment,
# logs in WORKDIR/stdout and WORKDIR/stderr, waits until it prints its
# address, and sets UPCHECK_PID and UPCHECK_ADDR (http://127.0.0.1:PORT).
# Returns 1, with the server's log on stderr, when it does not start.
start_upcheck() {
  local bin=$1 work=$2
  shift 2
  env "$@" "$bin" serve --listen 127.0.0.1:0 --log warn \
    >"$work/stdout" 2>"$work/stderr" &
  UPCHECK_PID=$!
  UPCHECK_ADDR=""
  for _ in $(seq 100); do
    UPCHECK_ADDR=$(grep -o 'http://[0-9.:]*' "$work/stdout" || true)
    [ -n "$UPCHECK_ADDR" ] && return 0
    sleep 0.1
  done
  echo "upcheck serve did not start" >&2
  cat "$work/stderr" >&2
  return 1
}

# Stops what start_upcheck started.
stop_upcheck() {
  kill "$UPCHECK_PID" 2>/dev/null || true
  wait "$UPCHECK_PID" 2>/dev/null || true
}
