#!/usr/bin/env bash
# The packaged .vsix's server payload installs offline into a clean environment, as the
# extension does on first start: unzip it, `python -m venv`, `pip install --no-index
# --find-links extension/server/wheels lantern-lsp` with pip's own configuration ignored
# (no index, no extra find-links), then run the server's CLI from that environment.
# Usage: .ci/vsix-offline.sh path/to/lantern-linux-x64.vsix [python]
set -euo pipefail
vsix=$(realpath "$1")
python=${2:-python3}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work"
"$python" -c 'import zipfile, sys; zipfile.ZipFile(sys.argv[1]).extractall("x")' "$vsix"
wheels=x/extension/server/wheels
ls "$wheels"/lantern_lsp-*.whl >/dev/null
"$python" -m venv env
PIP_CONFIG_FILE=/dev/null PIP_NO_INDEX=1 env/bin/python -m pip install --quiet \
  --disable-pip-version-check --no-index --find-links "$wheels" lantern-lsp
env/bin/lantern --version
printf 'def run(expr):\n    return eval(expr)\n' > a.py
set +e
env/bin/lantern check a.py >/dev/null 2>&1
status=$?
set -e
[ "$status" -eq 1 ] || { echo "vsix-offline: expected a finding (exit 1), got $status" >&2; exit 1; }
echo "vsix-offline: the bundled server installs and runs without an index ($("$python" --version))"
