"""Load case files: YAML -> validated, compiled cases, or errors that name file and line.

A bad file never stops the others from loading: `load` returns every good
case and every error, and the caller decides (the CLI runs the good ones and
exits 2). Hostile files are errors too, within bounded time and memory: only
regular files are read, up to MAX_FILE_BYTES; they must be UTF-8; nesting,
duplicate keys and what YAML aliases expand to are bounded by a SafeLoader
subclass before anything is built from them.
"""

from __future__ import annotations

import codecs
import os
import re
import stat
import types
import typing
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, TypeAdapter, ValidationError
from pydantic_core import ErrorDetails

from conformance import renames
from conformance.kinds import KINDS, Case
from conformance.kinds.function import FUNCTION_KINDS, expand_samples
from conformance.model import ExprAt

_CASE: TypeAdapter[Any] = TypeAdapter(Case)
_KINDS = tuple(KINDS)  # the registry's: a new kind is known here without another list
SUFFIXES = (".yaml", ".yml")
LIBRARY = Path(__file__).parent / "cases"  # the case library, shipped in the wheel as package data

# Limits on one case file. The library's largest file is 8.5 KB, 9 levels deep, with about 1,000 values.
#: bytes of a case file
MAX_FILE_BYTES = 1 << 20
#: nesting of lists and mappings, counted through aliases (PyYAML's own recursion fails near 1,000)
MAX_DEPTH = 32
#: values (scalars, lists, mappings) a file expands to, each alias counted as a copy of its anchor
MAX_VALUES = 100_000
#: bytes of scalar text a file expands to, each alias counted as a copy of its anchor
MAX_EXPANDED_BYTES = 4 << 20


def default_paths() -> list[Path]:
    """`./cases` when the working folder has one (a project's own cases), else the shipped library."""
    return [Path("cases")] if Path("cases").is_dir() else [LIBRARY]


@dataclass(frozen=True)
class LoadError:
    file: str
    line: int
    message: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: {self.message}"


@dataclass(frozen=True)
class LoadedCase:
    case: Case
    file: str
    line: int


def source_name(file: str | Path) -> str:
    """A case file as the report and the pages name it, never by the machine's path (a report is shared, a site
    published): from its library's `cases/` folder on (cases/vjp/seed.yaml), else as given where that is relative
    and stays inside, else the file's own name."""
    path = Path(file)
    folders = path.parts[:-1]
    if "cases" in folders:
        return Path(*path.parts[len(folders) - folders[::-1].index("cases") - 1 :]).as_posix()
    return path.as_posix() if not path.is_absolute() and ".." not in folders else path.name


def case_files(paths: list[str | Path]) -> list[Path]:
    """Every case file under `paths` (files or folders), sorted for a stable order.

    Anything with a case suffix that is not a folder is listed, so that a pipe or a
    device named `*.yaml` is reported as an error rather than skipped in silence.
    """
    files: list[Path] = []
    for path in map(Path, paths):
        if path.is_dir():
            files.extend(sorted(p for p in path.rglob("*") if p.suffix in SUFFIXES and not p.is_dir()))
        else:
            files.append(path)
    return files


def load(paths: list[str | Path]) -> tuple[list[LoadedCase], list[LoadError]]:
    cases: list[LoadedCase] = []
    errors: list[LoadError] = []
    seen: dict[str, str] = {}
    for file in case_files(paths):
        file_cases, file_errors = load_file(file)
        errors.extend(file_errors)
        for loaded in file_cases:
            where = f"{loaded.file}:{loaded.line}"
            if loaded.case.id in seen:
                errors.append(
                    LoadError(
                        loaded.file,
                        loaded.line,
                        f"duplicate case id {loaded.case.id!r} (first at {seen[loaded.case.id]})",
                    )
                )
                continue
            seen[loaded.case.id] = where
            cases.append(loaded)
    return cases, errors


class Unreadable(ValueError):
    """A file refused before it is parsed (a pipe, too large, not UTF-8); `line` is 1 where the whole file is
    at fault."""

    def __init__(self, message: str, line: int = 1):
        super().__init__(message)
        self.line = line


