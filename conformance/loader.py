"""Load case files: YAML -> validated, compiled cases, or errors that name file and line.

A bad file never stops the others from loading: `load` returns every good
case and every error, and the caller decides (the CLI runs the good ones and
exits 2).
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import yaml
from pydantic import TypeAdapter, ValidationError

from conformance.kinds import Case
from conformance.model import ExprAt

_CASE = TypeAdapter(Case)
_KINDS = ("reparam", "vjp", "grad", "jvp", "hvp", "mle", "implicit", "behaviour")
SUFFIXES = (".yaml", ".yml")
LIBRARY = Path(__file__).parent / "cases"  # the case library, shipped in the wheel as package data


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


def case_files(paths: list[str | Path]) -> list[Path]:
    """Every case file under `paths` (files or folders), sorted for a stable order."""
    files: list[Path] = []
    for path in map(Path, paths):
        if path.is_dir():
            files.extend(sorted(p for p in path.rglob("*") if p.suffix in SUFFIXES))
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
                errors.append(LoadError(loaded.file, loaded.line,
                                        f"duplicate case id {loaded.case.id!r} (first at {seen[loaded.case.id]})"))
                continue
            seen[loaded.case.id] = where
            cases.append(loaded)
    return cases, errors


def load_file(file: Path) -> tuple[list[LoadedCase], list[LoadError]]:
    name = str(file)
    try:
        text = file.read_text(encoding="utf-8")
    except OSError as err:
        return [], [LoadError(name, 0, f"cannot read: {err.strerror or err}")]
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
        data = yaml.safe_load(text)
    except yaml.YAMLError as err:
        mark = getattr(err, "problem_mark", None)
        problem = getattr(err, "problem", None) or str(err)
        return [], [LoadError(name, mark.line + 1 if mark else 1, f"invalid YAML: {problem}")]
    if root is None:
        return [], [LoadError(name, 1, "empty case file")]
    items, nodes = (data, root.value) if isinstance(data, list) else ([data], [root])
    cases, errors = [], []
    for item, node in zip(items, nodes):
        line = node.start_mark.line + 1
        if not isinstance(item, dict):
            errors.append(LoadError(name, line, f"a case is a mapping, got {type(item).__name__}"))
            continue
        try:
            case = _CASE.validate_python(item)
            case.compile()
        except ValidationError as err:
            errors.extend(LoadError(name, _line_of(node, _path(e)), _describe(e)) for e in err.errors())
            continue
        except ExprAt as err:
            errors.append(LoadError(name, _line_of(node, err.path) + err.line - 1, f"{_dotted(err.path)}: {err}"))
            continue
        cases.append(LoadedCase(case, name, line))
    return cases, errors


def _path(error: dict) -> tuple:
    """The error's location in the case, without pydantic's leading union tag."""
    loc = error["loc"]
    return loc[1:] if loc and loc[0] in _KINDS else loc


def _describe(error: dict) -> str:
    loc = _path(error)
    message = error["msg"]
    if error["type"] == "extra_forbidden":
        message = "unknown key"
    elif error["type"] == "union_tag_invalid":
        message = f"unknown kind {error['input'].get('kind')!r} (known: {', '.join(_KINDS)})"
    return f"{_dotted(loc)}: {message}" if loc else message


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
