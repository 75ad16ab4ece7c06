"""The plugin's Pulumi package schema, generated from the resources' own declarations.

Nothing here is written twice: input properties, their types, nesting and required-ness come
from the pydantic model each resource's ``check`` validates with (``model_json_schema``);
output-only properties from the ``pulumi.Output`` annotations of the dynamic ``Resource``
class; descriptions from the attribute docstrings of the ``<Resource>Args`` class, the
resource class and the nested models, and from the resource module's docstring. The schema
carries the package version (``respectSchemaVersion``) so a generated SDK asks the engine
for exactly this plugin version.

Property names are the snake_case names the dynamic resources use, so a resource moved from
the dynamic type to the native one (an alias) keeps its state unchanged.
"""

from __future__ import annotations

import ast
import inspect
import json
import textwrap
import types
import typing
from collections.abc import Mapping
from functools import cache
from typing import Any, Final

import pulumi
from pydantic import BaseModel

from .. import __version__
from ..config_values import DEFAULT_CHUNK_SIZE
from ..type_tokens import MODULE
from .catalog import RESOURCES, Entry

__all__ = ["CONFIG_VARIABLES", "NODE_PACKAGE", "SDK_PACKAGE", "package_schema", "schema_json"]

SDK_PACKAGE: Final = "pulumi_datadog_testing.native"
"""Where the generated Python SDK lives (``from pulumi_datadog_testing.native import ...``)."""
NODE_PACKAGE: Final = "@pulumi-datadog-testing/native"
"""The npm name of the generated TypeScript SDK."""

_ANY: Final = {"$ref": "pulumi.json#/Any"}

CONFIG_VARIABLES: Final[dict[str, dict[str, Any]]] = {
    "apiKey": {
        "type": "string",
        "secret": True,
        "description": "Datadog API key (default: env DD_API_KEY or DATADOG_API_KEY).",
    },
    "appKey": {
        "type": "string",
        "secret": True,
        "description": "Datadog application key (default: env DD_APP_KEY or DATADOG_APP_KEY).",
    },
    "bearerToken": {
        "type": "string",
        "secret": True,
        "description": "OAuth/bearer access token, sent instead of the two keys "
        "(default: env DD_BEARER_TOKEN).",
    },
    "validate": {
        "type": "boolean",
        "description": "Check the configuration before any resource is previewed (default "
        "true); false lets a preview run without credentials.",
    },
    "apiUrl": {
        "type": "string",
        "description": "API root URL, e.g. https://api.datadoghq.eu/ or a local emulator "
        "(default: env DD_HOST / DATADOG_HOST, else from site).",
    },
    "site": {
        "type": "string",
        "description": "Datadog site, e.g. datadoghq.eu (default: env DD_SITE, else "
        "datadoghq.com). Set apiUrl or site, not both.",
    },
    "maxRetries": {
        "type": "integer",
        "description": "Retries after the first attempt of a call (default 3; 0 disables).",
    },
    "retryTimeoutSeconds": {
        "type": "number",
        "description": "Time budget of one call including its retries (default 60).",
    },
    "timeoutSeconds": {
        "type": "number",
        "description": "Timeout of one HTTP request (default 30).",
    },
    "flakyBulkChunkSize": {
        "type": "integer",
        "description": "Most tests sent in one flaky-test bulk PATCH, shared ones too "
        f"(default {DEFAULT_CHUNK_SIZE:,}).",
    },
    "maxConcurrency": {
        "type": "integer",
        "description": "Most API calls in flight at once (default 64): the HTTP connection "
        "pool and the plugin's worker threads. `pulumi up --parallel N` decides how many "
        "resources the engine works on at once.",
    },
}
"""``datadog-testing:<key>`` stack config, and the inputs of an explicit ``Provider``."""


def _type_name(model_name: str) -> str:
    return model_name.removesuffix("Input")


def _type_token(model_name: str) -> str:
    return f"{MODULE}:index:{_type_name(model_name)}"


