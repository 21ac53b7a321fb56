#!/usr/bin/env bash
# Console tier: the web console in a real browser. Installs Debian's chromium if /usr/bin/chromium is missing (never a
# browser download: playwright-core drives the system's chromium), builds the console (console/dist, vite), then runs
# test/console/*.test.ts with RIFFLE_INTEGRATION=1: a riffle server on a temporary directory with an admin token,
# login, a job submitted from the console and watched to success, a long job cancelled, a DAG run triggered and a task
# cleared in the grid, 100 jobs and a 1,000-task DAG rendered within bounds (the measured times are printed as
# "console figure:" lines), and what `npm pack` ships of the console. Screenshots of each page go to
# $RIFFLE_CONSOLE_ARTIFACTS (default a new temporary folder), printed below.
set -euo pipefail
cd "$(dirname "$0")/../.."
echo "== integration: web console in chromium (test/console)"

CHROMIUM=${RIFFLE_CHROMIUM:-/usr/bin/chromium}
if [ ! -x "$CHROMIUM" ]; then
  echo "chromium is not installed: installing it from Debian packages"
  if [ "$(id -u)" -ne 0 ]; then echo "need root to apt-get install chromium (or install it and set RIFFLE_CHROMIUM)" >&2; exit 1; fi
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq chromium >/dev/null
fi
echo "using $("$CHROMIUM" --version 2>/dev/null || echo "$CHROMIUM")"

# The console's build (tens of seconds) is skipped when console/dist is newer than every input of it (an earlier run,
# or `npm run build` in the consumer tier).
if [ -f console/dist/index.html ] && [ -z "$(find console/src console/index.html console/vite.config.ts package-lock.json -newer console/dist/index.html -print -quit)" ]; then
  echo "== console/dist is up to date"
else
  started=$SECONDS
  npm run --silent build:console
  echo "== console built in console/dist ($((SECONDS - started)) s)"
fi

ARTIFACTS=${RIFFLE_CONSOLE_ARTIFACTS:-$(mktemp -d "${TMPDIR:-/tmp}/riffle-console-artifacts-XXXXXX")}
mkdir -p "$ARTIFACTS"
echo "== screenshots in $ARTIFACTS"
RIFFLE_INTEGRATION=1 RIFFLE_CHROMIUM="$CHROMIUM" RIFFLE_CONSOLE_ARTIFACTS="$ARTIFACTS" node scripts/run-tests.mjs test/console/*.test.ts
echo "== screenshots: $(ls "$ARTIFACTS" | wc -l) files in $ARTIFACTS"
