# Sourced by the bench scripts that start `upcheck serve`: a temporary
# directory in $tmp, and on exit the server whose pid is in $pid (if any)
# stopped and the directory removed.
tmp=$(mktemp -d)
pid=
cleanup() {
  if [ -n "$pid" ]; then kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; fi
  rm -rf "$tmp"
}
trap cleanup EXIT
