#!/usr/bin/env bash
# Runs the whole test suite: every test/**/*.test.ts, so a new test file is never left out.
# Two files at a time (the machine has 2 cores); each test file uses its own temp dirs, ports, clusters and tmux sockets.
set -euo pipefail
cd "$(dirname "$0")/.."
npm run build --silent
shopt -s globstar nullglob
files=(test/**/*.test.ts)
if [ ${#files[@]} -eq 0 ]; then
  echo "test/run.sh: no test/**/*.test.ts found" >&2
  exit 1
fi
exec node --import tsx --test --test-concurrency="${TEST_CONCURRENCY:-2}" --test-reporter=spec "$@" "${files[@]}"
