"""The runner itself: launch, stop, follow, react — one asyncio loop, Kubernetes I/O in a thread pool.

All run state lives on the runner's event loop (no locks): HTTP handlers, the
kopf follower's events (handed over with ``call_soon_threadsafe``), the retry
tasks and the sweeper all run there. Creates and deletes go through the sync
:class:`k8sstress.kube.Kube` seam in a thread pool.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import re
import tempfile
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from tenacity import AsyncRetrying, retry_if_exception, stop_after_delay, wait_exponential_jitter

from k8sstress.errors import ClusterError, InputError, K8sStressError
from k8sstress.kube import ApiError, Kube
from k8sstress.records import LIMITS_LABEL, RawObject
from k8sstress.runner import policies, runs
from k8sstress.runner.callbacks import CallbackSender
from k8sstress.runner.capacity import CapacityTracker
from k8sstress.runner.following import Follower
from k8sstress.runner.metrics import RunnerMetrics
from k8sstress.templates import LaunchParams, load_template, render_pod

__all__ = ["RunnerConfig", "Runner", "Answer", "in_cluster_kubeconfig"]

log = logging.getLogger("k8sstress.runner")

_NAME = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
_LABEL_VALUE = re.compile(r"^([A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?)?$")
_SPEC_OVERRIDES = ("nodeSelector", "tolerations", "priorityClassName")


@dataclass(frozen=True)
class RunnerConfig:
    kubeconfig: str | None = None
    """None: in a pod, from its service account."""
    namespace: str = "default"
    policy: str = "retry"
    pending_timeout_s: float = 60.0
    retry_for_s: float = 60.0
    """How long the retry policy keeps trying one create."""
    name: str = "reference"
    """This runner's name: the value of the ``k8sstress.io/runner`` label on its objects."""
    host: str = "127.0.0.1"
    port: int = 8080
    create_workers: int = 32
    follow: bool = True
    """Follow pods with the embedded kopf operator (off only in benchmarks of the launch path)."""


@dataclass
class Answer:
    """An HTTP answer: status, JSON body, extra headers."""

    status: int
    body: dict[str, Any]
    headers: dict[str, str] = field(default_factory=dict)


def _error(status: int, code: str, message: str, **extra: Any) -> Answer:
    return Answer(status, {"error": code, "message": message, **extra})


def in_cluster_kubeconfig() -> str:
    """A kubeconfig file for this pod's service account (the Kube seam reads kubeconfig files)."""
    sa = "/var/run/secrets/kubernetes.io/serviceaccount"
    host, port = os.environ.get("KUBERNETES_SERVICE_HOST"), os.environ.get("KUBERNETES_SERVICE_PORT", "443")
    if not host or not os.path.exists(f"{sa}/token"):
        raise InputError("no --kubeconfig given and not running in a pod",
                         hint="pass --kubeconfig FILE (e.g. from 'k8sstress cluster status --format json')")
    import yaml
    cfg = {"apiVersion": "v1", "kind": "Config", "current-context": "in-cluster",
           "clusters": [{"name": "in-cluster", "cluster": {"server": f"https://{host}:{port}",
                                                           "certificate-authority": f"{sa}/ca.crt"}}],
           "users": [{"name": "sa", "user": {"tokenFile": f"{sa}/token"}}],
           "contexts": [{"name": "in-cluster", "context": {"cluster": "in-cluster", "user": "sa"}}]}
    fd, path = tempfile.mkstemp(prefix="runner-kubeconfig-", suffix=".yaml")
    with os.fdopen(fd, "w") as fh:
        yaml.safe_dump(cfg, fh)
    return path


