"""The observer on the sim cluster: real kube-apiserver, scheduler, Job controller, quota admission.

Every test watches its own namespace, makes Kubernetes do something to pods, and
checks the outcome the observer gives (live), the timeline behind it, and that a
replay of the recording says the same. Watch interruptions are real: a 410 Gone from
a too-old resourceVersion, and TCP connections cut by a relay between the observer
and the apiserver.
"""

from __future__ import annotations

import socket
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from k8sstress.kube import Kube
from k8sstress.observe import Observer, replay
from k8sstress.records import LAUNCH_ID_LABEL, Outcome, Verdict
from tests.conftest import dedicated_spec, wait_for

WATCH_TIMEOUT_S = 8  # short, so watcher threads end soon after a test stops its observer


def _pod(name: str, *, resources: dict[str, Any] | None = None, spec: dict[str, Any] | None = None,
         launch: str | None = None) -> dict[str, Any]:
    container: dict[str, Any] = {"name": "app", "image": "registry.example/node-runner:1"}
    if resources is not None:
        container["resources"] = resources
    labels = {"app": "observe-test"}
    if launch:
        labels[LAUNCH_ID_LABEL] = launch
    return {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name, "labels": labels},
            "spec": {"containers": [container], "restartPolicy": "Never", "terminationGracePeriodSeconds": 0,
                     **(spec or {})}}


def _job(name: str, launch: str) -> dict[str, Any]:
    return {"apiVersion": "batch/v1", "kind": "Job",
            "metadata": {"name": name, "labels": {LAUNCH_ID_LABEL: launch}},
            "spec": {"backoffLimit": 0, "template": {
                "metadata": {"labels": {LAUNCH_ID_LABEL: launch}},
                "spec": {"restartPolicy": "Never",
                         "containers": [{"name": "app", "image": "registry.example/node-runner:1",
                                         "resources": {"requests": {"cpu": "100m", "memory": "64Mi"},
                                                       "limits": {"cpu": "100m", "memory": "64Mi"}}}]}}}}


class Watching:
    """An observer on one namespace, recording to a file, with helpers to wait for outcomes."""

    def __init__(self, kube: Kube, namespace: str, record: Path, **kw: Any) -> None:
        self.namespace = namespace
        self.record = record
        self.live: dict[str, Verdict] = {}
        self._lock = threading.Lock()
        self.observer = Observer(kube, namespace=namespace, record=record, on_verdict=self._on_verdict,
                                 timeout_s=WATCH_TIMEOUT_S, backoff_max_s=1.0, **kw)

    def _on_verdict(self, v: Verdict, _ev: Any) -> None:
        with self._lock:
            self.live[v.name] = v

    def start(self) -> Watching:
        self.observer.start()
        assert self.observer.wait_synced(30), "the observer did not list in 30 s"
        return self

    def outcome(self, name: str, outcome: Outcome, timeout: float = 30) -> Verdict:
        def reached() -> Verdict | None:
            with self._lock:
                v = self.live.get(name)
            return v if v is not None and v.outcome is outcome else None

        got = wait_for(reached, timeout, what=f"{name} {outcome.value} (last: {self.live.get(name)})")
        assert isinstance(got, Verdict)
        return got

    def stop(self) -> None:
        self.observer.stop()

    def replayed(self) -> dict[str, Verdict]:
        return {v.name: v for v in replay(self.record).verdicts()}


@pytest.fixture
def watching(kube: Kube, namespace: str, tmp_path: Path) -> Iterator[Callable[..., Watching]]:
    started: list[Watching] = []

    def start(kube_: Kube | None = None, **kw: Any) -> Watching:
        w = Watching(kube_ or kube, namespace, tmp_path / f"observer-{len(started)}.jsonl", **kw)
        started.append(w)
        return w.start()

    yield start
    for w in started:
        w.stop()


def _create(kube: Kube, ns: str, obj: dict[str, Any]) -> dict[str, Any]:
    path = f"/apis/batch/v1/namespaces/{ns}/jobs" if obj["kind"] == "Job" else f"/api/v1/namespaces/{ns}/pods"
    return kube.create(path, obj)


