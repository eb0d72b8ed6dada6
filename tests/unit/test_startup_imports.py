"""Start-up stays light: building the server imports nothing that only later work needs."""

from __future__ import annotations

import json
import subprocess
import sys

# Each of these costs tens to hundreds of milliseconds and is needed only after
# `initialize` has been answered (settings, model calls, the disk cache).
DEFERRED = (
    "pydantic",
    "lantern.config",
    "openai",
    "httpx",
    "diskcache",
    "lantern.ai",
    "multiprocessing",  # the analysis process of large documents
)


def test_building_the_server_defers_settings_model_and_ai_imports():
    probe = (
        "import json, sys\n"
        "from lantern.lsp.server import create_server\n"
        "create_server()\n"
        "print(json.dumps(sorted(sys.modules)))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, timeout=60, check=True
    )
    loaded = set(json.loads(result.stdout))
    assert [name for name in DEFERRED if name in loaded] == []