class Runner:
    """One reference runner. ``await start()``, serve its :mod:`~k8sstress.runner.api`, ``await stop()``."""

    def __init__(self, config: RunnerConfig) -> None:
        self.config = config
        self.policy = policies.get_policy(config.policy)
        self.kube = Kube(config.kubeconfig or in_cluster_kubeconfig(), qps_pool=max(64, config.create_workers))
        self.metrics = RunnerMetrics(self.policy.name)
        self.runs: dict[str, runs.Run] = {}
        self._pending: set[str] = set()
        self._stopping: set[str] = set()
        self._retrying: dict[str, asyncio.Task[None]] = {}
        self._templates: dict[str, RawObject] = {}
        self._pool = ThreadPoolExecutor(max_workers=config.create_workers, thread_name_prefix="runner-io")
        self.callbacks = CallbackSender(self.metrics)
        self.follower: Follower | None = None
        self.capacity: CapacityTracker | None = None
        self._sweeper: asyncio.Task[None] | None = None
        self.loop: asyncio.AbstractEventLoop | None = None
        self.started_at = time.time()

    # -- lifecycle ------------------------------------------------------------------------------
    async def start(self) -> None:
        self.loop = asyncio.get_running_loop()
        await self.callbacks.start()
        await self._rebuild()
        if self.policy.backpressure:
            self.capacity = CapacityTracker(self.kube, self.config.namespace).start()
            await self.loop.run_in_executor(None, self.capacity.synced.wait, 30)
        if self.config.follow:
            self.follower = Follower(self.kube, self.config.namespace, {runs.RUNNER_LABEL: self.config.name},
                                     self.observe, self.loop).start()
            await self.loop.run_in_executor(None, self.follower.ready.wait, 60)
        self._sweeper = asyncio.create_task(self._sweep())

    async def stop(self) -> None:
        if self._sweeper is not None:
            self._sweeper.cancel()
        for t in self._retrying.values():
            t.cancel()
        if self.follower is not None:
            assert self.loop is not None
            await self.loop.run_in_executor(None, self.follower.stop)
        if self.capacity is not None:
            self.capacity.stop()
        await self.callbacks.stop()
        self._pool.shutdown(wait=False, cancel_futures=True)
        self.kube.close()

    async def _rebuild(self) -> None:
        """Runs from the labels and annotations of this runner's pods and Jobs (survives a restart)."""
        assert self.loop is not None
        sel = f"{runs.RUNNER_LABEL}={self.config.name}"
        ns = self.config.namespace
        try:
            jobs = await self.loop.run_in_executor(
                self._pool, lambda: self.kube.get(f"/apis/batch/v1/namespaces/{ns}/jobs", labelSelector=sel))
            pods = await self.loop.run_in_executor(
                self._pool, lambda: self.kube.get(f"/api/v1/namespaces/{ns}/pods", labelSelector=sel))
        except ClusterError as exc:
            raise ClusterError(f"cannot list this runner's pods in {ns}: {exc.message}") from exc
        for obj in jobs.get("items") or []:
            self.observe("jobs", None, obj, notify=False)
        for obj in pods.get("items") or []:
            self.observe("pods", None, obj, notify=False)
        if self.runs:
            log.info("rebuilt %d runs from the cluster", len(self.runs))

    # -- state --------------------------------------------------------------------------------
    def _record(self, run: runs.Run, state: str, reason: str | None, message: str | None,
                notify: bool = True) -> None:
        previous = run.state if run.history else None
        t = run.transition(state, reason, message)
        if t is None:
            return
        if state == "Pending" and run.name:
            self._pending.add(run.run_id)
        else:
            self._pending.discard(run.run_id)
        if run.terminal:
            self._stopping.discard(run.run_id)
        self.metrics.transitions.labels(state=state, reason=reason or "").inc()
        if notify and run.callback_url:
            self.callbacks.send(run.callback_url, {
                **t.as_json(), "run_id": run.run_id, "launch_id": run.launch_id, "previous_state": previous,
                "namespace": run.namespace, "kind": run.kind, "name": run.name, "pod": run.pod,
                "ready": run.ready, "restarts": run.restarts,
            })

    def observe(self, resource: str, type_: str | None, obj: RawObject, notify: bool = True) -> None:
        """One watch event (or listed object) of this runner's pods/Jobs; on the runner's loop."""
        self.metrics.watch_events.labels(resource=resource).inc()
        md = obj.get("metadata") or {}
        run_id = (md.get("labels") or {}).get(runs.RUN_ID_LABEL)
        if not run_id:
            return
        run = self.runs.get(run_id)
        if run is None:
            if type_ == "DELETED":
                return
            run = runs.run_from_object(obj, "Job" if resource == "jobs" else "Pod")
            if run is None:
                return
            self.runs[run_id] = run
        if run.terminal:
            return
        if not run.history and not run.rebuilt:
            self._record(run, "Pending", None, None, notify)  # a launch is Pending first, even if its pod is quick
        if resource == "jobs":
            if type_ == "DELETED":
                if run.stop_requested_at is not None:
                    self._record(run, "Stopped", None, None, notify)
                else:
                    self._record(run, "Failed", "Deleted", f"job {md.get('name')} was deleted", notify)
                return
            verdict = runs.observe_job(obj)
            if verdict is not None:
                self._record(run, verdict.state, verdict.reason, verdict.message, notify)
            elif not run.history:
                self._record(run, "Pending", None, None, notify)
            return
        if run.kind == "Pod":
            run.name = run.name or md.get("name")
        if type_ == "DELETED":
            if run.kind == "Pod":
                if run.stop_requested_at is not None:
                    self._record(run, "Stopped", None, None, notify)
                else:
                    self._record(run, "Failed", "Deleted", f"pod {md.get('name')} was deleted", notify)
            return
        run.pod = md.get("name")
        seen = runs.observe_pod(obj)
        run.ready, run.restarts = seen.ready, seen.restarts
        if run.kind == "Job" and seen.state in runs.TERMINAL:
            return  # the Job decides (it may start another pod)
        self._record(run, seen.state, seen.reason, seen.message, notify)

    # -- launching ------------------------------------------------------------------------------
    def _template(self, name: str) -> RawObject:
        tpl = self._templates.get(name)
        if tpl is None:
            if not _NAME.match(name):
                raise InputError(f"template must be a name from manifests/templates (got {name!r})")
            tpl = self._templates[name] = load_template(name)
        return tpl

    def _parse(self, body: Any) -> tuple[runs.Run, RawObject]:
        if not isinstance(body, dict):
            raise InputError("the body must be a JSON object")
        template_name = body.get("template")
        if not isinstance(template_name, str):
            raise InputError("'template' (a template name such as batch-with-limits) is required")
        tpl = self._template(template_name)
        kind = tpl.get("kind", "Pod")
        pod_spec = tpl["spec"]["template"]["spec"] if kind == "Job" else tpl["spec"]
        mode = body.get("mode") or ("online" if pod_spec.get("restartPolicy", "Always") == "Always" and kind == "Pod"
                                    else "batch")
        if mode not in ("batch", "online"):
            raise InputError("'mode' must be batch or online")
        params = body.get("params") or {}
        if not isinstance(params, dict):
            raise InputError("'params' must be an object")
        unknown = set(params) - {"memory_usage", "memory_ramp_seconds", "cpu_busy", "duration_seconds"}
        if unknown:
            raise InputError(f"unknown params: {', '.join(sorted(unknown))}")
        nums: dict[str, float | None] = {}
        for key in ("memory_ramp_seconds", "cpu_busy", "duration_seconds"):
            v = params.get(key)
            if v is not None and (not isinstance(v, int | float) or isinstance(v, bool) or v < 0):
                raise InputError(f"params.{key} must be a non-negative number")
            nums[key] = float(v) if v is not None else None
        mem = params.get("memory_usage")
        if mem is not None and not isinstance(mem, str):
            raise InputError("params.memory_usage must be a quantity string such as 600Mi")
        run_id = f"r-{uuid.uuid4().hex[:12]}"
        launch_id = body.get("launch_id") or run_id
        run_label = body.get("run") or "adhoc"
        for what, v in (("launch_id", launch_id), ("run", run_label)):
            if not isinstance(v, str) or not _LABEL_VALUE.match(v):
                raise InputError(f"'{what}' must be a valid label value (63 chars of [A-Za-z0-9-_.])")
        callback = body.get("callback_url")
        if callback is not None and (not isinstance(callback, str) or not callback.startswith(("http://", "https://"))):
            raise InputError("'callback_url' must be an http(s) URL")
        labels = body.get("labels") or {}
        annotations = body.get("annotations") or {}
        if not all(isinstance(d, dict) and all(isinstance(v, str) for v in d.values())
                   for d in (labels, annotations)):
            raise InputError("'labels' and 'annotations' must map strings to strings")
        overrides = body.get("spec") or {}
        if not isinstance(overrides, dict) or set(overrides) - set(_SPEC_OVERRIDES):
            raise InputError(f"'spec' may only set: {', '.join(_SPEC_OVERRIDES)}")
        now = time.time()
        clean_params = {k: v for k, v in params.items() if v is not None}
        lp = LaunchParams(
            launch_id=launch_id, mode=mode, run=run_label, memory_usage=mem,
            memory_ramp_s=nums["memory_ramp_seconds"], cpu_busy=nums["cpu_busy"],
            duration_s=nums["duration_seconds"],
            extra_labels={**labels, runs.RUNNER_LABEL: self.config.name, runs.RUN_ID_LABEL: run_id},
            extra_annotations={**annotations, runs.TEMPLATE_ANNOTATION: template_name,
                               runs.ACCEPTED_ANNOTATION: f"{now:.6f}",
                               runs.PARAMS_ANNOTATION: json.dumps(clean_params, sort_keys=True),
                               **({runs.CALLBACK_ANNOTATION: callback} if callback else {})},
        )
        obj = render_pod(tpl, lp, self.config.namespace)
        target_spec = obj["spec"]["template"]["spec"] if kind == "Job" else obj["spec"]
        target_spec.update(overrides)
        limits = obj["metadata"]["labels"][LIMITS_LABEL] if kind == "Pod" else \
            obj["spec"]["template"]["metadata"]["labels"][LIMITS_LABEL]
        run = runs.Run(run_id=run_id, launch_id=launch_id, mode=mode, limits=limits, template=template_name,
                       namespace=self.config.namespace, kind=kind, callback_url=callback, params=clean_params,
                       accepted_at=now)
        return run, obj

    def _path(self, kind: str) -> str:
        ns = self.config.namespace
        return f"/apis/batch/v1/namespaces/{ns}/jobs" if kind == "Job" else f"/api/v1/namespaces/{ns}/pods"

    async def _create(self, run: runs.Run, obj: RawObject) -> RawObject:
        assert self.loop is not None
        run.attempts += 1
        try:
            created: RawObject = await self.loop.run_in_executor(self._pool, self.kube.create, self._path(run.kind), obj)
        except ApiError as exc:
            self.metrics.creates.labels(status=str(exc.status)).inc()
            raise
        except ClusterError:
            self.metrics.creates.labels(status="unreachable").inc()
            raise
        self.metrics.creates.labels(status="201").inc()
        run.name = created["metadata"]["name"]
        if run.kind == "Pod":
            run.pod = run.name
        if run.stop_requested_at is None:
            if run.state == "Pending":
                self._pending.add(run.run_id)
        return created

    async def launch(self, body: Any) -> Answer:
        started = time.monotonic()
        try:
            answer = await self._launch(body)
        except K8sStressError as exc:
            answer = _error(400, "bad_request", exc.message)
        self.metrics.launch_seconds.observe(time.monotonic() - started)
        return answer

    async def _launch(self, body: Any) -> Answer:
        run, obj = self._parse(body)
        spec = obj["spec"]["template"]["spec"] if run.kind == "Job" else obj["spec"]
        if self.capacity is not None:
            why = self.capacity.room(spec)
            if why:
                self.metrics.backpressure.labels(why=why.split(":")[0]).inc()
                self.metrics.launches.labels(mode=run.mode, limits=run.limits, result="429").inc()
                return Answer(429, {"error": "no_room", "message": f"no room for the pod: {why}",
                                    "retry_after_s": 1}, {"Retry-After": "1"})
        self.runs[run.run_id] = run  # before the create: its pod's first watch event may come first
        try:
            await self._create(run, obj)
        except ClusterError as exc:
            answer = self._on_create_error(run, obj, exc)
            self.metrics.launches.labels(mode=run.mode, limits=run.limits, result=str(answer.status)).inc()
            return answer
        if not run.history:
            self._record(run, "Pending", None, None)
        if self.capacity is not None:
            self.capacity.reserve(spec)
        self.metrics.launches.labels(mode=run.mode, limits=run.limits, result="201").inc()
        return Answer(201, run.as_json())

    def _on_create_error(self, run: runs.Run, obj: RawObject, exc: ClusterError) -> Answer:
        status = exc.status if isinstance(exc, ApiError) else 0
        message = exc.api_message if isinstance(exc, ApiError) else exc.message
        if self.policy.forget_errors:
            log.warning("create for run %s failed (forgotten by the naive policy): %s", run.run_id, message)
            self._record(run, "Pending", None, None)
            return Answer(202, run.as_json())
        if self.policy.backpressure and (status == 429 or policies.is_quota_error(status, message)):
            self.runs.pop(run.run_id, None)
            self._pending.discard(run.run_id)
            self.metrics.backpressure.labels(why="refused").inc()
            return Answer(429, {"error": "no_room", "message": f"the API server refused the pod: {message}",
                                "retry_after_s": 1}, {"Retry-After": "1"})
        if self.policy.retries and policies.is_retryable(status, message):
            self._record(run, "Pending", "CreateRetrying", message)
            self._retrying[run.run_id] = asyncio.create_task(self._retry(run, obj))
            return Answer(202, run.as_json())
        self._record(run, "Failed", policies.error_reason(status, message), message)
        return Answer(422 if 400 <= status < 500 else 502,
                      {"error": "create_refused" if status else "cluster_unreachable", "message": message,
                       "status": status, "run": run.as_json()})

    async def _retry(self, run: runs.Run, obj: RawObject) -> None:
        def retryable(e: BaseException) -> bool:
            if isinstance(e, ApiError):
                return policies.is_retryable(e.status, e.api_message)
            return isinstance(e, ClusterError)
        try:
            async for attempt in AsyncRetrying(stop=stop_after_delay(self.config.retry_for_s),
                                               wait=wait_exponential_jitter(initial=0.2, max=5),
                                               retry=retry_if_exception(retryable), reraise=True):
                with attempt:
                    if run.stop_requested_at is not None:
                        return
                    if attempt.retry_state.attempt_number > 1:
                        self.metrics.retries.inc()
                    await self._create(run, obj)
            if run.stop_requested_at is not None:  # stopped while this create was in flight: no orphan
                await self._delete(run)
                return
            if run.reason == "CreateRetrying":
                self._record(run, "Pending", None, None)
        except ClusterError as exc:
            status = exc.status if isinstance(exc, ApiError) else 0
            message = exc.api_message if isinstance(exc, ApiError) else exc.message
            self._record(run, "Failed", policies.error_reason(status, message),
                         f"gave up after {run.attempts} attempts: {message}")
        finally:
            self._retrying.pop(run.run_id, None)

    # -- stopping -------------------------------------------------------------------------------
    async def _delete(self, run: runs.Run) -> bool:
        """Delete the run's object; False when it was already gone."""
        assert self.loop is not None and run.name
        path = f"{self._path(run.kind)}/{run.name}"
        query = {"propagationPolicy": "Background"} if run.kind == "Job" else {}
        try:
            await self.loop.run_in_executor(self._pool, lambda: self.kube.delete(path, **query))
        except ApiError as exc:
            if exc.status == 404:
                return False
            raise
        return True

    async def stop_run(self, run_id: str) -> Answer:
        run = self.runs.get(run_id)
        if run is None:
            self.metrics.stops.labels(result="404").inc()
            return _error(404, "run_not_found", f"no run with id {run_id!r}", run_id=run_id)
        if run.terminal:
            if run.state != "Stopped" and run.name:
                try:
                    await self._delete(run)  # clean up what is left of a finished run
                except ClusterError:
                    pass
            self.metrics.stops.labels(result="200").inc()
            return Answer(200, {**run.as_json(), "note": f"the run had already ended ({run.state})"})
        run.stop_requested_at = run.stop_requested_at or time.time()
        # a retrying create is not cancelled (its call may be in flight): it sees the stop and cleans up
        if not run.name:
            self._record(run, "Stopped", "StoppedBeforeCreate", None)
            self.metrics.stops.labels(result="200").inc()
            return Answer(200, run.as_json())
        try:
            existed = await self._delete(run)
        except ClusterError as exc:
            self.metrics.stops.labels(result="502").inc()
            return _error(502, "delete_failed", exc.message, run=run.as_json())
        if not existed:
            self._record(run, "Stopped", None, None)
            self.metrics.stops.labels(result="200").inc()
            return Answer(200, run.as_json())
        self._stopping.add(run_id)
        self.metrics.stops.labels(result="202").inc()
        return Answer(202, run.as_json())

    # -- the sweeper: pending timeouts, confirmed stops ---------------------------------------------
    async def _sweep(self) -> None:
        while True:
            await asyncio.sleep(1)
            try:
                await self._sweep_once(time.time())
            except Exception:
                log.exception("sweep failed")

    async def _sweep_once(self, now: float) -> None:
        if self.policy.pending_timeout:
            for run_id in list(self._pending):
                run = self.runs.get(run_id)
                if run is None or run.state != "Pending" or not run.name:
                    self._pending.discard(run_id)
                    continue
                if run.pending_since is not None and now - run.pending_since > self.config.pending_timeout_s:
                    why = f" ({run.reason}: {run.message})" if run.reason else ""
                    self._record(run, "Failed", "PendingTimeout",
                                 f"Pending for more than {self.config.pending_timeout_s:g}s{why}; deleted")
                    self.metrics.pending_timeouts.inc()
                    try:
                        await self._delete(run)
                    except ClusterError as exc:
                        log.warning("could not delete %s after its pending timeout: %s", run.name, exc)
        for run_id in list(self._stopping):
            run = self.runs.get(run_id)
            if run is None or run.terminal:
                self._stopping.discard(run_id)
                continue
            if run.stop_requested_at and now - run.stop_requested_at > 10 and run.name:
                assert self.loop is not None
                try:
                    await self.loop.run_in_executor(
                        self._pool, self.kube.get, f"{self._path(run.kind)}/{run.name}")
                except ApiError as exc:
                    if exc.status == 404:
                        self._record(run, "Stopped", None, None)

    # -- queries --------------------------------------------------------------------------------
    def counts(self) -> dict[str, int]:
        out = dict.fromkeys(runs.STATES, 0)
        for r in self.runs.values():
            out[r.state] = out.get(r.state, 0) + 1
        return out

    def list_runs(self, state: str | None = None, launch_id: str | None = None, limit: int | None = None
                  ) -> list[dict[str, Any]]:
        out = []
        for r in self.runs.values():
            if (state is None or r.state == state) and (launch_id is None or r.launch_id == launch_id):
                out.append(r.as_json())
                if limit is not None and len(out) >= limit:
                    break
        return out
