from __future__ import annotations

from fractions import Fraction

import pytest

from k8sstress.classify.qos import limits_of, qos_class, qos_class_from_spec
from k8sstress.classify.quantity import parse_quantity


def spec(*resources, init=(), pod_level=None):
    s = {"containers": [{"name": f"c{i}", "resources": r} for i, r in enumerate(resources)],
         "initContainers": [{"name": f"i{i}", "resources": r} for i, r in enumerate(init)]}
    if pod_level is not None:
        s["resources"] = pod_level
    return s


@pytest.mark.parametrize("text,value", [
    ("500m", Fraction(1, 2)), ("1", Fraction(1)), ("0.5", Fraction(1, 2)), ("1Gi", Fraction(2**30)),
    ("128Mi", Fraction(128 * 2**20)), ("1G", Fraction(10**9)), ("2e3", Fraction(2000)), ("100k", Fraction(100_000)),
    (2, Fraction(2)),
])
def test_parse_quantity(text, value):
    assert parse_quantity(text) == value


@pytest.mark.parametrize("text", ["", "lots", "1Qi", None, True, {"cpu": 1}])
def test_parse_quantity_rejects(text):
    assert parse_quantity(text) is None


def test_best_effort_without_requests_or_limits():
    assert qos_class_from_spec(spec({}, {})) == "BestEffort"


def test_guaranteed_needs_cpu_and_memory_limits_equal_to_requests():
    r = {"requests": {"cpu": "500m", "memory": "256Mi"}, "limits": {"cpu": "0.5", "memory": "256Mi"}}
    assert qos_class_from_spec(spec(r, r)) == "Guaranteed"


def test_limits_only_defaults_requests_like_the_apiserver():
    assert qos_class_from_spec(spec({"limits": {"cpu": "1", "memory": "1Gi"}})) == "Guaranteed"


def test_burstable_when_one_container_lacks_limits():
    g = {"requests": {"cpu": "1", "memory": "1Gi"}, "limits": {"cpu": "1", "memory": "1Gi"}}
    assert qos_class_from_spec(spec(g, {})) == "Burstable"


def test_burstable_memory_limit_only():
    assert qos_class_from_spec(spec({"requests": {"cpu": "250m", "memory": "128Mi"},
                                     "limits": {"memory": "256Mi"}})) == "Burstable"


def test_zero_quantities_and_other_resources_do_not_count():
    assert qos_class_from_spec(spec({"requests": {"cpu": "0", "ephemeral-storage": "1Gi"}})) == "BestEffort"


def test_init_container_requests_count():
    assert qos_class_from_spec(spec({}, init=[{"requests": {"cpu": "100m"}}])) == "Burstable"


def test_pod_level_resources_replace_containers():
    pod_level = {"requests": {"cpu": "1", "memory": "1Gi"}, "limits": {"cpu": "1", "memory": "1Gi"}}
    assert qos_class_from_spec(spec({}, pod_level=pod_level)) == "Guaranteed"


def test_status_qos_class_wins_over_spec():
    pod = {"spec": spec({}), "status": {"qosClass": "Burstable"}}
    assert qos_class(pod) == "Burstable"
    pod["status"]["qosClass"] = "Bogus"
    assert qos_class(pod) == "BestEffort"


def test_limits_with_any_container_any_resource():
    assert limits_of({"spec": spec({}, {"limits": {"memory": "256Mi"}})}) == "with"
    assert limits_of({"spec": spec({"limits": {"ephemeral-storage": "1Gi"}})}) == "with"
    assert limits_of({"spec": spec({"requests": {"cpu": "1"}}, init=[{}])}) == "without"
    assert limits_of({"spec": spec({"limits": {"cpu": "0"}})}) == "without"


def test_garbage_specs_do_not_raise():
    assert qos_class_from_spec(None) == "BestEffort"
    assert qos_class_from_spec({"containers": "nope"}) == "BestEffort"
    assert qos_class_from_spec({"containers": [{"resources": {"limits": ["cpu"]}}]}) == "BestEffort"
    assert limits_of("not a pod") == "without"
