"""Scenario files: a valid file loads; a bad one names the file, the line and the field."""

from __future__ import annotations

from pathlib import Path

import pytest

from k8sstress.errors import ConfigError
from k8sstress.load.profiles import Staircase
from k8sstress.load.scenario import load_scenario, parse_scenario, resolve_scenario_path
from k8sstress.load.suite import load_suite

ROOT = Path(__file__).resolve().parents[3]

GOOD = """\
name: demo-mix
mix:
  - mode: batch
    template: batch-with-limits
    weight: 3
    params: {memory-usage: 300Mi, duration: 20s}
  - mode: online
    template: online-without-limits
    lifetime: 1m
profile:
  kind: staircase
  start-rate: 2
  steps: 3
stop: {online: end, batch: 5m}
slo:
  launch_api_p99_s: {max: 1.0}
  launch_success_rate: {min: 0.95}
"""


def write(tmp_path: Path, text: str, name: str = "s.yaml") -> Path:
    p = tmp_path / name
    p.write_text(text)
    return p


def error_of(tmp_path: Path, text: str) -> ConfigError:
    p = write(tmp_path, text)
    with pytest.raises(ConfigError) as exc:
        load_scenario(p)
    return exc.value


def test_a_good_scenario_loads(tmp_path: Path) -> None:
    s = load_scenario(write(tmp_path, GOOD))
    assert s.name == "demo-mix"
    assert [m.limits for m in s.mix] == ["with", "without"]
    assert s.mix[0].params.duration == 20.0
    assert s.mix[1].lifetime == 60.0
    assert isinstance(s.profile, Staircase)
    assert s.stop.online == "end" and s.stop.batch == 300.0
    rec = s.as_record()
    assert rec["slo"] == {"launch_api_p99_s": {"max": 1.0}, "launch_success_rate": {"min": 0.95}}
    assert rec["profile"]["kind"] == "staircase"


def test_error_names_file_line_and_field(tmp_path: Path) -> None:
    err = error_of(tmp_path, GOOD.replace("weight: 3", "weight: -3"))
    assert err.path and err.path.endswith("s.yaml")
    assert err.line == 5
    assert err.field == "mix.0.weight"
    assert "greater than 0" in err.message
    assert err.message.startswith(f"{err.path}:5: field 'mix.0.weight'")


def test_unknown_field_is_named(tmp_path: Path) -> None:
    err = error_of(tmp_path, GOOD.replace("    lifetime: 1m", "    lifetme: 1m"))
    assert err.field == "mix.1.lifetme"
    assert err.line == 9
    assert "unknown field" in err.message


def test_missing_field_points_at_its_parent(tmp_path: Path) -> None:
    err = error_of(tmp_path, GOOD.replace("    template: online-without-limits\n", ""))
    assert err.field == "mix.1.template"
    assert err.line == 7  # the list item that lacks it
    assert "required" in err.message.lower()


def test_profile_field_errors_skip_the_union_tag(tmp_path: Path) -> None:
    err = error_of(tmp_path, GOOD.replace("steps: 3", "steps: 0"))
    assert err.field == "profile.steps"
    assert err.line == 13


def test_unknown_profile_kind(tmp_path: Path) -> None:
    err = error_of(tmp_path, GOOD.replace("kind: staircase", "kind: stairs"))
    assert err.field == "profile"
    assert "unknown profile kind 'stairs'" in err.message
    assert "staircase" in err.message


def test_bad_duration(tmp_path: Path) -> None:
    err = error_of(tmp_path, GOOD.replace("lifetime: 1m", "lifetime: soon"))
    assert err.field == "mix.1.lifetime" and err.line == 9
    assert "not a duration" in err.message


def test_bad_slo_bound(tmp_path: Path) -> None:
    err = error_of(tmp_path, GOOD.replace("{max: 1.0}", "{max: fast}"))
    assert err.field == "slo.launch_api_p99_s.max"
    assert err.line == 16


def test_slo_needs_max_or_min(tmp_path: Path) -> None:
    err = error_of(tmp_path, GOOD.replace("{max: 1.0}", "{}"))
    assert err.field == "slo.launch_api_p99_s"
    assert "'max' or 'min'" in err.message


def test_unknown_slo_metric(tmp_path: Path) -> None:
    err = error_of(tmp_path, GOOD.replace("launch_api_p99_s", "launch_p99"))
    assert err.field == "slo.launch_p99"
    assert "unknown metric" in err.message


def test_unknown_template(tmp_path: Path) -> None:
    err = error_of(tmp_path, GOOD.replace("template: batch-with-limits", "template: no-such-template"))
    assert err.field == "mix.0.template" and err.line == 4
    assert "not found" in err.message