@cache
def _attribute_docs(cls: type) -> dict[str, str]:
    """``{attribute: docstring}`` of a class and its bases (PEP 257 attribute docstrings)."""
    docs: dict[str, str] = {}
    for klass in reversed(cls.__mro__):
        if klass.__module__ in ("builtins", "typing") or klass.__module__.startswith("pydantic"):
            continue
        try:
            source = textwrap.dedent(inspect.getsource(klass))
        except (OSError, TypeError):
            continue
        body = ast.parse(source).body[0]
        if not isinstance(body, ast.ClassDef):
            continue
        for first, second in zip(body.body, body.body[1:], strict=False):
            if (
                isinstance(first, ast.AnnAssign)
                and isinstance(first.target, ast.Name)
                and isinstance(second, ast.Expr)
                and isinstance(second.value, ast.Constant)
                and isinstance(second.value.value, str)
            ):
                docs[first.target.id] = inspect.cleandoc(second.value.value)
    return docs


class _Converter:
    """JSON Schema (pydantic's) → Pulumi type specs, collecting object types."""

    def __init__(self, defs: Mapping[str, Any], models: Mapping[str, type[BaseModel]]) -> None:
        self.defs = defs
        self.models = models
        self.types: dict[str, dict[str, Any]] = {}

    def spec(self, node: Mapping[str, Any]) -> dict[str, Any]:
        node = _without_null(node)
        if isinstance(node.get("anyOf"), list):  # e.g. a state, or an object with notes
            return {"oneOf": [self.spec(option) for option in node["anyOf"]]}
        if "$ref" in node:
            name = node["$ref"].rsplit("/", 1)[-1]
            self._object_type(name)
            return {"$ref": f"#/types/{_type_token(name)}"}
        kind = node.get("type")
        if kind == "array":
            return {"type": "array", "items": self.spec(node.get("items", {}))}
        if kind == "object":
            extra = node.get("additionalProperties")
            if isinstance(extra, Mapping):
                return {"type": "object", "additionalProperties": self.spec(extra)}
            return dict(_ANY)
        if kind in ("string", "boolean", "integer", "number"):
            return {"type": kind}
        return dict(_ANY)

    def properties(
        self, node: Mapping[str, Any], docs: Mapping[str, str]
    ) -> tuple[dict[str, Any], list[str]]:
        props: dict[str, Any] = {}
        for name, prop in node.get("properties", {}).items():
            spec = self.spec(prop)
            description = _description(prop, docs.get(name))
            if description:
                spec["description"] = description
            props[name] = spec
        return props, sorted(node.get("required", []))

    def _object_type(self, name: str) -> None:
        token = _type_token(name)
        if token in self.types:
            return
        self.types[token] = {}  # placeholder against recursion
        node = self.defs[name]
        model = self.models.get(name)
        docs = _attribute_docs(model) if model is not None else {}
        props, required = self.properties(node, docs)
        spec: dict[str, Any] = {"type": "object", "properties": props}
        if required:
            spec["required"] = required
        doc = node.get("description") or (inspect.getdoc(model) if model else None)
        if doc:
            spec["description"] = doc
        self.types[token] = spec


def _without_null(node: Mapping[str, Any]) -> Mapping[str, Any]:
    options = node.get("anyOf")
    if isinstance(options, list):
        rest = [o for o in options if o.get("type") != "null"]
        if len(rest) == 1:
            return {**{k: v for k, v in node.items() if k != "anyOf"}, **rest[0]}
    return node


def _description(node: Mapping[str, Any], doc: str | None) -> str:
    """The attribute docstring (else the field's description), plus the allowed values and
    the default the resource applies."""
    parts = [doc or node.get("description") or ""]
    allowed = _first_enum(node)
    if allowed:
        parts.append("One of: " + ", ".join(f"`{v}`" for v in allowed) + ".")
    if node.get("default") is not None:
        parts.append(f"Default: `{node['default']}`.")
    return " ".join(p for p in parts if p).strip()


def _first_enum(node: Any) -> list[Any] | None:
    """The allowed values of a property, also inside ``X | None``, maps and unions."""
    if not isinstance(node, Mapping):
        return None
    if isinstance(node.get("enum"), list):
        return list(node["enum"])
    for child in (*node.get("anyOf", []), node.get("additionalProperties"), node.get("items")):
        found = _first_enum(child)
        if found:
            return found
    return None


