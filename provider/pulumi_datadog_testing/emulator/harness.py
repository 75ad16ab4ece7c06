"""Run and drive the emulator from Python: ``EmulatorServer`` and ``EmulatorAdmin``.

``EmulatorServer`` starts ``python -m pulumi_datadog_testing.emulator`` (``sys.executable``)
as a subprocess on 127.0.0.1 with a free port, waits until ``/_emulator/health`` answers,
and always stops it (SIGTERM, then SIGKILL after a timeout; also at interpreter exit if it
was never stopped)::

    from pulumi_datadog_testing.emulator import EmulatorServer

    with EmulatorServer() as emulator:               # random keys, temporary SQLite file
        emulator.url                                 # "http://127.0.0.1:43121"
        emulator.api_key, emulator.app_key           # DD-API-KEY / DD-APPLICATION-KEY
        emulator.bearer_token                        # or Authorization: Bearer <token>
        emulator.env()                               # {"DD_HOST", "DD_API_KEY", "DD_APP_KEY"}
        emulator.seed_flaky_tests("github.com/acme/shop", 500, seed=7)
        emulator.set_faults({"kind": "drop", "method": "PATCH"})
        ...                                          # exercise code against emulator.url
        emulator.calls(method="PATCH", clear=True)   # typed RecordedCall list
        emulator.restart()                           # same port, same db: nothing lost

API (keyword-only constructor arguments, all optional)::

    EmulatorServer(*, api_key=None, app_key=None, bearer_token=None, db=None, port=0,
                   pr_comments_mode=None,
                   rate_limit=None, rate_limit_period=None, max_bulk_tests=None,
                   log_file=None, startup_timeout=30.0, extra_args=())
    .start() -> Self    .stop(timeout=15.0)    .restart()    .close()    .detach() -> pid
    .url .api_key .app_key .bearer_token .port .pid .db_path .log_path .running .admin (EmulatorAdmin)
    .env() -> dict[str, str]    .headers() -> dict[str, str]   .logs() -> str
    .health() -> Health
    .calls(method=None, path=None, *, clear=False) -> list[RecordedCall]   .clear_calls()
    .set_faults(*faults, replace=True, seed=None) -> list[ActiveFault]
    .faults() -> list[ActiveFault]   .clear_faults()
    .seed_flaky_tests(repository_id, count, **options) -> SeededFlakyTests
    .add_flaky_tests(*tests) -> SeededFlakyTests
    .set_org_defaults(*, pr_comments_mode=None, **settings) -> OrgDefaultsState
    .org_defaults() -> OrgDefaultsState
    .config() -> EmulatorConfig   .update_config(**fields) -> EmulatorConfig
    .reset()

A start-up failure raises ``EmulatorError`` with the tail of the process output (its
stdout and stderr go to ``log_file``), and the child is terminated. Failed admin calls
raise ``EmulatorError`` with the status and body. The state file is a temporary one
(removed by ``close()``/leaving the ``with``) unless ``db`` is given, which is never
deleted. Only httpx and pydantic are needed in the calling process; the subprocess needs
the ``[emulator]`` extra. Admin bodies: see ``admin_models``.
"""

from __future__ import annotations

import os
import secrets
import shutil
import subprocess
import sys
import tempfile
import time
import weakref
from collections.abc import Mapping, Sequence
from pathlib import Path
from types import TracebackType
from typing import Any, Self

import httpx
from pydantic import BaseModel

from .admin_models import (
    ActiveFault,
    CallsResponse,
    EmulatorConfig,
    EmulatorConfigPatch,
    FaultSpec,
    FaultsRequest,
    FaultsResponse,
    FlakyTestSpec,
    FlakyTestsRequest,
    Health,
    OrgDefaultsState,
    OrgDefaultsUpdate,
    PrCommentsMode,
    RecordedCall,
    SeededFlakyTests,
    SeedFlakyTestsRequest,
)

__all__ = ["EmulatorAdmin", "EmulatorError", "EmulatorServer"]

API_KEY_ENV = "DD_EMULATOR_API_KEY"
APP_KEY_ENV = "DD_EMULATOR_APP_KEY"
BEARER_TOKEN_ENV = "DD_EMULATOR_BEARER_TOKEN"


class EmulatorError(RuntimeError):
    """The emulator could not be started, or an admin call failed."""


