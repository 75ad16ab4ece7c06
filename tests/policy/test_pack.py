"""The ready pack in policy-pack/: composition, files, example config and README table.

``PolicyPack(...)`` starts a gRPC server and blocks, so the composition is read by importing
``__main__.py`` under another module name (its ``if __name__ == "__main__"`` guard keeps the
pack from starting). The pack's real process is exercised in test_pack_process.py.
"""

from __future__ import annotations

import importlib.util
import json
import os
import re
from pathlib import Path
from types import ModuleType
from typing import Any

import jsonschema
import pytest
import yaml

from pulumi_datadog_testing.policy import (
    CONFIG_MODELS,
    PACK_NAME,
    POLICY_FACTORIES,
    all_policies,
    default_config,
)
from pulumi_datadog_testing.policy._config import load_config
from tests.policy.harness import wire
from tests.policy.test_config_schemas import engine_schema

PACK = Path(__file__).resolve().parents[2] / "policy-pack"


def load_pack_module() -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "datadog_testing_guardrails_pack", PACK / "__main__.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_pack_composes_exactly_the_library_policies() -> None:
    composed = load_pack_module().build_policies()
    library = all_policies()
    assert [p.name for p in composed] == [p.name for p in library] == list(POLICY_FACTORIES)
    for mine, theirs in zip(composed, library, strict=True):
        assert type(mine) is type(theirs)
        assert mine.enforcement_level == theirs.enforcement_level
        assert mine.description == theirs.description
        assert mine.config_schema is not None and theirs.config_schema is not None
        assert mine.config_schema.properties == theirs.config_schema.properties


def test_pack_main_only_assembles_and_names_the_pack() -> None:
    source = (PACK / "__main__.py").read_text()
    assert "PolicyPack(\n        name=PACK_NAME," in source
    assert PACK_NAME == "datadog-testing-guardrails"
    assert re.findall(r"^def (\w+)", source, re.MULTILINE) == ["build_policies"]


def test_pulumi_policy_yaml_is_minimal_python() -> None:
    project = yaml.safe_load((PACK / "PulumiPolicy.yaml").read_text())
    assert project["runtime"] == "python"
    assert set(project) <= {"runtime", "version", "description"}


def test_launcher_is_executable_and_runs_this_folder_with_pulumi_policy() -> None:
    launcher = PACK / "run"
    assert os.access(launcher, os.X_OK)
    text = launcher.read_text()
    assert text.startswith("#!/bin/sh\n")
    assert 'exec "${PULUMI_PYTHON_CMD:-python3}" -u -m pulumi.policy "$@" "$here"' in text


def test_requirements_list_the_policy_sdk_and_the_package() -> None:
    lines = [
        line.strip()
        for line in (PACK / "requirements.txt").read_text().splitlines()
        if line.strip() and not line.lstrip().startswith("#")
    ]
    assert lines == ["pulumi-policy>=1.21,<2", "-e .."]
    assert (PACK / ".." / "pyproject.toml").exists()


EXAMPLE: dict[str, Any] = json.loads((PACK / "policy-config.example.json").read_text())


def test_example_config_tunes_every_policy_and_shows_every_key() -> None:
    assert list(EXAMPLE) == list(POLICY_FACTORIES)
    for name, value in EXAMPLE.items():
        keys = set(CONFIG_MODELS[name].model_fields)
        if isinstance(value, str):
            assert value in {"advisory", "mandatory", "disabled"}
            assert keys == set(), f"{name} has config keys the example should show"
        else:
            assert set(value) - {"enforcementLevel"} == keys, name


@pytest.mark.parametrize("name", list(POLICY_FACTORIES))
def test_example_config_is_valid_for_the_engine_and_the_policy(name: str) -> None:
    value = EXAMPLE[name]
    properties = (
        {}
        if isinstance(value, str)
        else {k: v for k, v in value.items() if k != "enforcementLevel"}
    )
    schema = next(p.config_schema for p in all_policies() if p.name == name)
    assert schema is not None
    defaults = {key: prop["default"] for key, prop in schema.properties.items()}
    jsonschema.Draft7Validator(engine_schema(schema)).validate({**defaults, **properties})
    parsed = load_config(CONFIG_MODELS[name], name, wire({**defaults, **properties}))
    assert parsed.model_dump(mode="json") == {**defaults, **properties}


def readme_rows() -> dict[str, list[str]]:
    rows: dict[str, list[str]] = {}
    for line in (PACK / "README.md").read_text().splitlines():
        match = re.match(r"^\| `([a-z-]+)` \|(.*)\|$", line)
        if match:
            rows[match.group(1)] = [cell.strip() for cell in match.group(2).split(" | ")]
    return rows


def test_readme_table_matches_the_library() -> None:
    rows = readme_rows()
    assert list(rows) == list(POLICY_FACTORIES)
    kinds = {
        p.name: ("resource" if type(p).__name__ == "ResourceValidationPolicy" else "stack")
        for p in all_policies()
    }
    for name, config in default_config().items():
        kind, _types, level, keys, _what = rows[name]
        assert kind == kinds[name], name
        assert level == config.pop("enforcementLevel"), name
        expected = ", ".join(
            f"`{key}` = `{json.dumps(default)}`" for key, default in config.items()
        )
        assert keys == (expected or "(none)"), name
