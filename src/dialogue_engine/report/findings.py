"""What one line of a player does, for coaching: nine findings read from its dialogue acts and mentions.

The dialogue-act perception of :mod:`dialogue_engine.agents` (acts per sentence, option and issue
mentions) does most of the work; a few findings the act set does not carry (acknowledging a named
concern, evidence, a private number, a unilateral concession) are read with rules over the same
sentences. The coaching rubric (:mod:`dialogue_engine.report.coaching`) and ``bench/bench_coaching.py``
both use :func:`line_findings`.
"""

from __future__ import annotations

import re

from dialogue_engine.agents.acts import (CONDITION_OR_FUTURE, SHARE_INTEREST, Act, detect_acts, normalize,
                                         sentences)
from dialogue_engine.agents.perception import RulePerceiver
from dialogue_engine.domain import Scenario

CRITERIA = ("asked_interests", "shared_interest", "acknowledged", "conditional_trade", "multi_issue_package",
            "ultimatum", "revealed_number", "used_evidence", "conceded_unilaterally")
"""The per-line findings, in a fixed order (the labels of ``bench/eval/coaching_rubric.yaml``)."""


def _rx(*parts: str) -> re.Pattern[str]:
    return re.compile("|".join(f"(?:{p})" for p in parts), re.IGNORECASE)


_DENIAL = _rx(r"\b(not|no|never|aren'?t|isn'?t|don'?t|won'?t|am not)\b[^.?!]{0,40}\b(threat\w*|ultimatums?)\b")
_BUT = re.compile(r"\bbut\b", re.I)
_EXTRA_THREAT = _rx(
    r"\bgo home( empty-handed)?\b", r"\b(talks|negotiations?|process|channel) (have |has |will have )?"
    r"(failed|collapsed|ended)\b", r"\bgo\b.{0,40}\balone\b", r"\b(can ?not|can't|cannot) wait forever\b",
    r"\bleave the (room|table|talks)\b", r"\bwalk (out|away)\b", r"\bblock (any|every|the|this)\b",
    r"\b(we|i)('ll| will| shall)( have to| simply)? (leave|walk|pull out|withdraw|block|veto|vote against|suspend|"
    r"end|break off|go (to|it alone))\b", r"\b(last|final) offer\b", r"\bnow or never\b", r"\bthis is it\b",
)
_INTEREST_QUESTION = _rx(
    r"\b(rank|ranking|prioriti[sz]e|worr(y|ies|ied)|objection|concern|afraid|fear)\b",
    r"\bhow (do|does|did|would) .{0,30}\b(decide|choose|judge|weigh)\b", r"\bhow (you|they) decide\b",
    r"\bwhat would (make|it take|.{0,30} need)\b", r"\b(has|have|would need) to (deliver|achieve|give|see)\b",
    r"\battractive\b", r"\b(your|their) (minimum|bottom line|red lines?|threshold)\b", r"\bmatters? (more|most)\b",
    r"\b(you|your side|they|[a-z]+ (government|side|delegation|capital)) (really |most |actually )?(need|needs|want|"
    r"wants|care|cares|value|values|fear|fears)\b", r"\b(important|vital|essential) (to|for) (you|them|your)\b",
    r"\b(hoping|looking|trying) (for|to)\b", r"\bwhat('s| is) (driving|holding .{1,30} back|stopping)\b",
    r"\b(constraints?|pressures?|goals?|aims?|motivations?|interests?)\b", r"\bcan'?t (you )?(accept|live with)\b",
)
_ASKS = _rx(r"\?\s*$", r"^\W*(please )?(tell me|help me understand|explain|walk me through)\b",
            r"\b(i'?d|i would|we'?d|we would) (like|love|want) to (understand|know|hear)\b")
