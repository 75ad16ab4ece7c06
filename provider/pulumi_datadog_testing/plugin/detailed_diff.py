"""A detailed diff with property paths, from a resource's old outputs and new inputs.

Whether a resource changes, and which properties replace it, is decided by the resource's
own ``diff`` (the one implementation both front-ends share). This module only says *where*
the change is, for ``pulumi preview --diff``: it walks the input properties and reports each
differing leaf by its path, ``options.alerting_threshold``, ``states["4eb1887a8adb1847"]``,
``quarantined.auto_quarantine_rule.window_seconds``. Lists of objects with a key field
(a suite's ``tests`` by ``public_id``) are matched by key, not position, so adding one test
shows one addition rather than a shifted list. Values the engine does not know yet
(preview) count as changed.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, Final

from pulumi.provider.experimental.provider import PropertyDiff, PropertyDiffKind

from ..resources._check import is_unknown

__all__ = ["KEY_FIELDS", "detailed_diff", "property_path"]

KEY_FIELDS: Final = ("public_id",)
"""Fields that identify the elements of a list of objects (order is not significant)."""

_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_REPLACING: Final = {
    PropertyDiffKind.ADD: PropertyDiffKind.ADD_REPLACE,
    PropertyDiffKind.DELETE: PropertyDiffKind.DELETE_REPLACE,
    PropertyDiffKind.UPDATE: PropertyDiffKind.UPDATE_REPLACE,
}


def property_path(parts: Sequence[str | int]) -> str:
    """Pulumi's property path syntax: ``a.b[0]["key with.dots"]``."""
    path = ""
    for part in parts:
        if isinstance(part, int):
            path += f"[{part}]"
        elif _IDENTIFIER.fullmatch(part):
            path += f".{part}" if path else part
        else:
            path += '["' + part.replace("\\", "\\\\").replace('"', '\\"') + '"]'
    return path


def detailed_diff(
    olds: Mapping[str, Any],
    news: Mapping[str, Any],
    properties: Iterable[str],
    replaces: Iterable[str] = (),
) -> dict[str, PropertyDiff]:
    """Each changed leaf of the input ``properties`` between ``olds`` (outputs in state) and
    ``news`` (checked inputs); kinds under a property in ``replaces`` are ``*_REPLACE``."""
    replacing = set(replaces)
    found: dict[str, PropertyDiffKind] = {}
    for name in properties:
        before, after = olds.get(name), news.get(name)
        changes: dict[str, PropertyDiffKind] = {}
        _walk(before, after, [name], changes)
        if name in replacing:
            changes = {path: _REPLACING.get(kind, kind) for path, kind in changes.items()}
            if not changes:  # an equal value can still force a replace (e.g. unknown identity)
                changes = {name: PropertyDiffKind.UPDATE_REPLACE}
        found.update(changes)
    return {path: PropertyDiff(kind, input_diff=False) for path, kind in found.items()}


def _walk(before: Any, after: Any, path: list[str | int], out: dict[str, PropertyDiffKind]) -> None:
    if is_unknown(after):
        out[property_path(path)] = PropertyDiffKind.UPDATE
    elif before is None and after is None:
        return
    elif before is None:
        out[property_path(path)] = PropertyDiffKind.ADD
    elif after is None:
        out[property_path(path)] = PropertyDiffKind.DELETE
    elif isinstance(before, Mapping) and isinstance(after, Mapping):
        for key in sorted(set(before) | set(after)):
            _walk(before.get(key), after.get(key), [*path, key], out)
    elif _is_list(before) and _is_list(after):
        _walk_list(before, after, path, out)
    elif _number(before) and _number(after):
        if float(before) != float(after):
            out[property_path(path)] = PropertyDiffKind.UPDATE
    elif before != after:
        out[property_path(path)] = PropertyDiffKind.UPDATE


def _walk_list(
    before: Sequence[Any], after: Sequence[Any], path: list[str | int], out: dict[str, Any]
) -> None:
    key = _key_field(before, after)
    if key is None:
        for index in range(max(len(before), len(after))):
            old = before[index] if index < len(before) else None
            new = after[index] if index < len(after) else None
            _walk(old, new, [*path, index], out)
        return
    old_by_key = {item[key]: item for item in before}
    new_keys = {item[key] for item in after}
    for index, item in enumerate(after):
        _walk(old_by_key.get(item[key]), item, [*path, index], out)
    for index, item in enumerate(before):
        if item[key] not in new_keys:
            out[property_path([*path, index])] = PropertyDiffKind.DELETE


def _key_field(*lists: Sequence[Any]) -> str | None:
    """The key field every element of every list has (known, hashable), if any."""
    for field in KEY_FIELDS:
        if all(
            isinstance(item, Mapping)
            and isinstance(item.get(field), str)
            and not is_unknown(item[field])
            for items in lists
            for item in items
        ):
            return field
    return None


def _is_list(value: Any) -> bool:
    return isinstance(value, (list, tuple))


def _number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)
