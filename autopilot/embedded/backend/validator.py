"""Validate a request against botocore's own service model, the way the AWS front end does.

botocore checks types, required members and minimums before sending; AWS additionally enforces every
``max``, ``pattern`` and ``enum`` in the model and answers ``ValidationException`` with messages such as
``1 validation error detected: Value 'x' at 'additionalInferenceSpecificationsToAdd.1.member.name'
failed to satisfy constraint: Member must satisfy regular expression pattern: ...``. This module walks
the operation's input shape and reproduces those checks for any service.

Patterns in the model are Java regular expressions matched against the whole value, applied with
``fullmatch``. Java's UTF-16 surrogate-pair range ``\\uD800\\uDC00-\\uDBFF\\uDFFF`` is rewritten to the
equivalent code-point range. A pattern Python's ``re`` reads as Java does is compiled with ``re`` in ASCII
mode (Java's ``\\w``, ``\\d`` and ``\\s`` are ASCII). The others are compiled with the ``regex`` package
(version 1 syntax, which has Java's nested classes and ``&&`` intersections): Unicode categories
(``\\p{L}``, ``\\p{Z}``, ``\\p{N}``, as CustomerMetadataProperties' ``[\\p{L}\\p{Z}\\p{N}_.:\\/=+\\-@]*``)
are Unicode as in Java, while Java's POSIX classes are "US-ASCII only" (``\\p{Alnum}`` is
``[a-zA-Z0-9]``, ``\\p{Print}`` ``[\\x20-\\x7E]``), and so are ``\\w``, ``\\d`` and ``\\s``: those are
rewritten to their ASCII classes first (java.util.regex.Pattern, "POSIX character classes (US-ASCII
only)"), as are Java's ``\\p{all}``, ``\\p{LD}`` and ``\\x{h...h}``. Of the SDK's ~9,900 patterns one
is read by neither engine and skipped (rbin's rule ARN, a quantifier on a quantifier);
tests/unit/embedded/test_validator_patterns.py compiles every other one.
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


# Java's POSIX classes, US-ASCII only (java.util.regex.Pattern), and its ASCII predefined classes.
_JAVA_ASCII_CLASSES = {
    "Lower": "a-z",
    "Upper": "A-Z",
    "ASCII": "\\x00-\\x7F",
    "Alpha": "a-zA-Z",
    "Digit": "0-9",
    "Alnum": "a-zA-Z0-9",
    "Punct": "!-/:-@\\[-`{-~",
    "Graph": "!-~",
    "Print": " -~",
    "Blank": " \\t",
    "Cntrl": "\\x00-\\x1F\\x7F",
    "XDigit": "0-9a-fA-F",
    "Space": " \\t\\n\\x0B\\f\\r",
}
# Java's own names beside the Unicode ones: any character, and letter or digit.
_JAVA_NAMED = {"all": "\\x00-\\U0010FFFF", "LD": "\\p{L}\\p{Nd}"}
_JAVA_PREDEFINED = {"w": "a-zA-Z_0-9", "d": "0-9", "s": " \\t\\n\\x0B\\f\\r"}
_JAVA_CLASS = re.compile(r"\\\\|\\([pP])\{(\w+)\}|\\([wdsWDS])|\\x\{([0-9a-fA-F]+)\}")


def _ascii_classes(pattern: str) -> str:
    """Java's POSIX and predefined classes as explicit ASCII sets (nested sets: regex version 1)."""

    def explicit(match: re.Match[str]) -> str:
        if match.group(0) == "\\\\":
            return match.group(0)
        if match.group(4):  # Java's \x{h...h}
            return f"\\U{int(match.group(4), 16):08x}"
        if match.group(3):
            letter = match.group(3)
            return f"[{'^' if letter.isupper() else ''}{_JAVA_PREDEFINED[letter.lower()]}]"
        members = _JAVA_ASCII_CLASSES.get(match.group(2)) or _JAVA_NAMED.get(match.group(2))
        if members is None:
            return match.group(0)  # a Unicode category or script: the regex package reads it as Java does
        return f"[{'^' if match.group(1) == 'P' else ''}{members}]"

    return _JAVA_CLASS.sub(explicit, pattern)


@lru_cache(maxsize=2048)
def compile_java_pattern(pattern: str) -> Any:
    """Python equivalent of a botocore (Java) pattern: an ``re`` or ``regex`` compiled pattern; None for
    the one pattern of the SDK neither reads (tests/unit/embedded/test_validator_patterns.py)."""
    translated = pattern.replace(_SURROGATE_RANGE, r"\U00010000-\U0010FFFF").replace(r"\z", r"\Z")
    if "\\p{" not in pattern and "\\P{" not in pattern and "&&" not in pattern:
        try:
            with warnings.catch_warnings():
                # A FutureWarning means Python would read the class differently from Java.
                warnings.simplefilter("error")
                return re.compile(translated, re.ASCII)
        except (re.error, FutureWarning, DeprecationWarning):
            pass
    import regex  # type: ignore[import-untyped,unused-ignore]

    try:
        return regex.compile(_ascii_classes(translated), regex.V1)
    except regex.error:
        # Only rbin's rule ARN (a quantifier on a quantifier) in the whole SDK; named in a test.
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
