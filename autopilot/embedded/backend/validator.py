"""Validate a request against botocore's own service model, the way the AWS front end does.

botocore checks types, required members and minimums before sending; AWS additionally enforces every
``max``, ``pattern`` and ``enum`` in the model and answers ``ValidationException`` with messages such as
``1 validation error detected: Value 'x' at 'additionalInferenceSpecificationsToAdd.1.member.name'
failed to satisfy constraint: Member must satisfy regular expression pattern: ...``. This module walks
the operation's input shape and reproduces those checks for any service.

Patterns in the model are Java regular expressions matched against the whole value. They are compiled
with Python's ``re`` in ASCII mode (Java's ``\\w``, ``\\d`` and ``\\s`` are ASCII) and applied with
``fullmatch``. Java's UTF-16 surrogate-pair range ``\\uD800\\uDC00-\\uDBFF\\uDFFF`` is rewritten to the
equivalent code-point range. Patterns Python cannot express faithfully are skipped (their length,
count and range constraints are still checked): Unicode property classes (``\\p{L}``, ``\\p{Print}``),
class intersections (``&&``) and anything ``re`` refuses to compile.
"""

from __future__ import annotations

import re
import warnings
from collections.abc import Mapping, Sequence
from functools import lru_cache
from typing import Any

from botocore.model import ListShape, MapShape, Shape, StructureShape  # type: ignore[import-untyped,unused-ignore]

_SURROGATE_RANGE = r"\uD800\uDC00-\uDBFF\uDFFF"
_NUMERIC = {"integer", "long", "float", "double"}


@lru_cache(maxsize=2048)
def compile_java_pattern(pattern: str) -> re.Pattern[str] | None:
    """Python equivalent of a botocore (Java) pattern, or None when it cannot be translated safely."""
    if "\\p{" in pattern or "\\P{" in pattern or "&&" in pattern:
        return None
    translated = pattern.replace(_SURROGATE_RANGE, r"\U00010000-\U0010FFFF").replace(r"\z", r"\Z")
    try:
        with warnings.catch_warnings():
            # A FutureWarning means Python would read the class differently from Java.
            warnings.simplefilter("error")
            return re.compile(translated, re.ASCII)
    except (re.error, FutureWarning, DeprecationWarning):
        return None


def _lower_first(name: str) -> str:
    return name[:1].lower() + name[1:]


def _render(value: Any) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, Mapping):
        return "{" + ", ".join(f"{k}={_render(v)}" for k, v in value.items()) + "}"
    if isinstance(value, Sequence) and not isinstance(value, bytes | bytearray):
        return "[" + ", ".join(_render(v) for v in value) + "]"
    return str(value)


def _scalar_constraints(shape: Shape, value: Any) -> list[str]:
    meta = shape.metadata
    found: list[str] = []
    if shape.type_name == "string" and isinstance(value, str):
        if "max" in meta and len(value) > meta["max"]:
            found.append(f"Member must have length less than or equal to {meta['max']}")
        if "min" in meta and len(value) < meta["min"]:
            found.append(f"Member must have length greater than or equal to {meta['min']}")
        enum = meta.get("enum")
        if enum and value not in enum:
            found.append(f"Member must satisfy enum value set: [{', '.join(enum)}]")
        pattern = meta.get("pattern")
        if pattern:
            compiled = compile_java_pattern(pattern)
            if compiled is not None and compiled.fullmatch(value) is None:
                found.append(f"Member must satisfy regular expression pattern: {pattern}")
    elif shape.type_name in _NUMERIC and isinstance(value, int | float) and not isinstance(value, bool):
        if "max" in meta and value > meta["max"]:
            found.append(f"Member must have value less than or equal to {meta['max']}")
        if "min" in meta and value < meta["min"]:
            found.append(f"Member must have value greater than or equal to {meta['min']}")
    return found


def _walk(shape: Shape, value: Any, path: str, errors: list[str]) -> None:
    def report(constraint: str, at: str = path, shown: Any = value) -> None:
        errors.append(f"Value '{_render(shown)}' at '{at}' failed to satisfy constraint: {constraint}")

    if isinstance(shape, StructureShape):
        if not isinstance(value, Mapping):
            return
        for name, member in shape.members.items():
            if name in value and value[name] is not None:
                child = _lower_first(name)
                _walk(member, value[name], f"{path}.{child}" if path else child, errors)
        return
    if isinstance(shape, ListShape):
        if not isinstance(value, Sequence) or isinstance(value, str | bytes | bytearray):
            return
        meta = shape.metadata
        if "max" in meta and len(value) > meta["max"]:
            report(f"Member must have length less than or equal to {meta['max']}")
        if "min" in meta and len(value) < meta["min"]:
            report(f"Member must have length greater than or equal to {meta['min']}")
        for index, item in enumerate(value, start=1):
            _walk(shape.member, item, f"{path}.{index}.member", errors)
        return
    if isinstance(shape, MapShape):
        if not isinstance(value, Mapping):
            return
        meta = shape.metadata
        if "max" in meta and len(value) > meta["max"]:
            report(f"Member must have length less than or equal to {meta['max']}")
        if "min" in meta and len(value) < meta["min"]:
            report(f"Member must have length greater than or equal to {meta['min']}")
        for key, item in value.items():
            key_problems = _scalar_constraints(shape.key, key)
            if key_problems:
                report(f"Map keys must satisfy constraint: [{', '.join(key_problems)}]")
            value_problems = _scalar_constraints(shape.value, item)
            if value_problems:
                report(f"Map value must satisfy constraint: [{', '.join(value_problems)}]")
            if not value_problems and isinstance(shape.value, StructureShape | ListShape | MapShape):
                _walk(shape.value, item, f"{path}.{key}", errors)
        return
    for constraint in _scalar_constraints(shape, value):
        report(constraint)


def validate(shape: Shape | None, params: Mapping[str, Any]) -> list[str]:
    """Every constraint violation in ``params`` as AWS words it (empty when the request is valid)."""
    errors: list[str] = []
    if shape is not None:
        _walk(shape, params, "", errors)
    return errors


def validation_message(errors: Sequence[str]) -> str:
    count = len(errors)
    noun = "error" if count == 1 else "errors"
    return f"{count} validation {noun} detected: " + "; ".join(errors)
