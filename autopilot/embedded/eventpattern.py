"""EventBridge event-pattern matching, in pure Python.

Follows the Amazon EventBridge User Guide pages "Amazon EventBridge event patterns"
(https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-event-patterns.html), "Creating event
patterns that match on array values"
(https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-event-patterns-arrays.html) and "Content
filtering in Amazon EventBridge event patterns"
(https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-create-pattern-operators.html):

- every key of a pattern must match (AND); a leaf array matches when any of its values matches (OR);
- an array in the event matches when any of its elements matches; a pattern object matched against
  an array of objects matches when one element matches the whole object (all its keys, together);
- exact matching is type-aware (the string "5" is not the number 5), numbers compare numerically;
- operators: ``prefix`` and ``suffix`` (also with ``equals-ignore-case``), ``equals-ignore-case``,
  ``anything-but`` (value, list, ``prefix``, ``suffix``, ``equals-ignore-case``, ``wildcard``),
  ``numeric`` (one or two comparisons), ``exists``, ``cidr``, ``wildcard`` (``*``; ``\\*`` and ``\\\\``
  escape) and ``$or``;
- ``exists`` looks at leaf values only: a field holding an object is not a leaf, so ``exists: true``
  does not match it and ``exists: false`` does; a missing field matches ``exists: false`` only;
- ``anything-but`` matches every present value that is not what it excludes: a ``null``, number or
  boolean is never a string with the excluded prefix, suffix, wildcard or case-folded value, so
  ``anything-but`` with ``prefix``/``suffix``/``wildcard``/``equals-ignore-case`` matches it ("Anything-but
  matching matches anything except what's provided in the rule"); a missing field matches nothing;
- an empty string in ``anything-but``'s ``prefix``/``suffix`` makes the pattern invalid (EventBridge
  rejects it: "Null prefix/suffix not allowed");
- dotted keys are nested keys, in patterns and in events: "when EventBridge compiles event patterns
  for use, it uses dot (.) as the joining character" ("Event pattern syntax", considerations), so
  ``{"detail.state": [...]}`` is ``{"detail": {"state": [...]}}`` and an event field ``"detail.state"``
  is the ``state`` field of ``detail``. A pattern naming one field twice (two spellings) keeps the
  last, as for a repeated JSON key ("If multiple patterns are specified for the same JSON field,
  EventBridge only uses the last one"); an event naming one field twice carries both values.

Known deviations: limits on pattern size and numeric precision are not enforced; ``anything-but``
against an array matches when any element is outside the excluded set (as EventBridge evaluates
each element); an empty array in the event is treated as a missing field.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Callable
from typing import Any

__all__ = ["InvalidPatternError", "matches", "validate_pattern"]

_NUMERIC_OPS: dict[str, Callable[[float, float], bool]] = {
    "<": lambda a, b: a < b,
    "<=": lambda a, b: a <= b,
    "=": lambda a, b: a == b,
    ">": lambda a, b: a > b,
    ">=": lambda a, b: a >= b,
}
_LOWER_BOUNDS = {">", ">="}
_UPPER_BOUNDS = {"<", "<="}
_ANYTHING_BUT_OPS = {"prefix", "suffix", "equals-ignore-case", "wildcard"}
_MISSING = object()


class InvalidPatternError(ValueError):
    """The pattern is not one EventBridge would accept."""


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


# -- validation ---------------------------------------------------------------------------------------
def validate_pattern(pattern: Any) -> None:
    """Raise InvalidPatternError naming the path and the problem when ``pattern`` is malformed."""
    if not isinstance(pattern, dict) or not pattern:
        raise InvalidPatternError("an event pattern must be a non-empty JSON object")
    _validate_object(pattern, "")


# -- dotted keys ----------------------------------------------------------------------------------------
def _nest(key: str, value: Any) -> tuple[str, Any]:
    """``("a.b.c", v)`` -> ``("a", {"b": {"c": v}})``: the key's first segment and what it holds."""
    head, *rest = key.split(".")
    for segment in reversed(rest):
        value = {segment: value}
    return head, value