class EmulatorAdmin:
    """Typed client of the admin surface (``/_emulator/...``) of an emulator at ``url``."""

    def __init__(self, url: str, *, timeout: float = 60.0) -> None:
        self.url = url.rstrip("/")
        # A fresh connection per admin call: a pooled one may be closed by the server's
        # keep-alive timeout while idle (e.g. during a long test step), and a request sent on
        # it just then fails with "Server disconnected without sending a response".
        self._http = httpx.Client(
            base_url=self.url,
            timeout=timeout,
            limits=httpx.Limits(max_keepalive_connections=0),
        )

    def close(self) -> None:
        self._http.close()

    def _call(
        self,
        method: str,
        path: str,
        body: BaseModel | None = None,
        params: Mapping[str, str | None] | None = None,
    ) -> Any:
        content = body.model_dump_json(exclude_unset=True).encode() if body is not None else None
        # Admin writes need a JSON content type even without a body (guard.py).
        writes = content is not None or method in ("POST", "PUT", "PATCH")
        headers = {"Content-Type": "application/json"} if writes else {}
        query = {k: v for k, v in (params or {}).items() if v is not None}
        response = self._http.request(
            method, f"/_emulator{path}", content=content, headers=headers, params=query
        )
        if response.is_error:
            raise EmulatorError(
                f"{method} /_emulator{path} -> {response.status_code}: {response.text}"
            )
        return response.json() if response.content else None

    def health(self) -> Health:
        return Health.model_validate(self._call("GET", "/health"))

    def calls(
        self, method: str | None = None, path: str | None = None, *, clear: bool = False
    ) -> list[RecordedCall]:
        """Datadog-path calls received (oldest first), optionally filtered; ``clear=True``
        empties the log in the same step (no call is lost in between)."""
        params = {"method": method, "path": path, "clear": "true" if clear else None}
        return CallsResponse.model_validate(self._call("GET", "/calls", params=params)).calls

    def clear_calls(self) -> None:
        self._call("DELETE", "/calls")

    def faults(self) -> list[ActiveFault]:
        return FaultsResponse.model_validate(self._call("GET", "/faults")).faults

    def set_faults(
        self, *faults: FaultSpec | Mapping[str, Any], replace: bool = True, seed: int | None = None
    ) -> list[ActiveFault]:
        """Install fault rules (by default replacing the current ones); see ``FaultSpec``."""
        request = FaultsRequest(
            faults=[FaultSpec.model_validate(f) for f in faults], replace=replace, seed=seed
        )
        return FaultsResponse.model_validate(self._call("POST", "/faults", request)).faults

    def clear_faults(self) -> None:
        self._call("DELETE", "/faults")

    def seed_flaky_tests(self, repository_id: str, count: int, **options: Any) -> SeededFlakyTests:
        """Generate ``count`` flaky tests (options: see ``SeedFlakyTestsRequest``)."""
        request = SeedFlakyTestsRequest(repository_id=repository_id, count=count, **options)
        return SeededFlakyTests.model_validate(self._call("POST", "/seed/flaky-tests", request))

    def add_flaky_tests(self, *tests: FlakyTestSpec | Mapping[str, Any]) -> SeededFlakyTests:
        """Create or replace explicitly described flaky tests."""
        request = FlakyTestsRequest(tests=[FlakyTestSpec.model_validate(t) for t in tests])
        return SeededFlakyTests.model_validate(self._call("POST", "/flaky-tests", request))

    def flaky_test(self, test_id: str) -> dict[str, Any]:
        """The stored document of one flaky test (state, history, ...)."""
        doc: dict[str, Any] = self._call("GET", f"/flaky-tests/{test_id}")
        return doc

    def org_defaults(self) -> OrgDefaultsState:
        return OrgDefaultsState.model_validate(self._call("GET", "/org-defaults"))

    def set_org_defaults(
        self, *, pr_comments_mode: PrCommentsMode | None = None, **settings: bool
    ) -> OrgDefaultsState:
        """Replace the org-wide service-setting defaults (omitted settings: ``False``) and,
        when given, the ``pr_comments_mode``."""
        update = OrgDefaultsUpdate(pr_comments_mode=pr_comments_mode, **settings)
        return OrgDefaultsState.model_validate(self._call("PUT", "/org-defaults", update))

    def config(self) -> EmulatorConfig:
        return EmulatorConfig.model_validate(self._call("GET", "/config"))

    def update_config(self, **fields: Any) -> EmulatorConfig:
        """Change config fields (see ``EmulatorConfigPatch``): org/repository defaults,
        ``pr_comments_mode``, ``rate_limit``, ``max_bulk_tests``."""
        patch = EmulatorConfigPatch.model_validate(fields)
        return EmulatorConfig.model_validate(self._call("PATCH", "/config", patch))

    def reset(self) -> None:
        """Forget all objects, calls and faults; config back to its start-up value."""
        self._call("POST", "/reset")