_SHARE_EXTRA = _rx(
    r"\bwe share (the|your|that|this|a|their) (goal|concern|interest|aim|worry|view)\b", r"\bwe share it\b",
    r"\b(ours|our (priorities|order))\b.{0,30}\b(run|rank|come|go)\b.{0,40}\bfirst\b",
    r"\b(our|my) (top|main|first|biggest) (item|issue|thing)\b", r"\bis everything\b",
    r"\b(?-i:[A-Z][\w-]+) (simply |really |just |also |still )?(needs|wants|cannot afford|relies on)\b",
    r"\bcosts? us\b",
    r"\b(we|our [a-z]+) (cannot|can'?t) (plan|survive|sell|afford|operate|keep|explain)\b",
    r"\bwithout .{1,40}\b(we|our [a-z]+) (see no|have no|cannot|can'?t)\b", r"\bthe real (worry|concern|issue)\b",
)
_DEMAND_ONLY = _rx(r"^\W*(our|my) (first |main |top |only )?(minimum )?(priority|ask|demand|requirement) is\b")
_REASON = _rx(r"\bbecause\b", r"\bso (that )?\w+", r"\bsince\b", r"[:;]", r"\bto (keep|protect|make|avoid|get|know)\b",
              r",")
_ACK = _rx(
    r"\b(i|we) (fully |really |do |certainly )?(hear|understand|appreciate|recogni[sz]e|acknowledge|see|take|get|"
    r"note|respect)\b(?! you\b\W*$)(?P<rest>.*)",
    r"\b(that'?s|that is|you make) a (fair|good|valid|reasonable|real) (point|concern)\b",
    r"^\W*(so )?for you,? .{3,}\b(matters|is (key|vital|essential|the (core|main|real) issue))\b",
    r"\byou('re| are) (worried|concerned) (about|that)\b",
)
_OTHER_SIDE = _rx(r"\b(you|your|yours|they|their|(?-i:[A-Z][\w'’-]+))\b")
_TRADE_EXTRA = _rx(
    r"\bin (exchange|return) for\b", r"\bwe give .{1,60},? (and )?you give\b", r"\byou give .{1,60},? (and )?we give\b",
    r"\bif you (give|grant|offer|accept|drop|move)\b.{3,}\b(we|i)\b",
    r"\b(can|could|will|would|'ll) (put|give|offer|fund|provide|accept|open|back|support|drop|move|join|grant)\b"
    r".{3,80}\b(if|provided|as long as) ",
    r"\b(we|i) (will|can|could|would|'ll|'d|are ready to|are willing to)\b.{3,80}\b(provided( that)?|as long as|"
    r"so long as|on (the )?condition( that)?)\b", r"\bin return,? (you|we|[A-Z])", r"\bin exchange,? (you|we|[A-Z])",
    r"^\W*if (you|they|your side)\b.{3,80},\s*(then )?(we|i)('ll| will| can| could| would|'d| are ready| are "
    r"willing| shall)\b", r"\b(we|i) .{0,60}\bif you (give|grant|offer|"
    r"accept|drop|move|back|fund|support)\b",
)
_NON_COMMITTAL = _rx(r"\bthen (we'?ll|we will|i'?ll|we can) see\b", r"\bfirst,? then we'?ll talk\b")
_PACKAGE_CUE = _rx(
    r"\bpackage\b", r"\bproposal\b", r"\bpropos\w*\b", r"\boffer\b", r"\bsuggest\b", r"\blet'?s\b", r"\bhow about\b",
    r"\bwhat about\b", r"\bsettle on\b", r"\bin (exchange|return)\b",
    r"\bwe(?: will|'ll| would|'d| can| could)? (observe|add|keep|give|take|accept|back|join|fund|open|support|"
    r"be fine with|put|grant|drop)\b",
)
_CONCEDE = _rx(
    r"\b(we|i)(?: can| will|'ll| would|'d| do)? (accept|drop|give up|withdraw|concede|let go of|waive|abandon|"
    r"be fine with|are fine with|'re fine with|can live with|agree to)\b(?=\s+\w)"
    r"(?! (that|this|it|the (package|deal|text|proposal|compact|draft|offer))\b)",
    r"\bno conditions from (our|my) side\b", r"^\W*(fine|ok|okay|alright)\W+(we|i) (drop|give up|accept)\b",
    r"\b(we|i)(?: can| will|'ll| could| are (?:willing|prepared|ready|happy) to)? (withdraw|forgo|set aside|settle for|"
    r"come down to|move to|let (you|them) have)\b", r"\b(we|i) (won'?t|will not|no longer) (insist|press) on\b",
    r"\bwe can go along with (?!(that|this|it|the (package|deal|text|proposal))\b)", r"\byou can have\b",
    r"\btake .{1,40} off the table\b",
)
_TABLED = _rx(r"\bas tabled\b", r"\bvote yes\b", r"\bwe('re| are) in\b", r"\bcan sign\b")
_NUMBER = re.compile(r"(?<![\w.])(\d{1,3}(?:\.\d+)?)(?![\w%]|\.\d)(?!\s*(%|per ?cent|million|billion|thousand|"
                     r"countries|people|refugees|doses|years|months|days|tonnes|dollars|warheads|members|states))",
                     re.I)