def _merge_pattern(into: dict[str, Any], key: str, value: Any) -> None:
    existing = into.get(key)
    if isinstance(existing, dict) and isinstance(value, dict) and key != "$or":
        for inner_key, inner_value in value.items():
            _merge_pattern(existing, inner_key, inner_value)
    else:
        into[key] = value  # the same field named again: the last one wins


def _canonical_pattern(node: dict[str, Any]) -> dict[str, Any]:
    """The pattern with every dotted key split into nested objects (``$or`` branches too)."""
    result: dict[str, Any] = {}
    for key, value in node.items():
        if key == "$or":
            _merge_pattern(result, key, [_canonical_pattern(branch) for branch in value])
            continue
        head, nested = _nest(key, _canonical_pattern(value) if isinstance(value, dict) else value)
        _merge_pattern(result, head, nested)
    return result


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def _merge_event(into: dict[str, Any], key: str, value: Any) -> None:
    if key not in into:
        into[key] = value
        return
    existing = into[key]
    if isinstance(existing, dict) and isinstance(value, dict):
        for inner_key, inner_value in value.items():
            _merge_event(existing, inner_key, inner_value)
    else:
        # One field reached by two spellings holds both values, as EventBridge's flattened view does.
        into[key] = [*_as_list(existing), *_as_list(value)]


def _canonical_event(node: Any) -> Any:
    """The event with every dotted key split into nested objects, inside arrays too."""
    if isinstance(node, list):
        return [_canonical_event(item) for item in node]
    if not isinstance(node, dict):
        return node
    result: dict[str, Any] = {}
    for key, value in node.items():
        head, nested = _nest(key, _canonical_event(value))
        _merge_event(result, head, nested)
    return result


def _validate_object(node: dict[str, Any], path: str) -> None:
    for key, value in node.items():
        where = f"{path}.{key}" if path else key
        if key == "$or":
            if not isinstance(value, list) or len(value) < 2:
                raise InvalidPatternError(f"{where}: $or needs an array of at least two patterns")
            for index, sub in enumerate(value):
                if not isinstance(sub, dict) or not sub:
                    raise InvalidPatternError(f"{where}[{index}]: each $or entry must be a non-empty object")
                _validate_object(sub, f"{where}[{index}]")
        elif isinstance(value, dict):
            if not value:
                raise InvalidPatternError(f"{where}: empty object")
            _validate_object(value, where)
        elif isinstance(value, list):
            if not value:
                raise InvalidPatternError(f"{where}: empty arrays are not allowed")
            for item in value:
                _validate_matcher(item, where)
        else:
            raise InvalidPatternError(f"{where}: match values must be in an array")


def _strings(value: Any, where: str, op: str, allow_list: bool) -> None:
    items = value if allow_list and isinstance(value, list) else [value]
    if not items or not all(isinstance(v, str) for v in items):
        raise InvalidPatternError(
            f"{where}: {op} needs a string{' or an array of strings' if allow_list else ''}"
        )


def _validate_wildcard(value: str, where: str) -> None:
    if re.search(r"(?<!\\)\*\*", value):
        raise InvalidPatternError(f"{where}: consecutive wildcard characters are not allowed")


