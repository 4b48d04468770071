"""Suites: a file listing scenarios to run one after the other (``k8sstress run exhaustion``).

A suite file has ``suite:`` (its name), an optional ``description`` and ``scenarios:``,
a list of scenario files relative to the suite file. Every scenario is validated
when the suite is loaded, so a bad one stops the suite before anything runs.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from k8sstress.errors import ConfigError
from k8sstress.load.scenario import Scenario, load_scenario
from k8sstress.load.yamlpos import parse_positioned

__all__ = ["Suite", "SuiteFile", "load_suite", "is_suite_file"]


class SuiteFile(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True,
                              alias_generator=lambda name: name.replace("_", "-"))

    suite: str = Field(pattern=r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
    description: str = ""
    scenarios: list[str] = Field(min_length=1)


class Suite:
    def __init__(self, name: str, description: str, scenarios: list[Scenario], path: Path) -> None:
        self.name = name
        self.description = description
        self.scenarios = scenarios
        self.path = path

    def select(self, names: list[str] | None) -> list[Scenario]:
        if not names:
            return list(self.scenarios)
        known = {s.name: s for s in self.scenarios}
        missing = [n for n in names if n not in known]
        if missing:
            raise ConfigError(f"suite {self.name} has no scenario {', '.join(missing)}; "
                              f"it has: {', '.join(known)}", path=str(self.path))
        return [known[n] for n in names]


def is_suite_file(path: Path) -> bool:
    try:
        data: Any = parse_positioned(path.read_text(), str(path)).data
    except (OSError, ConfigError):
        return False
    return isinstance(data, dict) and "scenarios" in data and "mix" not in data


def load_suite(path: str | Path) -> Suite:
    p = Path(path)
    src = parse_positioned(p.read_text(), str(p))
    try:
        sf = SuiteFile.model_validate(src.data)
    except ValidationError as exc:
        first = exc.errors()[0]
        raise src.error(first["loc"], str(first["msg"])) from exc
    scenarios = []
    for i, rel in enumerate(sf.scenarios):
        sp = (p.parent / rel)
        if not sp.exists():
            raise src.error(("scenarios", i), f"scenario file {rel} does not exist (relative to the suite file)")
        scenarios.append(load_scenario(sp))
    names = [s.name for s in scenarios]
    dup = {n for n in names if names.count(n) > 1}
    if dup:
        raise src.error(("scenarios",), f"two scenarios share a name: {', '.join(sorted(dup))}")
    return Suite(sf.suite, sf.description, scenarios, p)
