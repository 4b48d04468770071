"""Record and replay: a recording folds back into the same histories and verdicts."""

from __future__ import annotations

from pathlib import Path

from k8sstress.observe import Timelines, read_events, replay, resume_point
from k8sstress.observe.benchmark import synthetic_stream
from k8sstress.records import ObservedEvent
from k8sstress.rundir import RunDir


def test_replay_gives_the_same_outcomes_and_timelines_as_the_live_fold(tmp_path: Path) -> None:
    rd = RunDir(tmp_path / "run", create=True)
    live = Timelines()
    for seen, resource, type_, obj in synthetic_stream(200, wave=50):
        ev = ObservedEvent.model_construct(seen=seen, resource=resource, type=type_, object=obj)
        rd.append("observer", ev)
        if live.apply(ev) is not None:
            live.classify_changed()  # as the live observer does, in (here: one-event) batches
    rd.close()
    replayed = replay(rd.path)  # a run directory or the file itself
    assert len(replayed) == len(live) == 200
    assert [v.as_json() for v in replayed.verdicts()] == [v.as_json() for v in live.verdicts()]
    assert replayed.histories() == live.histories()
    assert sum(1 for _ in read_events(rd.file("observer"))) == sum(1 for _ in synthetic_stream(200, wave=50))


def test_a_torn_last_line_is_skipped(tmp_path: Path) -> None:
    f = tmp_path / "observer.jsonl"
    items = list(synthetic_stream(3))
    with f.open("w") as fh:
        for seen, resource, type_, obj in items:
            fh.write(ObservedEvent.model_construct(seen=seen, resource=resource, type=type_,
                                                   object=obj).model_dump_json() + "\n")
        fh.write('{"seen": 1.0, "resource": "pods", "ty')
    t = replay(f)
    assert len(t) == 3
    assert sum(1 for _ in read_events(f)) == len(items)


def test_resume_point_is_the_newest_watch_position_per_resource(tmp_path: Path) -> None:
    f = tmp_path / "observer.jsonl"
    lines = [
        {"seen": 1, "resource": "pods", "type": "ADDED", "object": {"metadata": {"resourceVersion": "90"}}},
        {"seen": 2, "resource": "pods", "type": "MODIFIED", "object": {"metadata": {"resourceVersion": "120"}}},
        {"seen": 3, "resource": "events", "type": "ADDED", "object": {"metadata": {"resourceVersion": "110"}}},
        {"seen": 4, "resource": "pods", "type": "MODIFIED", "object": {"metadata": {"resourceVersion": "100"}}},
        {"seen": 5, "resource": "pods", "type": "DELETED", "synthetic": True,
         "object": {"metadata": {"resourceVersion": "999"}}},
    ]
    import json

    f.write_text("".join(json.dumps(x) + "\n" for x in lines))
    assert resume_point(f) == {"pods": "120", "events": "110"}
