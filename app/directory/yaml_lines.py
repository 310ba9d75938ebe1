"""Load YAML keeping the line number of every value, so problems can name their line.

Paths are written as services.yml users read them: `services[12].areas[0]`.
"""

from dataclasses import dataclass, field
from typing import Any

import yaml


@dataclass
class LocatedDocument:
    data: Any
    lines: dict[str, int] = field(default_factory=dict)  # path -> 1-based line
    duplicate_keys: list[tuple[str, int]] = field(default_factory=list)

    def line_of(self, path: str) -> int:
        """The line of a path, or of its nearest ancestor that exists (for missing fields)."""
        while path:
            if path in self.lines:
                return self.lines[path]
            path = _parent_path(path)
        return self.lines.get("", 1)


def _parent_path(path: str) -> str:
    if path.endswith("]"):
        return path[: path.rindex("[")]
    return path.rsplit(".", 1)[0] if "." in path else ""


def join(path: str, key: str | int) -> str:
    if isinstance(key, int):
        return f"{path}[{key}]"
    return f"{path}.{key}" if path else key


# libyaml's parser is three times faster where it is installed; both report the same marks.
_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class YamlSyntaxError(ValueError):
    def __init__(self, line: int, message: str):
        super().__init__(message)
        self.line = line
        self.message = message


def load_with_lines(text: str) -> LocatedDocument:
    """Parse one YAML document with the safe loader, recording where each value is."""
    loader = _Loader(text)
    document = LocatedDocument(None, {"": 1})
    try:
        node = loader.get_single_node()
        if node is None:
            return document
        # Lines are recorded before construction, which folds merge keys (<<) into mappings.
        _record(node, "", document)
        document.data = loader.construct_document(node)
    except yaml.MarkedYAMLError as error:
        message = " ".join(part for part in (error.context, error.problem) if part)
        raise YamlSyntaxError(_error_line(text, error), message or "not valid YAML") from None
    except yaml.YAMLError as error:
        raise YamlSyntaxError(1, str(error)) from None
    finally:
        loader.dispose()
    return document


def _error_line(text: str, error: yaml.MarkedYAMLError) -> int:
    """Where a person should look: PyYAML often notices an unclosed quote lines later,
    or at the end of the file, so an earlier line with an unbalanced quote wins."""
    lines = text.splitlines()
    mark = error.problem_mark or error.context_mark
    found = min(mark.line + 1, len(lines)) if mark else 1
    for number in range(found, 0, -1):
        line = lines[number - 1].split(" #")[0]
        if line.count('"') % 2 == 1 or (line.count("'") % 2 == 1 and ": '" in line):
            return number
        if number < found and not line.startswith((" ", "\t", "-")) and line.strip():
            break  # do not look back past the start of the section
    if error.context_mark and mark and mark.line + 1 > len(lines):
        return error.context_mark.line + 1
    return found


def _record(node: yaml.Node, path: str, document: LocatedDocument) -> None:
    document.lines[path] = node.start_mark.line + 1
    if isinstance(node, yaml.MappingNode):
        seen: set[str] = set()
        for key_node, value_node in node.value:
            key = str(key_node.value)
            child = join(path, key)
            if key in seen:
                document.duplicate_keys.append((child, key_node.start_mark.line + 1))
            seen.add(key)
            _record(value_node, child, document)
            # A key's own line is where a reader looks, even for a block value below it.
            document.lines[child] = key_node.start_mark.line + 1
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            _record(item, join(path, index), document)
