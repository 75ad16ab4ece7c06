"""Command line and server loop of the emulator.

    python -m pulumi_datadog_testing.emulator --host 127.0.0.1 --port 8711 \\
        --api-key K --app-key K [--db state.sqlite] [--pr-comments-mode seeds|current] \\
        [--bulk-max N] [--rate-limit N --rate-limit-period S] [--max-body-bytes N] [--quiet]

(also ``pulumi-datadog-testing emulator ...``). Serves with uvicorn on one worker, one log
line per request, and stops cleanly on Ctrl-C / SIGTERM (in-flight requests finish, the
SQLite file is closed). Keys may come from ``DD_EMULATOR_API_KEY`` /
``DD_EMULATOR_APP_KEY`` instead of the command line; key values are never logged.

The default port, 8711, is one no Datadog component uses (the Agent takes 8125 for
DogStatsD, 8126 for APM, 5000–5012 for its own endpoints, 6062/6162 for the process agent).
A start-up problem — the port in use, a database that is corrupt, not SQLite, locked by
another process or in a place that cannot be written — is one line on stderr saying what
to do, and exit status 1 (2 for a bad command line).
"""

from __future__ import annotations

import argparse
import contextlib
import errno
import logging
import os
import signal
import socket
import sys
import threading
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from ..heap import settle_garbage_collector
from .admin_models import EmulatorConfigPatch, RateLimitConfig
from .guard import DEFAULT_MAX_BODY_BYTES, is_loopback
from .store import MEMORY, StoreError

__all__ = ["DEFAULT_PORT", "StartupError", "build_parser", "main", "serve"]

logger = logging.getLogger("pulumi_datadog_testing.emulator")

DEFAULT_PORT = 8711
API_KEY_ENV = "DD_EMULATOR_API_KEY"
APP_KEY_ENV = "DD_EMULATOR_APP_KEY"
BEARER_TOKEN_ENV = "DD_EMULATOR_BEARER_TOKEN"


def build_parser(
    prog: str = "python -m pulumi_datadog_testing.emulator",
) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog=prog,
        description="A local Datadog API for Test Optimization settings, flaky tests and "
        "Synthetics suites, with an admin surface under /_emulator/.",
    )
    add_arguments(parser)
    return parser


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The emulator's options (shared by ``python -m`` and the console script)."""
    parser.add_argument("--host", default="127.0.0.1", help="loopback address (default 127.0.0.1)")
    parser.add_argument(
        "--port",
        type=_port,
        default=DEFAULT_PORT,
        help=f"0 picks a free port (default {DEFAULT_PORT})",
    )
    parser.add_argument(
        "--api-key",
        default=os.environ.get(API_KEY_ENV),
        help=f"accepted DD-API-KEY (or ${API_KEY_ENV}; unset: any non-empty key)",
    )
    parser.add_argument(
        "--app-key",
        default=os.environ.get(APP_KEY_ENV),
        help=f"accepted DD-APPLICATION-KEY (or ${APP_KEY_ENV}; unset: any non-empty key)",
    )
    parser.add_argument(
        "--bearer-token",
        default=os.environ.get(BEARER_TOKEN_ENV),
        help=f"accepted 'Authorization: Bearer' token (or ${BEARER_TOKEN_ENV}; unset: any "
        "non-empty token when no key is set either)",
    )
    parser.add_argument(
        "--db", default=MEMORY, help="SQLite file for the state (default: in memory)"
    )
    parser.add_argument(
        "--pr-comments-mode",
        choices=("seeds", "current"),
        help="seeds: pr_comments_enabled is applied per service; current: ignored (inherited)",
    )
    parser.add_argument(
        "--rate-limit", type=_positive_int, help="requests per period per rate-limit name"
    )
    parser.add_argument(
        "--rate-limit-period", type=_positive_int, help="rate-limit window in seconds"
    )
    parser.add_argument(
        "--bulk-max",
        "--max-bulk-tests",
        dest="max_bulk_tests",
        type=_positive_int,
        help="max tests per bulk flaky-test state PATCH (default 1000)",
    )
    parser.add_argument(
        "--max-body-bytes",
        type=int,
        default=DEFAULT_MAX_BODY_BYTES,
        help=f"larger request bodies get a 413 (default {DEFAULT_MAX_BODY_BYTES:,})",
    )
    parser.add_argument("--port-file", type=Path, help="write the bound port to this file")
    parser.add_argument("--quiet", action="store_true", help="no per-request log lines")
    parser.add_argument(
        "--allow-non-loopback",
        action="store_true",
        help="allow --host to be a non-loopback address (the emulator has no real security)",
    )


def _port(text: str) -> int:
    """A TCP port for argparse: a usage error (one line, exit 2) instead of a traceback."""
    value = _whole_number(text)
    if not 0 <= value <= 65535:
        raise argparse.ArgumentTypeError(f"expected a port 0-65535 (0: a free one), got {text}")
    return value


