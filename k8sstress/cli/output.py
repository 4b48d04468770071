"""All terminal output of the CLI: one rich console for humans (stderr), stdout for data."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from rich.console import Console
from rich.progress import BarColumn, Progress, SpinnerColumn, TaskID, TextColumn, TimeElapsedColumn
from rich.table import Table

__all__ = ["console", "err", "info", "warn", "error", "artifact", "print_json", "print_table", "progress", "steps",
           "Table"]

console = Console(highlight=False, soft_wrap=True)
err = Console(stderr=True, highlight=False, soft_wrap=True)


def info(msg: str) -> None:
    err.print(msg)


def warn(msg: str) -> None:
    err.print(f"[yellow]warning:[/yellow] {msg}")


def error(msg: str) -> None:
    err.print(f"[bold red]error:[/bold red] {msg}")


def artifact(label: str, path: object) -> None:
    """Print the path of a file the command wrote (every artifact is named)."""
    err.print(f"[green]wrote[/green] {label}: {path}")


def print_json(obj: Any) -> None:
    sys.stdout.write(json.dumps(obj, indent=2, sort_keys=False, default=str) + "\n")
    sys.stdout.flush()


def print_table(table: Table) -> None:
    console.print(table)


@contextmanager
def progress(transient: bool = False) -> Iterator[Progress]:
    """A progress display on stderr (bars for long work; quiet when not a terminal)."""
    p = Progress(
        SpinnerColumn(),
        TextColumn("[progress.description]{task.description}"),
        BarColumn(),
        TextColumn("{task.completed}/{task.total}"),
        TimeElapsedColumn(),
        console=err,
        transient=transient,
    )
    with p:
        yield p


@contextmanager
def steps(transient: bool = False) -> Iterator[Callable[[str, int, int], None]]:
    """A progress display fed by ``on_progress(step, done, total)`` callbacks: one bar per step."""
    with progress(transient=transient) as p:
        tasks: dict[str, TaskID] = {}

        def on_progress(step: str, done: int, total: int) -> None:
            if step not in tasks:
                tasks[step] = p.add_task(step, total=total)
            p.update(tasks[step], completed=done, total=total)

        yield on_progress
