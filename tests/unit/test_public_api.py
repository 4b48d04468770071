"""The package's public surface: what `import k8sstress` promises."""

import k8sstress


def test_public_names_are_exported_and_importable() -> None:
    for name in k8sstress.__all__:
        assert hasattr(k8sstress, name), name
    assert {"Outcome", "Verdict", "classify_pod", "K8sStressError", "LaunchRecord"} <= set(k8sstress.__all__)


def test_outcome_taxonomy_names_are_the_contract() -> None:
    assert k8sstress.OUTCOMES == (
        "Pending", "Unschedulable", "Running", "Succeeded", "Failed", "OOMKilled", "CrashLoopBackOff",
        "Evicted", "Preempted", "KubeletRejected", "ImagePullFailed", "AdmissionRejected", "Deleted",
        "Stopped", "Lost", "Orphaned")


def test_error_exit_codes_follow_the_design() -> None:
    assert k8sstress.InputError("x").exit_code == 1
    assert k8sstress.RunTimeout("x").exit_code == 2
    assert k8sstress.SLOFailed("x").exit_code == 3
    assert k8sstress.RunAborted("x").exit_code == 4
