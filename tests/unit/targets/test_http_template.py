"""The http target's request-template file: validation up front, rendering, JSONPath, states."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from k8sstress.errors import ConfigError
from k8sstress.targets.http import tie_of
from k8sstress.targets.http_template import (
    first_match,
    load_http_template,
    parse_http_template,
    sample_context,
)

ROOT = Path(__file__).resolve().parents[3]

TEMPLATE = """\
name: jobrunner
base-url: "https://{{ options.host }}/api"
auth:
  header: Authorization
  env: JOBRUNNER_TOKEN
  format: "Bearer {{ token }}"
launch:
  method: POST
  path: /v1/nodes/{{ launch.launch_id }}/runs
  body:
    node: "{{ launch.launch_id }}"
    kind: "{{ launch.mode | upper }}"
    pod: "{{ launch.manifest }}"
    memory: "{{ launch.params.get('memory_usage') }}"
    note: "run {{ launch.run }} in {{ namespace }}"
  run-id: $.run.id
status:
  method: GET
  path: "/v1/runs/{{ run_id }}"
  state: $.run.status
stop:
  method: DELETE
  path: "/v1/runs/{{ run_id }}"
states:
  QUEUED: Pending
  RUNNING: Running
  DONE: Succeeded
  ERROR: Failed
  CANCELLED: Stopped
pods:
  annotation: jobrunner.example.com/run-id
"""


@pytest.fixture(autouse=True)
def token(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("JOBRUNNER_TOKEN", "s3cret")


def parse(text: str = TEMPLATE, **kw: object):  # type: ignore[no-untyped-def]
    return parse_http_template(text, "runner.yaml", options={"host": "runner.example.com"}, **kw)  # type: ignore[arg-type]


def err(text: str, **kw: object) -> ConfigError:
    with pytest.raises(ConfigError) as exc:
        parse(text, **kw)
    return exc.value


def test_render_launch_keeps_native_types() -> None:
    tpl = parse()
    ctx = sample_context({"host": "runner.example.com"})
    ctx["launch"]["params"] = {"memory_usage": "600Mi"}
    method, path, headers, body = tpl.render_request("launch", ctx)
    assert method == "POST"
    assert path == "/v1/nodes/abc123-000000/runs"
    assert headers["Content-Type"] == "application/json"
    data = json.loads(body or b"")
    assert data["node"] == "abc123-000000"
    assert data["kind"] == "BATCH"
    assert data["pod"]["kind"] == "Pod"  # a single expression stays a mapping
    assert data["memory"] == "600Mi"
    assert data["note"] == "run run-1 in ns"  # mixed text is rendered as text


def test_missing_param_renders_as_null() -> None:
    tpl = parse()
    _, _, _, body = tpl.render_request("launch", sample_context())
    assert json.loads(body or b"")["memory"] is None


def test_stop_and_status_paths_use_the_run_id() -> None:
    tpl = parse()
    ctx = {**sample_context(), "run_id": "r-42"}
    assert tpl.render_request("stop", ctx)[:2] == ("DELETE", "/v1/runs/r-42")
    method, path, _, body = tpl.render_request("status", ctx)
    assert (method, path, body) == ("GET", "/v1/runs/r-42", None)


def test_base_url_and_auth_render_from_env_and_options() -> None:
    tpl = parse()
    base = {"env": {}, "options": {"host": "runner.example.com"}}
    assert tpl.render_text("base-url", base) == "https://runner.example.com/api"
    assert tpl.render_text("auth.format", {**base, "token": "s3cret"}) == "Bearer s3cret"


def test_jsonpath_and_state_mapping() -> None:
    tpl = parse()
    assert first_match(tpl.jsonpath("launch.run-id"), {"run": {"id": "r-1"}}) == "r-1"
    assert first_match(tpl.jsonpath("launch.run-id"), {"nothing": 1}) is None
    assert first_match(tpl.jsonpath("status.state"), {"run": {"status": "DONE"}}) == "DONE"
    assert tpl.map_state("DONE") == "Succeeded"
    assert tpl.map_state("CANCELLED") == "Stopped"
    assert tpl.map_state("WEIRD") == "Unknown"
    assert tpl.map_state(None) == "Unknown"


def test_pod_tie_from_the_template() -> None:
    tie = tie_of(parse())
    assert tie.by == "annotation" and tie.key == "jobrunner.example.com/run-id" and tie.value == "run-id"
    tie = tie_of(parse(TEMPLATE.replace("  annotation: jobrunner.example.com/run-id",
                                        '  name-pattern: "node-{run_id}-[a-z0-9]{5}"')))
    assert tie.by == "name-pattern" and tie.pattern == "node-{run_id}-[a-z0-9]{5}"


def test_a_body_template_string_must_render_to_json() -> None:
    text = TEMPLATE.replace('''  body:
    node: "{{ launch.launch_id }}"
    kind: "{{ launch.mode | upper }}"
    pod: "{{ launch.manifest }}"
    memory: "{{ launch.params.get('memory_usage') }}"
    note: "run {{ launch.run }} in {{ namespace }}"
''', """  body: |
    {"node": "{{ launch.launch_id }}", "pod": {{ launch.manifest | tojson }}}
