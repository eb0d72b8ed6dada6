"""Planted secrets and excluded files never leave the process; keys never leak;
`ai.enabled = false` sends nothing at all."""

from __future__ import annotations

import json
import logging
import re

import pytest

from lantern.ai.errors import Disabled, Excluded, NotConfigured, ProviderUnavailable
from lantern.ai.privacy import SECRET_PATTERNS, Exclusions, Redactor
from lantern.ai.service import (
    ExplainResult,
    FixResult,
    GenerateResult,
    KnownDiagnostic,
    ReviewResult,
)
from tests.ai.conftest import PY_SOURCE, provider
from tests.support.openai_server import Fault, RecordedRequest

OPENAI_KEY = "sk-proj-Zx8aQ2mN4vB6cD1eF3gH5jK7lP9rS0tU"
GITHUB_TOKEN = "ghp_" + "a1B2c3D4e5F6g7H8i9J0k1L2m3N4o5P6q7R8"
AWS_KEY = "AKIAIOSFODNN7EXAMPLE"
DB_PASSWORD = "hunter2-Very-Secret"
PRIVATE_KEY = (
    "-----BEGIN RSA PRIVATE KEY-----\n"
    "MIIEowIBAAKCAQEA7bq9c0ffeeTheKeyBodyLine1\n"
    "Zm9vYmFyYmF6cXV4TheKeyBodyLine2\n"
    "-----END RSA PRIVATE KEY-----"
)
SECRETS = [OPENAI_KEY, GITHUB_TOKEN, AWS_KEY, DB_PASSWORD, "TheKeyBodyLine1", "TheKeyBodyLine2"]

SECRET_SOURCE = f'''import requests

OPENAI = "{OPENAI_KEY}"
PEM = """{PRIVATE_KEY}"""


def fetch(url):
    token = "{GITHUB_TOKEN}"
    aws = "{AWS_KEY}"
    db = "postgres://admin:{DB_PASSWORD}@db.internal/app"
    return requests.get(url, headers={{"Authorization": token}})
'''
FETCH_LINES = (10, 14)  # `def fetch` .. its return


def echo_code_with_a_change(request: RecordedRequest) -> str:
    """Answer a fix by returning the code it was sent, with one line changed."""
    system, user = (m["content"] for m in request.json["messages"][:2])
    code = re.search(r"```python\n(.*?)\n```", user, re.DOTALL)
    if code is None or not system.startswith("You fix"):  # explain / generate
        return "```python\nresult = 1\n```"
    return (
        "```python\n"
        + code.group(1).replace("requests.get(url", "requests.get(url, timeout=5")
        + "\n```"
    )


def assert_no_secret_sent(requests: list[RecordedRequest]) -> None:
    assert requests, "expected requests to check"
    for request in requests:
        for secret in SECRETS:
            assert secret not in request.raw, f"{secret!r} was sent to {request.path}"


def test_redaction_keeps_line_numbers_and_restores_exactly():
    redactor = Redactor(avoid=SECRET_SOURCE)
    redacted = redactor.redact(SECRET_SOURCE)
    assert redacted.count("\n") == SECRET_SOURCE.count("\n")
    assert not any(secret in redacted for secret in SECRETS)
    assert redactor.restore(redacted) == SECRET_SOURCE
    assert redactor.found == 5


def test_same_secret_gets_the_same_placeholder_and_our_own_markers_are_not_confused():
    text = f'a = "{OPENAI_KEY}"\nb = "{OPENAI_KEY}"\nc = "__LANTERN_SECRET_1__"\n'
    redactor = Redactor(avoid=text)
    redacted = redactor.redact(text)
    assert redactor.found == 1
    assert redactor.restore(redacted) == text


