"""Malformed and hostile input through the real command line (in-process) and the app's upload check.

Every case must end within 10 s with a non-zero exit and ONE line that names the file and the cause: no
traceback, no hang, nothing written and nothing changed. Files are generated in a temporary folder.
"""

from __future__ import annotations

import contextlib
import os
import re
import signal
import time
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from dialogue_engine.cli import app
from dialogue_engine.domain import DomainError, load_scenario
from dialogue_engine.ui.uploads import UploadError, check_yaml_upload

DATA = Path(__file__).parent / "data"
CAP_SECONDS = 10
runner = CliRunner()


@contextlib.contextmanager
def deadline(seconds: float = CAP_SECONDS):
    """Fail a case that runs longer than ``seconds`` (SIGALRM interrupts blocking reads and Python loops)."""

    def _hang(signum, frame):  # noqa: ANN001
        raise TimeoutError(f"hung for more than {seconds} s")

    old = signal.signal(signal.SIGALRM, _hang)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, old)


def _mini() -> dict:
    return yaml.safe_load((DATA / "mini_scenario.yaml").read_text(encoding="utf-8"))


def _dump(data) -> str:  # noqa: ANN001
    return yaml.safe_dump(data, sort_keys=False)


def _mini_with(path: tuple, value) -> str:  # noqa: ANN001
    data = _mini()
    target = data
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = value
    return _dump(data)


def _alias_bomb() -> str:
    """The billion-laughs shape: nine levels, each nine references to the level below (under 600 bytes)."""
    text = 'a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]\n'
    for prev, name in zip("abcdefgh", "bcdefghi"):
        text += f"{name}: &{name} [" + ",".join([f"*{prev}"] * 9) + "]\n"
    return text


def _narrow_bomb() -> str:
    """Few aliases (48), each doubling the one before: 2**24 values once expanded."""
    text = "x0: &x0 [lol, lol]\n"
    for n in range(1, 25):
        text += f"x{n}: &x{n} [*x{n - 1}, *x{n - 1}]\n"
    return text


def _cost_scenario(n_issues: int, n_options: int, n_parties: int) -> str:
    issues = [{"id": f"i{i}", "title": f"Issue {i}",
               "options": [{"id": f"i{i}o{o}", "label": f"option {o}"} for o in range(n_options)]}
              for i in range(n_issues)]
    parties = [{"id": f"p{p}", "threshold": 0,
                "scores": {f"i{i}": {f"i{i}o{o}": (o * 7 + p) % 10 for o in range(n_options)}
                           for i in range(n_issues)}}
               for p in range(n_parties)]
    return yaml.safe_dump({"id": "costly", "title": "Costly", "situation": "Many options, many parties.",
                           "parties": parties, "issues": issues}, default_flow_style=None, width=10_000)


def _inject_delta(value: str) -> str:
    return (DATA / "mini_scenario.yaml").read_text(encoding="utf-8").replace("delta: -5", f"delta: {value}")


def _threshold(value: str) -> str:
    return (DATA / "mini_scenario.yaml").read_text(encoding="utf-8").replace("threshold: 50", f"threshold: {value}", 1)


def _score(value: str) -> str:
    return (DATA / "mini_scenario.yaml").read_text(encoding="utf-8").replace("A1: 40", f"A1: {value}", 1)


# name -> (file content as str or bytes, a word the one-line error must contain)
HOSTILE: dict[str, tuple[str | bytes, str]] = {
    "alias-bomb": (_alias_bomb(), "aliases"),
    "narrow-alias-bomb": (_narrow_bomb(), "aliases"),
    "recursive-alias": ("a: &a [1, *a]\n", "recursive"),
    "undefined-alias": ("id: x\nname: *nowhere\n", "not defined"),
    "deep-lists": ("a: " + "[" * 5000 + "]" * 5000 + "\n", "nested"),
    "deep-mappings": ("a: " + "{a: " * 3000 + "1" + "}" * 3000 + "\n", "nested"),
    "too-many-values": ("[" + ",".join(["1"] * 210_000) + "]\n", "values"),
    "nan-threshold": (_threshold(".nan"), "finite"),
    "inf-threshold": (_threshold(".inf"), "finite"),
    "minus-inf-threshold": (_threshold("-.inf"), "finite"),
    "overflowing-threshold": (_threshold("1.0e+999"), "finite"),
    "nan-score": (_score(".NaN"), "finite"),
    "inf-inject-delta": (_inject_delta(".inf"), "finite"),
    "nan-inject-delta": (_inject_delta(".nan"), "finite"),
    "cost-over-budget": (_cost_scenario(3, 60, 30), "budget"),
    "non-utf8": ("id: caf\xe9\ntitle: x\n".encode("latin-1"), "UTF-8"),
    "binary": (bytes(range(256)) * 4, "UTF-8"),
    "nul-bytes": (b"id: x\x00\x00\x00\ntitle: y\n", "binary"),
    "empty": (b"", "empty"),
    "whitespace-only": ("   \n\n\t\n", "empty"),
    "list-at-top": ("- a\n- b\n", "mapping"),
    "scalar-at-top": ("just a sentence\n", "mapping"),
    "unknown-keys": (_mini_with(("colour",), "blue"), "unknown field"),
    "unknown-nested-key": (_mini_with(("parties", 0, "mood"), "grumpy"), "unknown field"),
    "wrong-type-threshold": (_threshold("high"), "threshold"),
    "wrong-type-rounds": (_mini_with(("rounds",), "many"), "rounds"),
    "wrong-type-parties": (_mini_with(("parties",), "everyone"), "parties"),
    "duplicate-keys": ((DATA / "mini_scenario.yaml").read_text(encoding="utf-8") + "rounds: 5\n", "duplicate"),
    "syntax-error": ("id: x\nparties: [a, b\n", "invalid YAML"),
    "tab-indentation": ("id: x\nparties:\n\t- a\n", "invalid YAML"),
    "two-documents": ("id: x\n---\nid: y\n", "document"),
    "python-tag": ("id: !!python/object/apply:os.system ['true']\n", "tag"),
    "custom-tag": ("id: !secret x\n", "tag"),
    "set-tag": ("id: x\nparties: !!set {a, b}\n", "tag"),
    "complex-key": ("? [a, b]\n: 1\n", "key"),
}


