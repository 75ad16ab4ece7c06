"""Policy configuration: one pydantic model per policy is the single source of truth.

The model gives both the JSON schema the pack publishes (``PolicyConfigSchema``, whose
``default`` values the engine fills in before it validates a ``--policy-pack-config`` file) and
the parsing of the config a policy receives at run time (``args.get_config()``).

The engine checks config files against the schema, but only the *known* keys: it does not
reject unknown ones, so a typo (``max_per_repo``) would silently fall back to the default.
``load_config`` therefore re-validates with the model (unknown keys forbidden) and raises
``PolicyConfigError`` naming the policy, the key and what was expected.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar

from pulumi_policy import PolicyConfigSchema
from pydantic import BaseModel, ConfigDict, ValidationError

__all__ = ["PolicyConfig", "PolicyConfigError", "config_schema", "load_config"]


class PolicyConfig(BaseModel):
    """Base of every policy's config model: immutable, strict (no ``"yes"`` for a boolean,
    like the JSON schema the engine checks), unknown keys rejected."""

    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)


C = TypeVar("C", bound=PolicyConfig)


class PolicyConfigError(ValueError):
    """A policy received configuration its schema does not allow."""


def config_schema(model: type[PolicyConfig]) -> PolicyConfigSchema:
    """The ``PolicyConfigSchema`` of a config model: its fields, their types and defaults."""
    schema = model.model_json_schema()
    if "$defs" in schema:
        raise TypeError(
            f"{model.__name__}: policy config schemas must not use nested models ($defs)"
        )
    properties: dict[str, dict[str, Any]] = {
        name: {key: value for key, value in prop.items() if key != "title"}
        for name, prop in schema.get("properties", {}).items()
    }
    required = list(schema.get("required", [])) or None
    return PolicyConfigSchema(properties=properties, required=required)


def load_config(model: type[C], policy_name: str, raw: Mapping[str, Any] | None) -> C:
    """Parse the config a policy received, or raise ``PolicyConfigError`` with every problem."""
    try:
        return model.model_validate(_whole_numbers(dict(raw or {})))
    except ValidationError as exc:
        problems = "; ".join(
            f"{_where(error['loc'])}: {error['msg']}" for error in exc.errors(include_url=False)
        )
        allowed = ", ".join(sorted(model.model_fields)) or "none"
        raise PolicyConfigError(
            f"policy '{policy_name}' has invalid config: {problems} (allowed keys: {allowed})"
        ) from None


def _whole_numbers(value: Any) -> Any:
    """Undo the protobuf trip that turned every JSON number into a float: ``50.0`` → ``50``."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, Mapping):
        return {key: _whole_numbers(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_whole_numbers(item) for item in value]
    return value


def _where(loc: tuple[int | str, ...]) -> str:
    """``'required.prod'`` for a value, ``key 'x' of 'required.prod'`` for a mapping key."""
    parts = [str(part) for part in loc]
    if parts and parts[-1] == "[key]":
        return f"key '{parts[-2]}' of '{'.'.join(parts[:-2])}'"
    return f"'{'.'.join(parts)}'" if parts else "(config)"
