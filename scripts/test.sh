#!/usr/bin/env bash
# Quick-start command 2: install what is missing, build, and run every test suite in turn.
#
#   bash scripts/test.sh            # all suites
#   bash scripts/test.sh core e2e   # only these (names from the table below)
#
# A failing suite does not stop the run. Each suite's counts come from the runner's own
# machine-readable output: the node test runner's `# pass N` / `# fail N` lines, or, for
# @web/test-runner suites, the `.wtr-summary.json` written by scripts/wtr-summary-reporter.mjs.
# A suite that crashes or reports nothing counts as (at least) one failure. The last line
# is always `N passed, N failed` over all suites; the exit status is non-zero on any failure.
set -uo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
START=$SECONDS

# name | package filter | package folder (where a .wtr-summary.json would appear) | script (default: test)
SUITES=(
  "core|@kassa/core|packages/core"
  "server|@kassa/server|packages/server"
  # the built kassa binary under plain node, against the server it starts (kassa serve)
  "cli|@kassa/cli|packages/cli"
  "widget|@kassa/widget|packages/widget"
  "react|@kassa/react|packages/react"
  "vue|@kassa/vue|packages/vue"
  "demo|@kassa/demo|demo"
  "e2e|@kassa/e2e|e2e"
  # pnpm pack → fresh Vite + React and Vue apps installing the tarballs from npm → pay in Chromium
  "packages|@kassa/e2e|e2e|test:packages"
)
# Generous per-suite ceiling so a hung browser cannot eat CI's budget; normal runs take seconds.
SUITE_TIMEOUT="${KASSA_SUITE_TIMEOUT:-600}"

LOG_DIR="$(mktemp -d "${TMPDIR:-/tmp}/kassa-test.XXXXXX")"
ROWS=()
TOTAL_PASSED=0
TOTAL_FAILED=0

say() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

record() { # name passed failed note
  ROWS+=("$1|$2|$3|$4")
  TOTAL_PASSED=$((TOTAL_PASSED + $2))
  TOTAL_FAILED=$((TOTAL_FAILED + $3))
}

finish() {
  # Logs are kept only when something failed, to read what went wrong.
  if [[ $TOTAL_FAILED -eq 0 ]]; then
    rm -rf "$LOG_DIR"
    say "summary ($((SECONDS - START)) s)"
  else
    say "summary ($((SECONDS - START)) s; logs in $LOG_DIR)"
  fi
  printf '%-8s %7s %7s  %s\n' suite passed failed note
  local row name passed failed note
  for row in "${ROWS[@]}"; do
    IFS='|' read -r name passed failed note <<<"$row"
    printf '%-8s %7s %7s  %s\n' "$name" "$passed" "$failed" "$note"
  done
  echo
  echo "$TOTAL_PASSED passed, $TOTAL_FAILED failed"
  [[ $TOTAL_FAILED -eq 0 ]]
  exit $?
}

ensure_chromium() {
  # A CJK font too, so the zh-CN screenshots show Chinese rather than empty boxes (~5 MB).
  [[ -x /usr/bin/chromium ]] && dpkg -s fonts-wqy-microhei >/dev/null 2>&1 && return 0
  say "installing Chromium and a CJK font from Debian (apt-get)"
  local sudo=()
  [[ $(id -u) -ne 0 ]] && sudo=(sudo)
  export DEBIAN_FRONTEND=noninteractive
  "${sudo[@]}" apt-get update -q && "${sudo[@]}" apt-get install -y -q chromium fonts-wqy-microhei </dev/null
}

# Sum the runner's summary lines: TAP (`# pass 3`, non-TTY default) or spec (`ℹ pass 3`).
# Only unindented lines, so nested subtest counts are not added twice.
count_node() { # log kind
  grep -aE "^(# |ℹ )$2 [0-9]+\s*\$" "$1" | awk '{ s += $3 } END { print s + 0 }'
}

run_suite() { # name filter dir [script]
  local name=$1 filter=$2 dir=$3 script=${4:-test}
  local log="$LOG_DIR/$name.log" summary="$ROOT/$dir/.wtr-summary.json"
  say "suite: $name (pnpm --filter $filter $script)"
  if [[ ! -f "$ROOT/$dir/package.json" ]]; then
    record "$name" 0 1 "missing package $dir"
    return
  fi
  rm -f "$summary"
  local code=0
  timeout --kill-after=20 "$SUITE_TIMEOUT" pnpm --filter "$filter" "$script" </dev/null 2>&1 | tee "$log"
  code=${PIPESTATUS[0]}

  local passed=0 failed=0 note=""
  if [[ -f "$summary" ]]; then
    passed=$(node -p "JSON.parse(require('fs').readFileSync(process.argv[1], 'utf8')).passed" "$summary")
    failed=$(node -p "JSON.parse(require('fs').readFileSync(process.argv[1], 'utf8')).failed" "$summary")
    note="wtr"
  else
    passed=$(count_node "$log" pass)
    # A cancelled test (timeout, unfinished subtest) is a failure too.
    failed=$(( $(count_node "$log" fail) + $(count_node "$log" cancelled) ))
    note="node:test"
  fi
  if [[ $code -eq 124 || $code -eq 137 ]]; then
    note="timed out after ${SUITE_TIMEOUT}s"
    (( failed == 0 )) && failed=1
  elif [[ $code -ne 0 && $failed -eq 0 ]]; then
    note="crashed (exit $code)"
    failed=1
  elif (( passed + failed == 0 )); then
    note="reported no tests"
    failed=1
  elif [[ $code -ne 0 ]]; then
    note="$note, exit $code"
  fi
  record "$name" "$passed" "$failed" "$note"
}

wanted() { # name
  [[ ${#WANT[@]} -eq 0 ]] && return 0
  local w
  for w in "${WANT[@]}"; do [[ $w == "$1" ]] && return 0; done
  return 1
}

WANT=("$@")

# --- setup: each step failing is recorded as a failure, and the run goes on as far as it can.
say "toolchain and dependencies"
# shellcheck source=scripts/env.sh
if ! source "$ROOT/scripts/env.sh"; then
  record setup 0 1 "pnpm / dependency install failed"
  finish
fi

if ! ensure_chromium; then
  record chromium 0 1 "could not install /usr/bin/chromium"
fi

say "build (core, server and CLI to dist/, widget bundles, demo)"
if ! pnpm run build </dev/null 2>&1 | tee "$LOG_DIR/build.log"; then
  record build 0 1 "pnpm run build failed (see $LOG_DIR/build.log)"
fi

# TypeScript strict mode is part of the contract: each package's typecheck counts as one test.
run_typecheck() {
  say "suite: typecheck (pnpm --filter <each package> typecheck)"
  local log="$LOG_DIR/typecheck.log" passed=0 failed=0 failures=() suite name filter dir script
  : >"$log"
  for suite in "${SUITES[@]}"; do
    IFS='|' read -r name filter dir script <<<"$suite"
    # A second script of a package already counted (e2e's packages suite) is not typechecked twice.
    [[ -n $script ]] && continue
    if pnpm --filter "$filter" typecheck </dev/null >>"$log" 2>&1; then
      passed=$((passed + 1))
    else
      failed=$((failed + 1))
      failures+=("$name")
    fi
  done
  (( failed > 0 )) && tail -40 "$log"
  record typecheck "$passed" "$failed" "tsc${failures:+ failed: ${failures[*]}}"
}

wanted typecheck && run_typecheck

for suite in "${SUITES[@]}"; do
  IFS='|' read -r name filter dir script <<<"$suite"
  wanted "$name" || continue
  run_suite "$name" "$filter" "$dir" "$script"
done

finish
