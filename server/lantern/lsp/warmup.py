"""The protocol edge's one-time costs, paid on a worker after `initialized`, not on the
user's first request.

pygls converts every message with cattrs, which generates a class's (un)structure
function the first time it meets the class: about 35 ms of the first didOpen + pull,
more for the first code action, completion or hover. `prepare_messages` generates them
ahead for every class reachable from the messages Lantern receives (the methods it
registered) and sends (diagnostics, logs, progress, the requests it makes), once per
converter. Lantern's own first-use costs sit beside it (`analysis.warmup` for rules and
grammars; the model layer's import, only when a model is configured). Never raises.
"""

from __future__ import annotations

import linecache
import logging
import sys
import threading
import types as types_module
import typing
from collections.abc import Callable, Iterable
from typing import Any

import attrs
from lsprotocol import types
from pygls.protocol.json_rpc import (
    JsonRPCNotification,
    JsonRPCRequestMessage,
    JsonRPCResponseMessage,
)

log = logging.getLogger(__name__)

# What Lantern sends: notifications and the requests it makes (their answers are
# structured when they come back).
SENT = (
    types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS,
    types.WINDOW_LOG_MESSAGE,
    types.WINDOW_SHOW_MESSAGE,
    types.PROGRESS,
    types.WORKSPACE_DIAGNOSTIC_REFRESH,
    types.WORKSPACE_CONFIGURATION,
    types.CLIENT_REGISTER_CAPABILITY,
    types.WORKSPACE_APPLY_EDIT,
    types.WINDOW_SHOW_DOCUMENT,
    types.WINDOW_WORK_DONE_PROGRESS_CREATE,
)
# Handled by pygls itself, beside the methods Lantern registers.
BUILT_IN = (
    types.SHUTDOWN,
    types.EXIT,
    types.CANCEL_REQUEST,
    types.SET_TRACE,
    types.WORKSPACE_EXECUTE_COMMAND,
)
# The methods of a user's first seconds: the first diagnostics' before analysis's
# warm-up (about 8 ms), then, once those are answered, the edits' and code actions'
# (about 17 ms), then the rest.
FIRST = (
    types.TEXT_DOCUMENT_DID_OPEN,
    types.TEXT_DOCUMENT_DIAGNOSTIC,
    types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS,
)
SOON = (types.TEXT_DOCUMENT_DID_CHANGE, types.TEXT_DOCUMENT_CODE_ACTION, types.WINDOW_LOG_MESSAGE)
# Values typed `LSPAny` in their message, so not reachable from its annotations.
_UNTYPED_VALUES = (
    types.WorkDoneProgressBegin,
    types.WorkDoneProgressReport,
    types.WorkDoneProgressEnd,
)

# pygls answers every request with this envelope (`result: Any`, so each result's class
# is looked up when it is sent), and sends errors and its own notifications in these.
_ENVELOPES = (JsonRPCResponseMessage, JsonRPCNotification, JsonRPCRequestMessage)
# The values of `LSPAny` fields (a diagnostic's `data`, a command's arguments) are looked
# up by their class when sent; cattrs registers a hook for a container class the first
# time, which empties its whole cache (see prepare_messages).
_PLAIN = (dict, list, tuple, str, int, float, bool, type(None))

_lock = threading.Lock()
_prepared: dict[tuple[int, str], None] = {}  # (id of converter, method)
# id of converter -> the (structure?, class) pairs prepared so far, in order.
_hooks: dict[int, dict[tuple[bool, type], None]] = {}


