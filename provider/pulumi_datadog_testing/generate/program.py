"""Render an ``OrgSnapshot`` as a readable Pulumi program (Python source).

One ``ServiceSettings`` per service/env with overridden settings (declaring exactly those),
one ``FlakyTestPolicies`` per repository with policies, one ``FlakyTestStates`` per
repository and non-``active`` state (each test's name as a comment), one ``SyntheticsSuite``
per suite, adopted by ``public_id``. The output is deterministic: the same snapshot gives
the same text. It is already indented; ``formatting.format_source`` normalises it.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Mapping
from typing import Any, Final

from ..identity import DEFAULT_ENV, FLAKY_STATES
from .naming import NameBook, repository_labels
from .read import AdoptedSuite, FoundRepository, OrgSnapshot

__all__ = ["INDENT", "adopted_reason", "literal", "render_program"]

INDENT: Final = "    "
SHORT: Final = 60
"""A container whose literal fits in this many characters stays on one line."""


def literal(value: Any, depth: int = 0) -> str:
    """``value`` (JSON-like data) as a Python literal; a container on one line when short,
    else one item per line (with trailing commas, so ruff keeps it that way)."""
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)  # a JSON string is a valid Python str
    if isinstance(value, float) and not math.isfinite(value):
        raise ValueError(f"cannot render {value!r} as a Python literal")
    if value is None or isinstance(value, (bool, int, float)):
        return repr(value)
    if isinstance(value, Mapping):
        opening, closing = "{", "}"
        flat = [f"{literal(k)}: {literal(v)}" for k, v in value.items()]
        items = [f"{literal(k)}: {literal(v, depth + 1)}," for k, v in value.items()]
    elif isinstance(value, (list, tuple)):
        opening, closing = "[", "]"
        flat = [literal(v) for v in value]
        items = [f"{literal(v, depth + 1)}," for v in value]
    else:
        raise TypeError(f"cannot render {type(value).__name__} as a literal")
    one_line = opening + ", ".join(flat) + closing
    if len(one_line) <= SHORT and "\n" not in one_line:
        return one_line
    inner, outer = INDENT * (depth + 1), INDENT * depth
    items = [inner + item for item in items]
    return opening + "\n" + "\n".join(items) + f"\n{outer}{closing}"


def _comment(text: str) -> str:
    """``text`` on one line, without control characters (safe in a comment or docstring)."""
    return " ".join("".join(c if c.isprintable() else " " for c in text).split())


def _in_docstring(text: str) -> str:
    """``text`` on one line, with backslashes and quotes escaped for a docstring."""
    return _comment(text).replace("\\", "\\\\").replace('"', '\\"')


def _call(
    kind: str,
    name: str,
    arguments: Iterable[tuple[str, Any]],
    comments: Mapping[str, str] | None = None,
) -> str:
    lines = [f"{kind}(", f"{INDENT}{literal(name)},"]
    for key, value in arguments:
        note = (comments or {}).get(key)
        suffix = f"  # {_comment(note)}" if note else ""
        lines.append(f"{INDENT}{key}={literal(value, 1)},{suffix}")
    lines.append(")")
    return "\n".join(lines)


def _states_call(name: str, repository_id: str, state: str, tests: list[Any]) -> str:
    entries = "\n".join(
        f"{INDENT * 2}{literal(t.id)}: {literal(state)},  # {_comment(t.name)}" for t in tests
    )
    return "\n".join(
        [
            "FlakyTestStates(",
            f"{INDENT}{literal(name)},",
            f"{INDENT}repository_id={literal(repository_id)},",
            f"{INDENT}states={{",
            entries,
            f"{INDENT}}},",
            f"{INDENT}reason={literal(adopted_reason(state))},",
            ")",
        ]
    )


def adopted_reason(state: str) -> str:
    """The ``reason`` of an adopted group: true as generated (it is why the program sets the
    state), and what the policy pack's ``flaky-state-justification`` asks for; replace it with
    the real justification (e.g. a ticket link) when you know it."""
    return f"already {state} in Datadog when adopted with pulumi-datadog-testing generate"


def _repository_blocks(repo: FoundRepository, label: str, names: NameBook) -> list[str]:
    blocks: list[str] = []
    if repo.settings:
        calls = []
        for found in repo.settings:
            parts = (label, found.service_name) + (() if found.env == DEFAULT_ENV else (found.env,))
            identity = [
                ("repository_id", found.repository_id),
                ("service_name", found.service_name),
                ("env", found.env),
            ]
            calls.append(
                _call(
                    "ServiceSettings", names.claim(*parts), [*identity, *found.overridden.items()]
                )
            )
        blocks.append(
            f"# {_comment(repo.repository_id)}: Test Optimization settings that each service overrides.\n"
            "# Settings not listed are inherited and stay unmanaged.\n" + "\n\n".join(calls)
        )
    if repo.policies:
        call = _call(
            "FlakyTestPolicies",
            names.claim(label, "flaky-test-policies"),
            [("repository_id", repo.repository_id), *repo.policies.items()],
        )
        blocks.append(f"# {_comment(repo.repository_id)}: flaky-test management policies.\n{call}")
    for state in FLAKY_STATES:
        tests = [t for t in repo.tests if t.state == state]
        if state == "active" or not tests:
            continue
        plural = "test" if len(tests) == 1 else "tests"
        call = _states_call(names.claim(label, state, "tests"), repo.repository_id, state, tests)
        blocks.append(f"# {_comment(repo.repository_id)}: {len(tests)} {state} {plural}.\n{call}")
    return blocks


def _suite_block(suite: AdoptedSuite, names: NameBook) -> str:
    arguments: list[tuple[str, Any]] = [("public_id", suite.public_id), ("name", suite.name)]
    if suite.message is not None:
        arguments.append(("message", suite.message))
    if suite.tags is not None:
        arguments.append(("tags", sorted(suite.tags)))
    arguments.append(("tests", suite.tests))
    if suite.options:
        arguments.append(("options", suite.options))
    return _call(
        "SyntheticsSuite",
        names.claim("suite", suite.name),
        arguments,
        comments={"public_id": "adopted: `pulumi up` manages this suite, it does not create one"},
    )


def render_program(snapshot: OrgSnapshot, *, command: str) -> str:
    """The program's source; ``command`` (how it was generated) goes in its docstring."""
    labels = repository_labels(r.repository_id for r in snapshot.repositories)
    names = NameBook()
    blocks: list[str] = []
    for repo in sorted(snapshot.repositories, key=lambda r: r.repository_id):
        blocks.extend(_repository_blocks(repo, labels[repo.repository_id], names))
    if snapshot.suites:
        suites = [_suite_block(suite, names) for suite in snapshot.suites]
        blocks.append(
            "# Synthetics suites, adopted by public_id: `pulumi destroy` puts each one back as it\n"
            "# was adopted and never deletes it.\n" + "\n\n".join(suites)
        )
    used = sorted(
        kind
        for kind in ("FlakyTestPolicies", "FlakyTestStates", "ServiceSettings", "SyntheticsSuite")
        if any(f"\n{kind}(" in f"\n{block}" for block in blocks)
    )
    docstring = (
        '"""Datadog CI-quality configuration adopted from what the org has.\n\n'
        f"Generated by `{_in_docstring(command)}`.\n"
        "`pulumi up` adopts every resource below without changing anything in Datadog, and\n"
        "records the current values as the ones `pulumi destroy` puts back. From then on,\n"
        "edit this program to change them.\n"
        '"""'
    )
    header = [docstring, ""]
    if used:
        header.append(f"from pulumi_datadog_testing import {', '.join(used)}")
    else:
        header.append("# Nothing to adopt was found.")
    return "\n".join(header) + "\n\n" + "\n\n".join(blocks) + "\n"
