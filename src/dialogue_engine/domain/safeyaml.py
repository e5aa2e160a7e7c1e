"""Bounded YAML: user files read safely and parsed in one pass over the event stream, with limits.

Every persona and scenario file a user gives (``validate``, ``scenario analyze``, ``exercise run``, the app's
upload check) comes through here. Nothing is composed or walked twice: one loop over the parser's events
builds the data, the line of every field, the keys written twice, and enforces the limits as it goes, so an
alias bomb, deep nesting or a huge file is refused in one line before anything large is built.

Limits (documented in the domain README):

- ``MAX_YAML_BYTES``: the file's size, checked on disk before it is read.
- ``MAX_YAML_DEPTH``: nesting of mappings and lists.
- ``MAX_YAML_ALIASES``: ``*name`` references.
- ``MAX_YAML_NODES``: values, counting an aliased value each time it is used (what an alias bomb inflates).

Numbers must be finite: ``.nan`` and ``.inf`` are refused with their field and line.
"""

from __future__ import annotations

import math
import os
import stat
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping

import yaml

from dialogue_engine.domain.problems import DomainError, Problem, fail

MAX_YAML_BYTES = 2 * 1024 * 1024
MAX_YAML_DEPTH = 40
MAX_YAML_ALIASES = 100
MAX_YAML_NODES = 200_000

_PARSER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_MAP_TAGS = {None, "!", "tag:yaml.org,2002:map"}
_SEQ_TAGS = {None, "!", "tag:yaml.org,2002:seq"}
_MERGE = "tag:yaml.org,2002:merge"


@dataclass(frozen=True)
class ParsedYaml:
    """YAML text as data, with the line of every field path and the keys written twice.

    ``lines`` maps a path (a tuple of keys and list indexes) to its 1-based line; ``duplicates`` lists
    ``(field, line)`` for each key written twice in one mapping.
    """

    data: Any
    lines: Mapping[tuple, int] = field(default_factory=dict)
    duplicates: tuple[tuple[str, int], ...] = ()


def field_name(path: tuple) -> str:
    """A path as a field name: ``("parties", 1, "scores")`` -> ``parties[1].scores``."""
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def read_user_file(path: Path, max_bytes: int = MAX_YAML_BYTES) -> str:
    """The UTF-8 text of a regular file no larger than ``max_bytes``.

    Links, folders, pipes and devices are refused without being opened for reading (a FIFO or
    ``/dev/zero`` would block or never end); the size is checked on disk before reading.

    Raises:
        DomainError: one line naming the file and the cause.
    """
    name = str(path)
    try:
        info = os.lstat(path)
    except FileNotFoundError:
        raise fail(name, "no such file") from None
    except OSError as err:
        raise fail(name, f"cannot read ({err.strerror or err})") from None
    mode = info.st_mode
    if stat.S_ISLNK(mode):
        raise fail(name, "is a symbolic link; give the file itself")
    if stat.S_ISDIR(mode):
        raise fail(name, "is a folder, not a file")
    if not stat.S_ISREG(mode):
        raise fail(name, "not a regular file (pipes, sockets and devices are not read)")
    if info.st_size > max_bytes:
        raise fail(name, _too_large(info.st_size, max_bytes))
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0))
        with os.fdopen(fd, "rb") as fh:
            if not stat.S_ISREG(os.fstat(fh.fileno()).st_mode):
                raise fail(name, "not a regular file (pipes, sockets and devices are not read)")
            data = fh.read(max_bytes + 1)
    except OSError as err:
        raise fail(name, f"cannot read ({err.strerror or err})") from None
    return decode_user_bytes(data, name, max_bytes)


def decode_user_bytes(data: bytes, file: str, max_bytes: int = MAX_YAML_BYTES) -> str:
    """Bytes of an uploaded or read file as text.

    Raises:
        DomainError: too large, binary (a NUL byte) or not UTF-8.
    """
    if len(data) > max_bytes:
        raise fail(file, _too_large(len(data), max_bytes))
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        line = data[: err.start].count(b"\n") + 1
        raise fail(file, "not a UTF-8 text file", line) from None
    if "\x00" in text:
        raise fail(file, "looks like a binary file (NUL bytes), not YAML text")
    return text