def load_file(file: Path) -> tuple[list[LoadedCase], list[LoadError]]:
    name = str(file)
    try:
        text = read_text(file)
    except OSError as err:
        return [], [LoadError(name, 1, f"cannot read: {err.strerror or err}")]
    except Unreadable as err:
        return [], [LoadError(name, err.line, str(err))]
    try:
        root, data = parse(text)
    except _Limit as err:
        return [], [LoadError(name, _yaml_line(err, text), str(err.problem))]
    except yaml.YAMLError as err:
        return [], [LoadError(name, _yaml_line(err, text), f"invalid YAML: {_yaml_problem(err)}")]
    if root is None:
        return [], [LoadError(name, 1, "empty case file")]
    items, nodes = (data, root.value) if isinstance(data, list) else ([data], [root])
    cases, errors = [], []
    for item, node in zip(items, nodes, strict=True):
        line = node.start_mark.line + 1
        if not isinstance(item, dict):
            errors.append(LoadError(name, line, f"a case is a mapping, got {type(item).__name__}"))
            continue
        if item.get("kind") in FUNCTION_KINDS and "samples" in item:
            file_cases, file_errors = _load_samples(name, node, item)
            cases.extend(file_cases)
            errors.extend(file_errors)
            continue
        case, case_errors = _load_case(name, node, item)
        errors.extend(case_errors)
        if case is not None:
            cases.append(LoadedCase(case, name, line))
    return cases, errors


def _load_case(
    name: str,
    node: yaml.Node,
    item: dict[str, Any],
    case_id: str | None = None,
    where: Callable[[tuple], tuple] = lambda path: path,
    label: str = "",
) -> tuple[Any, list[LoadError]]:
    """One case validated and compiled (with `case_id` as its id), or its errors at the lines `where` maps to, each
    message after `label` (which sample)."""
    try:
        case = _CASE.validate_python(item)
        if case_id is not None:
            case = case.model_copy(update={"id": case_id})
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            case.compile()
        _reissue(caught, name, node)
    except ValidationError as err:
        return None, [
            LoadError(name, _line_of(node, where(path)), label + message) for path, message in _errors(err, item)
        ]
    except ExprAt as err:
        path = where(err.path)
        return None, [LoadError(name, _line_of(node, path) + err.line - 1, f"{label}{_dotted(path)}: {err}")]
    except Exception as err:  # the promise is an error per bad case, never a crashed run; but this is our bug
        return None, [
            LoadError(
                name,
                node.start_mark.line + 1,
                f"the loader failed on this case "
                f"({type(err).__name__}: {err}); this is a bug in conformance: please report it",
            )
        ]
    return case, []


def _reissue(caught: list[warnings.WarningMessage], name: str, node: yaml.Node) -> None:
    """Warnings from compiling a case, a renamed function's at the line of the case file that calls it."""
    for warning in caught:
        line = warning.lineno
        if isinstance(warning.message, renames.RenamedWarning):
            call = re.compile(rf"(?<![\w.]){re.escape(warning.message.old)}\s*\(")
            line = next(
                (n.start_mark.line + 1 for n in _scalars(node) if call.search(str(n.value))), node.start_mark.line + 1
            )
            warning.filename = name
        warnings.warn_explicit(warning.message, warning.category, warning.filename, line)


def _scalars(node: yaml.Node) -> list[yaml.ScalarNode]:
    """The scalar nodes under `node`, in the file's order."""
    if isinstance(node, yaml.ScalarNode):
        return [node]
    children = [n for pair in node.value for n in pair] if isinstance(node, yaml.MappingNode) else node.value
    return [scalar for child in children for scalar in _scalars(child)]


def _load_samples(name: str, node: yaml.Node, item: dict[str, Any]) -> tuple[list[LoadedCase], list[LoadError]]:
    """A case with samples: validated as written, then one case per sample, `<id>[<name>]`, at the sample's line."""
    try:
        _CASE.validate_python(item)
    except ValidationError as err:
        return [], [LoadError(name, _line_of(node, path), message) for path, message in _errors(err, item)]
    first: dict[str, int] = {}
    errors: list[LoadError] = []
    for i, sample in enumerate(item["samples"]):
        if sample["name"] in first:
            errors.append(
                LoadError(
                    name,
                    _line_of(node, ("samples", i, "name")),
                    f"samples.{i}.name: duplicate sample name {sample['name']!r} (first at line "
                    f"{_line_of(node, ('samples', first[sample['name']], 'name'))})",
                )
            )
        first.setdefault(sample["name"], i)
    if errors:
        return [], errors
    cases = []
    for i, (case_id, expanded, where) in enumerate(expand_samples(item)):
        label = f"in sample {item['samples'][i]['name']!r}: "
        case, case_errors = _load_case(name, node, expanded, case_id, where, label)
        errors.extend(case_errors)
        if case is not None:
            cases.append(LoadedCase(case, name, _line_of(node, ("samples", i))))
    return cases, errors


