"""The measurements behind ``k8sstress bench observer`` (printed figures, never timed tests).

*   :func:`synthetic_stream`: a realistic observed stream made in memory: full-size
    pod objects as a kube-apiserver sends them (managedFields, volumes,
    tolerations), created in waves, scheduled, running, and then succeeding,
    failing, OOM-killed into CrashLoopBackOff, evicted, deleted or left
    Unschedulable, with the scheduler's and kubelet's Events.
*   :func:`measure_replay`: replayed events (JSON lines) parsed, folded and the
    touched pod classified, per CPU second of one thread (``events_per_s``).
*   :func:`measure_memory`: bytes per tracked pod at N pods: the fold, the pods
    watcher's relist inventory and the event filter together (RSS delta).
*   :func:`measure_live`: on a real cluster, pods created and patched at a target
    event rate; lag from the create/patch call's return to the observer's
    classification of that very resourceVersion.
*   :func:`measure_stream`: the same recorded window of the live stream watched again
    from its start, once by the observer's raw path and once by a plain
    ``kubernetes.watch.Watch`` loop deserializing ``V1Pod`` models; both rates.
"""

from __future__ import annotations

import gc
import json
import random
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from typing import Any

from k8sstress.kube import ApiError, Kube
from k8sstress.observe.timelines import Timelines
from k8sstress.observe.watching import Interest, Inventory, Observer
from k8sstress.records import LAUNCH_ID_LABEL, MODE_LABEL, RUN_LABEL, ObservedEvent, RawObject, Verdict

__all__ = [
    "synthetic_stream",
    "measure_replay",
    "measure_memory",
    "measure_memory_fresh",
    "measure_live",
    "measure_stream",
    "percentiles",
]
# ``delivery_lag_s`` in measure_live's result is the part of the lag before the observer
# saw the event (apiserver fan-out, the network, the GIL); the rest is folding and the
# classification batch (at most ``Observer.classify_interval_s``).

Progress = Callable[[str, int, int], None]
StreamItem = tuple[float, str, str, RawObject]


def _noop(_step: str, _done: int, _total: int) -> None:
    return None