def _too_large(size: int, max_bytes: int) -> str:
    mb = 1024 * 1024
    return f"the file is {size / mb:.1f} MB, larger than the {max_bytes / mb:g} MB limit"


def parse_yaml(text: str, file: str) -> ParsedYaml:
    """Parse one YAML document within the limits.

    Raises:
        DomainError: invalid YAML or a limit exceeded, one line naming ``file``, the line and the cause.
    """
    if len(text.encode("utf-8", "surrogatepass")) > MAX_YAML_BYTES:
        raise fail(file, _too_large(len(text.encode("utf-8", "surrogatepass")), MAX_YAML_BYTES))
    if not text.strip():
        raise fail(file, "the file is empty")
    builder = _Builder(file)
    try:
        for event in yaml.parse(text, Loader=_PARSER):
            builder.feed(event)
    except yaml.YAMLError as err:
        mark = getattr(err, "problem_mark", None) or getattr(err, "context_mark", None)
        reason = getattr(err, "problem", None) or str(err).splitlines()[0]
        raise fail(file, f"invalid YAML: {reason}", mark.line + 1 if mark is not None else None) from None
    return ParsedYaml(builder.root, builder.lines, tuple(builder.duplicates))


@dataclass
class _Frame:
    """A mapping or list being built."""

    obj: Any
    path: tuple
    anchor: str | None
    start_count: int
    key: Any = None
    key_raw: str | None = None
    key_line: int = 0
    merge_next: bool = False
    merges: list = field(default_factory=list)


