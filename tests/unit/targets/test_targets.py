"""The target registry, option validation, and the job target's manifests and states (pure parts)."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from k8sstress.errors import ConfigError, InputError
from k8sstress.load.launches import LaunchRequest, render_launch_pod
from k8sstress.records import LAUNCH_ID_LABEL, RUN_LABEL
from k8sstress.targets import TARGETS, build_target
from k8sstress.targets.job import JobOptions, deployment_manifest, deployment_state, job_manifest, job_state
from k8sstress.templates import load_template


def test_registry_has_the_four_targets() -> None:
    build_target("direct")
    assert {"direct", "job", "reference", "http"} <= set(TARGETS)


def test_unknown_target() -> None:
    with pytest.raises(InputError, match="unknown target 'kubeflow'"):
        build_target("kubeflow")


def test_options_are_validated_up_front() -> None:
    with pytest.raises(ValidationError):
        build_target("job", {"backoff-limit": -1})
    with pytest.raises(ValidationError):
        build_target("direct", {"colour": "blue"})
    with pytest.raises(ConfigError, match="not found"):
        build_target("http", {"template": "no-such-runner.yaml"})


def test_every_target_says_how_its_pods_are_tied() -> None:
    ties = {name: build_target(name).describe()["tie"]["by"] for name in ("direct", "job", "reference")}
    assert ties == {"direct": "label", "job": "owner", "reference": "label"}


def request(mode: str, template: str) -> LaunchRequest:
    pod = render_launch_pod(load_template(template), launch_id="abc123-000007", mode=mode, run="run-1",
                            namespace="ns", params={"duration": 5.0}, pin_pool="run-abc123")
    return LaunchRequest(launch_id="abc123-000007", mode=mode, limits="with", template=template,  # type: ignore[arg-type]
                         mix="m", manifest=pod, namespace="ns", run="run-1")


def test_render_launch_pod_labels_annotates_and_pins() -> None:
    pod = request("batch", "batch-with-limits").manifest
    labels = pod["metadata"]["labels"]
    assert labels[LAUNCH_ID_LABEL] == "abc123-000007" and labels[RUN_LABEL] == "run-1"
    assert pod["metadata"]["annotations"]["k8sstress.io/duration-seconds"] == "5"
    assert pod["spec"]["nodeSelector"] == {"k8sstress.io/dedicated": "run-abc123"}
    assert {"key": "k8sstress.io/dedicated-run-abc123", "operator": "Exists", "effect": "NoSchedule"} \
        in pod["spec"]["tolerations"]
    assert pod["metadata"]["namespace"] == "ns"


def test_pod_overrides_merge_and_replace_lists() -> None:
    tol = [{"key": "k8sstress.io/node-lost", "operator": "Exists", "effect": "NoExecute", "tolerationSeconds": 2}]
    pod = render_launch_pod(load_template("online-with-limits"), launch_id="x-1", mode="online", run="r",
                            namespace="ns", params={}, overrides={"spec": {"tolerations": tol,
                                                                            "priorityClassName": "low"}},
                            pin_pool="run-x")
    assert pod["spec"]["priorityClassName"] == "low"
    assert pod["spec"]["tolerations"][0] == tol[0] and len(pod["spec"]["tolerations"]) == 2
    assert pod["spec"]["containers"][0]["resources"]["limits"]["cpu"] == "250m"


def test_job_manifest_wraps_the_pod() -> None:
    req = request("batch", "batch-with-limits")
    job = job_manifest(req, JobOptions(backoff_limit=2, active_deadline=600))
    assert job["kind"] == "Job" and job["metadata"]["name"] == "batch-node-abc123-000007"
    assert job["spec"]["backoffLimit"] == 2 and job["spec"]["activeDeadlineSeconds"] == 600
    tmpl = job["spec"]["template"]
    assert tmpl["metadata"]["labels"][LAUNCH_ID_LABEL] == "abc123-000007"
    assert tmpl["spec"]["restartPolicy"] == "Never"
    assert tmpl["spec"]["nodeSelector"] == {"k8sstress.io/dedicated": "run-abc123"}
    assert job["metadata"]["labels"][RUN_LABEL] == "run-1"


def test_deployment_manifest_for_online() -> None:
    dep = deployment_manifest(request("online", "online-without-limits"))
    assert dep["kind"] == "Deployment" and dep["spec"]["replicas"] == 1
    assert dep["spec"]["selector"] == {"matchLabels": {LAUNCH_ID_LABEL: "abc123-000007"}}
    assert dep["spec"]["template"]["spec"]["restartPolicy"] == "Always"
    assert dep["metadata"]["name"] == "online-node-abc123-000007"


@pytest.mark.parametrize("status,state", [
    ({"conditions": [{"type": "Complete", "status": "True"}]}, "Succeeded"),
    ({"conditions": [{"type": "Failed", "status": "True", "reason": "BackoffLimitExceeded"}]}, "Failed"),
    ({"active": 1, "ready": 1}, "Running"),
    ({"active": 1, "ready": 0}, "Pending"),
    ({}, "Pending"),
])
def test_job_state(status: dict[str, object], state: str) -> None:
    assert job_state({"status": status})[0] == state


def test_job_state_words() -> None:
    assert job_state({"status": {"conditions": [{"type": "Failed", "status": "True",
                                                 "reason": "BackoffLimitExceeded"}]}})[1] == \
        "Failed/BackoffLimitExceeded"


def test_deployment_state() -> None:
    assert deployment_state({"status": {"readyReplicas": 1, "replicas": 1}})[0] == "Running"
    state, words = deployment_state({"status": {"replicas": 0, "conditions": [
        {"type": "ReplicaFailure", "status": "True", "reason": "FailedCreate"}]}})
    assert state == "Pending" and "ReplicaFailure/FailedCreate" in words
