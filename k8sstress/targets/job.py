"""``job``: the built-in controllers are the runner under test.

A Batch launch becomes a ``batch/v1`` Job, an Online launch a one-replica
Deployment, each wrapping the launch's pod. Pods are tied to launches by owner
references (Job -> pod; Deployment -> ReplicaSet -> pod): a Job that retries after a
failure, or a ReplicaSet that replaces an evicted pod, gives one launch several
pods, which the analysis counts as retries. The pods also keep the launch-id label.
A create the quota refuses happens inside the controller, so the launch is accepted
and the refusal shows as the owner's ``FailedCreate`` event (AdmissionRejected).
Stop deletes the owner (propagation ``Background`` by default). Status: the Job's
conditions, the Deployment's ready replicas.
"""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any, Literal

from pydantic import Field

from k8sstress.errors import ClusterError
from k8sstress.kube import ApiError
from k8sstress.load.launches import LaunchRequest, LaunchResult, StatusResult, StopRequest, StopResult
from k8sstress.records import LAUNCH_ID_LABEL, RawObject
from k8sstress.targets.base import BaseTarget, PodTie, TargetOptions, register_target
from k8sstress.targets.direct import delete_as_stop, launch_status_from_api_error

__all__ = ["JobTarget", "JobOptions", "job_manifest", "deployment_manifest", "job_state", "deployment_state"]


class JobOptions(TargetOptions):
    backoff_limit: int = Field(default=0, ge=0, description="Job spec.backoffLimit (retries after a failed pod)")
    active_deadline: int | None = Field(default=None, ge=1, description="Job spec.activeDeadlineSeconds")
    propagation: Literal["Background", "Foreground", "Orphan"] = "Background"
    pod_replacement: Literal["TerminatingOrFailed", "Failed"] | None = None


def _owner_name(pod: RawObject, launch_id: str) -> str:
    prefix = (pod.get("metadata") or {}).get("generateName") or (pod.get("metadata") or {}).get("name") or "node-"
    prefix = prefix.rstrip("-")[:40]
    return f"{prefix}-{launch_id}".lower()


def _pod_template(pod: RawObject) -> RawObject:
    meta = pod.get("metadata") or {}
    tmeta: dict[str, Any] = {"labels": dict(meta.get("labels") or {})}
    if meta.get("annotations"):
        tmeta["annotations"] = dict(meta["annotations"])
    spec = copy.deepcopy(pod.get("spec") or {})
    return {"metadata": tmeta, "spec": spec}


def job_manifest(req: LaunchRequest, opts: JobOptions) -> RawObject:
    """The Job for a Batch launch (its pod template is the launch's pod)."""
    template = _pod_template(req.manifest)
    if template["spec"].get("restartPolicy", "Always") == "Always":
        template["spec"]["restartPolicy"] = "Never"
    spec: dict[str, Any] = {"backoffLimit": opts.backoff_limit, "template": template}
    if opts.active_deadline is not None:
        spec["activeDeadlineSeconds"] = opts.active_deadline
    if opts.pod_replacement is not None:
        spec["podReplacementPolicy"] = opts.pod_replacement
    return {"apiVersion": "batch/v1", "kind": "Job",
            "metadata": {"name": _owner_name(req.manifest, req.launch_id), "namespace": req.namespace,
                         "labels": dict(template["metadata"]["labels"])},
            "spec": spec}


def deployment_manifest(req: LaunchRequest) -> RawObject:
    """The one-replica Deployment for an Online launch."""
    template = _pod_template(req.manifest)
    template["spec"]["restartPolicy"] = "Always"
    return {"apiVersion": "apps/v1", "kind": "Deployment",
            "metadata": {"name": _owner_name(req.manifest, req.launch_id), "namespace": req.namespace,
                         "labels": dict(template["metadata"]["labels"])},
            "spec": {"replicas": 1, "selector": {"matchLabels": {LAUNCH_ID_LABEL: req.launch_id}},
                     "template": template}}