def _validate_matcher(item: Any, where: str) -> None:
    if item is None or isinstance(item, str | bool) or _is_number(item):
        return
    if not isinstance(item, dict):
        raise InvalidPatternError(f"{where}: arrays of arrays are not allowed")
    if len(item) != 1:
        raise InvalidPatternError(f"{where}: a content filter holds exactly one operator")
    op, arg = next(iter(item.items()))
    if op in ("prefix", "suffix"):
        if isinstance(arg, dict):
            if set(arg) != {"equals-ignore-case"}:
                raise InvalidPatternError(f"{where}: {op} accepts only equals-ignore-case inside")
            _strings(arg["equals-ignore-case"], where, op, allow_list=False)
        else:
            _strings(arg, where, op, allow_list=False)
    elif op == "equals-ignore-case":
        _strings(arg, where, op, allow_list=False)
    elif op == "wildcard":
        _strings(arg, where, op, allow_list=False)
        _validate_wildcard(arg, where)
    elif op == "anything-but":
        _validate_anything_but(arg, where)
    elif op == "numeric":
        _validate_numeric(arg, where)
    elif op == "exists":
        if not isinstance(arg, bool):
            raise InvalidPatternError(f"{where}: exists needs true or false")
    elif op == "cidr":
        if not isinstance(arg, str):
            raise InvalidPatternError(f"{where}: cidr needs a string")
        try:
            ipaddress.ip_network(arg, strict=False)
        except ValueError as error:
            raise InvalidPatternError(f"{where}: invalid cidr {arg!r}") from error
    else:
        raise InvalidPatternError(f"{where}: unrecognized operator {op!r}")


def _validate_anything_but(arg: Any, where: str) -> None:
    if isinstance(arg, dict):
        if len(arg) != 1 or not set(arg) <= _ANYTHING_BUT_OPS:
            raise InvalidPatternError(f"{where}: anything-but accepts one of {sorted(_ANYTHING_BUT_OPS)}")
        op, inner = next(iter(arg.items()))
        _strings(inner, where, f"anything-but/{op}", allow_list=True)
        if op in ("prefix", "suffix") and "" in _as_list(inner):
            raise InvalidPatternError(f"{where}: anything-but/{op} needs a non-empty string")
        if op == "wildcard":
            for value in inner if isinstance(inner, list) else [inner]:
                _validate_wildcard(value, where)
        return
    values = arg if isinstance(arg, list) else [arg]
    if not values or not all(isinstance(v, str) or _is_number(v) for v in values):
        raise InvalidPatternError(f"{where}: anything-but needs strings or numbers")


def _validate_numeric(arg: Any, where: str) -> None:
    if not isinstance(arg, list) or len(arg) not in (2, 4):
        raise InvalidPatternError(f"{where}: numeric needs one or two (operator, number) pairs")
    ops = arg[0::2]
    numbers = arg[1::2]
    if not all(isinstance(op, str) and op in _NUMERIC_OPS for op in ops):
        raise InvalidPatternError(f"{where}: numeric operators are {sorted(_NUMERIC_OPS)}")
    if not all(_is_number(n) for n in numbers):
        raise InvalidPatternError(f"{where}: numeric bounds must be numbers")
    if len(ops) == 2 and not (
        ops[0] in _LOWER_BOUNDS and ops[1] in _UPPER_BOUNDS and numbers[0] < numbers[1]
    ):
        raise InvalidPatternError(f"{where}: a numeric range is a lower bound then a greater upper bound")


# -- matching -------------------------------------------------------------------------------------------
def matches(pattern: dict[str, Any], event: dict[str, Any]) -> bool:
    """True when ``event`` matches ``pattern`` (validated first)."""
    validate_pattern(pattern)
    return _match_object(_canonical_pattern(pattern), _canonical_event(event))


def _match_object(pattern: dict[str, Any], node: Any) -> bool:
    for key, expected in pattern.items():
        if key == "$or":
            if not any(_match_object(sub, node) for sub in expected):
                return False
            continue
        field = node.get(key, _MISSING) if isinstance(node, dict) else _MISSING
        if isinstance(expected, dict):
            if not _match_nested(expected, field):
                return False
        elif not _match_leaf(expected, field):
            return False
    return True


