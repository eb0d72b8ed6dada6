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
# The platform-neutral .vsix (the server comes from lantern.interpreter or the Python extension).
step "vsce package" npx --no-install vsce package --allow-missing-repository </dev/null
echo "client-vscode: packaged client-vscode/$(basename ./*.vsix)"
# The linux-x64 .vsix carrying the server's wheels, and its payload installed with no index.
step "bundle server" bash scripts/bundle-server.sh linux-x64
step "vsce package --target" npx --no-install vsce package --allow-missing-repository \
  --target linux-x64 -o lantern-linux-x64.vsix </dev/null
step "offline install" bash ../.ci/vsix-offline.sh lantern-linux-x64.vsix
echo "client-vscode: packaged client-vscode/lantern-linux-x64.vsix (server installs offline)"
