"""``direct``: the harness itself is the runner; each launch creates one pod through the Kube seam.

The baseline: no runner in between, so what the cluster does is all there is. Pods
are tied to launches by the ``k8sstress.io/launch-id`` label. A create refused at
admission (403 quota, LimitRange) is a rejected launch with the API's message. The
status is the pod's phase (the runner's view is the truth here).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pydantic import Field

from k8sstress.errors import ClusterError
from k8sstress.kube import ApiError
from k8sstress.load.launches import LaunchRequest, LaunchResult, StatusResult, StopRequest, StopResult
from k8sstress.records import LAUNCH_ID_LABEL
from k8sstress.targets.base import BaseTarget, PodTie, TargetOptions, register_target

__all__ = ["DirectTarget", "DirectOptions", "launch_status_from_api_error", "delete_as_stop"]


class DirectOptions(TargetOptions):
    grace_period: int | None = Field(default=None, ge=0, description="deleteOptions.gracePeriodSeconds on stop")


def launch_status_from_api_error(exc: ApiError) -> str:
    """4xx (but 429) -> rejected (the cluster said no); 429, 5xx -> error (it could not answer)."""
    if 400 <= exc.status < 500 and exc.status != 429:
        return "rejected"
    return "error"


def delete_as_stop(kube: Any, path: str, **query: Any) -> StopResult:
    """DELETE ``path`` as a stop: 404 is not-found, other API errors rejected/error, else accepted."""
    try:
        kube.delete(path, **query)
    except ApiError as exc:
        if exc.status == 404:
            return StopResult("not-found", http_status=404, error=exc.api_message)
        return StopResult(launch_status_from_api_error(exc), http_status=exc.status,  # type: ignore[arg-type]
                          error=exc.api_message)
    except ClusterError as exc:
        return StopResult("error", error=exc.message)
    return StopResult("accepted", http_status=200)


class DirectTarget(BaseTarget):
    name = "direct"
    tie = PodTie(by="label", key=LAUNCH_ID_LABEL, value="launch-id")

    def __init__(self, options: DirectOptions) -> None:
        super().__init__(options)
        self.grace_period = options.grace_period

    def _create(self, req: LaunchRequest) -> LaunchResult:
        try:
            pod = self.kube.create(f"/api/v1/namespaces/{req.namespace}/pods", req.manifest)
        except ApiError as exc:
            return LaunchResult(launch_status_from_api_error(exc), http_status=exc.status,  # type: ignore[arg-type]
                                error=exc.api_message, extra={"reason": exc.reason})
        except ClusterError as exc:
            return LaunchResult("error", error=exc.message)
        name = pod["metadata"]["name"]
        return LaunchResult("accepted", http_status=201, run_id=name, pod_name=name,
                            extra={"pod_uid": pod["metadata"].get("uid")})

    async def launch(self, request: LaunchRequest) -> LaunchResult:
        return await self.in_thread(self._create, request)  # type: ignore[no-any-return]

    def _delete(self, req: StopRequest) -> StopResult:
        name = req.pod_name or req.run_id
        query: dict[str, Any] = {}
        if self.grace_period is not None:
            query["gracePeriodSeconds"] = self.grace_period
        return delete_as_stop(self.kube, f"/api/v1/namespaces/{req.namespace}/pods/{name}", **query)

    async def stop(self, request: StopRequest) -> StopResult:
        return await self.in_thread(self._delete, request)  # type: ignore[no-any-return]

    def _get(self, req: StopRequest) -> StatusResult:
        name = req.pod_name or req.run_id
        try:
            pod = self.kube.get(f"/api/v1/namespaces/{req.namespace}/pods/{name}")
        except ApiError as exc:
            if exc.status == 404:
                return StatusResult("Stopped" if req.stopped else "Unknown", runner_state="NotFound", http_status=404)
            return StatusResult("Unknown", http_status=exc.status, error=exc.api_message)
        except ClusterError as exc:
            return StatusResult("Unknown", error=exc.message)
        phase = (pod.get("status") or {}).get("phase") or "Pending"
        state = phase if phase in ("Pending", "Running", "Succeeded", "Failed") else "Unknown"
        shown = f"{phase}/Terminating" if pod["metadata"].get("deletionTimestamp") else phase
        return StatusResult(state, runner_state=shown, http_status=200)

    async def status(self, request: StopRequest) -> StatusResult | None:
        return await self.in_thread(self._get, request)  # type: ignore[no-any-return]


@register_target("direct")
def _factory(options: dict[str, Any], base_dir: Path | None) -> DirectTarget:
    return DirectTarget(DirectOptions.model_validate(options))