def _same_after_replay(w: Watching) -> None:
    w.stop()
    live = {v.name: v.as_json() for v in w.observer.verdicts()}
    assert {n: v.as_json() for n, v in w.replayed().items()} == live


# --- outcomes ------------------------------------------------------------------------------------


def test_unschedulable_for_cpu_and_memory(kube: Kube, namespace: str, watching: Callable[..., Watching]) -> None:
    w = watching()
    _create(kube, namespace, _pod("too-much-cpu", resources={"requests": {"cpu": "1000"}}))
    _create(kube, namespace, _pod("too-much-memory", resources={"requests": {"memory": "100Ti"}}))
    cpu = w.outcome("too-much-cpu", Outcome.UNSCHEDULABLE)
    mem = w.outcome("too-much-memory", Outcome.UNSCHEDULABLE)
    assert "Insufficient cpu" in cpu.detail["reasons"]
    assert "Insufficient memory" in mem.detail["reasons"]
    assert cpu.detail["nodes_total"] >= 3
    assert cpu.detail["message"].startswith("0/")
    [h] = [h for h in w.observer.histories() if h.name == "too-much-cpu"]
    entry = next(e for e in h.timeline if e.what == "PodScheduled=False/Unschedulable")
    assert entry.at is not None and entry.seen >= entry.at - 1
    _same_after_replay(w)


def test_unschedulable_for_pod_count(kube: Kube, namespace: str, make_node: Callable[..., str],
                                     watching: Callable[..., Watching]) -> None:
    node = make_node(pods=2)
    w = watching()
    for i in range(3):
        _create(kube, namespace, _pod(f"slot-{i}", spec=dedicated_spec(node)))
    verdicts = wait_for(lambda: sorted(v.outcome.value for v in w.observer.verdicts()) == [
        "Running", "Running", "Unschedulable"] and w.observer.verdicts(), 40, what="two Running, one Unschedulable")
    assert isinstance(verdicts, list)
    [stuck] = [v for v in verdicts if v.outcome is Outcome.UNSCHEDULABLE]
    assert "Too many pods" in stuck.detail["reasons"]
    _same_after_replay(w)


def test_admission_rejected_from_the_jobs_failed_create_under_a_quota(
        kube: Kube, namespace: str, watching: Callable[..., Watching]) -> None:
    kube.create(f"/api/v1/namespaces/{namespace}/resourcequotas", {
        "apiVersion": "v1", "kind": "ResourceQuota", "metadata": {"name": "compute"},
        "spec": {"hard": {"pods": "0"}}})
    launch = f"L-{uuid.uuid4().hex[:6]}"
    w = watching(label_selector=f"{LAUNCH_ID_LABEL}={launch}")
    _create(kube, namespace, _job("refused", launch))

    def rejected() -> Verdict | None:
        return next((v for v in w.observer.verdicts() if v.outcome is Outcome.ADMISSION_REJECTED), None)

    v = wait_for(rejected, 40, what="AdmissionRejected from the Job's FailedCreate")
    assert isinstance(v, Verdict)
    assert v.detail["reason"] == "quota"
    assert v.detail["quota"] == "compute"
    assert v.detail["source"] == "owner-event"
    assert v.detail["owner"]["kind"] == "Job" and v.detail["owner"]["name"] == "refused"
    assert v.launch_id == launch
    assert "is forbidden: exceeded quota: compute" in v.detail["message"]
    _same_after_replay(w)


