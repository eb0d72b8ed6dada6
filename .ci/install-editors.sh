#!/usr/bin/env bash
# Install the editors that tests/editors drives headless: Neovim, Emacs without X, and
# Debian's eglot package. Idempotent: does nothing (and needs no network) when they are
# already there. Quiet on success; prints apt's log and exits non-zero on failure.
set -euo pipefail

missing=()
command -v nvim >/dev/null 2>&1 || missing+=(neovim)
command -v emacs >/dev/null 2>&1 || missing+=(emacs-nox)
compgen -G "/usr/share/emacs/site-lisp/elpa/eglot-*" >/dev/null || missing+=(elpa-eglot)

if ((${#missing[@]})); then
  sudo=()
  if [ "$(id -u)" -ne 0 ]; then
    sudo=(sudo -n)
  fi
  log=$(mktemp)
  trap 'rm -f "$log"' EXIT
  if ! { "${sudo[@]}" apt-get update -qq &&
    DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -qq --no-install-recommends \
      "${missing[@]}"; } >"$log" 2>&1; then
    echo "install-editors: installing ${missing[*]} failed:" >&2
    cat "$log" >&2
    exit 1
  fi
fi
echo "install-editors: $(nvim --version | head -n1), $(emacs --version | head -n1)," \
  "$(basename /usr/share/emacs/site-lisp/elpa/eglot-*)"
