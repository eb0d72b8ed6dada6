#!/usr/bin/env bash
# docs/editors.md's install commands, run as written (pipx and sudo apt lines aside): a fresh
# HOME, a venv from the checkout, a wheel built from it and installed into a second venv.
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
home=$(mktemp -d)
trap 'rm -rf "$home"' EXIT

# The ```sh blocks of section 1, one command per line, /path/to/lantern = this checkout.
mapfile -t commands < <(
  awk '/^## 1\. Install the server/ { on = 1 } /^## 2\./ { on = 0 }
       on && /^```sh$/ { inside = 1; next } inside && /^```$/ { inside = 0 } on && inside' \
    "$repo/docs/editors.md" | sed -e 's/[[:space:]]*#.*$//' -e "s#/path/to/lantern#$repo#g" |
    grep -v -e '^sudo ' -e '^pipx ' -e '^lantern ' -e '^$'
)
[ "${#commands[@]}" -ge 2 ] || { echo "docs/editors.md: no install commands found" >&2; exit 1; }
cd "$home"
for command in "${commands[@]}"; do
  echo "  \$ $command"
  HOME="$home" bash -c "$command" >/dev/null
done
HOME="$home" "$home/.venvs/lantern/bin/lantern" --version
wheel=$(ls "$home"/dist/lantern_lsp-*-py3-none-any.whl)
python3 -m venv "$home/from-wheel" && "$home/from-wheel/bin/pip" install -q "$wheel"
"$home/from-wheel/bin/lantern" --version
printf 'def f(:\n    pass\n' > "$home/broken.py"
set +e
"$home/from-wheel/bin/lantern" check "$home/broken.py" >/dev/null 2>&1
status=$?
set -e
[ "$status" -eq 1 ] || { echo "expected the syntax error (exit 1), got $status" >&2; exit 1; }
