# shellcheck shell=bash
# Sourced by the other scripts (and usable by hand: `source scripts/env.sh`). Makes the
# toolchain ready: Node headers for node-gyp, pnpm 12.4.2, and an installed workspace.
# Safe to source repeatedly; it only installs what is missing or out of date.

KASSA_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
export KASSA_ROOT

# better-sqlite3 compiles from source here and node-gyp must find Node's headers on the
# machine; pnpm 12 only passes this through as an environment variable (not .npmrc).
export npm_config_nodedir=/usr
case ":$PATH:" in
  *":$KASSA_ROOT/node_modules/.bin:"*) ;;
  *) export PATH="$KASSA_ROOT/node_modules/.bin:$PATH" ;;
esac

KASSA_PNPM_VERSION=12.4.2

kassa_log() { printf '\033[1m[kassa]\033[0m %s\n' "$*" >&2; }

kassa_check_node() {
  if ! command -v node >/dev/null 2>&1; then
    kassa_log "Node.js is not installed; Kassa needs Node >= 20.19 (e.g. apt-get install nodejs, or nodesource)."
    return 1
  fi
  local major minor
  major="$(node -p 'process.versions.node.split(".")[0]')"
  minor="$(node -p 'process.versions.node.split(".")[1]')"
  if (( major < 20 || (major == 20 && minor < 19) )); then
    kassa_log "Node $(node -v) is too old; Kassa needs >= 20.19."
    return 1
  fi
}

kassa_ensure_pnpm() {
  if command -v pnpm >/dev/null 2>&1 && [[ "$(pnpm --version 2>/dev/null)" == "$KASSA_PNPM_VERSION" ]]; then
    return 0
  fi
  # corepack and `pnpm self-update` fail signature checks against this registry; npm works.
  kassa_log "installing pnpm@$KASSA_PNPM_VERSION with npm"
  npm i -g --no-audit --no-fund "pnpm@$KASSA_PNPM_VERSION" >&2 || return 1
  hash -r
}

# True when node_modules is missing or older than the lockfile, the workspace file or any
# workspace package.json (someone pulled or added a dependency).
kassa_install_needed() {
  local stamp="$KASSA_ROOT/node_modules/.kassa-installed"
  [[ -f "$stamp" ]] || return 0
  [[ "$KASSA_ROOT/pnpm-lock.yaml" -nt "$stamp" ]] && return 0
  [[ "$KASSA_ROOT/pnpm-workspace.yaml" -nt "$stamp" ]] && return 0
  [[ -n "$(find "$KASSA_ROOT" -maxdepth 3 -name package.json -not -path '*/node_modules/*' -newer "$stamp" -print -quit)" ]] && return 0
  return 1
}

kassa_sqlite_ok() {
  (cd "$KASSA_ROOT/packages/server" && node -e "new (require('better-sqlite3'))(':memory:').close()") >/dev/null 2>&1
}

# node-gyp needs a C++ toolchain and Python to compile better-sqlite3; a minimal Debian
# image may lack them.
kassa_ensure_build_tools() {
  command -v make >/dev/null 2>&1 && command -v g++ >/dev/null 2>&1 && command -v python3 >/dev/null 2>&1 && return 0
  local sudo=()
  [[ $(id -u) -ne 0 ]] && sudo=(sudo)
  kassa_log "installing a C++ toolchain for better-sqlite3 (apt-get install build-essential python3)"
  DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get update -q >&2 &&
    DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -q build-essential python3 </dev/null >&2
}

kassa_ensure_deps() {
  if kassa_install_needed; then
    kassa_ensure_build_tools || return 1
    kassa_log "installing dependencies (pnpm install --frozen-lockfile; compiling better-sqlite3 takes a minute or two)"
    (cd "$KASSA_ROOT" && CI=true pnpm install --frozen-lockfile --config.confirm-modules-purge=false) >&2 || return 1
    touch "$KASSA_ROOT/node_modules/.kassa-installed"
  fi
  # An install made without npm_config_nodedir leaves better-sqlite3 without its binary.
  if [[ -d "$KASSA_ROOT/packages/server/node_modules/better-sqlite3" ]] && ! kassa_sqlite_ok; then
    kassa_log "better-sqlite3 has no working native binary; rebuilding it"
    (cd "$KASSA_ROOT" && pnpm rebuild -r better-sqlite3) >&2 || return 1
    kassa_sqlite_ok || { kassa_log "better-sqlite3 still fails to load"; return 1; }
  fi
}

kassa_setup() {
  kassa_check_node && kassa_ensure_pnpm && kassa_ensure_deps
}

if [[ "${KASSA_ENV_NO_SETUP:-}" != 1 ]]; then
  kassa_setup || { kassa_log "environment setup failed"; return 1 2>/dev/null || exit 1; }
fi