def test_deleted_and_succeeded(kube: Kube, namespace: str, watching: Callable[..., Watching]) -> None:
    w = watching()
    _create(kube, namespace, _pod("doomed"))
    w.outcome("doomed", Outcome.RUNNING)
    kube.delete(f"/api/v1/namespaces/{namespace}/pods/doomed")
    gone = w.outcome("doomed", Outcome.DELETED)
    assert gone.detail["prior_outcome"] == "Running"

    _create(kube, namespace, _job("done", "L-done"))
    done = wait_for(lambda: next((v for v in w.observer.verdicts() if v.outcome is Outcome.SUCCEEDED), None), 40,
                    what="the Job's pod Succeeded")
    assert isinstance(done, Verdict) and done.name.startswith("done-")
    [h] = [h for h in w.observer.histories() if h.name == done.name]
    assert h.owner == ("Job", "done")
    whats = [e.what for e in h.timeline]
    assert whats.index("PodScheduled=True") < whats.index("Running") < whats.index("Succeeded")
    [d] = [h for h in w.observer.histories() if h.name == "doomed"]
    assert [e.what for e in d.timeline if e.kind == "deleted"] == ["requested", "gone"]
    _same_after_replay(w)


# --- interrupted watches ---------------------------------------------------------------------------


def test_resuming_from_a_too_old_version_misses_nothing(kube: Kube, namespace: str,
                                                         watching: Callable[..., Watching]) -> None:
    _create(kube, namespace, _pod("before", resources={"requests": {"cpu": "1000"}}))
    _create(kube, namespace, _pod("runs"))
    wait_for(lambda: kube.get(f"/api/v1/namespaces/{namespace}/pods/runs")["status"].get("phase") == "Running", 30,
             what="runs Running")
    # Resume from resourceVersion 1. A cluster whose watch cache has moved on answers
    # 410 Gone and the observer relists; a young one (its cache still reaching back to
    # its start) replays the history instead. Either way nothing may be missed.
    w = watching(resume_from={"pods": "1"})
    w.outcome("before", Outcome.UNSCHEDULABLE)
    w.outcome("runs", Outcome.RUNNING)
    stats = w.observer.watcher_stats()["pods"]
    if stats.get("expired", 0):
        assert stats.get("relists", 0) >= 1
    else:
        assert stats.get("events", 0) >= 4  # both pods' ADDED and later changes, replayed
    _create(kube, namespace, _pod("after"))
    w.outcome("after", Outcome.RUNNING)
    _same_after_replay(w)


class Relay:
    """A TCP relay between the observer and the apiserver that can cut every connection."""

    def __init__(self, host: str, port: int) -> None:
        self.upstream = (host, port)
        self.server = socket.create_server(("127.0.0.1", 0))
        self.port = self.server.getsockname()[1]
        self.refusing = False
        self.conns: list[socket.socket] = []
        self.lock = threading.Lock()
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self.server.accept()
            except OSError:
                return
            if self.refusing:
                client.close()
                continue
            try:
                up = socket.create_connection(self.upstream)
            except OSError:
                client.close()
                continue
            with self.lock:
                self.conns += [client, up]
            for a, b in ((client, up), (up, client)):
                threading.Thread(target=self._pump, args=(a, b), daemon=True).start()

    @staticmethod
    def _pump(src: socket.socket, dst: socket.socket) -> None:
        try:
            while data := src.recv(65536):
                dst.sendall(data)
        except OSError:
            pass
        for s in (src, dst):
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    def cut(self, refuse: bool = True) -> None:
        """Drop every open connection mid-stream; refuse new ones until :meth:`restore`."""
        self.refusing = refuse
        with self.lock:
            conns, self.conns = self.conns, []
        for s in conns:
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            s.close()

    def restore(self) -> None:
        self.refusing = False

    def close(self) -> None:
        self.cut()
        self.server.close()


@pytest.fixture
def relayed(sim_cluster: Any, tmp_path: Path) -> Iterator[tuple[Kube, Relay]]:
    cfg = yaml.safe_load(Path(sim_cluster.kubeconfig).read_text())
    server = cfg["clusters"][0]["cluster"]["server"]
    host, port = server.removeprefix("https://").rsplit(":", 1)
    relay = Relay(host, int(port))
    for c in cfg["clusters"]:
        c["cluster"]["server"] = f"https://{host}:{relay.port}"
    path = tmp_path / "relayed-kubeconfig.yaml"
    path.write_text(yaml.safe_dump(cfg))
    kube = Kube(str(path))
    yield kube, relay
    relay.close()