def percentiles(values: list[float]) -> dict[str, float | None]:
    """p50/p95/p99/max (nearest rank) of a list of seconds."""
    vs = sorted(values)
    if not vs:
        return {"p50": None, "p95": None, "p99": None, "max": None}

    def rank(q: float) -> float:
        return vs[min(max(int(-(-q * len(vs) // 100)), 1), len(vs)) - 1]

    return {"p50": rank(50), "p95": rank(95), "p99": rank(99), "max": vs[-1]}


# --- a realistic stream ----------------------------------------------------------------------------


def _ts(t: float) -> str:
    return datetime.fromtimestamp(int(t), UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


_FATES = (("succeeded", 25), ("running", 25), ("unschedulable", 12), ("oom", 10), ("deleted", 10),
          ("evicted", 6), ("failed", 6), ("pending", 6))


class _SyntheticPod:
    def __init__(self, i: int, rng: random.Random, t0: float) -> None:
        self.i = i
        self.name = f"node-run-{i:07d}-{rng.randrange(16**5):05x}"
        self.ns = f"bench-{i % 8}"
        self.uid = str(uuid.UUID(int=rng.getrandbits(128), version=4))
        self.node = f"small-{rng.randrange(100)}"
        self.fate = rng.choices([f for f, _ in _FATES], weights=[w for _, w in _FATES])[0]
        self.t0 = t0
        self.rv = 1000 + i * 16
        self.limits = rng.random() < 0.5

    def _rv(self) -> str:
        self.rv += 1
        return str(self.rv)

    def pod(self, t: float, status: dict[str, Any], *, node: bool = False, deleting: bool = False) -> RawObject:
        meta: dict[str, Any] = {
            "name": self.name, "namespace": self.ns, "uid": self.uid, "resourceVersion": self._rv(),
            "generation": 1, "creationTimestamp": _ts(self.t0),
            "labels": {LAUNCH_ID_LABEL: f"L{self.i:07d}", MODE_LABEL: "batch", RUN_LABEL: "bench",
                       "k8sstress.io/limits": "with" if self.limits else "without"},
            "managedFields": [{"manager": "k8sstress", "operation": "Update", "apiVersion": "v1", "time": _ts(self.t0),
                               "fieldsType": "FieldsV1", "fieldsV1": {"f:metadata": {"f:labels": {".": {}}},
                                                                      "f:spec": {"f:containers": {}}}}],
        }
        if deleting:
            meta["deletionTimestamp"] = _ts(t + 30)
            meta["deletionGracePeriodSeconds"] = 30
        resources: dict[str, Any] = {"requests": {"cpu": "100m", "memory": "64Mi"}}
        if self.limits:
            resources["limits"] = {"cpu": "100m", "memory": "64Mi"}
        spec: dict[str, Any] = {
            "volumes": [{"name": "kube-api-access-x1", "projected": {"sources": [
                {"serviceAccountToken": {"expirationSeconds": 3607, "path": "token"}},
                {"configMap": {"name": "kube-root-ca.crt", "items": [{"key": "ca.crt", "path": "ca.crt"}]}}],
                "defaultMode": 420}}],
            "containers": [{"name": "app", "image": "registry.example/node-runner:1.2.3", "resources": resources,
                            "volumeMounts": [{"name": "kube-api-access-x1", "readOnly": True,
                                              "mountPath": "/var/run/secrets/kubernetes.io/serviceaccount"}],
                            "terminationMessagePath": "/dev/termination-log", "terminationMessagePolicy": "File",
                            "imagePullPolicy": "IfNotPresent"}],
            "restartPolicy": "OnFailure" if self.fate == "oom" else "Never",
            "terminationGracePeriodSeconds": 30, "dnsPolicy": "ClusterFirst", "serviceAccountName": "default",
            "schedulerName": "default-scheduler",
            "tolerations": [{"key": "node.kubernetes.io/not-ready", "operator": "Exists", "effect": "NoExecute",
                             "tolerationSeconds": 300},
                            {"key": "node.kubernetes.io/unreachable", "operator": "Exists", "effect": "NoExecute",
                             "tolerationSeconds": 300}],
            "priority": 0, "enableServiceLinks": True, "preemptionPolicy": "PreemptLowerPriority",
        }
        if node:
            spec["nodeName"] = self.node
        return {"kind": "Pod", "apiVersion": "v1", "metadata": meta, "spec": spec,
                "status": {"qosClass": "Guaranteed" if self.limits else "Burstable", **status}}

    def event(self, t: float, reason: str, message: str, kind: str = "Warning", count: int = 1,
              component: str = "kubelet", name: str | None = None) -> RawObject:
        return {
            "kind": "Event", "apiVersion": "v1",
            "metadata": {"name": name or f"{self.name}.{self.i:x}{reason.lower()}", "namespace": self.ns,
                         "uid": str(uuid.uuid5(uuid.NAMESPACE_OID, f"{self.uid}/{reason}")),
                         "resourceVersion": self._rv(), "creationTimestamp": _ts(t)},
            "involvedObject": {"kind": "Pod", "namespace": self.ns, "name": self.name, "uid": self.uid,
                               "apiVersion": "v1", "resourceVersion": str(self.rv)},
            "reason": reason, "message": message, "source": {"component": component},
            "firstTimestamp": _ts(t), "lastTimestamp": _ts(t), "count": count, "type": kind,
            "reportingComponent": component, "reportingInstance": self.node,
        }

    def stages(self) -> Iterator[list[tuple[str, str, RawObject]]]:
        """One list of (resource, type, object) per stage of this pod's life."""
        t = self.t0
        cond = self._cond
        yield [("pods", "ADDED", self.pod(t, {"phase": "Pending"}))]
        if self.fate == "unschedulable":
            msg = ("0/100 nodes are available: 100 Insufficient cpu. no new claims to deallocate, preemption: "
                   "0/100 nodes are available: 100 Preemption is not helpful for scheduling.")
            st = {"phase": "Pending", "conditions": [cond("PodScheduled", "False", t, "Unschedulable", msg)]}
            yield [("pods", "MODIFIED", self.pod(t, st)),
                   ("events", "ADDED", self.event(t, "FailedScheduling", msg, component="default-scheduler"))]
            yield [("events", "MODIFIED", self.event(t + 10, "FailedScheduling", msg, count=2,
                                                     component="default-scheduler"))]
            return
        sched = [cond("PodScheduled", "True", t + 1)]
        yield [("pods", "MODIFIED", self.pod(t + 1, {"phase": "Pending", "conditions": sched}, node=True)),
               ("events", "ADDED", self.event(t + 1, "Scheduled", f"Successfully assigned {self.ns}/{self.name} "
                                              f"to {self.node}", kind="Normal", component="default-scheduler"))]
        if self.fate == "pending":
            return
        ready = [cond("Initialized", "True", t + 2), cond("Ready", "True", t + 3),
                 cond("ContainersReady", "True", t + 3), *sched]
        running = {"phase": "Running", "conditions": ready, "podIP": "10.0.0.1", "podIPs": [{"ip": "10.0.0.1"}],
                   "hostIP": "10.1.0.1", "startTime": _ts(t + 2),
                   "containerStatuses": [self._cs({"running": {"startedAt": _ts(t + 2)}}, ready=True)]}
        yield [("pods", "MODIFIED", self.pod(t + 3, running, node=True))]
        done = [cond("Initialized", "True", t + 2), cond("Ready", "False", t + 20, "PodCompleted"),
                cond("ContainersReady", "False", t + 20, "PodCompleted"), *sched]
        if self.fate == "succeeded":
            st = {**running, "phase": "Succeeded", "conditions": done, "containerStatuses": [self._cs(
                {"terminated": {"exitCode": 0, "reason": "Completed", "startedAt": _ts(t + 2),
                                "finishedAt": _ts(t + 20)}})]}
            yield [("pods", "MODIFIED", self.pod(t + 20, st, node=True))]
        elif self.fate == "failed":
            st = {**running, "phase": "Failed", "conditions": done, "containerStatuses": [self._cs(
                {"terminated": {"exitCode": 1, "reason": "Error", "startedAt": _ts(t + 2),
                                "finishedAt": _ts(t + 20)}})]}
            yield [("pods", "MODIFIED", self.pod(t + 20, st, node=True))]
        elif self.fate == "oom":
            last = {"terminated": {"exitCode": 137, "reason": "OOMKilled", "startedAt": _ts(t + 2),
                                   "finishedAt": _ts(t + 15)}}
            waiting = {"waiting": {"reason": "CrashLoopBackOff", "message": f"back-off 10s restarting failed "
                                   f"container=app pod={self.name}_{self.ns}({self.uid})"}}
            st = {**running, "conditions": done, "containerStatuses": [self._cs(waiting, last=last, restarts=1)]}
            yield [("pods", "MODIFIED", self.pod(t + 15, st, node=True)),
                   ("events", "ADDED", self.event(t + 15, "BackOff", f"Back-off restarting failed container app "
                                                  f"in pod {self.name}_{self.ns}({self.uid})"))]
        elif self.fate == "evicted":
            msg = ("The node was low on resource: memory. Threshold quantity: 100Mi, available: 87304Ki. "
                   "Container app was using 1Gi, request is 64Mi, has larger consumption of memory. ")
            st = {**running, "phase": "Failed", "reason": "Evicted", "message": msg,
                  "conditions": [cond("DisruptionTarget", "True", t + 30, "TerminationByKubelet", msg), *done],
                  "containerStatuses": [self._cs({"terminated": {"exitCode": 137, "reason": "Error",
                                                                 "startedAt": _ts(t + 2),
                                                                 "finishedAt": _ts(t + 30)}})]}
            yield [("pods", "MODIFIED", self.pod(t + 30, st, node=True)),
                   ("events", "ADDED", self.event(t + 30, "Evicted", msg))]
        elif self.fate == "deleted":
            yield [("pods", "MODIFIED", self.pod(t + 25, running, node=True, deleting=True)),
                   ("events", "ADDED", self.event(t + 25, "Killing", "Stopping container app", kind="Normal"))]
            yield [("pods", "DELETED", self.pod(t + 26, running, node=True, deleting=True))]

    @staticmethod
    def _cond(kind: str, status: str, t: float, reason: str | None = None, message: str | None = None) -> RawObject:
        c: dict[str, Any] = {"type": kind, "status": status, "lastProbeTime": None, "lastTransitionTime": _ts(t)}
        if reason:
            c["reason"] = reason
        if message:
            c["message"] = message
        return c

    @staticmethod
    def _cs(state: RawObject, *, ready: bool = False, last: RawObject | None = None, restarts: int = 0) -> RawObject:
        return {"name": "app", "state": state, "lastState": last or {}, "ready": ready, "restartCount": restarts,
                "image": "registry.example/node-runner:1.2.3",
                "imageID": "registry.example/node-runner@sha256:" + "0" * 64,
                "containerID": "containerd://" + "f" * 64, "started": ready}


def synthetic_stream(pods: int, *, seed: int = 1, wave: int = 500, t0: float = 1_790_000_000.0
                     ) -> Iterator[StreamItem]:
    """``(seen, resource, type, object)`` for ``pods`` pods, interleaved in waves of ``wave`` pods."""
    rng = random.Random(seed)
    seen = t0
    for start in range(0, pods, wave):
        stages = [_SyntheticPod(i, rng, t0 + i * 0.01).stages() for i in range(start, min(start + wave, pods))]
        while stages:
            alive = []
            for it in stages:
                step = next(it, None)
                if step is None:
                    continue
                alive.append(it)
                for resource, type_, obj in step:
                    seen += 0.0005
                    yield seen, resource, type_, obj
            stages = alive


# --- (a) replay throughput ---------------------------------------------------------------------------


def _replay_pass(events: int, batch: int, chunk: int, progress: Progress, label: str) -> dict[str, Any]:
    """One replay of ``events`` synthetic JSON lines; ``batch`` 0 = classify every pod at the end."""
    timelines = Timelines()
    stream = synthetic_stream(max(events // 4, 1))
    cpu = wall = 0.0
    n = restarts = 0
    while n < events:
        lines = []
        for seen, resource, type_, obj in stream:
            lines.append(json.dumps({"seen": seen, "resource": resource, "type": type_, "object": obj}))
            if len(lines) >= min(chunk, events - n):
                break
        if not lines:
            restarts += 1
            stream = synthetic_stream(max(events // 4, 1), seed=restarts + 1)
            continue
        apply = timelines.apply_raw
        classify_changed = timelines.classify_changed
        c0, w0 = time.thread_time(), time.perf_counter()
        k = 0
        for line in lines:
            d = json.loads(line)
            apply(d["seen"], d["resource"], d["type"], d["object"])
            k += 1
            if batch and k >= batch:
                classify_changed()
                k = 0
        if batch or n + len(lines) >= events:
            classify_changed()
        cpu += time.thread_time() - c0
        wall += time.perf_counter() - w0
        n += len(lines)
        progress(label, n, events)
    return {
        "events": n,
        "pods": len(timelines),
        "cpu_s": round(cpu, 3),
        "wall_s": round(wall, 3),
        "events_per_s": round(n / cpu) if cpu else None,
        "events_per_s_wall": round(n / wall) if wall else None,
        "outcomes": dict(timelines.outcome_counts()),
    }


def measure_replay(events: int = 200_000, *, chunk: int = 20_000, progress: Progress = _noop) -> dict[str, Any]:
    """Replayed JSON lines parsed, folded and classified, per CPU second of this thread.

    The headline is replay as :func:`~k8sstress.observe.recording.replay` +
    ``verdicts()`` do it: every line parsed and folded, every pod classified once at
    the end. Two more passes (a quarter of the events each) classify the changed pods
    every 1,000 events (the live observer's batches under load) and after every event.
    """
    main = _replay_pass(events, 0, chunk, progress, "replay: parse, fold; classify every pod")
    quarter = max(events // 4, 1)
    batches = _replay_pass(quarter, 1000, chunk, progress, "replay: classify every 1,000 events")
    each = _replay_pass(quarter, 1, chunk, progress, "replay: classify after every event")
    return {
        **main,
        "events_per_s_batches_of_1000": batches["events_per_s"],
        "events_per_s_classify_each_event": each["events_per_s"],
        "passes": {"final": main, "batches_of_1000": batches, "each_event": each},
    }


# --- (b) memory per tracked pod ----------------------------------------------------------------------


def _rss() -> int:
    import psutil

    return int(psutil.Process().memory_info().rss)


def measure_memory(pods: int = 100_000, *, progress: Progress = _noop) -> dict[str, Any]:
    """Bytes per tracked pod: fold + the pods watcher's inventory + the event filter, by RSS delta."""
    gc.collect()
    before = _rss()
    timelines = Timelines()
    inventory = Inventory()
    interest = Interest()
    n = 0
    for seen, resource, type_, obj in synthetic_stream(pods):
        if resource == "pods":
            inventory.note(type_, obj)
            interest.track(resource, obj)
        elif resource == "events" and interest.route(obj) is not None:
            continue
        timelines.apply_raw(seen, resource, type_, obj)
        n += 1
        if n % 20_000 == 0:
            progress("memory: fold", len(timelines), pods)
    for uid in timelines.uids():  # a verdict for every pod, as at the end of a run
        timelines.classify(uid)
    progress("memory: fold", len(timelines), pods)
    gc.collect()
    after = _rss()
    tracked = len(timelines)
    return {
        "pods": tracked,
        "events": n,
        "rss_delta_bytes": after - before,
        "bytes_per_pod": round((after - before) / tracked) if tracked else None,
        "outcomes": dict(timelines.outcome_counts()),
        "structures": [type(x).__name__ for x in (timelines, inventory, interest)],
    }


def measure_memory_fresh(pods: int = 100_000) -> dict[str, Any]:
    """:func:`measure_memory` in a freshly spawned interpreter, so earlier work cannot skew the RSS delta."""
    import multiprocessing

    with multiprocessing.get_context("spawn").Pool(1) as pool:
        result: dict[str, Any] = pool.apply(measure_memory, (pods,))
    result["process"] = "fresh (spawned)"
    return result


# --- (c) live lag, (d) the same stream, ours vs kubernetes.watch.Watch ---------------------------------------


def _bench_pod(name: str, run: str) -> RawObject:
    return {"apiVersion": "v1", "kind": "Pod",
            "metadata": {"name": name, "labels": {RUN_LABEL: run, MODE_LABEL: "batch"}},
            "spec": {"containers": [{"name": "app", "image": "registry.example/node-runner:1.2.3"}],
                     "restartPolicy": "Never", "terminationGracePeriodSeconds": 0}}


def measure_live(kube: Kube, namespace: str, *, rate: float = 500.0, duration_s: float = 10.0,
                 workers: int = 16, events_per_pod: float = 4.0, progress: Progress = _noop) -> dict[str, Any]:
    """Create pods so the observer sees about ``rate`` events/s; lag per created resourceVersion.

    Each pod created makes about ``events_per_pod`` watch events (ADDED, scheduled,
    running, and its Scheduled Event), so pods are created at ``rate / events_per_pod``
    per second. The lag of a create is the time from the call's return to the
    observer's verdict on the resourceVersion it returned (resourceVersions are unique,
    so the match is exact). The rate reached is measured and reported, not assumed.
    """
    run = f"bench-{uuid.uuid4().hex[:6]}"
    returned: dict[str, float] = {}
    classified: dict[str, float] = {}
    folded: dict[str, list[str]] = {}
    seen_at: dict[str, float] = {}
    lock = threading.Lock()

    first_seen: list[float] = []
    last_seen: list[float] = []

    def sink(ev: ObservedEvent) -> None:  # folded, not yet classified (the observer batches)
        if not first_seen:
            first_seen.append(ev.seen)
        last_seen[:] = [ev.seen]
        if ev.resource == "pods":
            meta = ev.object.get("metadata", {})
            rv = str(meta.get("resourceVersion"))
            folded.setdefault(meta.get("uid", ""), []).append(rv)
            seen_at.setdefault(rv, ev.seen)

    def on_verdict(v: Verdict, _ev: ObservedEvent) -> None:
        now = time.time()
        for rv in folded.pop(v.uid or "", ()):
            classified.setdefault(rv, now)

    start_rv = str(kube.get(f"/api/v1/namespaces/{namespace}/pods", limit=1)["metadata"]["resourceVersion"])
    observer = Observer(kube, namespace=namespace, resources=("pods", "events"), sink=sink, on_verdict=on_verdict)
    observer.start()
    if not observer.wait_synced(30):
        observer.stop()
        raise TimeoutError("the observer did not list within 30 s")
    calls_per_s = rate / events_per_pod
    total_calls = int(calls_per_s * duration_s)
    created: list[str] = []
    errors: list[str] = []

    def call(i: int) -> None:
        try:
            name = f"lag-{i:06d}"
            obj = kube.create(f"/api/v1/namespaces/{namespace}/pods", _bench_pod(name, run))
            t = time.time()
            with lock:
                created.append(name)
                returned[str(obj["metadata"]["resourceVersion"])] = t
        except ApiError as exc:
            errors.append(str(exc))

    t_start = time.monotonic()
    with ThreadPoolExecutor(max_workers=workers) as pool:
        for i in range(total_calls):
            due = t_start + i / calls_per_s
            delay = due - time.monotonic()
            if delay > 0:
                time.sleep(delay)
            pool.submit(call, i)
            if i % 50 == 0:
                progress("live: create pods", i, total_calls)
    wrote_s = time.monotonic() - t_start
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline and any(rv not in classified for rv in list(returned)):
        time.sleep(0.1)
    progress("live: create pods", total_calls, total_calls)
    observer.stop()
    lags = [max(classified[rv] - t, 0.0) for rv, t in returned.items() if rv in classified]
    delivery = [max(seen_at[rv] - t, 0.0) for rv, t in returned.items() if rv in seen_at]
    missed = sum(1 for rv in returned if rv not in classified)
    pod_events = sum(v for k, v in observer.stats.items() if k.startswith("pods:"))
    all_events = sum(v for k, v in observer.stats.items() if k.startswith(("pods:", "events:")))
    observed_s = (last_seen[0] - first_seen[0]) if first_seen and last_seen else wrote_s
    return {
        "calls": len(returned),
        "call_errors": len(errors),
        "write_seconds": round(wrote_s, 2),
        "observed_events": all_events,
        "observed_pod_events": pod_events,
        "events_per_s": round(all_events / observed_s, 1) if observed_s else None,
        "pods_per_s": round(len(created) / wrote_s, 1) if wrote_s else None,
        "lag_s": {k: (round(v, 4) if v is not None else None) for k, v in percentiles(lags).items()},
        "lag_p99_s": round(percentiles(lags)["p99"] or 0.0, 4) if lags else None,
        "delivery_lag_s": {k: (round(v, 4) if v is not None else None) for k, v in percentiles(delivery).items()},
        "missed": missed,
        "start_resource_version": start_rv,
        "pods_created": len(created),
    }


def _wait_quiet(kube: Kube, path: str, quiet_s: int = 2, max_s: float = 60.0) -> None:
    """Wait until no pod in the namespace changes for ``quiet_s`` (the scheduler and KWOK done)."""
    deadline = time.monotonic() + max_s
    while time.monotonic() < deadline:
        rv = str(kube.get(path, limit=1)["metadata"]["resourceVersion"])
        if not any(ev.get("type") != "BOOKMARK" for ev in kube.watch_lines(path, rv, timeout_s=quiet_s,
                                                                             bookmarks=False)):
            return


def _stream_ours(kube: Kube, path: str, resource_version: str, expected: int, timeout_s: int,
                 progress: Progress) -> tuple[int, float, int]:
    timelines = Timelines()
    n = restarts = 0
    rv = resource_version
    deadline = time.monotonic() + timeout_s
    t0 = time.perf_counter()
    while n < expected and time.monotonic() < deadline:
        for ev in kube.watch_lines(path, rv, timeout_s=timeout_s, bookmarks=False):
            obj = ev.get("object")
            if ev.get("type") == "ERROR" or not isinstance(obj, dict):
                raise RuntimeError(f"watch from {rv} failed: {obj}")
            timelines.apply_raw(time.time(), "pods", str(ev.get("type")), obj)
            rv = str(obj.get("metadata", {}).get("resourceVersion") or rv)
            n += 1
            if n % 256 == 0:
                timelines.classify_changed()
                progress("stream: observer (raw JSON)", n, expected)
            if n >= expected:
                break
        else:
            restarts += 1
    timelines.classify_changed()
    return n, time.perf_counter() - t0, restarts


def _stream_baseline(kube: Kube, namespace: str, resource_version: str, expected: int, timeout_s: int,
                     progress: Progress) -> tuple[int, float, int]:
    from kubernetes import watch as k8s_watch

    m = restarts = 0
    rv = resource_version
    deadline = time.monotonic() + timeout_s
    t1 = time.perf_counter()
    while m < expected and time.monotonic() < deadline:
        w = k8s_watch.Watch()  # type: ignore[no-untyped-call]
        for event in w.stream(kube.core.list_namespaced_pod, namespace,  # type: ignore[no-untyped-call]
                              resource_version=rv, timeout_seconds=timeout_s):
            if event.get("type") == "ERROR":
                raise RuntimeError(f"kubernetes.watch from {rv} failed: {event.get('raw_object')}")
            m += 1
            if m % 256 == 0:
                progress("stream: kubernetes.watch.Watch (models)", m, expected)
            if m >= expected:
                break
        else:
            restarts += 1
        rv = w.resource_version or rv
        w.stop()  # type: ignore[no-untyped-call]
    return m, time.perf_counter() - t1, restarts


def _capture(kube: Kube, path: str, resource_version: str, expected: int, timeout_s: int) -> list[str]:
    """The stream as watch lines (the JSON of each event), read once."""
    lines: list[str] = []
    rv = resource_version
    deadline = time.monotonic() + timeout_s
    while len(lines) < expected and time.monotonic() < deadline:
        for ev in kube.watch_lines(path, rv, timeout_s=timeout_s, bookmarks=False):
            obj = ev.get("object")
            if ev.get("type") == "ERROR" or not isinstance(obj, dict):
                raise RuntimeError(f"watch from {rv} failed: {obj}")
            lines.append(json.dumps(ev))
            rv = str(obj.get("metadata", {}).get("resourceVersion") or rv)
            if len(lines) >= expected:
                break
    return lines


def _cpu_ours(lines: list[str]) -> float:
    timelines = Timelines()
    c0 = time.thread_time()
    for i, line in enumerate(lines, 1):
        ev = json.loads(line)
        timelines.apply_raw(time.time(), "pods", ev["type"], ev["object"])
        if i % 256 == 0:
            timelines.classify_changed()
    timelines.classify_changed()
    return time.thread_time() - c0


def _cpu_baseline(lines: list[str]) -> float:
    from kubernetes import watch as k8s_watch

    w = k8s_watch.Watch()  # type: ignore[no-untyped-call]
    c0 = time.thread_time()
    for line in lines:  # what Watch.stream does with each line it reads
        w.unmarshal_event(line, "V1Pod")  # type: ignore[no-untyped-call]
    return time.thread_time() - c0


def _median(xs: list[float]) -> float:
    return sorted(xs)[len(xs) // 2]


def measure_stream(kube: Kube, namespace: str, resource_version: str, expected: int, *,
                   rounds: int = 3, timeout_s: int = 60, progress: Progress = _noop) -> dict[str, Any]:
    """The same stream (the namespace's pods from ``resource_version``), the observer's way and the plain way.

    Ours: raw JSON, folded, the changed pods classified every 256 events (as the
    observer does). Baseline: ``kubernetes.watch.Watch`` deserializing every event
    into ``V1Pod`` models (and doing nothing else). Two comparisons, each run
    ``rounds`` times, the median reported:

    *   client CPU (the headline): the stream is read once, then both process the
        same lines — ours parse and fold, the baseline runs ``Watch.unmarshal_event``,
        what ``Watch.stream`` does with each line — per CPU second of one thread;
    *   over the wire: both watch the stream from the apiserver from the start
        version (``Kube.watch_lines`` vs a plain ``Watch.stream`` loop over
        ``CoreV1Api.list_namespaced_pod``), wall clock. With the apiserver on the same
        2 cores this is bounded by how fast it sends, not only by the client.
    """
    path = f"/api/v1/namespaces/{namespace}/pods"
    _wait_quiet(kube, path)
    lines = _capture(kube, path, resource_version, expected, timeout_s)
    _cpu_ours(lines[:200])
    _cpu_baseline(lines[:200])  # warm-up: first use (imports, model classes) is not what is measured
    ours_cpu: list[float] = []
    base_cpu: list[float] = []
    for i in range(max(rounds, 1)):
        ours_cpu.append(len(lines) / max(_cpu_ours(lines), 1e-9))
        base_cpu.append(len(lines) / max(_cpu_baseline(lines), 1e-9))
        progress("stream: same lines, observer vs kubernetes.watch (CPU)", i + 1, rounds)
    ours_wire: list[float] = []
    base_wire: list[float] = []
    n = m = restarts = base_restarts = 0
    for _ in range(max(rounds, 1)):
        n, secs, r = _stream_ours(kube, path, resource_version, expected, timeout_s, progress)
        ours_wire.append(n / secs if secs else 0.0)
        restarts += r
        m, secs, r = _stream_baseline(kube, namespace, resource_version, expected, timeout_s, progress)
        base_wire.append(m / secs if secs else 0.0)
        base_restarts += r
    ours, base = _median(ours_cpu), _median(base_cpu)
    wire_ours, wire_base = _median(ours_wire), _median(base_wire)
    return {
        "events": len(lines),
        "rounds": max(rounds, 1),
        "stream_events_per_s": round(ours),
        "baseline_events_per_s": round(base),
        "ratio": round(ours / base, 2) if base else None,
        "cpu_rates": {"observer": [round(x) for x in ours_cpu], "baseline": [round(x) for x in base_cpu]},
        "wire": {
            "events": n, "baseline_events": m, "restarts": restarts, "baseline_restarts": base_restarts,
            "observer_events_per_s": round(wire_ours), "baseline_events_per_s": round(wire_base),
            "ratio": round(wire_ours / wire_base, 2) if wire_base else None,
            "rates": {"observer": [round(x) for x in ours_wire], "baseline": [round(x) for x in base_wire]},
        },
    }
