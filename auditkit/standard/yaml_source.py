"""Reading checklist YAML with the line of every key, so each problem names FILE:LINE: KEY. Duplicate keys
in one mapping are problems too (PyYAML would silently keep the last)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import yaml
from flask_babel import gettext as _


@dataclass(frozen=True, order=True)
class Problem:
    file: str
    line: int
    key: str
    message: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: {self.key}: {self.message}" if self.key else (
            f"{self.file}:{self.line}: {self.message}")


class LineDict(dict):
    """A mapping that remembers the line of each of its keys (1-based) and its own."""

    line: int = 0
    key_lines: dict[str, int]

    def line_of(self, key: Any) -> int:
        return self.key_lines.get(key, self.line)


class LineList(list):
    line: int = 0
    item_lines: list[int]

    def line_of(self, index: int) -> int:
        return self.item_lines[index] if 0 <= index < len(self.item_lines) else self.line


class _Loader(yaml.SafeLoader):
    def __init__(self, stream):
        super().__init__(stream)
        self.duplicates: list[tuple[int, str]] = []


def _construct_mapping(loader: _Loader, node: yaml.MappingNode) -> LineDict:
    loader.flatten_mapping(node)
    mapping = LineDict()
    mapping.line = node.start_mark.line + 1
    mapping.key_lines = {}
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        if key in mapping:
            loader.duplicates.append((key_node.start_mark.line + 1, str(key)))
        mapping[key] = loader.construct_object(value_node, deep=True)
        mapping.key_lines[key] = key_node.start_mark.line + 1
    return mapping


def _construct_sequence(loader: _Loader, node: yaml.SequenceNode) -> LineList:
    items = LineList(loader.construct_object(child, deep=True) for child in node.value)
    items.line = node.start_mark.line + 1
    items.item_lines = [child.start_mark.line + 1 for child in node.value]
    return items


_Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)
_Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_SEQUENCE_TAG, _construct_sequence)


def parse_yaml(text: str | bytes, file: str) -> tuple[Any, list[Problem]]:
    """The document and the problems found while reading it (a syntax error is the only problem then)."""
    if isinstance(text, bytes):
        try:
            text = text.decode("utf-8")
        except UnicodeDecodeError:
            return None, [Problem(file, 1, "", _("The file is not UTF-8 text."))]
    loader = _Loader(text)
    try:
        document = loader.get_single_data()
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        line = mark.line + 1 if mark else 1
        return None, [Problem(file, line, "", _("Not valid YAML: %(reason)s", reason=error.problem or error))]
    except yaml.YAMLError as error:
        return None, [Problem(file, 1, "", _("Not valid YAML: %(reason)s", reason=error))]
    finally:
        loader.dispose()
    problems = [Problem(file, line, key, _("This key appears twice in the same mapping."))
                for line, key in loader.duplicates]
    return document, problems


def locate(document: Any, path: tuple) -> int:
    """The line of the value at `path` (keys and list indexes) in a parsed document."""
    line, node = getattr(document, "line", 1), document
    for part in path:
        if isinstance(node, LineDict):
            line = node.line_of(part)
            node = node.get(part)
        elif isinstance(node, LineList) and isinstance(part, int):
            line = node.line_of(part)
            node = node[part] if 0 <= part < len(node) else None
        else:
            break
    return line


def dotted(path: tuple) -> str:
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


yaml.SafeDumper.add_representer(LineDict, yaml.representer.SafeRepresenter.represent_dict)
yaml.SafeDumper.add_representer(LineList, yaml.representer.SafeRepresenter.represent_list)