_PRIVATE_CUE = _rx(r"\bpoints?\b", r"\bscor(e|es|ed|ing)\b", r"\bthreshold\b", r"\bminimum\b", r"\bred line\b",
                   r"\bbottom line\b", r"\breservation\b", r"\bsatisfied (at|with)\b", r"\bat least\b",
                   r"\b(we|i) need\b", r"\bworth\b", r"\bbelow\b")
_EVIDENCE = _rx(
    r"\[\d+\]", r"\baccording to (?!(our|my|your|their) (scor|sheet|brief|points|numbers))",
    r"\b(since|in|of|from|until) ((january|february|march|april|may|june|july|august|september|october|november|"
    r"december) )?(19|20)\d\d\b",
    r"\b\d[\d,.]*\s*(%|per ?cent|million|billion|thousand|countries|people|refugees|doses|tonnes|dollars|"
    r"warheads|members|states)\b",
    r"\b(one|two|three|four|five|ten|twenty|hundreds|thousands|millions|a) (percent|per cent|million|billion)\b",
    r"\b(hundreds|thousands|millions|billions) of\b",
    r"\bfor (over |more than |nearly |almost |about )?(a|one|two|three|four|five|\d+) (decade|decades|years)\b",
    r"\b(data|figures|statistics|survey|study|report|estimates?) (from|by|of|show|shows|showed)\b",
    r"\b(?-i:[A-Z][\w-]+( and [A-Z][\w-]+)?) already (make|produce|host|run|fund|supply|export|import)\b",
    r"\b(signed|ratified|adopted|agreed|launched|founded) (by|in|at) [A-Z0-9]",
    r"\b(?-i:[A-Z][\w-]+) (reports?|reported|estimates?|estimated|found|finds|says|said|counted|counts|recorded|"
    r"shows?|showed|published)\b(?! (you|us|me)\b)", r"\b\d{1,3}(,\d{3})+\b", r"\b\d+ (of|out of) (the )?\d+\b",
    r"\b(doubled|tripled|halved|quadrupled|rose|fell|grew|dropped) (by|to|from|in)\b", r"\bper capita\b",
    r"\b(the )?(latest|last|most recent) (report|census|figures|data|survey|assessment)\b",
)
_FUTURE_YEAR = _rx(r"^\W*(if|unless|should)\b", r"\b(by|until|before|from) (19|20)\d\d\b")