def _snapshot(folder: Path) -> dict[str, tuple[int, int]]:
    return {str(p.relative_to(folder)): (p.lstat().st_size, p.lstat().st_mtime_ns) for p in folder.rglob("*")}


def _assert_one_line_error(res, needle: str, names: str) -> str:  # noqa: ANN001
    assert res.exit_code not in (0, None), res.output
    assert res.exception is None or isinstance(res.exception, SystemExit), repr(res.exception)
    assert "Traceback" not in res.output
    lines = [line for line in res.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, res.stderr
    line = lines[0]
    assert names in line, line
    assert needle.lower() in line.lower(), line
    return line


def _write(tmp_path: Path, name: str, content: str | bytes) -> Path:
    path = tmp_path / f"{name}.yaml"
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content, encoding="utf-8")
    return path


COMMANDS = {
    "validate": lambda f, out: ["validate", str(f)],
    "analyze": lambda f, out: ["scenario", "analyze", str(f), "--json"],
    "run": lambda f, out: ["exercise", "run", str(f), "--out", str(out), "--no-knowledge"],
}


@pytest.mark.parametrize("command", sorted(COMMANDS))
@pytest.mark.parametrize("case", sorted(HOSTILE))
def test_hostile_file_is_one_line_through_the_command_line(tmp_path, case, command):
    content, needle = HOSTILE[case]
    path = _write(tmp_path, case, content)
    out = tmp_path / "out"
    before = _snapshot(tmp_path)
    started = time.perf_counter()
    with deadline():
        res = runner.invoke(app, COMMANDS[command](path, out))
    assert time.perf_counter() - started < CAP_SECONDS
    _assert_one_line_error(res, needle, path.name)
    assert _snapshot(tmp_path) == before, "something was written"


@pytest.mark.parametrize("case", sorted(HOSTILE))
def test_hostile_upload_is_refused_in_plain_lines(case):
    content, needle = HOSTILE[case]
    data = content if isinstance(content, bytes) else content.encode("utf-8")
    name = f"{case}.yaml"
    with deadline():
        try:
            check = check_yaml_upload(name, data)
        except UploadError as err:
            lines = [str(err)]
        else:
            assert not check.ok and check.model is None
            lines = check.problems
    assert lines and all("\n" not in line for line in lines)
    assert any(needle.lower() in line.lower() for line in lines), lines


@pytest.mark.parametrize("case", sorted(HOSTILE))
def test_hostile_file_is_one_domain_error_from_the_loader(tmp_path, case):
    content, needle = HOSTILE[case]
    path = _write(tmp_path, case, content)
    with deadline(), pytest.raises(DomainError) as err:
        load_scenario(path)
    assert "\n" not in str(err.value) and str(path) in str(err.value) and needle.lower() in str(err.value).lower()


