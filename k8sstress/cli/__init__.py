"""The ``k8sstress`` command: thin. Parses arguments, calls the parts, prints.

One module per command under ``commands/``; each registers itself with
:func:`k8sstress.cli.main.command` and returns an exit code. All terminal output goes
through :mod:`k8sstress.cli.output`. Errors are mapped to exit codes in one handler.
"""
