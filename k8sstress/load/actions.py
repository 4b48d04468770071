"""Timed scenario actions (``actions:``): things done to the cluster mid-run, such as losing a node.

Each action is a pydantic model registered in :data:`ACTIONS` under its ``action``
name, with an ``execute(ctx)`` that does its work through the :class:`~k8sstress.kube.Kube`
seam (synchronously; the session runs it in a worker thread) and returns a detail
mapping for the record.

    node-loss     a dedicated node is lost: cordoned and tainted NoExecute
                  (``k8sstress.io/node-lost``), so the real taint-eviction controller
                  evicts its pods (DisruptionTarget DeletionByTaintManager) once their
                  ``tolerationSeconds`` run out
    node-recover  the node comes back: taint removed, uncordoned
    add-node      one more node of a dedicated pool (resources free up)

Why a taint and not a NotReady node: on the sim cluster KWOK keeps every node's
Ready condition True (its node stages rewrite it at once), and the node lifecycle
controller removes the standard ``node.kubernetes.io/unreachable`` taint from a node
it sees Ready. The eviction path that follows the taint is the real one.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from k8sstress.errors import InputError
from k8sstress.kube import ApiError, Kube
from k8sstress.load.durations import Duration

__all__ = ["ActionSpec", "ActionContext", "ACTIONS", "register_action", "validate_action",
           "NodeLoss", "NodeRecover", "AddNode", "NODE_LOST_TAINT"]

NODE_LOST_TAINT = "k8sstress.io/node-lost"


@dataclass
class ActionContext:
    """What an action may touch: the cluster, the run's namespace and its dedicated nodes."""

    kube: Kube
    namespace: str
    run: str
    nodes: dict[str, list[str]] = field(default_factory=dict)
    """Dedicated pool name -> the node names created for this run."""
    make_node: Callable[[str], str] | None = None
    """Create one more node of a dedicated pool; returns its name (None when not available)."""

    def resolve_nodes(self, name: str, count: int) -> list[str]:
        """Node names for ``name``: a dedicated pool's nodes (the first ``count``) or a node name."""
        if name in self.nodes:
            return self.nodes[name][:count]
        return [name]


class ActionSpec(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True,
                              alias_generator=lambda name: name.replace("_", "-"))

    action: str
    at: Duration = Field(description="seconds after the run's start (scaled by --time-scale)")

    def execute(self, ctx: ActionContext) -> dict[str, Any]:  # pragma: no cover - overridden
        raise NotImplementedError


ACTIONS: dict[str, type[ActionSpec]] = {}


def register_action(name: str) -> Callable[[type[ActionSpec]], type[ActionSpec]]:
    def deco(cls: type[ActionSpec]) -> type[ActionSpec]:
        ACTIONS[name] = cls
        return cls
    return deco


def validate_action(value: object) -> ActionSpec:
    if isinstance(value, ActionSpec):
        return value
    if not isinstance(value, dict):
        raise ValueError("expected a mapping with an 'action' (one of: " + ", ".join(sorted(ACTIONS)) + ")")
    name = value.get("action")
    cls = ACTIONS.get(str(name)) if name is not None else None
    if cls is None:
        raise ValueError(f"unknown action {name!r}; choose one of: {', '.join(sorted(ACTIONS))}")
    return cls.model_validate(value)


def _patch_node(kube: Kube, node: str, mutate: Callable[[dict[str, Any]], dict[str, Any]]) -> None:
    for _ in range(5):
        obj = kube.get(f"/api/v1/nodes/{node}")
        body = mutate(obj)
        body.setdefault("metadata", {})["resourceVersion"] = obj["metadata"]["resourceVersion"]
        try:
            kube.patch(f"/api/v1/nodes/{node}", body)
            return
        except ApiError as exc:
            if exc.status != 409:
                raise
    raise InputError(f"could not update node {node}: it kept changing under us")


@register_action("node-loss")
class NodeLoss(ActionSpec):
    action: Literal["node-loss"] = "node-loss"
    node: str = Field(description="a dedicated pool name (setup.nodes) or a node name")
    count: int = Field(default=1, ge=1)

    def execute(self, ctx: ActionContext) -> dict[str, Any]:
        names = ctx.resolve_nodes(self.node, self.count)
        for name in names:
            def add(obj: dict[str, Any]) -> dict[str, Any]:
                taints = [t for t in (obj.get("spec") or {}).get("taints") or [] if t.get("key") != NODE_LOST_TAINT]
                taints.append({"key": NODE_LOST_TAINT, "value": ctx.run[:63], "effect": "NoExecute"})
                return {"spec": {"unschedulable": True, "taints": taints}}
            _patch_node(ctx.kube, name, add)
        return {"nodes": names, "taint": f"{NODE_LOST_TAINT}:NoExecute"}


@register_action("node-recover")
class NodeRecover(ActionSpec):
    action: Literal["node-recover"] = "node-recover"
    node: str
    count: int = Field(default=1, ge=1)

    def execute(self, ctx: ActionContext) -> dict[str, Any]:
        names = ctx.resolve_nodes(self.node, self.count)
        for name in names:
            def remove(obj: dict[str, Any]) -> dict[str, Any]:
                taints = [t for t in (obj.get("spec") or {}).get("taints") or [] if t.get("key") != NODE_LOST_TAINT]
                return {"spec": {"unschedulable": None, "taints": taints}}
            _patch_node(ctx.kube, name, remove)
        return {"nodes": names}


@register_action("add-node")
class AddNode(ActionSpec):
    action: Literal["add-node"] = "add-node"
    pool: str = Field(description="a dedicated pool name (setup.nodes)")
    count: int = Field(default=1, ge=1)

    def execute(self, ctx: ActionContext) -> dict[str, Any]:
        if ctx.make_node is None:
            raise InputError("add-node needs dedicated nodes, which only the sim backend provides")
        made = [ctx.make_node(self.pool) for _ in range(self.count)]
        return {"nodes": made}