@pytest.fixture(scope="module")
def sixty_mb(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("big") / "sixty-mb.yaml"
    with path.open("wb") as fh:
        line = b"padding: " + b"x" * 990 + b"\n"
        for _ in range(60 * 1024):
            fh.write(line)
    return path


@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_a_60_mb_file_is_refused_by_size_at_once(sixty_mb, tmp_path, command):
    started = time.perf_counter()
    with deadline():
        res = runner.invoke(app, COMMANDS[command](sixty_mb, tmp_path / "out"))
    assert time.perf_counter() - started < 2, "the size was not checked before reading"
    _assert_one_line_error(res, "MB", sixty_mb.name)
    assert not (tmp_path / "out").exists()


def test_a_60_mb_upload_is_refused_by_size():
    with pytest.raises(UploadError, match="MB"):
        check_yaml_upload("big.yaml", b"x" * (60 * 1024 * 1024))


def _special(tmp_path: Path, kind: str) -> Path:
    valid = tmp_path / "valid.yaml"
    valid.write_text((DATA / "mini_scenario.yaml").read_text(encoding="utf-8"), encoding="utf-8")
    if kind == "symlink":
        link = tmp_path / "link.yaml"
        link.symlink_to(valid)
        return link
    if kind == "dangling-symlink":
        link = tmp_path / "dangling.yaml"
        link.symlink_to(tmp_path / "gone.yaml")
        return link
    if kind == "fifo":
        fifo = tmp_path / "pipe.yaml"
        os.mkfifo(fifo)
        return fifo
    if kind == "directory":
        folder = tmp_path / "folder.yaml"
        folder.mkdir()
        return folder
    if kind == "missing":
        return tmp_path / "missing.yaml"
    return Path("/dev/zero")


SPECIAL = {"symlink": "symbolic link", "dangling-symlink": "symbolic link", "fifo": "regular file",
           "directory": "folder", "missing": "no such", "dev-zero": "regular file"}


@pytest.mark.parametrize("command", sorted(COMMANDS))
@pytest.mark.parametrize("kind", sorted(SPECIAL))
def test_links_pipes_devices_folders_and_missing_files(tmp_path, kind, command):
    if kind == "directory" and command == "validate":
        pytest.skip("validate takes folders (it validates the YAML files inside)")
    path = _special(tmp_path, kind)
    before = _snapshot(tmp_path)
    with deadline():
        res = runner.invoke(app, COMMANDS[command](path, tmp_path / "out"))
    _assert_one_line_error(res, SPECIAL[kind], path.name)
    assert _snapshot(tmp_path) == before


@pytest.mark.parametrize("kind", ["symlink-to-passwd", "fifo", "dev-zero", "missing", "binary", "empty"])
def test_ingest_refuses_what_is_not_a_readable_document(tmp_path, kind):
    store = tmp_path / "store"
    if kind == "symlink-to-passwd":
        path = tmp_path / "passwd.md"
        path.symlink_to("/etc/passwd")
    elif kind == "fifo":
        path = tmp_path / "pipe.md"
        os.mkfifo(path)
    elif kind == "dev-zero":
        path = Path("/dev/zero")
    elif kind == "missing":
        path = tmp_path / "missing.md"
    elif kind == "binary":
        path = tmp_path / "blob.md"
        path.write_bytes(bytes(range(256)) * 8)
    else:
        path = tmp_path / "empty.md"
        path.write_bytes(b"")
    with deadline():
        res = runner.invoke(app, ["ingest", str(path), "--store", str(store)])
    _assert_one_line_error(res, "", path.name)
    assert not store.exists() or not any(store.iterdir())


@pytest.mark.parametrize("setting", ["QD_LLM=bogus", "QD_LLM_TIMEOUT=abc", "QD_LLM_MAX_TOKENS=-3", "PORT=http"])
@pytest.mark.parametrize("args", [
    ["validate"],
    ["scenario", "analyze", "mini"],
    ["exercise", "list"],
    ["kb", "status"],
    ["search", "anything"],
    ["chat", "us-china-quiet-dialogue", "--persona", "china"],
], ids=lambda a: "-".join(a[:2]))
def test_an_invalid_setting_is_one_line_on_every_command(monkeypatch, setting, args):
    from dialogue_engine.config import get_settings

    name, value = setting.split("=")
    monkeypatch.setenv(name, value)
    get_settings.cache_clear()
    with deadline():
        res = runner.invoke(app, args, input="")
    _assert_one_line_error(res, name, name)


def test_export_of_an_unknown_exercise_writes_nothing(tmp_path):
    out = tmp_path / "log.jsonl"
    res = runner.invoke(app, ["exercise", "export", "no-such-id", "--out", str(out), "--db",
                              f"sqlite:///{tmp_path / 'ex.db'}"])
    _assert_one_line_error(res, "no-such-id", "no-such-id")
    assert not out.exists()


def test_run_with_out_naming_an_existing_file_keeps_it(tmp_path):
    target = tmp_path / "existing.txt"
    target.write_text("keep me", encoding="utf-8")
    res = runner.invoke(app, ["exercise", "run", str(DATA / "mini_scenario.yaml"), "--out", str(target),
                              "--no-knowledge"])
    _assert_one_line_error(res, "not a folder", "existing.txt")
    assert target.read_text(encoding="utf-8") == "keep me"


@pytest.mark.parametrize("seed", ["-1", "abc"])
def test_chat_with_a_bad_seed_is_one_line(seed):
    res = runner.invoke(app, ["chat", "us-china-quiet-dialogue", "--persona", "china", "--seed", seed], input="")
    _assert_one_line_error(res, "seed", "--seed")


def test_the_classic_alias_bomb_is_small():
    assert len(_alias_bomb().encode()) < 600 and re.search(r"\*h", _alias_bomb())