async def test_planted_secrets_are_absent_from_every_request_of_every_task(
    openai_server, make_service
):
    service = make_service(provider(openai_server))
    known = KnownDiagnostic(line=12, message=f"hard-coded credential {AWS_KEY}", code="secret")

    openai_server.reply_with(json.dumps({"findings": [{"line": 11, "message": "token in code"}]}))
    review = await service.review("/ws/app.py", SECRET_SOURCE, *FETCH_LINES, known=[known])
    openai_server.responder = echo_code_with_a_change
    fix = await service.fix(
        "/ws/app.py",
        SECRET_SOURCE,
        KnownDiagnostic(line=14, message="request without timeout"),
        others=[known],
    )
    explain = await service.explain(
        "/ws/app.py", SECRET_SOURCE, 1, 14, question=f"is {GITHUB_TOKEN} valid?"
    )
    generate = await service.generate(
        "/ws/app.py", SECRET_SOURCE, 15, f"log in with password {DB_PASSWORD}"
    )
    openai_server.responder = None
    openai_server.reply_with("x = 1\n")
    complete = await service.complete("/ws/app.py", SECRET_SOURCE, 13, 4)

    assert isinstance(review, ReviewResult) and isinstance(fix, FixResult)
    assert isinstance(explain, ExplainResult) and isinstance(generate, GenerateResult)
    assert not isinstance(complete, Exception), complete
    assert len(openai_server.generation_requests) == 5
    assert_no_secret_sent(openai_server.requests)


async def test_secrets_come_back_in_the_fix_that_is_applied(openai_server, make_service):
    openai_server.responder = echo_code_with_a_change
    service = make_service(provider(openai_server))

    fix = await service.fix(
        "/ws/app.py", SECRET_SOURCE, KnownDiagnostic(line=14, message="no timeout")
    )

    assert isinstance(fix, FixResult), fix
    assert (fix.start_line, fix.end_line) == FETCH_LINES
    fixed = fix.apply(SECRET_SOURCE)
    assert GITHUB_TOKEN in fix.new_text and DB_PASSWORD in fix.new_text
    assert fixed == SECRET_SOURCE.replace("requests.get(url", "requests.get(url, timeout=5")
    assert_no_secret_sent(openai_server.requests)


@pytest.mark.parametrize(
    "relative",
    [
        ".env",
        "config/.env.production",
        "certs/server.pem",
        "deploy/id_rsa",
        "keys/app.key",
        "a.p12",
    ],
)
async def test_files_matching_builtin_exclusions_are_never_sent(
    openai_server, make_service, tmp_path, relative
):
    service = make_service(provider(openai_server), workspace=tmp_path)

    result = await service.explain(str(tmp_path / relative), "API_KEY=abc\n", 1, 1)

    assert isinstance(result, Excluded)
    assert openai_server.requests == []


async def test_lanternignore_and_settings_exclusions_are_honoured(
    openai_server, make_service, tmp_path
):
    (tmp_path / ".lanternignore").write_text("# private\ninternal/\n*.secret.py\n")
    (tmp_path / "pkg").mkdir()
    (tmp_path / "pkg" / ".lanternignore").write_text("generated_*.py\n")
    openai_server.reply_with("Explained.")
    service = make_service(provider(openai_server), workspace=tmp_path, exclude=["vendor/**"])

    blocked = [
        tmp_path / "internal" / "billing.py",
        tmp_path / "src" / "keys.secret.py",
        tmp_path / "pkg" / "generated_api.py",
        tmp_path / "vendor" / "lib" / "x.py",
    ]
    for path in blocked:
        result = await service.explain(path.as_uri(), PY_SOURCE, 5, 7)
        assert isinstance(result, Excluded), path
    allowed = await service.explain(str(tmp_path / "src" / "app.py"), PY_SOURCE, 5, 7)

    assert isinstance(allowed, ExplainResult)
    assert len(openai_server.generation_requests) == 1
    assert "ws/app.py" not in openai_server.generation_requests[0].prompt_text
    assert "billing" not in openai_server.requests[0].raw


def test_exclusions_without_a_workspace_still_match_by_name(tmp_path):
    exclusions = Exclusions(["*.tfvars"])
    assert exclusions.reason(tmp_path / "prod.tfvars")
    assert exclusions.reason(tmp_path / ".env.local")
    assert exclusions.reason(tmp_path / "main.py") is None


