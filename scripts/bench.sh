#!/usr/bin/env bash
# `pnpm bench`: bundle sizes and HTTP throughput/latency ratios (see bench/run.ts).
#   bash scripts/bench.sh            # print results
#   bash scripts/bench.sh --record   # also write them into docs/BENCHMARKS.md
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
# shellcheck source=scripts/env.sh
source scripts/env.sh

# Sizes are measured on the bundles as shipped, so build them fresh.
pnpm --filter @kassa/widget run build </dev/null >/dev/null
exec node --import tsx bench/run.ts "$@"
