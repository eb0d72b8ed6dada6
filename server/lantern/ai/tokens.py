"""Token estimates without a tokenizer download, and trimming text to a budget.

The estimate imitates byte-pair encoders (short words are one token, long ones one per
four letters, each symbol one) and errs on the high side; it never loads a vocabulary.
"""

from __future__ import annotations

import math
import re

_PIECE = re.compile(r"[A-Za-z]+|[0-9]+|[ \t]+|\n|[^\sA-Za-z0-9]")
# Chat formats add a few tokens per message for roles and separators.
MESSAGE_OVERHEAD = 4


def estimate_tokens(text: str) -> int:
    """Approximate token count of `text` for GPT-like tokenizers (an over-estimate)."""
    count = 0
    for piece in _PIECE.findall(text):
        first = piece[0]
        if first.isalpha():
            count += math.ceil(len(piece) / 4)
        elif first.isdigit():
            count += math.ceil(len(piece) / 3)
        elif first in " \t":
            count += math.ceil(len(piece) / 8)  # runs of indentation merge into few tokens
        else:
            count += 1
    # Non-ASCII characters the regex passed as symbols cost ~1 token per UTF-8 pair.
    extra = sum(len(ch.encode()) // 2 for ch in text if ord(ch) > 127)
    return count + extra


def estimate_messages(messages: list[dict[str, str]]) -> int:
    return sum(estimate_tokens(m["content"]) + MESSAGE_OVERHEAD for m in messages)


def take_lines_within(lines: list[str], budget: int, *, from_end: bool = False) -> list[str]:
    """The longest run of whole lines from the start (or the end) that fits `budget`."""
    chosen: list[str] = []
    used = 0
    for line in reversed(lines) if from_end else lines:
        cost = estimate_tokens(line) + 1
        if used + cost > budget:
            break
        chosen.append(line)
        used += cost
    return list(reversed(chosen)) if from_end else chosen


def around_cursor(before: list[str], after: list[str], budget: int) -> tuple[int, int]:
    """How many lines before and after a cursor fit `budget`, taken alternately.

    Alternating (as llm-ls does) keeps context on both sides; a side that runs out
    leaves the rest of the budget to the other.
    """
    used, n_before, n_after = 0, 0, 0
    turn_before = True
    while n_before < len(before) or n_after < len(after):
        if turn_before and n_before < len(before):
            cost = estimate_tokens(before[len(before) - 1 - n_before]) + 1
            if used + cost > budget:
                break
            used, n_before = used + cost, n_before + 1
        elif not turn_before and n_after < len(after):
            cost = estimate_tokens(after[n_after]) + 1
            if used + cost > budget:
                break
            used, n_after = used + cost, n_after + 1
        turn_before = not turn_before
    return n_before, n_after
