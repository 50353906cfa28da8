#!/usr/bin/env bash
# Quick-start command 1: install what is missing, build, and run the Kassa server (sandbox
# provider, SQLite in ./.kassa) with the demo storefront. Ctrl-C stops both. The server runs as
# an operator runs it: `kassa serve`, the built JavaScript under plain node.
#
#   Kassa server  http://127.0.0.1:4242   (KASSA_PORT)
#   demo shop     http://localhost:3000   (DEMO_PORT)
#
# The hosts differ on purpose: localhost and 127.0.0.1 are different sites, so the card
# frame is cross-origin to the shop exactly as it is in production.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

KASSA_PORT="${KASSA_PORT:-4242}"
DEMO_PORT="${DEMO_PORT:-3000}"
KASSA_URL="http://127.0.0.1:$KASSA_PORT"
DEMO_URL="http://localhost:$DEMO_PORT"
DATA_DIR="${KASSA_DATA_DIR:-$ROOT/.kassa}"

# shellcheck source=scripts/env.sh
source scripts/env.sh

port_busy() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
for port in "$KASSA_PORT" "$DEMO_PORT"; do
  if port_busy "$port"; then
    kassa_log "port $port is already in use (another demo running?); stop it or set KASSA_PORT / DEMO_PORT"
    exit 1
  fi
done

kassa_log "building the packages (widget bundles, server, kassa CLI) and the demo"
pnpm run build </dev/null

# Waits until a URL answers 200, or gives up (and says so) after ~30 s.
wait_for() { # url name pid
  local i
  for i in $(seq 1 150); do
    if ! kill -0 "$3" 2>/dev/null; then kassa_log "$2 exited during startup"; return 1; fi
    if node -e "fetch(process.argv[1]).then(r => process.exit(r.ok ? 0 : 1), () => process.exit(1))" "$1" 2>/dev/null; then
      return 0
    fi
    sleep 0.2
  done
  kassa_log "$2 did not answer $1 within 30 s"
  return 1
}

PIDS=()
stop_all() {
  trap - INT TERM EXIT
  local pid
  for pid in "${PIDS[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  for pid in "${PIDS[@]}"; do wait "$pid" 2>/dev/null || true; done
}
trap 'echo; kassa_log "stopping"; stop_all; exit 0' INT TERM
trap stop_all EXIT

mkdir -p "$DATA_DIR"
KASSA_HOST=127.0.0.1 \
KASSA_PORT="$KASSA_PORT" \
KASSA_PUBLIC_URL="$KASSA_URL" \
KASSA_DATA_DIR="$DATA_DIR" \
KASSA_ALLOWED_ORIGINS="$DEMO_URL,http://127.0.0.1:$DEMO_PORT" \
  node packages/cli/dist/bin.js serve &
PIDS+=($!)
wait_for "$KASSA_URL/kassa.js" "Kassa server" "${PIDS[0]}"

# The wallets test mode has a provider for (KASSA_PROVIDERS, or kassa.config.json here), which the
# shop then offers beside cards; set DEMO_WALLETS to override.
if [ -z "${DEMO_WALLETS+x}" ]; then
  DEMO_WALLETS="$(node -e '
    const fs = require("fs");
    let p = process.env.KASSA_PROVIDERS;
    if (!p && fs.existsSync("kassa.config.json")) p = JSON.stringify(JSON.parse(fs.readFileSync("kassa.config.json", "utf8")).providers ?? {});
    const test = p ? [].concat(JSON.parse(p).test ?? []) : [];
    console.log(test.map((s) => s.type).filter((t) => t === "alipay" || t === "paypal").join(" "));
  ' 2>/dev/null || true)"
fi

KASSA_URL="$KASSA_URL" \
DEMO_WALLETS="$DEMO_WALLETS" \
KASSA_KEYS_FILE="$DATA_DIR/test-keys.json" \
DEMO_PORT="$DEMO_PORT" \
PORT="$DEMO_PORT" \
  node --import tsx demo/server/main.ts &
PIDS+=($!)
wait_for "$DEMO_URL/" "demo storefront" "${PIDS[1]}"

KEYS="$(node -e "const k = JSON.parse(require('fs').readFileSync(process.argv[1], 'utf8')); console.log('  merchant         ' + k.merchant + '\n  secret key       ' + k.secret_key + '\n  publishable key  ' + k.publishable_key)" "$DATA_DIR/test-keys.json")"

cat <<MSG

  Kassa demo is running.

  Open  $DEMO_URL        (script tag; also /react, /vue, and /cards for the test cards)
  Kassa $KASSA_URL   (merchant API /v1, widget API /client, /kassa.js)

  Test-mode keys (also in ${DATA_DIR#"$ROOT"/}/test-keys.json):
$KEYS

  Try 4242 4242 4242 4242 (success), 4000 0000 0000 9995 (insufficient funds),
  4000 0000 0000 3220 (3-D Secure); any future expiry, any CVC.

  Press Ctrl-C to stop.

MSG

# Either process ending on its own ends the demo (and stops the other).
wait -n "${PIDS[@]}" || true
kassa_log "a server stopped on its own; shutting down the other"
exit 1