def _nested_models(model: type[BaseModel]) -> dict[str, type[BaseModel]]:
    """Every pydantic model reachable from ``model``'s fields, by class name."""
    found: dict[str, type[BaseModel]] = {}
    pending: list[Any] = [model]
    while pending:
        annotation = pending.pop()
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            if annotation.__name__ in found:
                continue
            found[annotation.__name__] = annotation
            pending.extend(f.annotation for f in annotation.model_fields.values())
        else:
            pending.extend(typing.get_args(annotation))
    return found


def _output_spec(annotation: Any) -> dict[str, Any]:
    """Pulumi type of a ``pulumi.Output[T]`` annotation's ``T``."""
    if typing.get_origin(annotation) is pulumi.Output:
        (annotation,) = typing.get_args(annotation)
    origin = typing.get_origin(annotation)
    args = [a for a in typing.get_args(annotation) if a is not type(None)]
    if origin in (types.UnionType, typing.Union) and len(args) == 1:
        return _output_spec(args[0])
    if origin is list:
        return {"type": "array", "items": _output_spec(args[0])}
    if origin is dict:
        return {"type": "object", "additionalProperties": _output_spec(args[1])}
    simple = {str: "string", bool: "boolean", int: "integer", float: "number"}
    if annotation in simple:
        return {"type": simple[annotation]}
    return dict(_ANY)


def _resource(entry: Entry, converter: _Converter) -> dict[str, Any]:
    model = entry.inputs
    node = model.model_json_schema()
    converter.defs = node.get("$defs", {})
    converter.models = _nested_models(model)
    resource_class: type = entry.resource_class
    module = inspect.getmodule(resource_class)
    args_class = getattr(module, f"{entry.kind.value}Args", None)
    docs = {
        **(_attribute_docs(resource_class)),
        **(_attribute_docs(args_class) if isinstance(args_class, type) else {}),
    }
    inputs, required = converter.properties(node, docs)
    outputs = dict(inputs)
    for name, annotation in entry.resource_class.OUTPUT_TYPES.items():
        if typing.get_origin(annotation) is pulumi.Output and name not in outputs:
            spec = _output_spec(annotation)
            if name in docs:
                spec["description"] = docs[name]
            outputs[name] = spec
    resource: dict[str, Any] = {
        "description": entry.description,
        "inputProperties": inputs,
        "properties": outputs,
    }
    if required:
        resource["requiredInputs"] = required
        resource["required"] = required
    return resource


@cache
def package_schema() -> dict[str, Any]:
    """The package schema (a JSON-compatible dict)."""
    converter = _Converter({}, {})
    resources = {entry.token: _resource(entry, converter) for entry in RESOURCES}
    config = {name: dict(spec) for name, spec in CONFIG_VARIABLES.items()}
    return {
        "name": MODULE,
        "displayName": "Datadog Test Optimization (pulumi-datadog-testing)",
        "version": __version__,
        "description": "Datadog Test Optimization service settings, flaky-test states and "
        "policies, and Synthetics test suites.",
        "keywords": ["pulumi", "datadog", "test-optimization", "flaky-tests", "synthetics"],
        "license": "Apache-2.0",
        "meta": {"moduleFormat": "(.*)"},
        "config": {"variables": config},
        "provider": {
            "description": "The datadog-testing provider: one Datadog organization's "
            "credentials and API endpoint. Declare several to manage several orgs.",
            "inputProperties": config,
        },
        "resources": resources,
        "types": converter.types,
        "language": {
            # The generated Python SDK is a subpackage of this package (scripts/gen-sdk).
            "python": {"packageName": SDK_PACKAGE, "respectSchemaVersion": True},
            "nodejs": {"packageName": NODE_PACKAGE, "respectSchemaVersion": True},
        },
    }


def schema_json() -> str:
    """The schema as the JSON text ``GetSchema`` returns (stable key order)."""
    return json.dumps(package_schema(), indent=2, sort_keys=True)


if __name__ == "__main__":  # python -m pulumi_datadog_testing.plugin.schema > schema.json
    print(schema_json())
