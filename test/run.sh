#!/usr/bin/env bash
# Runs the whole test suite. Files are listed explicitly: node 20's runner finds nothing in a bare directory.
set -euo pipefail
cd "$(dirname "$0")/.."
npm run build --silent
files=(
  test/architecture.test.ts
  test/exec.test.ts
  test/setup.test.ts
  test/setup-errors.test.ts
  test/synapse.test.ts
  test/verify-port.test.ts
  test/cutover.test.ts
  test/copy-engine.test.ts
  test/copy-units.test.ts
  test/cutover-kill-1.test.ts
  test/cutover-kill-2.test.ts
  test/setup-kill.test.ts
  test/cutover-rollback.test.ts
  test/cutover-swap.test.ts
  test/config.test.ts
  test/hba.test.ts
  test/doctor.test.ts
  test/doctor-db.test.ts
  test/doctor-network.test.ts
  test/doctor-synapse.test.ts
  test/doctor-port.test.ts
  test/doctor-sandbox.test.ts
  test/doctor-tty.test.ts
  test/doctor-compose.test.ts
  test/fullscreen-render.test.ts
  test/fullscreen-app.test.ts
  test/fullscreen-detect.test.ts
  test/fullscreen-tmux.test.ts
  test/fullscreen-cutover.test.ts
  test/maintain-units.test.ts
  test/maintain.test.ts
  test/maintain-disk.test.ts
)
exec node --import tsx --test --test-concurrency=1 --test-reporter=spec "$@" "${files[@]}"