async def test_disabled_ai_sends_nothing_at_all(openai_server, make_service):
    service = make_service(provider(openai_server), enabled=False)

    results = [
        await service.review("/ws/app.py", PY_SOURCE, 5, 7),
        await service.fix("/ws/app.py", PY_SOURCE, KnownDiagnostic(line=6, message="eval")),
        await service.explain("/ws/app.py", PY_SOURCE, 5, 7),
        await service.generate("/ws/app.py", PY_SOURCE, 8, "add logging"),
        await service.complete("/ws/app.py", PY_SOURCE, 6, 4),
        await service.check_providers(),
    ]

    assert all(isinstance(r, Disabled) for r in results[:5])
    assert results[5] == []
    assert openai_server.requests == []


async def test_no_provider_explains_how_to_set_one_up(make_service):
    service = make_service()

    result = await service.review("/ws/app.py", PY_SOURCE, 5, 7)

    assert isinstance(result, NotConfigured)
    for hint in ("LANTERN_AI_BASE_URL", "LANTERN_AI_MODEL", "[[ai.providers]]", "lantern doctor"):
        assert hint in result.message


async def test_openai_api_key_is_the_last_resort_provider(openai_server, make_service):
    openai_server.reply_with("Explained.")
    service = make_service(
        env={
            "OPENAI_API_KEY": "sk-test-last-resort-key-123456",
            "OPENAI_BASE_URL": openai_server.url,
            "LANTERN_AI_MODEL": "test-model",
        }
    )

    result = await service.explain("/ws/app.py", PY_SOURCE, 5, 7)

    assert isinstance(result, ExplainResult), result
    request = openai_server.generation_requests[0]
    assert request.headers["authorization"] == "Bearer sk-test-last-resort-key-123456"


async def test_api_key_never_appears_in_errors_logs_stats_or_cache(
    openai_server, make_service, tmp_path, caplog
):
    key = "sk-live-0123456789abcdefghijKLMNOP"
    echoed = json.dumps({"error": {"message": f"Incorrect API key provided: {key}"}})
    openai_server.down(Fault.status_code(401, body=echoed))
    service = make_service(provider(openai_server, api_key_env="MY_KEY"), env={"MY_KEY": key})
    caplog.set_level(logging.DEBUG)

    failed = await service.explain("/ws/app.py", PY_SOURCE, 5, 7)
    openai_server.down(None)
    openai_server.reply_with("Explained.")
    await service.explain("/ws/app.py", PY_SOURCE, 9, 12)

    assert isinstance(failed, ProviderUnavailable)
    assert "HTTP 401" in failed.message
    assert key not in failed.message and key not in json.dumps(failed.to_dict())
    assert key not in caplog.text
    assert key not in json.dumps(service.stats())
    for file in (tmp_path / "cache").rglob("*"):
        if file.is_file():
            assert key.encode() not in file.read_bytes()
    assert openai_server.generation_requests[0].headers["authorization"] == f"Bearer {key}"


# One sample per token shape, in the case a user would paste it.
TOKEN_SAMPLES = [
    "-----BEGIN RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEA7\n-----END RSA PRIVATE KEY-----",
    "Authorization: Bearer abcdefgh12345678",
    "postgres://admin:hunter2hunter2@db.internal:5432/app",
    "sk-proj-" + "A" * 40,
    GITHUB_TOKEN,
    "github_pat_" + "B" * 30,
    AWS_KEY,
    'AWS_SECRET_ACCESS_KEY="' + "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY" + '"',
    "xoxb-1234567890-abcdefghij",
    "AIza" + "C" * 35,
    "sk_live_" + "D" * 24,
    "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N",
    'ClientSecret = "s3cr3t-value"',
    "API_KEY: str = 'abcdefgh1234'",
    "PassWord := `correct-horse`",
]


@pytest.mark.parametrize("sample", TOKEN_SAMPLES)
def test_each_secret_shape_is_found_and_holds_its_patterns_hint(sample):
    """The hints let redaction skip a regex on a text holding none of them: so every match
    must hold one, or a secret would be sent for the sake of speed."""
    matched = False
    for pattern in SECRET_PATTERNS:
        for match in pattern.regex.finditer(sample):
            matched = True
            lowered = match.group(0).lower()
            assert not pattern.hints or any(hint in lowered for hint in pattern.hints), (
                pattern.name,
                match.group(0),
            )
    assert matched, sample
    assert Redactor().redact(sample) != sample