class EmulatorServer:
    """The emulator as a subprocess on a free loopback port (see the module docstring).

    Arguments (all optional): ``api_key``/``app_key``/``bearer_token`` (default: random;
    the emulator accepts the two keys or the token), ``db`` (SQLite
    file; default: a temporary file), ``port`` (default 0: free port, kept across
    ``restart()``), ``pr_comments_mode``, ``rate_limit``/``rate_limit_period``,
    ``max_bulk_tests`` (start-up config), ``log_file`` (the process's stdout+stderr; default:
    a temporary file), ``startup_timeout`` seconds, ``extra_args`` for the command line.
    """

    def __init__(
        self,
        *,
        api_key: str | None = None,
        app_key: str | None = None,
        bearer_token: str | None = None,
        db: str | os.PathLike[str] | None = None,
        port: int = 0,
        pr_comments_mode: PrCommentsMode | None = None,
        rate_limit: int | None = None,
        rate_limit_period: int | None = None,
        max_bulk_tests: int | None = None,
        log_file: str | os.PathLike[str] | None = None,
        startup_timeout: float = 30.0,
        extra_args: Sequence[str] = (),
    ) -> None:
        self.api_key = api_key or f"emu-api-{secrets.token_hex(12)}"
        self.app_key = app_key or f"emu-app-{secrets.token_hex(16)}"
        self.bearer_token = bearer_token or f"emu-token-{secrets.token_hex(16)}"
        self.host = "127.0.0.1"
        self.port = port
        self._workdir = Path(tempfile.mkdtemp(prefix="dd-emulator-"))
        self.db_path = Path(db) if db is not None else self._workdir / "state.sqlite"
        self.log_path = Path(log_file) if log_file is not None else self._workdir / "emulator.log"
        self.startup_timeout = startup_timeout
        self._args: list[str] = []
        for flag, value in (
            ("--pr-comments-mode", pr_comments_mode),
            ("--rate-limit", rate_limit),
            ("--rate-limit-period", rate_limit_period),
            ("--max-bulk-tests", max_bulk_tests),
        ):
            if value is not None:
                self._args += [flag, str(value)]
        self._args += list(extra_args)
        self._proc: subprocess.Popen[bytes] | None = None
        self._admin: EmulatorAdmin | None = None
        self._finalizer: weakref.finalize[Any, Any] | None = None

    # ------------------------------------------------------------------ lifecycle
    @property
    def url(self) -> str:
        """Base URL for Datadog API calls and ``datadog:apiUrl`` (``http://127.0.0.1:PORT``)."""
        if not self.port:
            raise EmulatorError("the emulator is not started")
        return f"http://{self.host}:{self.port}"

    @property
    def pid(self) -> int | None:
        """The emulator process id while it runs (``None`` otherwise)."""
        return self._proc.pid if self.running and self._proc is not None else None

    @property
    def running(self) -> bool:
        return self._proc is not None and self._proc.poll() is None

    @property
    def admin(self) -> EmulatorAdmin:
        if self._admin is None:
            self._admin = EmulatorAdmin(self.url)
        return self._admin

    def start(self) -> Self:
        """Start the process and wait until it is healthy (``EmulatorError`` otherwise)."""
        if self.running:
            return self
        port_file = self._workdir / "port"
        port_file.unlink(missing_ok=True)
        command = [
            sys.executable, "-m", "pulumi_datadog_testing.emulator",
            "--host", self.host, "--port", str(self.port),
            "--db", str(self.db_path), "--port-file", str(port_file), *self._args,
        ]  # fmt: skip
        env = {
            **os.environ,
            API_KEY_ENV: self.api_key,
            APP_KEY_ENV: self.app_key,
            BEARER_TOKEN_ENV: self.bearer_token,
        }
        with open(self.log_path, "ab") as log:
            self._proc = subprocess.Popen(
                command, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT, env=env
            )
        self._finalizer = weakref.finalize(self, _terminate, self._proc)
        try:
            self._wait_until_healthy(port_file)
        except BaseException:  # incl. Ctrl-C while waiting: never leave the child behind
            self.stop()
            raise
        return self

    def stop(self, timeout: float = 15.0) -> None:
        """SIGTERM and wait (SIGKILL after ``timeout``); the state file is kept."""
        if self._admin is not None:
            self._admin.close()
            self._admin = None
        if self._proc is not None:
            _terminate(self._proc, timeout)
            self._proc = None
        if self._finalizer is not None:
            self._finalizer.detach()
            self._finalizer = None

    def restart(self) -> None:
        """Stop and start again on the same port with the same state file."""
        self.stop()
        self.start()

    def close(self) -> None:
        """Stop, and delete the temporary directory (and state file) this object created."""
        self.stop()
        shutil.rmtree(self._workdir, ignore_errors=True)

    def detach(self) -> int:
        """Leave the running emulator alone from now on and return its pid: it is no longer
        stopped by ``stop()``/``close()`` or at interpreter exit (e.g. a demo that leaves it
        running for the user). Its files stay where they are; stop it with ``kill <pid>``."""
        if self._proc is None or not self.running:
            raise EmulatorError("the emulator is not running")
        pid = self._proc.pid
        if self._finalizer is not None:
            self._finalizer.detach()
            self._finalizer = None
        self._proc = None
        self._workdir = Path(tempfile.mkdtemp(prefix="dd-emulator-"))  # close() spares files
        return pid

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def logs(self) -> str:
        """The process log so far (one line per request)."""
        try:
            return self.log_path.read_text(errors="replace")
        except FileNotFoundError:
            return ""

    def env(self) -> dict[str, str]:
        """Environment for a program that should talk to this emulator."""
        return {"DD_API_KEY": self.api_key, "DD_APP_KEY": self.app_key, "DD_HOST": self.url}

    def headers(self) -> dict[str, str]:
        """The auth headers a Datadog API call needs."""
        return {"DD-API-KEY": self.api_key, "DD-APPLICATION-KEY": self.app_key}

    # ---------------------------------------------------------- admin shortcuts
    def health(self) -> Health:
        return self.admin.health()

    def calls(
        self, method: str | None = None, path: str | None = None, *, clear: bool = False
    ) -> list[RecordedCall]:
        """Datadog-path calls received (oldest first); ``clear=True`` also empties the log."""
        return self.admin.calls(method, path, clear=clear)

    def clear_calls(self) -> None:
        self.admin.clear_calls()

    def faults(self) -> list[ActiveFault]:
        return self.admin.faults()

    def set_faults(
        self, *faults: FaultSpec | Mapping[str, Any], replace: bool = True, seed: int | None = None
    ) -> list[ActiveFault]:
        return self.admin.set_faults(*faults, replace=replace, seed=seed)

    def clear_faults(self) -> None:
        self.admin.clear_faults()

    def seed_flaky_tests(self, repository_id: str, count: int, **options: Any) -> SeededFlakyTests:
        return self.admin.seed_flaky_tests(repository_id, count, **options)

    def add_flaky_tests(self, *tests: FlakyTestSpec | Mapping[str, Any]) -> SeededFlakyTests:
        return self.admin.add_flaky_tests(*tests)

    def org_defaults(self) -> OrgDefaultsState:
        return self.admin.org_defaults()

    def set_org_defaults(
        self, *, pr_comments_mode: PrCommentsMode | None = None, **settings: bool
    ) -> OrgDefaultsState:
        return self.admin.set_org_defaults(pr_comments_mode=pr_comments_mode, **settings)

    def config(self) -> EmulatorConfig:
        return self.admin.config()

    def update_config(self, **fields: Any) -> EmulatorConfig:
        return self.admin.update_config(**fields)

    def reset(self) -> None:
        self.admin.reset()

    # ------------------------------------------------------------------ internals
    def _wait_until_healthy(self, port_file: Path) -> None:
        deadline = time.monotonic() + self.startup_timeout
        assert self._proc is not None
        while time.monotonic() < deadline:
            if (status := self._proc.poll()) is not None:
                self._proc = None
                raise EmulatorError(
                    f"the emulator exited during start-up (exit status {status}); "
                    f"its output ends with:\n{self._tail()}"
                )
            if port_file.exists():
                self.port = int(port_file.read_text())
                try:
                    httpx.get(f"{self.url}/_emulator/health", timeout=2.0).raise_for_status()
                    return
                except httpx.HTTPError:
                    pass
            time.sleep(0.02)
        self.stop()
        raise EmulatorError(
            f"the emulator did not become healthy within {self.startup_timeout}s; "
            f"its output ends with:\n{self._tail()}"
        )

    def _tail(self, lines: int = 30) -> str:
        return "\n".join(self.logs().splitlines()[-lines:])


def _terminate(proc: subprocess.Popen[bytes], timeout: float = 15.0) -> None:
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
