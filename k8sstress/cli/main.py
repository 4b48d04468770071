"""Entry point: ``main(argv) -> int`` and the one handler mapping errors to exit codes."""

from __future__ import annotations

import argparse
import importlib
import logging
import sys
from collections.abc import Callable, Sequence

from k8sstress import errors
from k8sstress.cli import output

__all__ = ["main", "entry", "COMMAND_MODULES"]

# Each module defines ``register(subparsers)`` which adds its parser and sets ``func``.
COMMAND_MODULES = (
    "cluster",
    "classify",
    "run",
    "demo",
    "report",
    "runner",
    "bench",
)
# Command names a module registers when they differ from the module's name.
_MODULE_OF = {"runbook": "report", "compare": "report"}

DESCRIPTION = """\
k8sstress floods a Kubernetes job runner with Batch and Online launches (with and
without resource limits), watches every pod, gives every launch an outcome and records
how the runner reacts when the cluster runs out of resources.

Start here:
  k8sstress demo                      sim cluster + reference runner + exhaustion suite
  k8sstress cluster up                a local control plane with simulated nodes
  k8sstress classify pods.json        why did these pods fail? (no cluster needed)

Exit codes: 0 ok, 1 usage or input error, 2 timed out, 3 an SLO failed,
4 aborted (signal, lost cluster; the partial record is still written).
"""


def _wanted(argv: Sequence[str]) -> tuple[str, ...]:
    """Only the command module that ``argv`` names (imports stay cheap); all for help."""
    for arg in argv:
        if arg.startswith("-"):
            continue
        module = _MODULE_OF.get(arg, arg)
        return (module,) if module in COMMAND_MODULES else COMMAND_MODULES
    return COMMAND_MODULES


def build_parser(modules: Sequence[str] = COMMAND_MODULES) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="k8sstress",
        description=DESCRIPTION,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="log debug details to stderr")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in modules:
        try:
            module = importlib.import_module(f"k8sstress.cli.commands.{name}")
        except ModuleNotFoundError as exc:
            if exc.name == f"k8sstress.cli.commands.{name}":
                continue  # a command not built yet
            raise
        module.register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    parser = build_parser(_wanted(argv))
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.WARNING,
        format="%(asctime)s %(name)s %(levelname)s %(message)s",
    )
    func: Callable[[argparse.Namespace], int] | None = getattr(args, "func", None)
    if func is None:
        parser.print_help()
        return 1
    try:
        return int(func(args) or 0)
    except errors.K8sStressError as exc:
        output.error(exc.message)
        if exc.hint:
            output.err.print(f"  hint: {exc.hint}")
        return exc.exit_code
    except KeyboardInterrupt:
        output.error("interrupted")
        return 130
    except BrokenPipeError:
        return 0


def entry() -> None:
    sys.exit(main())