def test_batch_needs_a_run_to_completion_template(tmp_path: Path) -> None:
    err = error_of(tmp_path, GOOD.replace("template: batch-with-limits", "template: online-with-limits"))
    assert err.field == "mix.0.template"
    assert "restartPolicy" in err.message


def test_yaml_syntax_error_has_a_line(tmp_path: Path) -> None:
    err = error_of(tmp_path, GOOD.replace("  - mode: online", "  - mode: [online"))
    assert err.line is not None and err.line >= 7
    assert "not valid YAML" in err.message


def test_setup_object_kind_is_checked(tmp_path: Path) -> None:
    text = GOOD + "setup:\n  objects:\n    - {apiVersion: apps/v1, kind: Deployment, metadata: {name: x}}\n"
    err = error_of(tmp_path, text)
    assert err.field == "setup.objects"
    assert "Deployment" in err.message


def test_action_must_name_a_dedicated_pool(tmp_path: Path) -> None:
    text = GOOD + "actions:\n  - {action: add-node, at: 5s, pool: nope}\n"
    err = error_of(tmp_path, text)
    assert "pool 'nope'" in err.message


def test_expect_outcomes_are_from_the_taxonomy(tmp_path: Path) -> None:
    err = error_of(tmp_path, GOOD + "expect: {outcomes: [Exploded]}\n")
    assert err.field == "expect.outcomes"
    assert "Exploded" in err.message


def test_duplicate_mix_names(tmp_path: Path) -> None:
    text = GOOD.replace("  - mode: online\n    template: online-without-limits",
                        "  - mode: batch\n    template: batch-with-limits")
    err = error_of(tmp_path, text)
    assert "distinct names" in err.message


def test_a_suite_file_is_not_a_scenario(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="suite file"):
        parse_scenario("suite: x\nscenarios: [a.yaml]\n", str(tmp_path / "x.yaml"))


def test_time_scale_compresses_the_profile(tmp_path: Path) -> None:
    s = load_scenario(write(tmp_path, GOOD))
    full = s.shape(1.0)
    fast = s.shape(0.01)
    assert full.duration == pytest.approx(20 * 60 + 3600 + 2 * (15 * 60 + 1800))
    assert fast.duration == pytest.approx(full.duration * 0.01)
    assert fast.peak_rate == full.peak_rate


def test_every_shipped_scenario_loads() -> None:
    files = sorted((ROOT / "scenarios").rglob("*.yaml"))
    assert files
    for f in files:
        if f.name == "suite.yaml":
            continue
        load_scenario(f)


def test_the_exhaustion_suite_loads_and_resolves_by_name() -> None:
    path = resolve_scenario_path("exhaustion")
    suite = load_suite(path)
    names = [s.name for s in suite.scenarios]
    assert names == ["cpu-limits", "memory-no-limits", "memory-over-limits", "namespace-quota", "pod-count",
                     "node-loss", "online-flood", "stop-storm", "staircase"]
    for s in suite.scenarios:
        assert s.expect.outcomes, f"{s.name} says what it must produce"
        assert s.shape().duration < 30, f"{s.name} is short at time scale 1"


def test_unknown_action(tmp_path: Path) -> None:
    err = error_of(tmp_path, GOOD + "actions:\n  - {action: reboot, at: 5s}\n")
    assert err.field == "actions.0" and "unknown action 'reboot'" in err.message
    assert "node-loss" in err.message


def test_action_fields_are_checked(tmp_path: Path) -> None:
    text = GOOD + "setup:\n  nodes:\n    - {name: pair, count: 2}\nactions:\n  - {action: node-loss, at: soon, node: pair}\n"
    err = error_of(tmp_path, text)
    assert err.field == "actions.0.at" and "not a duration" in err.message


def test_inline_cluster_is_kept_for_the_cluster_layer(tmp_path: Path) -> None:
    s = load_scenario(write(tmp_path, GOOD + "cluster:\n  node-pools:\n    - {name: a, count: 1}\n"))
    assert s.cluster == {"node-pools": [{"name": "a", "count": 1}]}
    err = s.error_at(("cluster", "node-pools", 0, "count"), "too many")
    assert err.line == 20 and err.field == "cluster.node-pools.0.count"


def test_stop_policy_words_and_durations(tmp_path: Path) -> None:
    s = load_scenario(write(tmp_path, GOOD.replace("stop: {online: end, batch: 5m}", "stop: {online: 90s}")))
    assert s.stop.online == 90.0 and s.stop.batch == "finish"
    err = error_of(tmp_path, GOOD.replace("stop: {online: end, batch: 5m}", "stop: {online: later}"))
    assert err.field == "stop.online" and "end, never" in err.message