class LineReader:
    """Reads the coaching findings of player lines for one scenario (perception by rules, no embeddings)."""

    def __init__(self, scenario: Scenario):
        self.scenario = scenario
        self._perceiver = RulePerceiver(scenario, embed=None)
        self._issue_of = {o.id: i.id for i in scenario.issues for o in i.options}
        self._labels = sorted((o.label for i in scenario.issues for o in i.options), key=len, reverse=True)

    def findings(self, text: str) -> dict[str, bool]:
        """Each of :data:`CRITERIA` for one line: whether the line does it."""
        text = normalize(" ".join((text or "").split()))
        out = dict.fromkeys(CRITERIA, False)
        if not text:
            return out
        parts = sentences(text)
        ultimatum = [self._ultimatum(s) for s in parts]
        out["ultimatum"] = any(ultimatum)
        out["asked_interests"] = any(self._asks_interest(s) for s in parts)
        private = [self._reveals(s) for s in parts]
        out["shared_interest"] = any(self._shares_interest(s, p) for s, p in zip(parts, private))
        out["acknowledged"] = any(self._acknowledges(s) for s in parts)
        out["conditional_trade"] = any(self._trades(s) and not u for s, u in zip(parts, ultimatum))
        out["revealed_number"] = any(private)
        out["used_evidence"] = any(self._evidence(s) and not p for s, p in zip(parts, private))
        concedes = any(_CONCEDE.search(s) and not _TABLED.search(s) for s in parts)
        out["conceded_unilaterally"] = bool(concedes and not out["conditional_trade"] and not out["ultimatum"])
        out["multi_issue_package"] = self._package(text, out["conditional_trade"] or concedes)
        return out

    @staticmethod
    def _ultimatum(s: str) -> bool:
        denial = _DENIAL.search(s)
        if denial:
            after = _BUT.search(s, denial.end())
            if after is None:
                return False
            s = s[after.end():]
        if Act.THREATEN in detect_acts(s):
            return True
        return bool(_EXTRA_THREAT.search(s) and CONDITION_OR_FUTURE.search(s))

    @staticmethod
    def _asks_interest(s: str) -> bool:
        acts = set(detect_acts(s))
        if Act.PROPOSE in acts and not acts & {Act.ASK_PRIORITIES, Act.ASK_WHY}:
            return False
        if acts & {Act.ASK_PRIORITIES, Act.ASK_WHY}:
            return True
        return bool(_ASKS.search(s) and _INTEREST_QUESTION.search(s))

    @staticmethod
    def _shares_interest(s: str, reveals_number: bool) -> bool:
        extra = _SHARE_EXTRA.search(s)
        own = [m for m in SHARE_INTEREST.finditer(s) if not re.search(r"\byour?\b", m.group(0), re.I)]
        if not (own or extra) or (s.rstrip().endswith("?") and not extra):
            return False
        if reveals_number and not extra:
            return False  # "the 60 we need" states a private number, not an interest
        demand = _DEMAND_ONLY.search(s)
        return not (demand and not _REASON.search(s[demand.end():]))

    @staticmethod
    def _acknowledges(s: str) -> bool:
        if re.match(r"^\W*(if|when)\b", s, re.I):
            return False
        m = _ACK.search(s)
        if not m:
            return False
        rest = m.group("rest")
        if rest is None:
            return True
        words = re.findall(r"[\w'’-]+", rest)
        return len(words) >= 3 and bool(_OTHER_SIDE.search(rest))

    @staticmethod
    def _trades(s: str) -> bool:
        if _NON_COMMITTAL.search(s):
            return False
        return Act.CONDITIONAL_TRADE in detect_acts(s) or bool(_TRADE_EXTRA.search(s))

    @staticmethod
    def _reveals(s: str) -> bool:
        return bool(_NUMBER.search(s) and _PRIVATE_CUE.search(s))

    def _evidence(self, s: str) -> bool:
        low = s
        for label in self._labels:
            low = re.sub(re.escape(label), " ", low, flags=re.I)
        m = _EVIDENCE.search(low)
        if not m:
            return False
        return not (re.search(r"(19|20)\d\d", m.group(0)) and _FUTURE_YEAR.search(low))

    def _package(self, text: str, traded_or_conceded: bool) -> bool:
        perception = self._perceiver.perceive(text)
        options = set(perception.options) | (set(perception.rejected_options) if traded_or_conceded else set())
        issues = {self._issue_of[o] for o in options if o in self._issue_of}
        return len(issues) >= 2 and bool(traded_or_conceded or _PACKAGE_CUE.search(text))


def line_findings(text: str, scenario: Scenario) -> dict[str, bool]:
    """Each of :data:`CRITERIA` for one player line in ``scenario``: whether the line does it."""
    return LineReader(scenario).findings(text)
