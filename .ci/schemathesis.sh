#!/usr/bin/env bash
# schemathesis against the served OpenAPI document: every check, 0 failures.
#
# Starts `upcheck serve` on a free port with a bearer token (so the
# ignored_auth check sees /validate, /parse and /reports refuse requests without
# it) and a data directory (so `?store=true` stores and /reports/{id} answers),
# runs `schemathesis run --checks all` with a bounded number of examples,
# and stops the server. Self-contained: creates .venv and installs
# schemathesis when missing; builds the binary when missing.
#
#   SCHEMATHESIS_EXAMPLES=N   examples per operation (default 60)
#   SCHEMATHESIS_SEED=N       hypothesis seed (default fixed, for a reproducible CI)
#   UPCHECK_BIN=PATH          the binary to test (default target/debug/upcheck)
set -euo pipefail
cd "$(dirname "$0")/.."

venv="$PWD/.venv"
version=4.32.5
if ! "$venv/bin/schemathesis" --version 2>/dev/null | grep -q "$version"; then
  [ -x "$venv/bin/pip" ] || python3 -m venv "$venv"
  "$venv/bin/pip" install -q --disable-pip-version-check "schemathesis==$version"
fi

bin=${UPCHECK_BIN:-$PWD/target/debug/upcheck}
if [ ! -x "$bin" ]; then
  cargo build --quiet --bin upcheck
fi
case $bin in /*) ;; *) bin="$PWD/$bin" ;; esac

work=$(mktemp -d)

# Two rules of /validate and /parse are beyond JSON Schema: `main` must name
# a submitted file, and no two files may share a path (both 422 problems).
# This hook teaches the generator those rules for schema-valid (positive)
# cases only, the way schemathesis suggests for cross-field rules; negative
# cases are sent untouched. Forms keep one file per field: schemathesis
# names every file part after its field, so two parts would share a path.
cat >"$work/hooks.py" <<'PY'
import schemathesis

try:
    from schemathesis.specs.openapi.adapter.formdata import _filename
except Exception:  # a later schemathesis: drop `main` instead
    _filename = None

ROUTES = {"/validate", "/parse"}


def _routed(path):
    return path in ROUTES or path.startswith("/validate/")


def _positive(case):
    try:
        return case.meta.generation.mode.is_positive
    except AttributeError:
        return False


def _fix_json(body):
    taken = set()

    def unique(path):
        base, n = path, 2
        while path in taken:
            path = f"{base}~{n}"
            n += 1
        taken.add(path)
        return path

    nginx = []
    if isinstance(body.get("nginx"), str):
        nginx.append(unique("nginx.conf"))
    for f in body.get("files") or []:
        if isinstance(f, dict) and isinstance(f.get("path"), str):
            f["path"] = unique(f["path"])
            nginx.append(f["path"])
    docs = body.get("documents")
    if isinstance(docs, list):
        for i, d in enumerate(docs):
            if not isinstance(d, dict):
                continue
            if isinstance(d.get("path"), str):
                d["path"] = unique(d["path"])
            elif d.get("path") is None:
                name = "topology.yaml" if len(docs) == 1 else f"topology-{i + 1}.yaml"
                if name in taken:
                    d["path"] = unique(name)
                taken.add(name)
    main = body.get("main")
    if isinstance(main, str) and main not in nginx:
        if nginx:
            body["main"] = nginx[0]
        else:
            del body["main"]


def _fix_form(body):
    for field in ("nginx", "topology"):
        if isinstance(body.get(field), list) and len(body[field]) > 1:
            body[field] = body[field][:1]
    if "main" in body:
        files = body.get("nginx")
        if _filename is not None and isinstance(files, list) and files:
            body["main"] = _filename("nginx", files[0])
        else:
            del body["main"]


@schemathesis.hook
def before_call(context, case, **kwargs):
    if not _routed(case.operation.path) or not _positive(case):
        return
    if not isinstance(case.body, dict):
        return
    if (case.media_type or "").startswith("multipart/"):
        _fix_form(case.body)
    else:
        _fix_json(case.body)


# A schema-valid request whose topology the engine cannot read (JSON Schema
# cannot say "a readable compose file") is answered 422 `input-refused`; the
# config below lets positive cases of /validate get that answer, and this
# check holds every such answer to carrying the report with verdict `error`.
@schemathesis.check
def refusals_carry_the_report(ctx, response, case):
    if response.status_code != 422:
        return None
    try:
        body = response.json()
    except Exception:
        return None
    if body.get("type") != "https://upcheck.dev/problems/input-refused":
        return None
    report = body.get("report") or {}
    assert report.get("verdict") == "error", "an input-refused problem without a report of verdict error"
    assert (report.get("refusal") or {}).get("message") == body.get("detail"), "detail is not the refusal"
    return None
PY
# Slash commands are on (a signing secret and a token), and schemathesis
# cannot sign as Slack does nor guess the token: a schema-valid command is
# answered 401.
cat >"$work/schemathesis.toml" <<'TOML'
[[operations]]
include-path-regex = "^/validate"
checks.positive_data_acceptance.expected-statuses = ["2xx", "3xx", "401", "403", "404", "409", "422", "429", "5xx"]

# A random report id names no stored report: 404.
[[operations]]
include-path-regex = "^/reports/"
checks.positive_data_acceptance.expected-statuses = ["2xx", "401", "404"]

[[operations]]
include-path-regex = "^/chat/"
checks.positive_data_acceptance.expected-statuses = ["2xx", "401"]
TOML
token="schemathesis-$$-$RANDOM$RANDOM"
. .ci/lib/serve.sh
cleanup() {
  stop_upcheck
  rm -rf "$work"
}
trap cleanup EXIT
start_upcheck "$bin" "$work" UPCHECK_TOKENS="$token" UPCHECK_DATA_DIR="$work/data" \
  UPCHECK_SLACK_SIGNING_SECRET="slack-$token" UPCHECK_MATTERMOST_TOKENS="mattermost-$token"
addr=$UPCHECK_ADDR
echo "== schemathesis $version against $addr/openapi.json"

# Run from the scratch directory: schemathesis keeps a cache in its working
# directory, which does not belong in the repository.
status=0
cd "$work"
# One worker: with two, hypothesis's lambda descriptions (ast, in threads)
# fail at random with CPython's "AST constructor recursion depth mismatch",
# a runtime error in the tool, not a finding; one is as fast here.
SCHEMATHESIS_HOOKS="$work/hooks.py" timeout 600 "$venv/bin/schemathesis" run "$addr/openapi.json" \
  --checks all \
  --max-examples "${SCHEMATHESIS_EXAMPLES:-60}" \
  --seed "${SCHEMATHESIS_SEED:-20261126}" \
  --workers 1 \
  --header "Authorization: Bearer $token" \
  --request-timeout 30 \
  --suppress-health-check too_slow \
  --report junit --report-dir "$work/report" || status=$?

if [ "$status" -ne 0 ]; then
  echo "schemathesis.sh: failures (exit $status); the server's log follows" >&2
  tail -n 50 "$work/stderr" >&2
fi
exit "$status"
