"""PersonaAgent: one seat played by a persona — perceive, decide, ground, realize, guard."""

from __future__ import annotations

import asyncio
import copy
import dataclasses
import logging
from dataclasses import dataclass, field

from dialogue_engine.agents.acts import Act
from dialogue_engine.agents.builtin import BuiltinRealizer
from dialogue_engine.agents.grounding import RELEVANCE_FLOOR, Grounder, Retriever, relevance
from dialogue_engine.agents.guard import check_reply, renumber_citations, scrub
from dialogue_engine.agents.perception import Perceiver, Perception, RulePerceiver
from dialogue_engine.agents.planning import ASKS_FOR_PACKAGE, DialoguePlan, PlanInput, plan_reply
from dialogue_engine.agents.realizer import Realization, Realizer, RealizeRequest
from dialogue_engine.agents.resilience import with_guard
from dialogue_engine.agents.streaming import OnText, show
from dialogue_engine.agents.types import (
    Citation,
    Deal,
    Decline,
    Move,
    MoveKind,
    Observation,
    ObservationKind,
    Reply,
    TurnContext,
)
from dialogue_engine.domain.persona import Persona
from dialogue_engine.llm.errors import LLMError
from dialogue_engine.domain.scenario import Scenario
from dialogue_engine.negotiation.strategy import Stance, Strategy, StrategyKind

logger = logging.getLogger(__name__)

THREAT_TRUST_DELTA = -0.05


@dataclass(frozen=True, kw_only=True, slots=True)
class TurnRecord:
    """What happened on one of the agent's turns (for debriefs and research comparisons)."""

    round: int
    move: MoveKind
    realizer: str
    fallback_reason: str | None = None
    violations: tuple[str, ...] = ()


def public_text(scenario: Scenario, persona: Persona | None = None) -> str:
    """Everything public about a scenario (and the speaker's public persona) in one string."""
    parts = [scenario.title, scenario.summary, scenario.situation, scenario.setting]
    for issue in scenario.issues:
        parts += [issue.title, issue.description]
        for o in issue.options:
            parts += [o.id, o.label, o.description]
    if persona is not None:
        parts += [persona.name, persona.public_profile, *persona.voice.openers, *persona.voice.phrases]
    return "\n".join(p for p in parts if p)


def stances_for(persona: Persona, scenario: Scenario, party_id: str) -> dict[str, Stance]:
    """The persona's relationships keyed by the party ids of the scenario (by persona id, else party id)."""
    out: dict[str, Stance] = {}
    for p in scenario.parties:
        if p.id == party_id:
            continue
        rel = persona.relationships.get(p.persona_id) or persona.relationships.get(p.id)
        if rel is not None:
            out[p.id] = Stance(trust=rel.trust, commonality=rel.commonality)
    return out


@dataclass
class _Memory:
    history: list[str] = field(default_factory=list)
    perceived: dict[tuple, Perception] = field(default_factory=dict)
    clock: tuple[int, int] = (0, 1)