def _match_nested(pattern: dict[str, Any], field: Any) -> bool:
    if isinstance(field, dict):
        return _match_object(pattern, field)
    if isinstance(field, list):
        objects = [item for item in field if isinstance(item, dict)]
        if objects:
            return any(_match_object(pattern, item) for item in objects)
    if field is _MISSING or isinstance(field, list):
        return _match_object(pattern, {})  # only exists:false-style patterns match a missing subtree
    return False  # a scalar where the pattern expects an object


def _leaf_values(field: Any) -> list[Any]:
    if field is _MISSING or isinstance(field, dict):
        return []
    if isinstance(field, list):
        flat: list[Any] = []
        for item in field:
            flat.extend(
                _leaf_values(item) if isinstance(item, list) else [] if isinstance(item, dict) else [item]
            )
        return flat
    return [field]


def _match_leaf(matchers: list[Any], field: Any) -> bool:
    values = _leaf_values(field)
    for matcher in matchers:
        if isinstance(matcher, dict) and "exists" in matcher:
            if matcher["exists"] == bool(values):
                return True
            continue
        if any(_match_value(matcher, value) for value in values):
            return True
    return False


def _fold(value: str) -> str:
    return value.casefold()


def _wildcard_regex(pattern: str) -> re.Pattern[str]:
    parts: list[str] = []
    index = 0
    while index < len(pattern):
        char = pattern[index]
        if char == "\\" and index + 1 < len(pattern) and pattern[index + 1] in "*\\":
            parts.append(re.escape(pattern[index + 1]))
            index += 2
            continue
        parts.append(".*" if char == "*" else re.escape(char))
        index += 1
    return re.compile("".join(parts), re.DOTALL)


def _affix(op: str, arg: Any, value: Any) -> bool:
    if not isinstance(value, str):
        return False
    if isinstance(arg, dict):
        needle, haystack = _fold(arg["equals-ignore-case"]), _fold(value)
    else:
        needle, haystack = arg, value
    return haystack.startswith(needle) if op == "prefix" else haystack.endswith(needle)


def _equal(expected: Any, value: Any) -> bool:
    if expected is None or value is None:
        return expected is None and value is None
    if isinstance(expected, bool) or isinstance(value, bool):
        return isinstance(expected, bool) and isinstance(value, bool) and expected == value
    if _is_number(expected) and _is_number(value):
        return float(expected) == float(value)
    return isinstance(expected, str) and isinstance(value, str) and expected == value


def _match_value(matcher: Any, value: Any) -> bool:
    if not isinstance(matcher, dict):
        return _equal(matcher, value)
    op, arg = next(iter(matcher.items()))
    if op in ("prefix", "suffix"):
        return _affix(op, arg, value)
    if op == "equals-ignore-case":
        return isinstance(value, str) and _fold(value) == _fold(arg)
    if op == "wildcard":
        return isinstance(value, str) and _wildcard_regex(arg).fullmatch(value) is not None
    if op == "numeric":
        if not _is_number(value):
            return False
        pairs = zip(arg[0::2], arg[1::2], strict=True)
        return all(_NUMERIC_OPS[o](float(value), float(n)) for o, n in pairs)
    if op == "cidr":
        if not isinstance(value, str):
            return False
        try:
            return ipaddress.ip_address(value) in ipaddress.ip_network(arg, strict=False)
        except ValueError:
            return False
    if op == "anything-but":
        return _anything_but(arg, value)
    return False


def _anything_but(arg: Any, value: Any) -> bool:
    if isinstance(arg, dict):
        op, inner = next(iter(arg.items()))
        if not isinstance(value, str):
            return True  # null, a number or a boolean is not a string these filters exclude
        options = inner if isinstance(inner, list) else [inner]
        if op == "equals-ignore-case":
            return all(_fold(value) != _fold(o) for o in options)
        if op == "wildcard":
            return all(_wildcard_regex(o).fullmatch(value) is None for o in options)
        return not any(_affix(op, o, value) for o in options)
    excluded = arg if isinstance(arg, list) else [arg]
    return not any(_equal(e, value) for e in excluded)
