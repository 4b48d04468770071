"""Cluster backends: each gives a kubeconfig for a cluster to stress.

``sim`` (default): real kube-apiserver, kube-controller-manager, kube-scheduler and
etcd built from Go modules, with KWOK-simulated nodes, run by kwokctl's binary runtime.
``kind``: for users with a Docker engine. ``existing``: a kubeconfig context behind a
guard. Binary provisioning (``deps``) and cluster files (``config``) live here too.
Backends register themselves in :data:`k8sstress.cluster.backends.BACKENDS`.
"""

from k8sstress.cluster.backends import BACKENDS, Backend, ClusterInfo, get_backend
from k8sstress.cluster.config import ClusterConfig, NodePool, load_cluster_config

__all__ = ["BACKENDS", "Backend", "ClusterInfo", "get_backend", "ClusterConfig", "NodePool",
           "load_cluster_config"]