""")
    tpl = parse(text)
    _, _, _, body = tpl.render_request("launch", sample_context())
    assert json.loads(body or b"")["pod"]["kind"] == "Pod"
    bad = text.replace('"node": "{{ launch.launch_id }}"', '"node": {{ launch.launch_id }}')
    e = err(bad)
    assert e.field == "launch.body" and "JSON" in e.message


def test_jinja_syntax_error_names_the_line() -> None:
    e = err(TEMPLATE.replace("path: /v1/nodes/{{ launch.launch_id }}/runs", "path: /v1/nodes/{{ launch.launch_id /runs"))
    assert e.field == "launch.path" and e.line == 9
    assert "Jinja syntax error" in e.message


def test_unknown_variable_is_caught_by_the_dry_render() -> None:
    e = err(TEMPLATE.replace("{{ launch.mode | upper }}", "{{ launch.flavour }}"))
    assert e.field == "launch.body.kind"
    assert "unknown variable" in e.message and "flavour" in e.message


def test_bad_jsonpath() -> None:
    e = err(TEMPLATE.replace("run-id: $.run.id", "run-id: $.run[[id"))
    assert e.field == "launch.run-id" and e.line == 16
    assert "JSONPath" in e.message


def test_states_must_map_to_ours() -> None:
    e = err(TEMPLATE.replace("DONE: Succeeded", "DONE: Finished"))
    assert e.field == "states"
    assert "Finished" in e.message and "Succeeded" in e.message


def test_exactly_one_pod_tie() -> None:
    e = err(TEMPLATE.replace("  annotation: jobrunner.example.com/run-id",
                             "  annotation: a/b\n  label: c/d"))
    assert e.field == "pods" and "exactly one" in e.message
    e = err(TEMPLATE.replace("  annotation: jobrunner.example.com/run-id", '  name-pattern: "node-.*"'))
    assert "{run_id}" in e.message


def test_launch_needs_a_run_id_path() -> None:
    e = err(TEMPLATE.replace("  run-id: $.run.id\n", ""))
    assert "run-id" in e.message


def test_unknown_key_is_named() -> None:
    e = err(TEMPLATE.replace("  method: DELETE", "  verb: DELETE"))
    assert e.field == "stop.verb" and "unknown field" in e.message


def test_auth_env_var_must_be_set(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("JOBRUNNER_TOKEN")
    e = err(TEMPLATE)
    assert e.field == "auth.env" and "JOBRUNNER_TOKEN" in e.message
    assert parse(TEMPLATE, check_env=False).auth is not None


def test_the_shipped_reference_runner_template_is_valid() -> None:
    tpl = load_http_template("reference-runner", options={"port": 8080})
    assert tpl.callback is not None
    assert tie_of(tpl).key == "k8sstress.io/run-id"
    ctx = sample_context({"port": 8080})
    ctx["launch"]["params"] = {"duration": 3.0}
    _, path, _, body = tpl.render_request("launch", ctx)
    data = json.loads(body or b"")
    assert path == "/runs"
    assert data["params"]["duration_seconds"] == 3.0 and data["params"]["memory_usage"] is None
    assert data["callback_url"].startswith("http://")


def test_every_shipped_template_is_valid(monkeypatch: pytest.MonkeyPatch) -> None:
    files = sorted((ROOT / "manifests" / "targets").glob("*.yaml"))
    assert files
    for f in files:
        load_http_template(str(f), options={"port": 1}, check_env=False)
