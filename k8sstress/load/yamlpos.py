"""YAML with positions: parse a file and find the line of any field path in it.

Used to turn a pydantic error location (``("mix", 1, "weight")``) into
``file:line: field 'mix.1.weight'``. Pure apart from the text given.
"""

from __future__ import annotations

from typing import Any

import yaml

from k8sstress.errors import ConfigError

__all__ = ["PositionedYaml", "parse_positioned", "validation_message"]

Loc = tuple[Any, ...]


class PositionedYaml:
    """The parsed data of a YAML document and the 1-based line of each mapping key / sequence item."""

    def __init__(self, data: Any, lines: dict[Loc, int], path: str) -> None:
        self.data = data
        self.lines = lines
        self.path = path

    def locate(self, loc: Loc) -> tuple[int | None, str]:
        """The line and dotted field name for a pydantic ``loc`` (union tags and wrapper
        names that are not in the file are skipped; a missing field points at its parent)."""
        matched: list[Any] = []
        line = self.lines.get(())
        for i, part in enumerate(loc):
            cand = (*matched, part)
            if cand in self.lines:
                matched.append(part)
                line = self.lines[cand]
            elif i == len(loc) - 1 and not isinstance(part, int) and not str(part).startswith("["):
                matched.append(part)  # a missing field: name it, keep the parent's line
        field = ".".join(str(p) for p in matched)
        return line, field

    def error(self, loc: Loc, message: str, hint: str | None = None) -> ConfigError:
        line, field = self.locate(loc)
        return ConfigError(message, path=self.path, field=field or None, line=line, hint=hint)


def _walk(node: yaml.Node, prefix: Loc, lines: dict[Loc, int]) -> None:
    if isinstance(node, yaml.MappingNode):
        for key_node, value_node in node.value:
            key = key_node.value if isinstance(key_node, yaml.ScalarNode) else str(key_node.value)
            loc = (*prefix, key)
            lines[loc] = key_node.start_mark.line + 1
            _walk(value_node, loc, lines)
    elif isinstance(node, yaml.SequenceNode):
        for i, item in enumerate(node.value):
            loc = (*prefix, i)
            lines[loc] = item.start_mark.line + 1
            _walk(item, loc, lines)


def parse_positioned(text: str, path: str) -> PositionedYaml:
    """Parse ``text`` (from ``path``); a YAML syntax error raises :class:`ConfigError` with its line."""
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        problem = getattr(exc, "problem", None) or str(exc)
        raise ConfigError(f"not valid YAML: {problem}", path=path,
                          line=(mark.line + 1) if mark else None) from exc
    lines: dict[Loc, int] = {}
    if node is not None:
        lines[()] = node.start_mark.line + 1
        _walk(node, (), lines)
    return PositionedYaml(data, lines, path)


def validation_message(err: Any) -> str:
    """A pydantic error's text as a user should read it (no "Value error, " prefix; unknown keys named)."""
    msg = str(err.get("msg", "invalid"))
    if msg.startswith("Value error, "):
        msg = msg[len("Value error, "):]
    if err.get("type") == "extra_forbidden":
        msg = "unknown field (check its spelling; keys are kebab-case)"
    return msg
