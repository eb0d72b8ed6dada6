#!/usr/bin/env bash
# The VS Code client: npm ci, typecheck + bundle, unit tests (VS Code API mocked, nothing
# downloaded), then `vsce package`. Quiet on success; prints the failing step's log and exits
# non-zero on the first failure.
set -euo pipefail
cd "$(dirname "$0")/../client-vscode"

export npm_config_update_notifier=false npm_config_fund=false npm_config_audit=false
log=$(mktemp)
trap 'rm -f "$log"' EXIT

step() {
  local name=$1
  shift
  if ! "$@" >"$log" 2>&1; then
    echo "client-vscode: $name failed:" >&2
    cat "$log" >&2
    exit 1
  fi
}

step "npm ci" npm ci --no-audit --no-fund --loglevel=error
step "build" npm run --silent build
test_status=0
npm test --silent >"$log" 2>&1 || test_status=$?
# Keep the runner's closing summary (and any failures) in CI's output.
grep -E '^# (tests|pass|fail|skipped) |^ *not ok ' "$log" || true
if [ "$test_status" -ne 0 ]; then
  echo "client-vscode: unit tests failed:" >&2
  cat "$log" >&2
  exit 1
fi
rm -f ./*.vsix
step "vsce package" npx --no-install vsce package --allow-missing-repository </dev/null
echo "client-vscode: packaged client-vscode/$(basename ./*.vsix)"