class _Builder:
    """Turns parser events into data, line numbers and duplicate keys, enforcing the limits."""

    def __init__(self, file: str) -> None:
        self.file = file
        self.root: Any = None
        self.stack: list[_Frame] = []
        self.anchors: dict[str, tuple[Any, int]] = {}
        self.open_anchors: set[str] = set()
        self.lines: dict[tuple, int] = {}
        self.duplicates: list[tuple[str, int]] = []
        self.count = 0
        self.aliases = 0
        self.documents = 0
        self.resolver = yaml.SafeLoader("")
        self.plain: dict[str, Any] = {}
        self.handlers = {
            yaml.ScalarEvent: self._scalar,
            yaml.AliasEvent: self._alias,
            yaml.MappingStartEvent: self._start,
            yaml.SequenceStartEvent: self._start,
            yaml.MappingEndEvent: self._end,
            yaml.SequenceEndEvent: self._end,
            yaml.DocumentStartEvent: self._document,
        }

    def _fail(self, reason: str, event: Any, path: tuple | None = None) -> DomainError:
        where = field_name(path) if path else ""
        return DomainError([Problem(self.file, where, reason, event.start_mark.line + 1)])

    def _counted(self, n: int, event: Any) -> None:
        self.count += n
        if self.count > MAX_YAML_NODES:
            raise self._fail(f"more than {MAX_YAML_NODES:,} YAML values once aliases (*name) are expanded",
                             event)

    def _child_path(self) -> tuple:
        if not self.stack:
            return ()
        top = self.stack[-1]
        if isinstance(top.obj, list):
            return top.path + (len(top.obj),)
        return top.path if top.key_raw is None else top.path + (top.key_raw,)

    def _expecting_key(self) -> bool:
        return bool(self.stack) and isinstance(self.stack[-1].obj, dict) and self.stack[-1].key_raw is None

    def feed(self, event: Any) -> None:
        handler = self.handlers.get(type(event))
        if handler is not None:
            handler(event)

    def _document(self, event: Any) -> None:
        self.documents += 1
        if self.documents > 1:
            raise self._fail("more than one YAML document (---) in the file", event)

    def _scalar(self, event: yaml.ScalarEvent) -> None:
        self._counted(1, event)
        plain = event.tag is None and event.implicit[0] and not event.anchor
        if plain and event.value in self.plain:
            self._attach(self.plain[event.value], event, raw=event.value)
            return
        tag = event.tag
        if tag is None or tag == "!":
            tag = self.resolver.resolve(yaml.ScalarNode, event.value, event.implicit)
        if tag == "tag:yaml.org,2002:str":
            value: Any = event.value
        elif tag == _MERGE and self._expecting_key():
            self.stack[-1].merge_next = True
            self.stack[-1].key_raw = "<<"
            self.stack[-1].key_line = event.start_mark.line + 1
            return
        else:
            constructor = self.resolver.yaml_constructors.get(tag)
            if constructor is None:
                raise self._fail(f"unsupported YAML tag {tag}", event, self._child_path())
            node = yaml.ScalarNode(tag, event.value, event.start_mark, event.end_mark, event.style)
            try:
                value = constructor(self.resolver, node)
            except (yaml.YAMLError, ValueError) as err:
                raise self._fail(f"invalid {tag.rsplit(':', 1)[-1]} value ({str(err).splitlines()[0]})",
                                 event, self._child_path()) from None
            if isinstance(value, float) and not math.isfinite(value):
                raise self._fail(f"{event.value} is not a finite number", event, self._child_path())
        if plain and isinstance(value, (str, int, float, bool, type(None))) and len(self.plain) < 10_000:
            self.plain[event.value] = value
        if event.anchor:
            self.anchors[event.anchor] = (value, 1)
        self._attach(value, event, raw=event.value)

    def _alias(self, event: yaml.AliasEvent) -> None:
        self.aliases += 1
        if self.aliases > MAX_YAML_ALIASES:
            raise self._fail(f"more than {MAX_YAML_ALIASES} YAML aliases (*name)", event)
        if event.anchor in self.open_anchors:
            raise self._fail(f"alias *{event.anchor} refers to the value it is inside (recursive)", event)
        if event.anchor not in self.anchors:
            raise self._fail(f"alias *{event.anchor} is not defined above", event)
        value, size = self.anchors[event.anchor]
        self._counted(size, event)
        self._attach(value, event, raw=None)

    def _start(self, event: Any) -> None:
        is_map = isinstance(event, yaml.MappingStartEvent)
        if event.tag not in (_MAP_TAGS if is_map else _SEQ_TAGS):
            raise self._fail(f"unsupported YAML tag {event.tag}", event, self._child_path())
        if self._expecting_key():
            raise self._fail("a mapping key must be a plain value, not a mapping or list", event,
                             self.stack[-1].path)
        if len(self.stack) >= MAX_YAML_DEPTH:
            raise self._fail(f"nested more than {MAX_YAML_DEPTH} levels deep", event)
        self._counted(1, event)
        path = self._child_path()
        self.lines[path] = event.start_mark.line + 1
        if event.anchor:
            self.open_anchors.add(event.anchor)
        self.stack.append(_Frame({} if is_map else [], path, event.anchor, self.count))

    def _end(self, event: Any) -> None:
        frame = self.stack.pop()
        value = frame.obj
        if frame.merges:
            merged: dict = {}
            for extra in reversed(frame.merges):
                merged.update(extra)
            merged.update(value)
            value = merged
        if frame.anchor:
            self.open_anchors.discard(frame.anchor)
            self.anchors[frame.anchor] = (value, self.count - frame.start_count + 1)
        self._attach(value, event, raw=None, path=frame.path)

    def _attach(self, value: Any, event: Any, raw: str | None, path: tuple | None = None) -> None:
        if not self.stack:
            self.root = value
            self.lines.setdefault((), event.start_mark.line + 1)
            return
        top = self.stack[-1]
        if isinstance(top.obj, list):
            top.obj.append(value)  # an item's line is its list's (recorded at the list's start)
            return
        if path is None and top.key_raw is not None:
            self.lines[top.path + (top.key_raw,)] = event.start_mark.line + 1
        if top.key_raw is None:
            if raw is None and isinstance(value, (dict, list)):
                raise self._fail("a mapping key must be a plain value, not a mapping or list", event, top.path)
            try:
                hash(value)
            except TypeError:
                raise self._fail("a mapping key must be a plain value", event, top.path) from None
            top.key, top.key_raw, top.key_line = value, str(value if raw is None else raw), event.start_mark.line + 1
            return
        if top.merge_next:
            top.merge_next = False
            sources = value if isinstance(value, list) else [value]
            if not all(isinstance(s, dict) for s in sources):
                raise self._fail("<< must merge a mapping or a list of mappings", event, top.path)
            top.merges.extend(sources)
        else:
            if top.key in top.obj:
                self.duplicates.append((field_name(top.path + (top.key_raw,)), top.key_line))
            top.obj[top.key] = value
        top.key = top.key_raw = None