def test_connections_cut_mid_stream_miss_no_transition(kube: Kube, namespace: str, watching: Callable[..., Watching],
                                                       relayed: tuple[Kube, Relay]) -> None:
    through, relay = relayed
    for name in ("a", "b", "c"):
        _create(kube, namespace, _pod(name))
    w = watching(through)
    for name in ("a", "b", "c"):
        w.outcome(name, Outcome.RUNNING)

    # 1. cut: while down, b is deleted and d created; the watch resumes from its resourceVersion
    relay.cut()
    kube.delete(f"/api/v1/namespaces/{namespace}/pods/b")
    _create(kube, namespace, _pod("d", resources={"requests": {"cpu": "1000"}}))
    time.sleep(1.5)
    relay.restore()
    assert w.outcome("b", Outcome.DELETED).detail["prior_outcome"] == "Running"
    w.outcome("d", Outcome.UNSCHEDULABLE)

    # 2. cut again, and this time the observer must relist (as after a compaction): c vanishes while down
    relay.cut()
    w.observer.resync()
    kube.delete(f"/api/v1/namespaces/{namespace}/pods/c")
    _create(kube, namespace, _pod("e"))
    time.sleep(1.5)
    relay.restore()
    w.outcome("c", Outcome.DELETED)
    w.outcome("e", Outcome.RUNNING)
    hist = {h.name: h for h in w.observer.histories()}
    assert [e.what for e in hist["b"].timeline if e.kind == "deleted"][-1] == "gone"
    assert [e.what for e in hist["c"].timeline if e.kind == "deleted"] == ["vanished"]
    assert w.live["a"].outcome is Outcome.RUNNING
    stats = w.observer.watcher_stats()["pods"]
    assert stats.get("reconnects", 0) + stats.get("retries", 0) >= 2
    assert stats.get("relists", 0) >= 1
    _same_after_replay(w)


def test_an_apiserver_restart_mid_stream_misses_no_transition(tmp_path: Path) -> None:
    """A second, short-lived cluster whose kube-apiserver is killed and started again."""
    import os

    from k8sstress.cluster.config import ClusterConfig
    from k8sstress.cluster.sim import SimBackend

    name = f"restart-{os.getpid()}"
    backend = SimBackend()
    info = backend.up(ClusterConfig.model_validate({"name": name, "node-pools": [{"name": "p", "count": 1}]}))
    try:
        kube = Kube(info.kubeconfig)
        ns = "restart"
        kube.create("/api/v1/namespaces", {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": ns}})
        wait_for(lambda: _has_sa(kube, ns), 30, what="service account")
        for n in ("a", "b"):
            _create(kube, ns, _pod(n))
        w = Watching(kube, ns, tmp_path / "observer.jsonl").start()
        try:
            w.outcome("a", Outcome.RUNNING)
            w.outcome("b", Outcome.RUNNING)
            backend.restart_component(name, "kube-apiserver", down_s=1.0)
            # changes right after the restart, while the observer is still reconnecting
            kube2 = Kube(info.kubeconfig)
            kube2.delete(f"/api/v1/namespaces/{ns}/pods/b")
            _create(kube2, ns, _pod("c"))
            _create(kube2, ns, _pod("d", resources={"requests": {"cpu": "1000"}}))
            w.outcome("b", Outcome.DELETED, timeout=60)
            w.outcome("c", Outcome.RUNNING, timeout=60)
            w.outcome("d", Outcome.UNSCHEDULABLE, timeout=60)
            assert w.live["a"].outcome is Outcome.RUNNING
            stats = w.observer.watcher_stats()["pods"]
            assert sum(v for k, v in stats.items() if k in ("reconnects", "retries", "relists")) >= 1, stats
        finally:
            w.stop()
        assert {n: v.outcome for n, v in w.replayed().items()} == {
            "a": Outcome.RUNNING, "b": Outcome.DELETED, "c": Outcome.RUNNING, "d": Outcome.UNSCHEDULABLE}
    finally:
        backend.down(name)


def _has_sa(kube: Kube, ns: str) -> bool:
    try:
        kube.get(f"/api/v1/namespaces/{ns}/serviceaccounts/default")
        return True
    except Exception:
        return False
