"""`lantern doctor` tells a reachable provider from an unreachable one, and exits non-zero
when none is usable; importing the AI layer does not import `openai`."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from tests.ai.conftest import unused_port

REPO = Path(__file__).resolve().parents[2]


def doctor(workspace: Path, *args: str, env: dict[str, str] | None = None):
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("LANTERN_", "OPENAI_"))}
    clean |= {
        "XDG_CONFIG_HOME": str(workspace / "config"),
        "LANTERN_CACHE_DIR": str(workspace / "cache"),
        **(env or {}),
    }
    return subprocess.run(
        [sys.executable, "-m", "lantern", "doctor", "--timeout", "3", *args],
        capture_output=True,
        text=True,
        cwd=workspace,
        env=clean,
        timeout=60,
    )


def write_providers(workspace: Path, *providers: tuple[str, str, str]) -> None:
    text = ""
    for name, url, model in providers:
        text += f'[[ai.providers]]\nname = "{name}"\nbase_url = "{url}"\nmodel = "{model}"\n'
        text += "max_retries = 0\n\n"
    (workspace / "lantern.toml").write_text(text)


def test_doctor_reports_reachable_and_unreachable_providers(openai_server, tmp_path):
    dead = f"http://127.0.0.1:{unused_port()}/v1"
    write_providers(
        tmp_path,
        ("local", openai_server.url, "test-model"),
        ("gone", dead, "test-model"),
        ("typo", openai_server.url, "test-modle"),
    )

    done = doctor(tmp_path, "--json")

    assert done.returncode == 0, done.stderr
    report = {p["name"]: p for p in json.loads(done.stdout)["providers"]}
    assert report["local"]["reachable"] and report["local"]["usable"]
    assert report["local"]["model_present"] is True
    assert report["local"]["latency_ms"] is not None
    assert not report["gone"]["reachable"] and not report["gone"]["usable"]
    assert "cannot reach" in report["gone"]["error"]
    assert report["typo"]["reachable"] and report["typo"]["model_present"] is False
    assert not report["typo"]["usable"]

    text = doctor(tmp_path)
    assert "[ok  ] local" in text.stdout and "[FAIL] gone" in text.stdout
    assert "Result: ready" in text.stdout


def test_doctor_fails_when_no_provider_is_usable(tmp_path):
    write_providers(tmp_path, ("gone", f"http://127.0.0.1:{unused_port()}/v1", "m"))

    done = doctor(tmp_path)

    assert done.returncode == 1
    assert "no usable provider" in done.stdout


def test_doctor_without_configuration_explains_the_setup(tmp_path):
    done = doctor(tmp_path)

    assert done.returncode == 1
    assert "LANTERN_AI_BASE_URL" in done.stdout and "[[ai.providers]]" in done.stdout


def test_doctor_uses_the_environment_shortcut_and_hides_the_key(openai_server, tmp_path):
    key = "sk-doctor-test-key-abcdefghijklmnop"
    done = doctor(
        tmp_path,
        env={
            "LANTERN_AI_BASE_URL": openai_server.url,
            "LANTERN_AI_MODEL": "test-model",
            "LANTERN_AI_API_KEY": key,
        },
    )

    assert done.returncode == 0, done.stdout + done.stderr
    assert "[ok  ] env" in done.stdout
    assert key not in done.stdout + done.stderr
    assert openai_server.generation_requests[0].headers["authorization"] == f"Bearer {key}"


def test_doctor_with_ai_disabled_sends_nothing(openai_server, tmp_path):
    write_providers(tmp_path, ("local", openai_server.url, "test-model"))
    with (tmp_path / "lantern.toml").open("a") as toml:
        toml.write("[ai]\nenabled = false\n")

    done = doctor(tmp_path)

    assert done.returncode == 0
    assert "disabled" in done.stdout
    assert openai_server.requests == []


def test_importing_the_ai_layer_does_not_import_openai_or_diskcache():
    probe = (
        "import sys, lantern.ai.service, lantern.cache;"
        "print(sorted(m for m in ('openai', 'diskcache', 'httpx', 'pathspec') if m in sys.modules))"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, cwd=REPO, timeout=60
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"
