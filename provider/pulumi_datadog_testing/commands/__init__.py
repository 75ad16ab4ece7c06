"""Subcommands of the ``pulumi-datadog-testing`` console script, one module each.

Each module exposes ``NAME`` (the subcommand), ``HELP`` (one line for ``--help``),
``add_arguments(parser)`` and ``run(args) -> int`` (the exit code). ``cli.py`` lists the
modules in ``COMMANDS`` and imports a module's heavy dependencies only when it runs.
"""
