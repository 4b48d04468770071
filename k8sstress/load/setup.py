"""A run's setup on the cluster: its namespace, setup objects, dedicated nodes; and their teardown.

Through the :class:`~k8sstress.kube.Kube` seam, synchronously. The Node manifest
builder is a parameter (the sim backend owns what a simulated node looks like).
Dedicated nodes carry the label ``k8sstress.io/dedicated=<pin>`` and the taint
``k8sstress.io/dedicated-<pin>:NoSchedule``; the run's pods select and tolerate them
(:func:`~k8sstress.load.launches.render_launch_pod`), so a run on a shared cluster
only touches its own nodes.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from k8sstress.errors import ClusterError, InputError
from k8sstress.kube import ApiError, Kube
from k8sstress.load.launches import DEDICATED_LABEL, DEDICATED_TAINT_PREFIX
from k8sstress.load.scenario import SETUP_KINDS
from k8sstress.records import RUN_LABEL, RawObject

__all__ = ["SETUP_KINDS", "object_path", "RunSetup", "NodeBuilder", "POOL_LABEL", "is_sim_cluster"]

POOL_LABEL = "k8sstress.io/pool"
SIM_NODE_ANNOTATION = "kwok.x-k8s.io/node"

NodeBuilder = Callable[[dict[str, Any], int], RawObject]
"""``build(pool, index)``: a Node manifest for one node of a pool (a mapping like NodeSpec's fields)."""


def object_path(obj: RawObject, namespace: str) -> tuple[str, bool]:
    """The collection path for ``obj``'s kind (and whether it is namespaced)."""
    kind = obj.get("kind")
    if kind not in SETUP_KINDS:
        raise InputError(f"setup object kind {kind!r} is not supported; use one of: {', '.join(SETUP_KINDS)}")
    api_version, plural, namespaced = SETUP_KINDS[str(kind)]
    base = "/api/v1" if api_version == "v1" else f"/apis/{api_version}"
    return (f"{base}/namespaces/{namespace}/{plural}" if namespaced else f"{base}/{plural}"), namespaced


def is_sim_cluster(kube: Kube) -> bool:
    """True when the cluster's nodes are KWOK-simulated (the sim backend)."""
    try:
        nodes = kube.get("/api/v1/nodes", limit=5).get("items") or []
    except ApiError:
        return False
    return any((n.get("metadata", {}).get("annotations") or {}).get(SIM_NODE_ANNOTATION) for n in nodes)


@dataclass
class RunSetup:
    """Creates a run's namespace, objects and nodes, remembers them, and removes them."""

    kube: Kube
    namespace: str
    run: str
    pin: str
    created_namespace: bool = False
    objects: list[str] = field(default_factory=list)
    """Paths of the cluster-scoped objects created (namespaced ones go with the namespace)."""
    nodes: dict[str, list[str]] = field(default_factory=dict)
    node_specs: dict[str, dict[str, Any]] = field(default_factory=dict)
    build_node: NodeBuilder | None = None

    def create_namespace(self, wait_s: float = 30.0) -> None:
        body = {"apiVersion": "v1", "kind": "Namespace",
                "metadata": {"name": self.namespace, "labels": {RUN_LABEL: self.run[:63]}}}
        try:
            self.kube.create("/api/v1/namespaces", body)
            self.created_namespace = True
        except ApiError as exc:
            if exc.status != 409:
                raise
        deadline = time.monotonic() + wait_s
        while True:  # pods are refused until the namespace's default service account exists
            try:
                self.kube.get(f"/api/v1/namespaces/{self.namespace}/serviceaccounts/default")
                return
            except ApiError as exc:
                if exc.status != 404 or time.monotonic() > deadline:
                    raise
            time.sleep(0.2)

    def apply_objects(self, objects: list[RawObject], wait_s: float = 15.0) -> list[str]:
        """Create each object; wait for ResourceQuotas to be counted (admission enforces them then)."""
        done = []
        for obj in objects:
            path, namespaced = object_path(obj, self.namespace)
            body = dict(obj)
            body["metadata"] = {**(obj.get("metadata") or {}),
                                "labels": {**((obj.get("metadata") or {}).get("labels") or {}), RUN_LABEL: self.run[:63]}}
            if namespaced:
                body["metadata"]["namespace"] = self.namespace
            created = self.kube.create(path, body)
            name = created["metadata"]["name"]
            if not namespaced:
                self.objects.append(f"{path}/{name}")
            done.append(f"{obj['kind']}/{name}")
            if obj.get("kind") == "ResourceQuota":
                deadline = time.monotonic() + wait_s
                while time.monotonic() < deadline:
                    q = self.kube.get(f"{path}/{name}")
                    if (q.get("status") or {}).get("hard"):
                        break
                    time.sleep(0.2)
        return done

    def create_nodes(self, specs: list[dict[str, Any]], wait_s: float = 60.0) -> dict[str, list[str]]:
        """Create every dedicated pool's nodes and wait until they are Ready."""
        if not specs:
            return {}
        if self.build_node is None:
            raise InputError("dedicated nodes (setup.nodes) need the sim backend")
        if not is_sim_cluster(self.kube):
            raise InputError("dedicated nodes (setup.nodes) need a sim cluster (KWOK nodes); this one has real nodes",
                             hint="run without --kubeconfig (the run brings up a sim cluster), or drop setup.nodes")
        for spec in specs:
            self.node_specs[spec["name"]] = spec
            for _ in range(int(spec.get("count", 1))):
                self.add_node(spec["name"], wait=False)
        self.wait_ready([n for names in self.nodes.values() for n in names], wait_s)
        return self.nodes

    def add_node(self, pool: str, wait: bool = True) -> str:
        spec = self.node_specs.get(pool)
        if spec is None or self.build_node is None:
            raise InputError(f"no dedicated pool {pool!r} in this run")
        names = self.nodes.setdefault(pool, [])
        index = len(names)
        name = f"{pool}-{self.pin}-{index}"[:63].rstrip("-")
        manifest = self.build_node({**spec, "name": pool}, index)
        md = manifest.setdefault("metadata", {})
        md["name"] = name
        md.setdefault("labels", {}).update({"kubernetes.io/hostname": name, DEDICATED_LABEL: self.pin,
                                            POOL_LABEL: pool, RUN_LABEL: self.run[:63]})
        md.setdefault("annotations", {}).update(spec.get("annotations") or {})
        taints = list((manifest.get("spec") or {}).get("taints") or [])
        taints.append({"key": f"{DEDICATED_TAINT_PREFIX}{self.pin}", "value": "", "effect": "NoSchedule"})
        manifest.setdefault("spec", {})["taints"] = taints
        self.kube.create("/api/v1/nodes", manifest)
        names.append(name)
        if wait:
            self.wait_ready([name], 60.0)
        return name

    def wait_ready(self, names: list[str], wait_s: float) -> None:
        deadline = time.monotonic() + wait_s
        pending = set(names)
        while pending:
            for name in list(pending):
                try:
                    node = self.kube.get(f"/api/v1/nodes/{name}")
                except ApiError:
                    continue
                if any(c.get("type") == "Ready" and c.get("status") == "True"
                       for c in (node.get("status") or {}).get("conditions") or []):
                    pending.discard(name)
            if not pending:
                return
            if time.monotonic() > deadline:
                raise ClusterError(f"dedicated nodes not Ready within {wait_s:.0f}s: {', '.join(sorted(pending))}")
            time.sleep(0.2)

    def teardown(self) -> list[str]:
        """Remove what this run created (namespace, dedicated nodes, cluster-scoped objects); problems listed."""
        problems = []
        if self.created_namespace:
            try:
                self.kube.delete(f"/api/v1/namespaces/{self.namespace}")
            except (ApiError, ClusterError) as exc:
                if not (isinstance(exc, ApiError) and exc.status == 404):
                    problems.append(f"namespace {self.namespace}: {exc.message}")
        else:  # a namespace we were given: remove only what carries this run's label
            selector = f"{RUN_LABEL}={self.run[:63]}"
            for path in (f"/apis/batch/v1/namespaces/{self.namespace}/jobs",
                         f"/apis/apps/v1/namespaces/{self.namespace}/deployments",
                         f"/api/v1/namespaces/{self.namespace}/pods"):
                try:
                    self.kube.delete(path, labelSelector=selector, propagationPolicy="Background")
                except (ApiError, ClusterError) as exc:
                    problems.append(f"{path}: {exc.message}")
        for path in self.objects:
            try:
                self.kube.delete(path)
            except (ApiError, ClusterError) as exc:
                problems.append(f"{path}: {exc.message}")
        for names in self.nodes.values():
            for name in names:
                try:
                    self.kube.delete(f"/api/v1/nodes/{name}")
                except (ApiError, ClusterError) as exc:
                    if not (isinstance(exc, ApiError) and exc.status == 404):
                        problems.append(f"node {name}: {exc.message}")
        return problems
