"""A deterministic stand-in for a code model, as a responder for `OpenAIServer`.

It reads Lantern's prompts the way a model would and answers each task plausibly:

- review: a finding (code `unchecked-call`) on every numbered line that calls `risky(`;
- fix: the code it was given with `risky(` replaced by `checked(`;
- explain: Markdown naming the lines it was shown;
- generate: a small function named after the request;
- generate files: `File: <path>` + a fenced block per requested target (or `generated.py`).

Everything it decides comes from the request, so tests assert on Lantern's behaviour
(which requests are sent, what is published and applied), never on canned results.
"""

from __future__ import annotations

import json
import re

from tests.support.openai_server import RecordedRequest

_NUMBERED = re.compile(r"^\s*(\d+) \| (.*)$", re.MULTILINE)
_FENCED = re.compile(r"```[\w+-]*\n(.*?)```", re.DOTALL)


def task_of(request: RecordedRequest) -> str:
    data = request.json if isinstance(request.json, dict) else {}
    if "messages" not in data:
        return "complete"
    system = str(data["messages"][0].get("content", ""))
    if "code reviewer" in system:
        return "review"
    if "You fix problems" in system:
        return "fix"
    if "create new files" in system:
        return "generate_files"
    if "fits into an existing file" in system:
        return "generate"
    if "complete" in system.lower() and "cursor" in system.lower():
        return "complete"
    return "explain"


def answer(request: RecordedRequest) -> str:
    data = request.json if isinstance(request.json, dict) else {}
    messages = data.get("messages") or []
    user = str(messages[-1].get("content", "")) if messages else str(data.get("prompt", ""))
    task = task_of(request)
    if task == "review":
        code = user.split("Review this unit", 1)[-1]
        findings = [
            {
                "line": int(number),
                "end_line": None,
                "severity": "error",
                "code": "unchecked-call",
                "category": "bug",
                "message": "risky() can fail and its result is not checked.",
                "fix_hint": "Call checked() instead.",
            }
            for number, text in _NUMBERED.findall(code)
            if "risky(" in text
        ]
        return json.dumps({"findings": findings})
    if task == "fix":
        blocks = _FENCED.findall(user)
        code = blocks[-1] if blocks else ""
        return f"```\n{code.replace('risky(', 'checked(')}```\nUses checked() so failures surface."
    if task == "generate_files":
        targets = re.search(r"Write it to: (\S+)", user)
        path = targets.group(1).rstrip(",") if targets else "generated.py"
        return f"File: {path}\n```python\ndef test_generated():\n    assert True\n```\n"
    if task == "generate":
        request_line = re.search(r"Request: (.*)", user)
        words = re.findall(r"[a-z]+", (request_line.group(1) if request_line else "").lower())
        name = "_".join(words[:3]) or "generated"
        return f"```python\ndef {name}():\n    return 42\n```"
    if task == "complete":
        return "value = 1"
    numbers = [int(n) for n, _ in _NUMBERED.findall(user.split("The code (lines", 1)[-1])]
    where = f"lines {min(numbers)}-{max(numbers)}" if numbers else "the code"
    return f"This code ({where}) computes a result.\n\n- It calls helpers.\n"