def _positive_int(text: str) -> int:
    value = _whole_number(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a whole number >= 1, got {text}")
    return value


def _whole_number(text: str) -> int:
    try:
        return int(text, 10)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None


class StartupError(RuntimeError):
    """The emulator cannot start; the message is one line saying what to do."""


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return run(args)


def run(args: argparse.Namespace) -> int:
    """Serve until interrupted; the exit status."""
    logging.basicConfig(
        level=logging.WARNING if args.quiet else logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )
    if not args.allow_non_loopback and not is_loopback(args.host):
        return _fail(
            f"refusing to listen on {args.host}: use a loopback address (127.0.0.1, ::1, "
            "localhost) or pass --allow-non-loopback",
            status=2,
        )
    if args.max_body_bytes < 1:
        return _fail(f"--max-body-bytes must be at least 1, got {args.max_body_bytes}", status=2)
    overrides = EmulatorConfigPatch(
        pr_comments_mode=args.pr_comments_mode,
        max_bulk_tests=args.max_bulk_tests,
        rate_limit=_rate_limit(args),
    )
    try:
        serve(
            host=args.host,
            port=args.port,
            api_key=args.api_key or None,
            app_key=args.app_key or None,
            bearer_token=args.bearer_token or None,
            db=args.db,
            overrides=overrides,
            port_file=args.port_file,
            max_body_bytes=args.max_body_bytes,
        )
    except (StartupError, StoreError) as exc:
        return _fail(str(exc))
    return 0


def _fail(message: str, *, status: int = 1) -> int:
    print(f"emulator: error: {message}", file=sys.stderr)
    return status


def serve(
    *,
    host: str,
    port: int,
    api_key: str | None,
    app_key: str | None,
    db: str,
    bearer_token: str | None = None,
    overrides: EmulatorConfigPatch,
    port_file: Path | None = None,
    max_body_bytes: int = DEFAULT_MAX_BODY_BYTES,
) -> None:
    """Bind, open the state, serve with uvicorn, return after a clean shutdown.

    ``StartupError`` (port) or ``StoreError`` (database): nothing was served."""
    import uvicorn

    from .app import create_app
    from .state import EmulatorOptions

    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = _bind(family, host, port)
    try:
        app = create_app(
            EmulatorOptions(
                api_key=api_key,
                app_key=app_key,
                bearer_token=bearer_token,
                db=db,
                config_overrides=overrides,
                max_body_bytes=max_body_bytes,
                listen_host=host,
            )
        )
    except BaseException:
        sock.close()
        raise
    settle_garbage_collector()  # modules and the loaded state: out of every later GC pass
    bound = sock.getsockname()[1]
    if port_file is not None:
        tmp = port_file.with_suffix(port_file.suffix + ".tmp")
        tmp.write_text(str(bound))
        tmp.replace(port_file)
    keys = "configured keys" if api_key and app_key else "any non-empty keys"
    if bearer_token:
        keys += " or the configured bearer token"
    logger.info(
        "Datadog API emulator on http://%s:%d (state: %s; accepting %s)",
        host if family == socket.AF_INET else f"[{host}]",
        bound,
        db,
        keys,
    )
    config = uvicorn.Config(
        app,
        log_config=None,
        access_log=False,
        proxy_headers=False,
        server_header=False,
        lifespan="on",
        timeout_graceful_shutdown=3,
        # Longer than clients keep idle connections (httpx: 5 s), so a client never sends on
        # a connection the server is closing at that moment ("Server disconnected without
        # sending a response" under load with uvicorn's default of 5 s).
        timeout_keep_alive=65,
    )
    _server_class()(config).run(sockets=[sock])
    logger.info("emulator stopped")


def _server_class() -> type[Any]:
    """uvicorn's server, ending with exit status 0 after a graceful Ctrl-C/SIGTERM shutdown.

    uvicorn re-raises the caught signal once it has shut down, which kills the process
    with -SIGTERM (or a KeyboardInterrupt traceback) before our own clean-up and log line.
    """
    import uvicorn

    class Server(uvicorn.Server):
        @contextlib.contextmanager
        def capture_signals(self) -> Iterator[None]:
            if threading.current_thread() is not threading.main_thread():
                yield
                return
            handled = (signal.SIGINT, signal.SIGTERM)
            originals = {sig: signal.signal(sig, self.handle_exit) for sig in handled}
            try:
                yield
            finally:
                for sig, handler in originals.items():
                    signal.signal(sig, handler)

    return Server


def _rate_limit(args: argparse.Namespace) -> RateLimitConfig | None:
    if args.rate_limit is None and args.rate_limit_period is None:
        return None
    defaults = RateLimitConfig()
    return RateLimitConfig(
        limit=args.rate_limit or defaults.limit,
        period_seconds=args.rate_limit_period or defaults.period_seconds,
    )


def _bind(family: socket.AddressFamily, host: str, port: int) -> socket.socket:
    """A listening-ready TCP socket on ``host:port``, or a ``StartupError`` saying what to do."""
    # proto=IPPROTO_TCP matters: asyncio only sets TCP_NODELAY on accepted sockets whose
    # proto says TCP; without it every answer (headers, then body) waits ~40 ms for the
    # client's delayed ACK (Nagle), capping a keep-alive client at ~25 requests/s.
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError as exc:
        sock.close()
        where = f"{host}:{port}" if family == socket.AF_INET else f"[{host}]:{port}"
        if exc.errno == errno.EADDRINUSE:
            raise StartupError(
                f"port {port} on {host} is already in use — stop the program using it, or "
                "pass another --port (--port 0 picks a free one)"
            ) from None
        if exc.errno == errno.EACCES:
            raise StartupError(
                f"no permission to listen on {where} — pass a --port above 1023"
            ) from None
        detail = exc.strerror or str(exc)
        raise StartupError(
            f"cannot listen on {where} ({detail}) — check --host and --port"
        ) from None
    return sock
