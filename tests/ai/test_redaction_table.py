"""Redaction as a table of syntactic forms by languages (issue 11 case 05).

Every cell plants one secret value in one form; the redactor built for the file must
hide it, and a real review of the whole file sends none of them to the loopback
provider (its request log is searched for each value).
"""

from __future__ import annotations

import json

import pytest

from lantern.ai.privacy import Redactor
from lantern.ai.service import ReviewResult
from tests.ai.conftest import provider

# language -> file name, [(form, line of code with the secret `{s}`)], wrapper for lines
TABLE: dict[str, tuple[str, list[tuple[str, str]], str]] = {
    "python": (
        "app.py",
        [
            ("plain", 'password = "{s}"'),
            ("annotated", 'api_key: str = "{s}"'),
            ("bytes", 'db_password = b"{s}"'),
            ("raw", "password = r'{s}'"),
            ("f-string", 'password = f"{s}"'),
            ("triple-quoted", 'secret = """{s}"""'),
            ("keyword argument", 'connect(host="db", password="{s}")'),
            ("default argument", 'def login(token="{s}"): pass'),
            ("dict entry", 'HEADERS = {{"X-Api-Key": "{s}"}}'),
            ("subscript", 'os.environ["CLIENT_SECRET"] = "{s}"'),
            ("attribute", 'self.auth_token = "{s}"'),
            ("short value", 'pwd = "{short}"'),
        ],
        "{lines}",
    ),
    "javascript": (
        "app.js",
        [
            ("plain", 'const password = "{s}";'),
            ("template literal", "const password = `{s}`;"),
            ("single quotes", "let apiKey = '{s}';"),
            ("object property", 'const cfg = {{ clientSecret: "{s}" }};'),
            ("quoted property", 'const h = {{ "Authorization": "{s}" }};'),
            ("member assignment", 'this.accessToken = "{s}";'),
            ("default parameter", 'function login(token = "{s}") {{}}'),
            ("short value", 'var pwd = "{short}";'),
        ],
        "{lines}",
    ),
    "typescript": (
        "app.ts",
        [
            ("typed const", 'const password: string = "{s}";'),
            ("typed let template", "let apiKey: string = `{s}`;"),
            ("class field", 'class A {{ private secret: string = "{s}"; }}'),
            ("object property", 'const cfg = {{ authToken: "{s}" as string }};'),
            ("short value", 'const pwd = "{short}";'),
        ],
        "{lines}",
    ),
    "go": (
        "main.go",
        [
            ("typed var", 'var dbPassword string = "{s}"'),
            ("var", 'var apiKey = "{s}"'),
            ("const raw", "const secretKey = `{s}`"),
            ("struct field", 'var c = Config{{Password: "{s}"}}'),
            ("map entry", 'var m = map[string]string{{"api_token": "{s}"}}'),
            ("short value", 'var pwd = "{short}"'),
        ],
        "package main\n\n{lines}",
    ),
    "rust": (
        "main.rs",
        [
            ("let", 'fn a() {{ let api_key = "{s}"; }}'),
            ("const raw", 'const SECRET: &str = r#"{s}"#;'),
            ("struct field", 'fn b() {{ let c = Cfg {{ password: "{s}" }}; }}'),
            ("short value", 'fn c() {{ let pwd = "{short}"; }}'),
        ],
        "{lines}",
    ),
    "java": (
        "App.java",
        [
            ("field", 'String password = "{s}";'),
            ("assignment", 'void a() {{ accessToken = "{s}"; }}'),
            ("text block", 'String secret = """\n{s}""";'),
            ("short value", 'String pwd = "{short}";'),
        ],
        "class App {{\n{lines}\n}}",
    ),
}


def _secret(language: str, form: str, short: bool = False) -> str:
    tag = "".join(ch for ch in f"{language}{form}" if ch.isalnum())[:12]
    return f"Q{tag[:2]}7x" if short else f"S3cr3t-{tag}-9z"


def _cells() -> list[tuple[str, str, str, str]]:
    cells = []
    for language, (_, forms, _) in TABLE.items():
        for form, code in forms:
            value = _secret(language, form, short="{short}" in code)
            cells.append((language, form, code.format(s=value, short=value), value))
    return cells


def _file(language: str) -> tuple[str, str, list[str]]:
    name, forms, wrapper = TABLE[language]
    lines, values = [], []
    for form, code in forms:
        value = _secret(language, form, short="{short}" in code)
        lines.append(code.format(s=value, short=value).replace("{{", "{").replace("}}", "}"))
        values.append(value)
    wrapper = wrapper.replace("{{", "{").replace("}}", "}")
    return name, wrapper.replace("{lines}", "\n".join(lines)) + "\n", values


CELLS = _cells()


@pytest.mark.parametrize(
    "language,form,code,value", CELLS, ids=[f"{c[0]}-{c[1].replace(' ', '_')}" for c in CELLS]
)
def test_each_form_is_redacted_in_each_language(language, form, code, value):
    name, _, _ = TABLE[language]
    _, source, _ = _file(language)
    line = code.replace("{{", "{").replace("}}", "}")
    redactor = Redactor.for_source(source, f"/ws/{name}")
    redacted = redactor.redact(source)
    assert line in source
    assert value not in redacted, f"{form} leaks in {language}"
    assert redactor.restore(redacted) == source


@pytest.mark.parametrize("language", sorted(TABLE))
async def test_no_planted_secret_reaches_the_provider(language, openai_server, make_service):
    name, source, values = _file(language)
    service = make_service(provider(openai_server))
    openai_server.reply_with(json.dumps({"findings": []}))
    lines = source.count("\n")
    result = await service.review(f"/ws/{name}", source, 1, lines)
    assert isinstance(result, ReviewResult), result
    assert openai_server.requests
    sent = "".join(request.raw for request in openai_server.requests)
    assert [v for v in values if v in sent] == []
