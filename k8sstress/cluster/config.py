"""Cluster shape files (``clusters/*.yaml``), validated with pydantic.

A bad file raises :class:`~k8sstress.errors.ConfigError` naming the file, the field
and the reason.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from k8sstress.errors import ConfigError

__all__ = ["ClusterConfig", "NodePool", "Taint", "ApiServer", "Prometheus", "load_cluster_config",
           "parse_quantity"]

_QUANTITY = re.compile(r"^([0-9.]+)(m|k|Ki|M|Mi|G|Gi|T|Ti|P|Pi|E|Ei)?$")
_SUFFIX = {None: 1, "m": 1e-3, "k": 1e3, "M": 1e6, "G": 1e9, "T": 1e12, "P": 1e15, "E": 1e18,
           "Ki": 2**10, "Mi": 2**20, "Gi": 2**30, "Ti": 2**40, "Pi": 2**50, "Ei": 2**60}


def parse_quantity(text: str | int | float) -> float:
    """A Kubernetes quantity ("500m", "8Gi", 4) as a float (cores or bytes)."""
    if isinstance(text, int | float):
        return float(text)
    m = _QUANTITY.match(str(text).strip())
    if not m:
        raise ValueError(f"not a Kubernetes quantity: {text!r}")
    return float(m.group(1)) * _SUFFIX[m.group(2)]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)


class Taint(_Model):
    key: str
    value: str = ""
    effect: Literal["NoSchedule", "PreferNoSchedule", "NoExecute"]


class NodePool(_Model):
    name: str = Field(pattern=r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
    count: int = Field(ge=0, le=10000)
    cpu: str = "4"
    memory: str = "8Gi"
    pods: int = Field(default=110, ge=1, le=10000)
    ephemeral_storage: str = Field(default="100Gi", alias="ephemeral-storage")
    labels: dict[str, str] = Field(default_factory=dict)
    taints: list[Taint] = Field(default_factory=list)
    eviction_hard_memory: str = Field(default="100Mi", alias="eviction-hard-memory")
    """The kubelet's evictionHard memory.available threshold the pressure model applies."""

    @field_validator("cpu", "memory", "ephemeral_storage", "eviction_hard_memory", mode="before")
    @classmethod
    def _quantity(cls, v: object) -> str:
        parse_quantity(v)  # type: ignore[arg-type]
        return str(v)


class ApiServer(_Model):
    max_requests_inflight: int = Field(default=400, ge=1, alias="max-requests-inflight")
    max_mutating_requests_inflight: int = Field(default=200, ge=1, alias="max-mutating-requests-inflight")
    extra_args: dict[str, str] = Field(default_factory=dict, alias="extra-args")


class Prometheus(_Model):
    enabled: bool = False
    port: int = Field(default=0, ge=0, le=65535)
    """0 picks a free port."""


class ControllerManager(_Model):
    node_monitor_grace_period: str = Field(default="40s", alias="node-monitor-grace-period")
    extra_args: dict[str, str] = Field(default_factory=dict, alias="extra-args")


class ClusterConfig(_Model):
    name: str = Field(default="k8sstress", pattern=r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$", max_length=40)
    backend: Literal["sim", "kind", "existing"] = "sim"
    node_pools: list[NodePool] = Field(default_factory=lambda: [NodePool(name="pool", count=3)],
                                       alias="node-pools")
    apiserver: ApiServer = Field(default_factory=ApiServer)
    controller_manager: ControllerManager = Field(default_factory=ControllerManager, alias="controller-manager")
    prometheus: Prometheus = Field(default_factory=Prometheus)
    kind_config: str | None = Field(default=None, alias="kind-config")
    """For backend kind: the kind cluster file (relative to this file)."""
    context: str | None = None
    """For backend existing: the kubeconfig context."""
    source: str | None = Field(default=None, exclude=True)

    @property
    def nodes_total(self) -> int:
        return sum(p.count for p in self.node_pools)


def _field_path(loc: tuple[object, ...]) -> str:
    return ".".join(str(p) for p in loc)


def load_cluster_config(path: str | Path) -> ClusterConfig:
    """Read and validate a cluster file; errors name the file, the field and why."""
    p = Path(path)
    try:
        text = p.read_text()
    except OSError as exc:
        raise ConfigError(f"cannot read cluster file: {exc.strerror}", path=str(p)) from exc
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        raise ConfigError(f"not valid YAML: {getattr(exc, 'problem', exc)}", path=str(p),
                          line=(mark.line + 1) if mark else None) from exc
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise ConfigError("expected a mapping at the top level", path=str(p))
    try:
        cfg = ClusterConfig.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        raise ConfigError(first["msg"], path=str(p), field=_field_path(first["loc"]),
                          hint=f"{len(exc.errors())} problem(s) in all; see docs/clusters.md") from exc
    return cfg.model_copy(update={"source": str(p)})
