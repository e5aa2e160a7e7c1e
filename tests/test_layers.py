"""The layer contract: imports only point down, production never imports test code, every module imports alone.

Layers, bottom to top (a package may import its own modules and any lower layer, never a layer above it or
a sibling on the same layer):

    errors  <  config  <  domain, knowledge, llm  <  negotiation  <  agents  <  exercise  <  report  <  ui
    <  the command line (every ``cli`` module, ``serve``)  <  app/ (Streamlit pages)

A package's ``cli`` module registers commands and may import any layer below the command line.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SRC = ROOT / "src" / "dialogue_engine"
APP = ROOT / "app"

RANK = {
    "errors": 0, "config": 0.5,
    "domain": 1, "knowledge": 1, "llm": 1,
    "negotiation": 2,
    "agents": 3,
    "exercise": 4,
    "report": 5,
    "ui": 6,
    "cli": 7, "serve": 7, "__init__": 8,
    "app": 9,
}


def _unit(module: str) -> str:
    """The layer unit of a dotted module name ('dialogue_engine.agents.x' -> 'agents'; any '.cli' -> 'cli')."""
    parts = module.split(".")
    if parts[-1] in ("cli", "chat_cli"):
        return "cli"
    return parts[1] if len(parts) > 1 else "__init__"


def _imports(path: Path) -> list[tuple[int, str]]:
    """(line, absolute module) for every import in a file, including imports inside functions."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    out = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out += [(node.lineno, a.name) for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            out.append((node.lineno, node.module))
            out += [(node.lineno, f"{node.module}.{a.name}") for a in node.names]
    return out


def _where(path: Path) -> str:
    return str(path.relative_to(ROOT)) if path.is_relative_to(ROOT) else str(path)


def _source_files() -> list[tuple[Path, str]]:
    files = []
    for path in sorted(SRC.rglob("*.py")):
        rel = path.relative_to(SRC.parent).with_suffix("")
        files.append((path, ".".join(rel.parts)))
    files += [(path, "app") for path in sorted(APP.rglob("*.py"))]
    return files


def find_upward_imports(files: list[tuple[Path, str]]) -> list[str]:
    """Every import that points up or sideways across layers, as 'file:line imports module'."""
    problems = []
    for path, module in files:
        unit = "app" if module == "app" else _unit(module)
        for line, target in _imports(path):
            if not target.startswith("dialogue_engine."):
                continue
            other = _unit(target)
            if other == unit or other not in RANK:
                continue
            if RANK[other] >= RANK[unit]:
                problems.append(f"{_where(path)}:{line} imports {target} ({unit} may not import {other})")
    return problems


def find_testing_imports(files: list[tuple[Path, str]]) -> list[str]:
    """Production modules that import a ``testing`` module (test code)."""
    problems = []
    for path, module in files:
        if module.endswith(".testing"):
            continue
        for line, target in _imports(path):
            if target.startswith("dialogue_engine.") and ".testing" in target:
                problems.append(f"{_where(path)}:{line} imports test code {target}")
    return problems


def test_every_unit_has_a_rank():
    units = {_unit(m) for _p, m in _source_files() if m != "app"}
    assert units <= set(RANK), f"give these a layer: {sorted(units - set(RANK))}"


def test_imports_only_point_down():
    assert find_upward_imports(_source_files()) == []


def test_production_never_imports_test_code():
    assert find_testing_imports(_source_files()) == []


def test_the_check_catches_an_upward_and_a_testing_import(tmp_path):
    bad = tmp_path / "bad.py"
    bad.write_text("from dialogue_engine.exercise.service import ExerciseService\n"
                   "import dialogue_engine.llm.testing\n")
    assert find_upward_imports([(bad, "dialogue_engine.negotiation.bad")])
    assert find_testing_imports([(bad, "dialogue_engine.negotiation.bad")])
    ok = tmp_path / "ok.py"
    ok.write_text("from dialogue_engine.domain import Deal\n")
    assert not find_upward_imports([(ok, "dialogue_engine.negotiation.ok")])


_FORK_IMPORTS = """
import os, sys, traceback
for lib in ("numpy", "pydantic", "pydantic_settings", "yaml", "sqlalchemy", "httpx", "typer", "rich", "chromadb",
            "onnxruntime", "bm25s", "pandas"):
    try:
        __import__(lib)
    except ImportError:
        pass
failed = []
for name in sys.argv[1:]:
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.close(read)
        try:
            __import__(name)
            os._exit(0)
        except BaseException:
            os.write(write, traceback.format_exc().strip().splitlines()[-1].encode()[:500])
            os._exit(1)
    os.close(write)
    _, status = os.waitpid(pid, 0)
    message = os.read(read, 600).decode(errors="replace")
    os.close(read)
    if status:
        failed.append(f"{name}: {message}")
print("\\n".join(failed))
sys.exit(1 if failed else 0)
"""


def test_every_module_imports_alone_in_a_fresh_interpreter():
    """Each module imported first, in a child of an interpreter that has loaded no project module (two
    interpreters share the list, one per core)."""
    modules = sorted(m for _p, m in _source_files() if m != "app")
    runs = [subprocess.Popen([sys.executable, "-c", _FORK_IMPORTS, *modules[i::2]], stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True, cwd=ROOT) for i in range(2)]
    outputs = [run.communicate(timeout=600) for run in runs]
    assert all(run.returncode == 0 for run in runs), "\n".join(out + err[-2000:] for out, err in outputs)