def job_state(job: RawObject) -> tuple[str, str]:
    """(our state, the Job's own words) from a Job object."""
    status = job.get("status") or {}
    for c in status.get("conditions") or []:
        if c.get("status") != "True":
            continue
        if c.get("type") == "Complete":
            return "Succeeded", "Complete"
        if c.get("type") == "Failed":
            return "Failed", f"Failed/{c.get('reason') or ''}".rstrip("/")
    ready = int(status.get("ready") or 0)
    active = int(status.get("active") or 0)
    words = f"active={active} ready={ready} failed={int(status.get('failed') or 0)}"
    return ("Running" if ready > 0 else "Pending"), words


def deployment_state(dep: RawObject) -> tuple[str, str]:
    status = dep.get("status") or {}
    ready = int(status.get("readyReplicas") or 0)
    words = f"replicas={int(status.get('replicas') or 0)} ready={ready}"
    for c in status.get("conditions") or []:
        if c.get("type") == "ReplicaFailure" and c.get("status") == "True":
            words += f" ReplicaFailure/{c.get('reason') or ''}"
    return ("Running" if ready > 0 else "Pending"), words


class JobTarget(BaseTarget):
    name = "job"
    tie = PodTie(by="owner", owner_kinds=("Job", "ReplicaSet", "Deployment"))

    def __init__(self, options: JobOptions) -> None:
        super().__init__(options)
        self.opts = options

    @staticmethod
    def _path(kind: str, namespace: str, name: str | None = None) -> str:
        base = (f"/apis/batch/v1/namespaces/{namespace}/jobs" if kind == "Job"
                else f"/apis/apps/v1/namespaces/{namespace}/deployments")
        return f"{base}/{name}" if name else base

    def _create(self, req: LaunchRequest) -> LaunchResult:
        kind = "Job" if req.mode == "batch" else "Deployment"
        body = job_manifest(req, self.opts) if kind == "Job" else deployment_manifest(req)
        try:
            obj = self.kube.create(self._path(kind, req.namespace), body)
        except ApiError as exc:
            return LaunchResult(launch_status_from_api_error(exc), http_status=exc.status,  # type: ignore[arg-type]
                                error=exc.api_message, extra={"owner_kind": kind, "reason": exc.reason})
        except ClusterError as exc:
            return LaunchResult("error", error=exc.message, extra={"owner_kind": kind})
        meta = obj["metadata"]
        return LaunchResult("accepted", http_status=201, run_id=meta["name"],
                            extra={"owner_kind": kind, "owner_name": meta["name"], "owner_uid": meta.get("uid")})

    async def launch(self, request: LaunchRequest) -> LaunchResult:
        return await self.in_thread(self._create, request)  # type: ignore[no-any-return]

    def _kind(self, req: StopRequest) -> str:
        return str(req.extra.get("owner_kind") or ("Job" if req.mode == "batch" else "Deployment"))

    def _delete(self, req: StopRequest) -> StopResult:
        return delete_as_stop(self.kube, self._path(self._kind(req), req.namespace, req.run_id),
                              propagationPolicy=self.opts.propagation)

    async def stop(self, request: StopRequest) -> StopResult:
        return await self.in_thread(self._delete, request)  # type: ignore[no-any-return]

    def _get(self, req: StopRequest) -> StatusResult:
        kind = self._kind(req)
        try:
            obj = self.kube.get(self._path(kind, req.namespace, req.run_id))
        except ApiError as exc:
            if exc.status == 404:
                return StatusResult("Stopped" if req.stopped else "Unknown", runner_state="NotFound", http_status=404)
            return StatusResult("Unknown", http_status=exc.status, error=exc.api_message)
        except ClusterError as exc:
            return StatusResult("Unknown", error=exc.message)
        state, words = job_state(obj) if kind == "Job" else deployment_state(obj)
        if obj["metadata"].get("deletionTimestamp"):
            words += " deleting"
        return StatusResult(state, runner_state=words, http_status=200)

    async def status(self, request: StopRequest) -> StatusResult | None:
        return await self.in_thread(self._get, request)  # type: ignore[no-any-return]


@register_target("job")
def _factory(options: dict[str, Any], base_dir: Path | None) -> JobTarget:
    return JobTarget(JobOptions.model_validate(options))
