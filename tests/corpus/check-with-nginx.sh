#!/usr/bin/env bash
# Runs the real nginx (`nginx -t`) on every case of this corpus.
#
# A case must be ACCEPTED by nginx unless it is listed in REJECTED below,
# and every listed case must be REJECTED; the script prints one line per case
# and exits 1 on any surprise. See README.md for how the modules were found.
#
# Environment:
#   NGINX                nginx binary (default: nginx)
#   NGINX_MODULES_DIR    directory with ngx_stream_module.so, ngx_mail_module.so,
#                        ndk_http_module.so, ngx_http_lua_module.so (each loaded
#                        with -g "load_module …;" when present)
#   NGINX_LUA_PATH       LUA_PATH for lua-resty-core (needed by the lua module)
#   LD_LIBRARY_PATH      as needed for libluajit / libpcre of those modules
#
# Needs root: it runs in a private mount namespace (unshare -m) where
# /etc/hosts is a scratch copy and /run, /var/log, /var/cache and
# /var/lib/nginx are empty tmpfs mounts, so that service
# names (api, php-fpm, *.svc.cluster.local, …) resolve to 127.0.0.1 the way
# they would inside the compose network or cluster, and nothing is written
# to the real system.
set -euo pipefail

# Cases nginx 1.22 rejects, with the reason. Everything else must pass.
REJECTED="
broken-block-directive-without-block  directive \"server\" has no opening \"{\"
broken-block-on-simple-directive      directive \"listen\" is not terminated by \";\"
broken-closing-quote-no-space         unexpected \"-\"
broken-double-semicolon               unexpected \";\"
broken-error-in-included-file         \"worker_processes\" directive is not allowed here
broken-extra-closing-brace            unexpected \"}\"
broken-if-parens                      invalid condition
broken-invalid-flag                   invalid value \"yes\"
broken-missing-closing-brace          unexpected end of file, expecting \"}\"
broken-missing-include                open() failed
broken-missing-semicolon-eof          unexpected end of file, expecting \";\" or \"}\"
broken-missing-semicolon-middle       invalid parameter \"server_name\"
broken-unquoted-regex-braces          unknown directive \"6}\$\"
broken-unterminated-quote             unexpected end of file
broken-wrong-arg-count                invalid number of arguments
broken-wrong-context                  \"proxy_pass\" directive is not allowed here
docker-envsubst-template              unrendered envsubst template (invalid port)
empty-file                            no \"events\" section in configuration
stream-server-name                    server_name in stream needs nginx >= 1.25.5
third-party-directives                modules not installed (brotli, vts, njs, headers-more)
upstream-resolve-zone                 \"resolve\" on upstream servers needs nginx >= 1.27.3
"

here="$(cd "$(dirname "$0")" && pwd)"

if [ -z "${UPCHECK_NGINX_NS:-}" ]; then
  exec unshare -m env UPCHECK_NGINX_NS=1 "$0" "$@"
fi

scratch="$(mktemp -d)"
cp /etc/hosts "$scratch/hosts"
mount --bind "$scratch/hosts" /etc/hosts
# nginx -t creates pid files, logs, temp and cache directories: keep them
# off the real system.
for d in /run /var/log /var/cache /var/lib/nginx; do
  if [ -d "$d" ]; then
    mount -t tmpfs tmpfs "$d"
  fi
done
mkdir -p /run/nginx /var/log/nginx /var/cache/nginx

nginx_bin="${NGINX:-nginx}"
loads=""
if [ -n "${NGINX_MODULES_DIR:-}" ]; then
  for m in ngx_stream_module ngx_mail_module ndk_http_module ngx_http_lua_module; do
    if [ -f "$NGINX_MODULES_DIR/$m.so" ]; then
      loads="$loads load_module $NGINX_MODULES_DIR/$m.so;"
    fi
  done
fi
if [ -n "${NGINX_LUA_PATH:-}" ]; then
  export LUA_PATH="$NGINX_LUA_PATH"
fi

expected_rejected() {
  printf '%s\n' "$REJECTED" | awk -v c="$1" '$1 == c { found = 1 } END { exit !found }'
}

surprises=0
for dir in "$here"/*/; do
  case="$(basename "$dir")"
  work="$scratch/cases/$case"
  mkdir -p "$work"
  cp -a "$dir." "$work/"
  out=""
  ok=0
  # Service names nginx cannot resolve are added to the scratch /etc/hosts.
  for _ in $(seq 1 30); do
    if out="$("$nginx_bin" -t -q -p "$work/" -c "$work/nginx.conf" ${loads:+-g "$loads"} 2>&1)"; then
      ok=1
      break
    fi
    host="$(printf '%s\n' "$out" | sed -n 's/.*host not found in \(upstream\|resolver\) "\([^"]*\)".*/\2/p' | head -n1)"
    [ -n "$host" ] || break
    host="${host#*://}"
    host="${host%%/*}"
    case "$host" in
      \[*) break ;;
      *:*) host="${host%:*}" ;;
    esac
    echo "127.0.0.1 $host" >>"$scratch/hosts"
  done
  first_error="$(printf '%s\n' "$out" | grep -m1 -E '\[(emerg|alert)\]' | sed -E 's/^.*\[(emerg|alert)\] ([0-9]+#[0-9]+: )?//' || true)"
  if expected_rejected "$case"; then
    if [ "$ok" = 1 ]; then
      echo "SURPRISE accepted   $case (listed as rejected)"
      surprises=$((surprises + 1))
    else
      echo "rejected (expected) $case: $first_error"
    fi
  else
    if [ "$ok" = 1 ]; then
      echo "accepted            $case"
    else
      echo "SURPRISE rejected   $case: $first_error"
      surprises=$((surprises + 1))
    fi
  fi
done

rm -rf "$scratch"
if [ "$surprises" -gt 0 ]; then
  echo "$surprises surprise(s)"
  exit 1
fi
echo "all cases behave as listed"