def prepare_messages(
    converter: Any,
    received: Iterable[str],
    methods: Iterable[str],
    pause: Callable[[], object] | None = None,
) -> int:
    """Generate `converter`'s hooks for `methods`: structuring what the client sends
    (`received` methods: their messages; the others: the answers to Lantern's requests)
    and unstructuring what Lantern sends. Each method is prepared once per converter;
    returns how many were prepared by this call. `pause` is called before each method and
    each class (it may block, to let the user's requests go first)."""
    incoming = set(received)
    pairs: dict[tuple[bool, type], None] = {}
    done = 0
    for method in methods:
        if pause is not None:
            pause()
        with _lock:
            key = (id(converter), method)
            if key in _prepared or method not in types.METHOD_TO_TYPES:
                continue
            _prepared[key] = None
        message, response, _params, _options = types.METHOD_TO_TYPES[method]
        if method in incoming:
            structured, unstructured = message, response
        else:  # sent by Lantern: its answer comes back
            structured, unstructured = response, message
        values = _UNTYPED_VALUES if method == types.PROGRESS else ()
        pairs.update(dict.fromkeys((True, cls) for cls in _classes(structured)))
        pairs.update(dict.fromkeys((False, cls) for cls in _classes(unstructured, values)))
        done += 1
    if not done:
        return 0
    pairs.update(dict.fromkeys((False, cls) for cls in (*_PLAIN, *_ENVELOPES)))
    with _lock:
        known = _hooks.setdefault(id(converter), {})
        before = list(known)
        known.update(pairs)
        everything = list(known)
    # cattrs empties its hook cache whenever it meets a new container type (`list[X]`,
    # `dict`: it registers that type's hook), so classes generated before then would be
    # generated again on their next use. So the containers go first; then what earlier
    # calls prepared is put back at once (a request meanwhile may generate its own
    # again: for these few milliseconds only, not while the rest is generated); then the
    # classes, whose containers are known by then; a last pass puts back anything
    # dropped all the same (a lookup for the rest).
    containers = [pair for pair in pairs if not attrs.has(pair[1])]
    _generate(converter, containers, pause)
    _generate(converter, before, None)
    _generate(converter, [pair for pair in pairs if attrs.has(pair[1])], pause)
    _generate(converter, everything, pause)
    _forget_generated_sources()
    return done


def _forget_generated_sources() -> None:
    """cattrs keeps the source of every function it generates in `linecache` (for
    tracebacks into them), a new entry each time a class is generated again: about a
    megabyte once every message's hooks exist. Tracebacks still name the function."""
    for name in [name for name in linecache.cache if name.startswith("<cattrs generated")]:
        linecache.cache.pop(name, None)


def _generate(
    converter: Any, pairs: list[tuple[bool, type]], pause: Callable[[], object] | None
) -> None:
    for structure, cls in pairs:
        if pause is not None:
            pause()
        try:
            if structure:
                converter.get_structure_hook(cls)
            else:
                converter.get_unstructure_hook(cls)
        except Exception:  # a warm-up must never be what breaks the server
            log.exception("preparing the hooks of %s failed", cls.__name__)


def fewer_malloc_arenas(arenas: int = 2) -> None:
    """Let glibc's malloc keep at most `arenas` arenas. By default each thread that
    allocates gets its own (up to 8 per core), and the analysis workers' freed trees
    leave each arena holding pages: about 5 MB of peak RSS with 200 open documents. The
    threads take turns on the GIL, so they seldom allocate at once. Does nothing on
    other C libraries."""
    global _arenas_limited
    if _arenas_limited or not sys.platform.startswith("linux"):
        return
    _arenas_limited = True
    try:
        import ctypes

        ctypes.CDLL(None).mallopt(_M_ARENA_MAX, arenas)
    except (OSError, AttributeError):
        pass  # not glibc


_M_ARENA_MAX = -8  # from glibc's malloc.h
_arenas_limited = False


def _classes(root: Any, extra: Iterable[type] = ()) -> list[Any]:
    """Every attrs class reachable from the type `root` through field annotations
    (unions, lists, optionals), outermost first, after the containers (`list[X]`,
    `Mapping[K, V]`) met on the way."""
    found: dict[Any, None] = {}
    containers: dict[Any, None] = {}
    stack = [root, *extra]
    while stack:
        tp = stack.pop()
        if tp is None or isinstance(tp, str):
            continue
        if args := typing.get_args(tp):  # Union, Optional, list[...], X | Y
            if typing.get_origin(tp) not in (typing.Union, types_module.UnionType, typing.Literal):
                containers[tp] = None
            stack.extend(args)
        elif isinstance(tp, type) and attrs.has(tp) and tp not in found:
            found[tp] = None
            stack.extend(field.type for field in attrs.fields(attrs.resolve_types(tp)))
    return [*containers, *found]


def received_methods(features: Iterable[str]) -> list[str]:
    """The methods whose messages come from the client: Lantern's handlers and pygls's."""
    return [*features, *BUILT_IN]