class PersonaAgent:
    """A persona playing one seat of a scenario.

    Args:
        persona: who plays the seat (voice, style, relationships, knowledge tags).
        scenario: the scenario (current state).
        party_id: the seat.
        retriever: a knowledge base (``search(query, k, where)``) or None for no citations.
        realizer: words for moves (default: :class:`BuiltinRealizer`); falls back to built-in on failure. A
            resilient LLM realizer gets this seat's leak guard, so leaking words are regenerated first.
        seed: makes decisions and wording deterministic.
        perceiver: free text -> :class:`Perception` (default: :class:`RulePerceiver`).
        strategy_kind: the persona strategy, or a baseline for comparisons.
        table_tactics: play multi-party tables by the rule (off: the earlier rule, a bench baseline).
    """

    def __init__(self, persona: Persona, scenario: Scenario, party_id: str, *, retriever: Retriever | None = None,
                 realizer: Realizer | None = None, seed: int = 0, perceiver: Perceiver | None = None,
                 strategy_kind: StrategyKind = StrategyKind.PERSONA, table_tactics: bool = True):
        self.persona = persona
        self.scenario = scenario
        self.party_id = party_id
        self.party = scenario.party(party_id)
        self.seed = seed
        self.strategy = Strategy(scenario, party_id, persona.style, stances_for(persona, scenario, party_id),
                                 seed=seed, kind=strategy_kind, table_tactics=table_tactics)
        self.perceiver: Perceiver = perceiver or RulePerceiver(scenario)
        self.grounder = Grounder(persona, scenario, retriever)
        self.builtin = BuiltinRealizer(seed)
        self.realizer: Realizer = with_guard(realizer, self._seat_guard) if realizer is not None else self.builtin
        self.turns: list[TurnRecord] = []
        self.last_move: Move | None = None
        self.last_proposal: Deal | None = None
        self.on_table: Deal | None = None
        self._theirs_latest = False
        self._memory = _Memory()
        self._tabled_by: dict[Deal, str] = {}
        self._public = public_text(scenario, persona)

    # ---- state ----------------------------------------------------------------------------------

    SHARED = frozenset({"persona", "scenario", "party", "perceiver", "grounder", "realizer", "decider", "_public"})
    """Attributes a copy shares with its original: services (models, clients, stores) and immutable inputs."""

    def __deepcopy__(self, memo: dict) -> "PersonaAgent":
        """A copy with its own negotiation state (strategy, memory, turns) that shares the services."""
        clone = object.__new__(type(self))
        memo[id(self)] = clone
        for name, value in vars(self).items():
            setattr(clone, name, value if name in self.SHARED else copy.deepcopy(value, memo))
        if self.realizer is self.builtin:
            clone.realizer = clone.builtin
        return clone

    @property
    def history(self) -> list[str]:
        return list(self._memory.history)

    def update_scenario(self, scenario: Scenario) -> None:
        """Play on under a changed scenario (after an inject)."""
        self.scenario = scenario
        self.party = scenario.party(self.party_id)
        self.strategy.update_scenario(scenario)
        if hasattr(self.perceiver, "update_scenario"):
            self.perceiver.update_scenario(scenario)
        self.grounder.update_scenario(scenario)
        self._public = public_text(scenario, self.persona)
        if self.on_table is not None and self.scenario.deal_problem(self.on_table) is not None:
            self.on_table = None

    def shift_relationship(self, other: str, trust_delta: float = 0.0, commonality_delta: float = 0.0) -> None:
        """Change trust and commonality toward another seat (its party id or persona id)."""
        for p in self.scenario.parties:
            if other in (p.id, p.persona_id) and p.id != self.party_id:
                self.strategy.shift_relationship(p.id, trust_delta, commonality_delta)

    def vote(self, deal: Deal, *, round_: int | None = None, total_rounds: int | None = None) -> bool:
        """Yes or no on a complete deal put to a binding vote: the strategy's decision, never below the threshold."""
        r, total = self._memory.clock
        return self.strategy.vote(deal, round_ if round_ is not None else r, total_rounds or total, binding=True)


    # ---- perceive -------------------------------------------------------------------------------

    def perceive(self, obs: Observation) -> Perception:
        """The perception of an observation (cached, so observing then answering parses once)."""
        key = (obs.round, obs.speaker, obs.kind, obs.text, tuple(sorted((obs.proposal or {}).items())))
        found = self._memory.perceived.get(key)
        if found is None:
            found = self.perceiver.perceive(obs.text, obs.proposal)
            self._memory.perceived[key] = found
        return found

    def observe(self, obs: Observation) -> None:
        """Learn from what another seat did (and remember it as a public line)."""
        if obs.speaker == self.party_id and obs.kind == ObservationKind.ACCEPT:
            if obs.proposal is not None:  # support it already declared
                self.strategy.note_support(obs.proposal)
            return
        name = self.scenario.party_name(obs.speaker)
        self._memory.history.append(f"{name}: {obs.text or obs.kind.value}")
        self._memory.history = self._memory.history[-20:]
        self._memory.clock = (max(self._memory.clock[0], obs.round), self._memory.clock[1])
        if obs.speaker == self.party_id:
            if obs.text:
                self.builtin.remember(self.persona, obs.text)
            if obs.proposal is not None and self.strategy._complete(obs.proposal):
                self.last_proposal = obs.proposal
                self._theirs_latest = False
            return
        deal = obs.proposal
        if obs.kind in (ObservationKind.PROPOSAL, ObservationKind.MESSAGE) and (deal or obs.text):
            p = self.perceive(obs)
            if p.proposal:
                self.strategy.observe_proposal(obs.speaker, p.proposal)
                if self.strategy._complete(p.proposal):
                    self.on_table = p.proposal
                    self._theirs_latest = True
                    self._tabled_by.setdefault(p.proposal, obs.speaker)
            elif p.options:
                self.strategy.observe_statement(obs.speaker, Deal({self._issue_of(o): o for o in p.options}), p.issues)
            if p.has(Act.REJECT):
                for option in p.rejected_options:
                    self.strategy.observe_red_line(obs.speaker, Deal({self._issue_of(option): option}))
            if p.has(Act.THREATEN):
                self.shift_relationship(obs.speaker, THREAT_TRUST_DELTA, 0.0)
        elif obs.kind in (ObservationKind.ACCEPT, ObservationKind.REJECT) and deal:
            self.strategy.observe_vote(obs.speaker, deal, obs.kind == ObservationKind.ACCEPT, minimum=obs.minimum,
                                       blocking=obs.blocking)

    def _issue_of(self, option_id: str) -> str:
        return self.scenario.option_index()[option_id][0]

    # ---- the turn -------------------------------------------------------------------------------

    def decide(self, ctx: TurnContext, perception: Perception | None) -> Move:
        """The strategy's move for this turn.

        A line that only talks (greets, asks, shares an interest, threatens, strays) does not move the
        persona: its standing offer stands, or it has none yet. An explicit acceptance takes the persona's
        own offer; "do we have a deal?" is answered about the package actually on the table.
        """
        on_table = ctx.on_table or self.on_table
        if on_table is not None and on_table == self.last_proposal and not (perception and perception.accepts):
            on_table = self.on_table if self._theirs_latest else None  # never accept one's own offer unasked
        partial = None
        mentioned = None
        to = ctx.incoming.speaker if ctx.incoming is not None else None
        if perception is not None:
            if perception.proposal:
                if self.strategy._complete(perception.proposal):
                    on_table = perception.proposal
                else:
                    partial = perception.proposal
            mentioned = perception.issues[0] if perception.issues else None
            if perception.accepts and self.last_proposal is not None and not perception.proposal:
                on_table = self.last_proposal
            if perception.has(Act.ASK_ACCEPTANCE) and not perception.proposal and not self._theirs_latest:
                on_table = None
            if self._only_talks(perception):
                issue = mentioned or self.strategy.focus_issue(self.last_proposal)
                return Move(kind=MoveKind.ACKNOWLEDGE, proposal=self.last_proposal, to=to, issue=issue,
                            reason="answers; its offer stands" if self.last_proposal else "answers before proposing")
        question = perception is not None and perception.asks and not perception.proposal
        decision = self.strategy.decide(ctx.round, ctx.total_rounds, on_table, partial=partial,
                                        mentioned_issue=mentioned, question=question, final_word=ctx.final_word)
        return dataclasses.replace(self._disciplined(decision, ctx), to=to)

    def _disciplined(self, move: Move, ctx: TurnContext) -> Move:
        """Table discipline: back a package already live instead of tabling it again, and table no second
        package in a round (the seat's offer stands)."""
        if move.kind not in (MoveKind.PROPOSE, MoveKind.COUNTER) or move.proposal is None:
            return move
        if move.proposal in ctx.live:
            return dataclasses.replace(move, kind=MoveKind.ACCEPT, reason="backs the same package, already on the table")
        if not ctx.may_table:
            return dataclasses.replace(move, kind=MoveKind.ACKNOWLEDGE, proposal=self.last_proposal,
                                       reason="its offer this round stands")
        return move

    def _only_talks(self, perception: Perception) -> bool:
        """Whether a line asks or comments without proposing, accepting, trading or asking for a package."""
        if perception.proposal or perception.accepts or ASKS_FOR_PACKAGE.search(perception.text):
            return False
        moving = {Act.PROPOSE, Act.CONDITIONAL_TRADE, Act.ACCEPT, Act.REJECT}
        if perception.has(Act.ASK_ACCEPTANCE):
            return not self._theirs_latest
        return bool(perception.acts) and not perception.has(*moving)

    async def respond(self, ctx: TurnContext, *, on_text: OnText | None = None) -> Reply:
        """Perceive the incoming message, decide, plan, ground, realize and guard; always returns a valid reply.

        Args:
            ctx: the turn.
            on_text: receives the reply's words as they become safe to show. A guarded LLM realizer streams
                them sentence by sentence, each checked by this seat's guard first; the built-in realizer
                gives the final text once. The reply's ``message`` is the final text: it replaces what was
                shown when the stream was stopped or failed (the fallback's words).
        """
        self._memory.clock = (ctx.round, ctx.total_rounds)
        perception = None
        addressed = ctx.incoming is not None and ctx.incoming.to in (None, self.party_id)
        if addressed and ctx.incoming.speaker != self.party_id and (ctx.incoming.text or ctx.incoming.proposal):
            perception = await asyncio.to_thread(self.perceive, ctx.incoming)
        move = self.decide(ctx, perception)
        text = perception.text if perception is not None else ""
        passages = await asyncio.to_thread(self.grounder.passages, move.issue, move.kind, text)
        fact = None
        if perception is not None and perception.has(Act.ASK_FACT):
            found = await asyncio.to_thread(self.grounder.fact, text, len(passages) + 1)
            if found is not None:
                sentence, citation = found
                same = next((p for p in passages if p.chunk_id == citation.chunk_id), None)
                if same is None:
                    passages = (*passages, citation)
                fact = (sentence, (same or citation).n)
        plan = self._plan(ctx, perception, move, passages, fact)
        request = RealizeRequest(
            persona=self.persona,
            scenario_title=self.scenario.title,
            situation=self.scenario.situation,
            move=move,
            proposal_lines=tuple(self.scenario.describe_deal(move.proposal)) if move.proposal else (),
            passages=passages,
            incoming=ctx.incoming,
            addressee=self.scenario.party_name(ctx.incoming.speaker) if ctx.incoming else None,
            history=tuple(self._memory.history[-8:]),
            turn=len(self.turns),
            issue_title=self._title(move.issue),
            plan=plan,
        )
        text, source, reason, violations = await self._realize(request, passages, on_text)
        text, citations = renumber_citations(text, passages)
        reply = Reply(
            persona=self.persona.id,
            party=self.party_id,
            message=text,
            move=move.kind,
            proposal=move.proposal,
            citations=citations,
            realizer=source,
            fallback_reason=reason,
            understood=perception,
            supports=move.supports,
            tolerates=move.tolerates,
            declines=move.declines,
        )
        self.turns.append(TurnRecord(round=ctx.round, move=move.kind, realizer=source, fallback_reason=reason,
                                     violations=tuple(violations)))
        self.last_move = move
        if move.proposal is not None and move.kind in (MoveKind.PROPOSE, MoveKind.COUNTER, MoveKind.ACKNOWLEDGE):
            self.last_proposal = move.proposal
            self._theirs_latest = False
        self._memory.history.append(f"{self.persona.display_name}: {text}")
        return reply

    def _plan(self, ctx: TurnContext, perception: Perception | None, move: Move, passages: tuple[Citation, ...],
              fact: tuple[str, int] | None) -> DialoguePlan:
        """What the reply answers before its move (see :mod:`dialogue_engine.agents.planning`)."""
        plan = self._answers(ctx, perception, move, passages, fact)
        return dataclasses.replace(plan, backs=self._tablers(move.supports), bears=self._tablers(move.tolerates),
                                   declines=self._blocking(move.declines))

    def _blocking(self, declines: tuple[Decline, ...]) -> tuple[tuple[str, str], ...]:
        """(seat name, title of the issue that sinks it) for packages the persona cannot accept, each seat once."""
        out: dict[str, str] = {}
        for decline in declines:
            if decline.deal in self._tabled_by:
                out.setdefault(self.scenario.party_name(self._tabled_by[decline.deal]), self._title(decline.issue))
        return tuple(out.items())

    def _tablers(self, deals: tuple[Deal, ...]) -> tuple[str, ...]:
        """Names of the seats that tabled these packages (each once, in order)."""
        names = (self.scenario.party_name(self._tabled_by[d]) for d in deals if d in self._tabled_by)
        return tuple(dict.fromkeys(names))

    def _answers(self, ctx: TurnContext, perception: Perception | None, move: Move, passages: tuple[Citation, ...],
                 fact: tuple[str, int] | None) -> DialoguePlan:
        if perception is None:
            return DialoguePlan(move=move, restate=True)
        speaker = ctx.incoming.speaker if ctx.incoming is not None else None
        theirs = perception.proposal if perception.proposal and self.strategy._complete(perception.proposal) else (
            self.on_table if self._theirs_latest else None)
        turn = PlanInput(
            acts=perception.acts, text=perception.text, issues=perception.issues,
            rejected=perception.rejected_options, theirs=theirs,
            ours=self.last_proposal,
            warmth=self.strategy.warmth([speaker]) if speaker in self.strategy.others else 0.0,
            fact=fact, reason_cite=self._best_support(passages, text_of(perception)),
            partial=perception.proposal if perception.proposal and not self.strategy._complete(perception.proposal)
            else None,
        )
        return plan_reply(self.persona, self.party, self.scenario, move, turn)

    def _best_support(self, passages: tuple[Citation, ...], text: str) -> int | None:
        """The passage that best supports an answer to ``text`` (at least the relevance floor), if any."""
        topic = " ".join([text, *(f"{i.name} {i.description}" for i in self.persona.interests[:2])])
        scored = [(relevance(p.text, topic), p.n) for p in passages]
        best = max(scored, default=(0, None))
        return best[1] if best[0] >= RELEVANCE_FLOOR else None

    def _title(self, issue_id: str | None) -> str:
        if not issue_id:
            return ""
        try:
            return self.scenario.issue(issue_id).title
        except KeyError:
            return ""

    def _seat_guard(self, request: RealizeRequest, real: Realization) -> str | None:
        """This seat's leak check on LLM words (given to the realizer at construction)."""
        return "; ".join(self._check(real.text, request.passages)) or None

    def _check(self, text: str, passages: tuple[Citation, ...]) -> list[str]:
        return check_reply(text, self.party, passages, public_text=self._public, taboo=self.persona.voice.taboo_words)

    async def _realize(self, request: RealizeRequest, passages: tuple[Citation, ...],
                       on_text: OnText | None = None) -> tuple[str, str, str | None, list[str]]:
        """(text, realizer name, fallback reason, violations seen) — built-in when the realizer fails.

        Words reach ``on_text`` streamed only through a realizer with ``guarded_stream`` (a
        :class:`~dialogue_engine.agents.resilience.ResilientRealizer`, which carries this seat's guard and
        checks each sentence); any other realizer's words are shown once, after the checks below.
        """
        reason: str | None = None
        violations: list[str] = []
        streamed = on_text is not None and bool(getattr(self.realizer, "guarded_stream", False))
        if self.realizer is not self.builtin:
            try:
                if streamed:
                    real = await self.realizer.stream_realize(request, on_text)
                else:
                    real = await self.realizer.realize(request)
                violations = self._check(real.text, passages)
                if not violations:
                    if not streamed:
                        show(on_text, real.text)
                    return real.text, real.source, real.fallback_reason, []
                reason = "guard: " + "; ".join(violations)
            except Exception as err:  # noqa: BLE001 - any realizer failure falls back to templates
                reason = f"realizer failed: {_failure_text(err)}"
            logger.info("%s: falling back to the built-in realizer (%s)", self.persona.id, reason)
        real = self.builtin.compose(request)
        problems = self._check(real.text, passages)
        text = real.text
        if problems:
            violations += problems
            text = scrub(text, self.party, passages, public_text=self._public, taboo=self.persona.voice.taboo_words)
            if not text or self._check(text, passages):
                text = _minimal(request)
        if not streamed:
            show(on_text, text)
        return text, "builtin", reason, violations


def _failure_text(err: BaseException) -> str:
    """A realizer failure as players may read it: the project's LLM errors with their message, anything else
    by its type only (a foreign message may quote the rejected words)."""
    text = type(err).__name__
    if isinstance(err, LLMError):
        text += f": {' '.join(str(err).split())[:200]}"
    return text


def text_of(perception: Perception | None) -> str:
    """The text of a perceived line ('' for none)."""
    return perception.text if perception is not None else ""


def _minimal(request: RealizeRequest) -> str:
    """A reply that states the move and nothing else (the last resort, always safe)."""
    lines = "; ".join(f"{t}: {o}" for t, o in request.proposal_lines)
    kind = request.move.kind
    if kind == MoveKind.ACCEPT:
        return f"We accept the package ({lines})." if lines else "We accept."
    if kind in (MoveKind.PROPOSE, MoveKind.COUNTER, MoveKind.ACKNOWLEDGE) and lines:
        return f"Our proposal: {lines}."
    if kind == MoveKind.WALK_AWAY:
        return "We step back from these talks."
    if kind == MoveKind.ASK:
        return "What would you need to move on this?"
    return "We cannot accept that."
