"""The ``existing`` backend: a cluster someone else runs, named by a kubeconfig context.

A stress run against production is an accident, so a context is refused unless the
user allows it by name (``--allow-context NAME``). Nothing is created or deleted.
"""

from __future__ import annotations

import os
from collections.abc import Callable

from k8sstress.cluster.backends import ClusterInfo, forget_state, register, save_state
from k8sstress.cluster.config import ClusterConfig
from k8sstress.cluster.sim import count_ready
from k8sstress.errors import ClusterError, ConfigError, InputError
from k8sstress.kube import Kube

__all__ = ["ExistingBackend", "check_context_allowed"]


def check_context_allowed(context: str | None, allowed: str | None) -> str:
    if not context:
        raise ConfigError("backend existing needs a kubeconfig context ('context:' or --context)", field="context")
    if allowed != context:
        raise InputError(
            f"refusing to stress kubeconfig context {context!r}: it was not explicitly allowed",
            hint=f"if this cluster is meant for load tests, pass --allow-context {context}")
    return context


class ExistingBackend:
    name = "existing"
    allow_context: str | None = None

    def up(self, config: ClusterConfig, *, on_progress: Callable[[str, int, int], None] | None = None,
           wait_s: float = 300) -> ClusterInfo:
        context = check_context_allowed(config.context, self.allow_context)
        kubeconfig = os.environ.get("KUBECONFIG", os.path.expanduser("~/.kube/config")).split(os.pathsep)[0]
        try:
            nodes = Kube(kubeconfig, context=context).get("/api/v1/nodes")["items"]
        except ClusterError as exc:
            raise ClusterError(f"context {context!r} is not reachable: {exc.message}") from exc
        info = ClusterInfo(backend="existing", name=config.name, kubeconfig=kubeconfig, context=context,
                           running=True, nodes_total=len(nodes), nodes_ready=count_ready(nodes),
                           config_file=config.source)
        save_state(info)
        return info

    def down(self, name: str) -> None:
        forget_state(name)  # never touches the cluster itself

    def status(self, name: str) -> ClusterInfo:
        from k8sstress.cluster.backends import load_state

        info = load_state(name)
        if info is None:
            return ClusterInfo(backend="existing", name=name, kubeconfig="")
        try:
            nodes = Kube(info.kubeconfig, context=info.context).get("/api/v1/nodes")["items"]
            info.nodes_total, info.nodes_ready, info.running = len(nodes), count_ready(nodes), True
        except ClusterError as exc:
            info.running = False
            info.details["error"] = exc.message
        return info


register("existing")(ExistingBackend)
