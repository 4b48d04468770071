"""The one exception tree of k8sstress.

    K8sStressError                 base; the CLI maps every subclass to an exit code
    ├── InputError                 bad file, field or argument                  -> exit 1
    │   └── ConfigError            a cluster/scenario/template file is invalid   -> exit 1
    ├── EnvironmentProblem         a tool, port or toolchain is missing/busy     -> exit 1
    │   └── BuildError             a control-plane binary failed to build        -> exit 1
    ├── ClusterError               the cluster failed to come up / was lost      -> exit 4
    ├── RunTimeout                 the run did not finish in time                -> exit 2
    ├── SLOFailed                  an SLO in the scenario failed                 -> exit 3
    └── RunAborted                 a signal or lost cluster aborted the run      -> exit 4

Library code raises these and never exits the process.
"""

from __future__ import annotations

__all__ = [
    "K8sStressError",
    "InputError",
    "ConfigError",
    "EnvironmentProblem",
    "BuildError",
    "ClusterError",
    "RunTimeout",
    "SLOFailed",
    "RunAborted",
]


class K8sStressError(Exception):
    """Base of every error k8sstress raises on purpose."""

    exit_code: int = 1

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint


class InputError(K8sStressError):
    """A file, field or argument given by the user is wrong."""

    exit_code = 1


class ConfigError(InputError):
    """A configuration file (cluster, scenario, template) is invalid.

    ``path`` and ``field`` name where; the message says why.
    """

    def __init__(self, message: str, *, path: str | None = None, field: str | None = None,
                 line: int | None = None, hint: str | None = None) -> None:
        where = path or "<input>"
        if line is not None:
            where += f":{line}"
        if field:
            where += f": field '{field}'"
        super().__init__(f"{where}: {message}", hint=hint)
        self.path = path
        self.field = field
        self.line = line


class EnvironmentProblem(K8sStressError):
    """Something on this machine is missing or busy (Go toolchain, Docker engine, a port)."""

    exit_code = 1


class BuildError(EnvironmentProblem):
    """A step of building the control-plane binaries failed."""


class ClusterError(K8sStressError):
    """The cluster could not be brought up, reached or torn down."""

    exit_code = 4


class RunTimeout(K8sStressError):
    exit_code = 2


class SLOFailed(K8sStressError):
    exit_code = 3


class RunAborted(K8sStressError):
    exit_code = 4
