"""``dialogue-engine chat``: a solo dialogue with one persona in the terminal."""

from __future__ import annotations

import json
import logging
import sys

import typer

from dialogue_engine.errors import QDError

logger = logging.getLogger(__name__)


class ChatError(QDError):
    """The chat cannot start (unknown persona or seat)."""


def _retriever():
    """The default knowledge base (built when missing), or None when the knowledge package is unavailable."""
    try:
        from dialogue_engine.knowledge.defaults import build_default_index, default_knowledge_base
    except ImportError as err:
        logger.warning("chat: knowledge base unavailable (%s); replies will carry no citations", err)
        return None
    try:
        kb = default_knowledge_base()
        build_default_index(kb)
        return kb
    except QDError as err:
        logger.warning("chat: knowledge base unavailable (%s); replies will carry no citations", err)
        return None


def _realizer():
    """The realizer from settings: the LLM helper's when ``QD_LLM=openai`` and available, else built-in."""
    from dialogue_engine.config import LLMKind, get_settings

    settings = get_settings()
    if settings.llm == LLMKind.NONE:
        return None
    try:
        from dialogue_engine.agents.llm import make_realizer
    except ImportError as err:
        logger.warning("chat: LLM realizer unavailable (%s); using the built-in realizer", err)
        return None
    return make_realizer(settings)


def pick_seats(scenario, persona: str, seat: str | None) -> tuple[str, str]:
    """(human seat, persona seat) from a persona id (or seat id) and an optional human seat."""
    ids = scenario.party_ids
    matches = [p.id for p in scenario.parties if persona in (p.persona_id, p.id)]
    if not matches:
        known = ", ".join(p.persona_id for p in scenario.parties)
        raise ChatError(f"scenario {scenario.id}: no seat is played by persona {persona!r} (personas: {known})")
    counterpart = matches[0]
    if seat is not None:
        if seat not in ids:
            raise ChatError(f"scenario {scenario.id}: no seat {seat!r} (seats: {', '.join(ids)})")
        if seat == counterpart:
            raise ChatError(f"scenario {scenario.id}: seat {seat!r} is the persona's own seat; pick another with --as")
        return seat, counterpart
    return next(p for p in ids if p != counterpart), counterpart


def _print_reply(reply, as_json: bool) -> None:
    if as_json:
        typer.echo(json.dumps(reply.to_json(), ensure_ascii=False))
        return
    typer.echo(f"{reply.persona}: {reply.message}")
    for c in reply.citations:
        snippet = " ".join(c.text.split())[:160]
        typer.echo(f"  [{c.n}] {c.source}: {snippet}")


def chat(
    scenario: str = typer.Argument(..., help="Scenario id or YAML file."),
    persona: str = typer.Option(..., "--persona", help="The persona to talk with (its id, or its seat)."),
    seat: str | None = typer.Option(None, "--as", help="Your seat (default: the first other seat)."),
    as_json: bool = typer.Option(False, "--json", help="One JSON object per reply."),
    seed: int = typer.Option(0, "--seed", help="Makes the persona's choices and wording deterministic."),
    no_kb: bool = typer.Option(False, "--no-kb", help="Do not use the knowledge base (no citations)."),
) -> None:
    """Talk with a persona: one message per input line (reads stdin until EOF)."""
    import asyncio

    from dialogue_engine.agents.solo import SoloDialogue
    from dialogue_engine.domain.loading import load_scenario

    scen = load_scenario(scenario)
    human, counterpart = pick_seats(scen, persona, seat)
    dialogue = SoloDialogue(scen, human, counterpart, retriever=None if no_kb else _retriever(),
                            realizer=_realizer(), seed=seed)
    interactive = sys.stdin.isatty()
    if interactive and not as_json:
        typer.echo(f"{scen.title} — you hold {human}; {dialogue.persona.display_name} holds {counterpart}. "
                   "Ctrl-D to end.")

    async def run() -> None:
        for raw in sys.stdin:
            line = raw.strip()
            if not line:
                continue
            reply = await dialogue.send(line)
            _print_reply(reply, as_json)
            if dialogue.agreed_deal is not None and not as_json:
                typer.echo("(agreement reached)")

    asyncio.run(run())


def register(app: typer.Typer) -> None:
    """Add ``chat`` to the root command."""
    app.command("chat")(chat)
