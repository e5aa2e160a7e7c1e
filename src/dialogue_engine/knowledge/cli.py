"""Commands: ``ingest``, ``search`` and ``kb build|status|remove``."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Optional

import typer

kb_app = typer.Typer(help="The default knowledge index built from the content folder's knowledge/.", no_args_is_help=True)


def _open(store: Optional[Path]):
    from dialogue_engine.knowledge.base import KnowledgeBase

    return KnowledgeBase(store) if store is not None else KnowledgeBase()


def ingest(
    paths: list[Path] = typer.Argument(..., help="Files or folders (.md, .txt, .html, .pdf)."),
    store: Optional[Path] = typer.Option(None, "--store", help="Store folder (default: QD_STORE_DIR)."),
    tag: list[str] = typer.Option([], "--tag", help="Tag every chunk (repeatable)."),
    prune: bool = typer.Option(False, "--prune", help="Remove stored sources that are not among PATHS."),
    as_json: bool = typer.Option(False, "--json", help="Print the report as JSON."),
) -> None:
    """Add or update documents in the knowledge store (idempotent)."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

    kb = _open(store)
    labels = {"read": "reading", "embed": "embedding", "write": "writing"}
    with Progress(TextColumn("{task.description:<10}"), BarColumn(), MofNCompleteColumn(),
                  transient=True, disable=as_json) as bar:
        tasks: dict[str, int] = {}

        def progress(stage: str, done: int, total: int) -> None:
            if stage not in tasks:
                tasks[stage] = bar.add_task(labels.get(stage, stage), total=total)
            bar.update(tasks[stage], completed=done, total=total)

        report = kb.ingest(paths, tags=tag, prune=prune, progress=progress)
    if as_json:
        typer.echo(json.dumps({
            "added": report.added,
            "removed": report.removed,
            "pruned": list(report.pruned),
            "files": [c.__dict__ for c in report.changes],
            "seconds": round(report.seconds, 3),
        }, indent=2))
    else:
        typer.echo(report.summary())


def search(
    query: str = typer.Argument(..., help="What to look for."),
    store: Optional[Path] = typer.Option(None, "--store", help="Store folder (default: QD_STORE_DIR)."),
    k: int = typer.Option(5, "--k", min=1, help="How many hits."),
    source: list[str] = typer.Option([], "--source", help="Only this source file name (repeatable)."),
    tag: list[str] = typer.Option([], "--tag", help="Only chunks with any of these tags (repeatable)."),
    as_json: bool = typer.Option(False, "--json", help="Print hits as a JSON list."),
) -> None:
    """Search the knowledge store (hybrid dense + BM25)."""
    from dialogue_engine.knowledge.types import EmptyStoreError

    kb = _open(store)
    if kb.count() == 0:
        raise EmptyStoreError(f"the knowledge store at {kb.location} is empty; add documents with `dialogue-engine ingest PATH`")
    where = {}
    if source:
        where["source"] = source
    if tag:
        where["tags"] = tag
    hits = kb.search(query, k=k, where=where or None)
    if as_json:
        typer.echo(json.dumps([h.to_dict() for h in hits], indent=2, ensure_ascii=False))
        return
    if not hits:
        typer.echo("no matching passages")
        return
    from rich.console import Console
    from rich.table import Table

    table = Table(show_lines=True)
    table.add_column("#", no_wrap=True)
    table.add_column("score", no_wrap=True)
    table.add_column("source", no_wrap=True)
    table.add_column("section", overflow="fold", max_width=24)
    table.add_column("text", overflow="fold", ratio=1)
    for i, h in enumerate(hits, start=1):
        text = h.text if len(h.text) <= 300 else h.text[:297] + "..."
        table.add_row(str(i), f"{h.score:.4f}", h.source, h.section or h.title, text)
    Console().print(table)


@kb_app.command("build")
def kb_build(force: bool = typer.Option(False, "--force", help="Re-ingest even when up to date.")) -> None:
    """Index the content folder's knowledge/ notes when the index is missing or stale."""
    from dialogue_engine.knowledge.defaults import build_default_index

    report = build_default_index(force=force)
    typer.echo("knowledge index is up to date" if report is None else report.summary())


@kb_app.command("status")
def kb_status(as_json: bool = typer.Option(False, "--json", help="Print as JSON.")) -> None:
    """Show the default index: store, chunk count, sources, and whether it holds the shipped notes as shipped."""
    from dialogue_engine.knowledge.defaults import default_knowledge_base, index_status

    kb = default_knowledge_base()
    status = index_status(kb)
    info: dict[str, object] = {
        "store": status["store"],
        "knowledge_dir": status["knowledge_dir"],
        "notes": status["files"],
        "up_to_date": status["up_to_date"],
        "problems": status["problems"],
    }
    if not status["damaged"]:
        info["chunks"] = kb.count()
        info["sources"] = kb.sources()
    if as_json:
        typer.echo(json.dumps(info, indent=2))
        return
    for key, value in info.items():
        if key == "problems":
            for problem in value:  # type: ignore[attr-defined]
                typer.echo(f"problem: {problem}")
            continue
        typer.echo(f"{key}: {', '.join(value) if isinstance(value, list) else value}")


@kb_app.command("remove")
def kb_remove(
    source: str = typer.Argument(..., help="Source file name to delete."),
    store: Optional[Path] = typer.Option(None, "--store", help="Store folder (default: QD_STORE_DIR)."),
) -> None:
    """Delete every chunk of one source."""
    from dialogue_engine.knowledge.types import KnowledgeError

    removed = _open(store).remove(source)
    if not removed:
        raise KnowledgeError(f"{source}: no such source in the knowledge store")
    typer.echo(f"removed {removed} chunk(s) of {source}")


def register(app: typer.Typer) -> None:
    """Add the knowledge commands to the root CLI."""
    app.command("ingest")(ingest)
    app.command("search")(search)
    app.add_typer(kb_app, name="kb")
