#!/usr/bin/env bash
# Put the server and its dependencies, as wheels, into server/wheels for one VS Code target,
# so the platform-specific .vsix (`vsce package --target TARGET`) can install Lantern offline.
# Usage: scripts/bundle-server.sh [TARGET]   (default linux-x64; needs a package index once)
# Compiled dependencies (tree-sitter grammars, pydantic-core, ...) are fetched for each
# Python the extension may find (3.11 to 3.13), so any of them can build the private env.
set -euo pipefail
cd "$(dirname "$0")/.."
target=${1:-linux-x64}
case "$target" in
  linux-x64) platforms=(manylinux_2_17_x86_64 manylinux2014_x86_64 manylinux_2_28_x86_64 musllinux_1_2_x86_64) ;;
  linux-arm64) platforms=(manylinux_2_17_aarch64 manylinux2014_aarch64 manylinux_2_28_aarch64) ;;
  darwin-x64) platforms=(macosx_10_12_x86_64 macosx_10_13_x86_64 macosx_11_0_x86_64) ;;
  darwin-arm64) platforms=(macosx_11_0_arm64 macosx_12_0_arm64) ;;
  win32-x64) platforms=(win_amd64) ;;
  *) echo "bundle-server.sh: unknown target $target" >&2; exit 2 ;;
esac
python=${PYTHON:-python3}
out=server/wheels
rm -rf "$out" && mkdir -p "$out"
"$python" -m pip wheel --quiet --no-deps --wheel-dir "$out" ..
server_wheel=$(ls "$out"/lantern_lsp-*.whl)
platform_args=()
for platform in "${platforms[@]}"; do
  platform_args+=(--platform "$platform")
done
for version in 3.11 3.12 3.13; do
  "$python" -m pip download --quiet --only-binary=:all: --implementation cp \
    --python-version "$version" "${platform_args[@]}" --dest "$out" "$server_wheel"
done
echo "bundle-server.sh: $(ls "$out" | wc -l) wheels for $target in $out"