def parse(text: str) -> tuple[yaml.Node | None, Any]:
    """The document's root node (for lines) and its data, within the limits on nesting and expansion;
    raises yaml.YAMLError (for the limits, a subclass whose `problem` is the message)."""
    loader = _Loader(text)  # checks the characters first
    try:
        root = loader.get_single_node()
        if root is None:
            return None, None
        _check_expansion(root)
        return root, loader.construct_document(root)
    finally:
        loader.dispose()


def read_bytes(file: str | Path, limit: int, what: str) -> bytes:
    """A regular file's bytes (never a pipe or a device, which can block or never end), at most `limit` of them;
    `what` names the file's role in the errors ("case file")."""
    _check(os.stat(file), limit, what)  # refused before it is opened
    # O_NONBLOCK: a named pipe swapped in since would otherwise wait for a writer; it changes nothing for a file
    fd = os.open(file, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    with open(fd, "rb") as stream:  # closes fd
        _check(os.fstat(fd), limit, what)
        data = stream.read(limit + 1)  # the file may have grown since
    _check_size(len(data), limit, what)
    return data


def _check(info: os.stat_result, limit: int, what: str) -> None:
    if not stat.S_ISREG(info.st_mode):
        raise Unreadable(f"not a regular file but {_file_kind(info.st_mode)}: {what}s are regular files")
    _check_size(info.st_size, limit, what)


def _check_size(size: int, limit: int, what: str) -> None:
    if size > limit:
        raise Unreadable(f"larger than {limit:,} bytes, the limit for a {what}")


def read_text(file: Path) -> str:
    """The file's text: a regular file of at most MAX_FILE_BYTES, in UTF-8 (a UTF-8 byte-order mark is allowed)."""
    data = read_bytes(file, MAX_FILE_BYTES, "case file")
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        raise Unreadable("not UTF-8 but UTF-16 (it starts with a UTF-16 byte-order mark): case files are UTF-8")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        line = data.count(b"\n", 0, err.start) + 1
        column = err.start - (data.rfind(b"\n", 0, err.start) + 1) + 1
        raise Unreadable(
            f"not UTF-8: byte 0x{data[err.start]:02x} at column {column} is not valid UTF-8 (case files are UTF-8)",
            line,
        ) from None


def _file_kind(mode: int) -> str:
    kinds = [
        (stat.S_ISFIFO, "a named pipe"),
        (stat.S_ISCHR, "a character device"),
        (stat.S_ISBLK, "a block device"),
        (stat.S_ISSOCK, "a socket"),
        (stat.S_ISDIR, "a folder"),
    ]
    return next((what for test, what in kinds if test(mode)), "a special file")


class _Loader(yaml.SafeLoader):
    """PyYAML's SafeLoader that refuses duplicate keys and nesting beyond MAX_DEPTH.

    PyYAML keeps the last of two equal keys in silence, and composes nested nodes by
    recursion, which fails with RecursionError near 1,000 levels: both are refused
    here while composing, with the line, before anything is built.
    """

    def __init__(self, stream: str):
        super().__init__(stream)
        self._depth = 0

    def compose_node(self, parent: yaml.Node | None, index: Any) -> yaml.Node:
        if self._depth >= MAX_DEPTH:
            raise _Limit(
                None,
                None,
                f"nested deeper than {MAX_DEPTH} levels, the limit for a case file",
                self.peek_event().start_mark,
            )
        self._depth += 1
        try:
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1

    def compose_mapping_node(self, anchor: str | None) -> yaml.MappingNode:
        node = super().compose_mapping_node(anchor)
        first: dict[tuple[str, str], int] = {}
        for key, _ in node.value:
            if not isinstance(key, yaml.ScalarNode):
                continue
            if (key.tag, key.value) in first:
                raise yaml.composer.ComposerError(
                    None,
                    None,
                    f"duplicate key {key.value!r} (first at line {first[key.tag, key.value]})",
                    key.start_mark,
                )
            first[key.tag, key.value] = key.start_mark.line + 1
        return node

    def construct_object(self, node: yaml.Node, deep: bool = False) -> Any:
        try:
            return super().construct_object(node, deep)
        except (ValueError, OverflowError) as err:  # a scalar Python refuses: an int of 5,000 digits, month 13
            raise yaml.constructor.ConstructorError(
                None, None, f"cannot read this value: {err}", node.start_mark
            ) from None


def _check_expansion(root: yaml.Node) -> None:
    """Refuse a document that expands, through its aliases, beyond MAX_VALUES, MAX_EXPANDED_BYTES or MAX_DEPTH.

    PyYAML builds an alias as a reference to its anchor's object, so a "billion laughs" file builds
    quickly; it is whatever walks the data later (validation, expression text) that expands it.
    The walk memoizes each node's expanded size, so it costs one visit per node, whatever the
    expansion; an alias inside its own anchor (a cycle) is refused too.
    """
    sizes: dict[int, tuple[int, int, int] | None] = {}  # id -> (values, bytes, height); None while visiting

    def walk(node: yaml.Node, level: int, parent: yaml.Node) -> tuple[int, int, int]:
        # an anchor comes before its aliases, so a node seen before is an alias: it is reported where it is used
        # (in `parent`); a node seen for the first time is on its own path, at most MAX_DEPTH deep (see _Loader)
        if id(node) in sizes:
            known = sizes[id(node)]
            anchor = f"the anchor on line {node.start_mark.line + 1}"
            if known is None:
                raise _limit(parent, f"an alias inside its own anchor ({anchor}): a structure that contains itself")
            if level + known[2] > MAX_DEPTH:
                raise _limit(
                    parent,
                    f"nested deeper than {MAX_DEPTH} levels once aliases are expanded (an alias "
                    f"of {anchor}), the limit for a case file",
                )
            return known
        sizes[id(node)] = None
        values, size, height = 1, len(node.value) if isinstance(node, yaml.ScalarNode) else 0, 0
        children = (
            []
            if isinstance(node, yaml.ScalarNode)
            else [n for pair in node.value for n in pair]
            if isinstance(node, yaml.MappingNode)
            else node.value
        )
        for child in children:
            v, b, h = walk(child, level + 1, node)
            values, size, height = values + v, size + b, max(height, h + 1)
            if values > MAX_VALUES:
                raise _limit(
                    node, f"more than {MAX_VALUES:,} values once aliases are expanded, the limit for a case file"
                )
            if size > MAX_EXPANDED_BYTES:
                raise _limit(
                    node,
                    f"more than {MAX_EXPANDED_BYTES:,} bytes of text once aliases are expanded, "
                    "the limit for a case file",
                )
        sizes[id(node)] = (values, size, height)
        return values, size, height

    walk(root, 1, root)


class _Limit(yaml.MarkedYAMLError):
    """A file beyond a limit of ours (nesting, expansion): valid YAML, refused all the same."""


def _limit(node: yaml.Node, problem: str) -> _Limit:
    return _Limit(None, None, problem, node.start_mark)


def _yaml_line(err: yaml.YAMLError, text: str) -> int:
    """The 1-based line of a YAML error: its mark, or for a reader error its character position."""
    mark = getattr(err, "problem_mark", None) or getattr(err, "context_mark", None)
    if mark is not None:
        return int(mark.line) + 1
    position = getattr(err, "position", None)
    return text.count("\n", 0, position) + 1 if isinstance(position, int) else 1


def _yaml_problem(err: yaml.YAMLError) -> str:
    if isinstance(err, yaml.reader.ReaderError):
        return f"the character #x{err.character:04x} is not allowed in YAML"
    context, problem = getattr(err, "context", None), getattr(err, "problem", None)
    return ", ".join(filter(None, (context, problem))) or str(err)


def _errors(err: ValidationError, item: dict[str, Any]) -> list[tuple[tuple, str]]:
    """Pydantic's errors as (path in the case, message), with the noise of unions taken out.

    A field that takes a value or a list of them (a convention, an outcome) fails in both
    branches; where one branch names a real problem, the other's "should be a valid list"
    is dropped.
    """
    found = [(_path(e["loc"], item), e) for e in err.errors()]
    kept = []
    for (path, labelled), e in found:
        mismatch = labelled and e["type"] in ("list_type", "model_type", "dict_type", "model_attributes_type")
        if mismatch and any(other[: len(path)] == path and o is not e for (other, _), o in found):
            continue
        kept.append((path, _describe(e, path, item)))
    return kept


def _path(loc: tuple, item: Any) -> tuple[tuple, bool]:
    """The error's location in the case, without pydantic's union labels (a kind, `list[Convention]`);
    and whether its last step was such a label (the error is about one branch of a union)."""
    path: list[str | int] = []
    data, labelled = item, False
    for step in loc:
        if isinstance(data, dict) and step in data:
            data = data[step]
        elif isinstance(data, list) and isinstance(step, int):
            data = data[step] if step < len(data) else None
        elif isinstance(step, str) and (step in _KINDS or "[" in step or step[:1].isupper()):
            labelled = True  # a union's label: field names are lower case, labels are kinds, types or classes
            continue
        else:
            data = None  # a key the case lacks ("Field required")
        path.append(step)
        labelled = False
    return tuple(path), labelled


def _describe(error: ErrorDetails, path: tuple, item: dict[str, Any]) -> str:
    message = error["msg"].removeprefix("Value error, ")
    if error["type"] == "extra_forbidden":
        close = renames.close(str(path[-1]), _known_keys(item, path))
        message = f"unknown key: did you mean {close}?" if close else "unknown key"
    elif error["type"] == "union_tag_invalid":
        message = renames.unknown("kind", str(error["input"].get("kind")), _KINDS)
    return f"{_dotted(path)}: {message}" if path else message


def _known_keys(item: dict[str, Any], path: tuple) -> list[str]:
    """The keys the case's model takes where `path` ends (at its last step's parent): the fields of each model the
    annotations along the path can hold there."""
    members = typing.get_args(typing.get_args(Case)[0])
    models = [m for m in members if item.get("kind") in typing.get_args(m.model_fields["kind"].annotation)]
    types_here: list[Any] = models
    for step in path[:-1]:
        types_here = [inner for outer in types_here for inner in _inside(outer, step)]
    return sorted(
        {
            key
            for t in types_here
            if isinstance(t, type) and issubclass(t, BaseModel)
            for name, field in t.model_fields.items()
            for key in (name, field.alias)
            if key
        }
    )


def _inside(annotation: Any, step: str | int) -> list[Any]:
    """What a value of `annotation` may hold at `step`: a model's field, a list's item, a mapping's value."""
    found: list[Any] = []
    for alternative in _unwrapped(annotation):
        if isinstance(alternative, type) and issubclass(alternative, BaseModel):
            fields = alternative.model_fields
            field = fields.get(str(step)) or next((f for f in fields.values() if f.alias == step), None)
            found += _unwrapped(field.annotation) if field is not None else []
        elif typing.get_origin(alternative) is not None:
            held = [arg for arg in typing.get_args(alternative) if arg is not Ellipsis]
            found += _unwrapped(held[-1]) if held else []
    return found


def _unwrapped(annotation: Any) -> list[Any]:
    """An annotation as the alternatives it allows (a union's members), Annotated and Optional taken off."""
    origin, args = typing.get_origin(annotation), typing.get_args(annotation)
    if origin is typing.Annotated:
        return _unwrapped(args[0])
    if origin in (typing.Union, types.UnionType):
        return [t for arg in args for t in _unwrapped(arg)]
    return [annotation]


def _dotted(path) -> str:
    return ".".join(str(p) for p in path) or "case"


def _line_of(node: yaml.Node, path) -> int:
    """The 1-based line of the deepest YAML node on `path` (keys and list indexes)."""
    for key in path:
        if isinstance(node, yaml.MappingNode):
            match = [(k, v) for k, v in node.value if k.value == str(key)]
            if not match:
                break
            key_node, node = match[0]
            if not isinstance(node, (yaml.MappingNode, yaml.SequenceNode)):
                node = key_node if node.start_mark.line == key_node.start_mark.line else node
        elif isinstance(node, yaml.SequenceNode) and isinstance(key, int) and key < len(node.value):
            node = node.value[key]
        else:
            break
    return node.start_mark.line + 1
