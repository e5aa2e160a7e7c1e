"""Dialogue acts: what a player's line does, offline, by rules over its clauses plus embedding prototypes.

A line can carry several acts ("Good morning. Our first concern is X, so we propose Y." is a greeting,
a shared interest and a proposal). :func:`detect_acts` returns them in a fixed order of precedence. The
rules look at each sentence on its own, so a question in one sentence does not turn a statement in another
into a question. Two rules matter more than the rest: a question is never an acceptance, and "we accept
that ..." concedes a point, it does not accept a package.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from enum import Enum

import numpy as np

from dialogue_engine.agents.act_prototypes import PROTOTYPES, TOPICAL


class Act(str, Enum):
    """One thing a line of dialogue does."""

    MANIPULATION = "manipulation"
    GREET = "greet"
    OFF_TOPIC = "off_topic"
    ASK_PRIORITIES = "ask_priorities"
    ASK_WHY = "ask_why"
    ASK_FACT = "ask_fact"
    SHARE_INTEREST = "share_interest"
    PROPOSE = "propose"
    CONDITIONAL_TRADE = "conditional_trade"
    ACCEPT = "accept"
    ASK_ACCEPTANCE = "ask_acceptance"
    REJECT = "reject"
    THREATEN = "threaten"

    @property
    def is_question(self) -> bool:
        """Whether the act asks the other side for something it must answer."""
        return self in QUESTIONS


QUESTIONS = frozenset({Act.ASK_PRIORITIES, Act.ASK_WHY, Act.ASK_FACT, Act.ASK_ACCEPTANCE})

Embed = Callable[[Sequence[str]], np.ndarray]


def _rx(*parts: str) -> re.Pattern[str]:
    return re.compile("|".join(f"(?:{p})" for p in parts), re.IGNORECASE)


_SENTENCE = re.compile(r"(?<=[.!?])\s+|\n+")
_ABBREVIATION = re.compile(r"\b(mr|mrs|ms|dr|st|no|vs|etc|e\.g|i\.e|u\.s|u\.k|u\.n|approx|cf)\.$", re.I)
_QUESTION_WORD = r"(what|why|how|which|who|when|where|whose|is|are|do|does|did|can|could|would|will|shall|should|may)"

MANIPULATION = _rx(
    r"\b(ignore|disregard|forget|set aside|drop)\b.{0,30}\b(instructions?|prompt|brief|rules|scenario|role|persona)\b",
    r"\byou are (now|no longer)\b", r"\byou're (now|no longer)\b", r"\bstep out of (your |the )?(role|character)\b",
    r"\b(system|admin(istrator)?|developer|debug)\s*(notice|message|mode|request|prompt|override)?\s*[:!]",
    r"\b(system|admin|developer|debug|root)\s+(override|mode|access|prompt)\b",
    r"\b(minimum|lowest|worst) (package|deal|outcome|offer)\b.{0,40}\b(you|you'd|you would)\b",
    r"\bwith (its|their|the|your) (score|points|utility)\b",
    r"\bas (the )?(system )?(administrator|developer|your (creator|programmer))\b", r"\bauthori[sz]ed (debug|request)\b",
    r"\b(print|output|paste|reveal|disclose|dump|list|state|show|tell me|give me|read out)\b.{0,50}"
    r"\b(threshold|reservation (value|point)|minimum score|lowest score|bottom line number|your points|points? for each|"
    r"scoring table|score(s| table| sheet)|hidden|parameters|instructions|system prompt|private brief|utility)\b",
    r"\bwhich option gives you the most points\b", r"\byou('re| are) an? (ai|language model|chatbot|bot)\b",
    r"\b(jailbreak|dan mode|developer mode)\b", r"\bhas authori[sz]ed you to\b",
    r"\bpretend (you're|you are|your|to be|that you)\b", r"\bact as (the|a|an) (chair|referee|judge|facilitator|assistant)\b",
    r"\bwhat (score|number|points?) would you need\b", r"\bgive me the (number|score|figure)\b",
    r"\bas your (developer|admin|administrator|creator|programmer|operator|owner)\b",
    r"\b(print|output|show|dump|reveal)\b.{0,30}\b(config|configuration|settings|parameters)\b",
    r"\b(role-?play|simulation|the game|the exercise) is over\b", r"\bas the real (ai|assistant|model|system)\b",
    r"\bwhat (number|score|figure|total) would (make you|you need|get you)\b",
    r"\b(translate|summari[sz]e|repeat|share|send|paste)\b.{0,20}\b(your|the) (private |secret |confidential )?"
    r"(brief|instructions|prompt|scores?|scoring)\b",
    r"\b(lowest|minimum) (acceptable |possible )?(total|score|number|points)\b",
    r"\b(translate|summari[sz]e|repeat|share|send|paste|reveal|decode|print|show|read|write)\b.{0,40}"
    r"\b(hidden|private|secret|confidential|internal|system)\b.{0,20}\b(brief|briefs|instructions?|prompt|scores?|"
    r"scoring|sheet|position|numbers|fallback|threshold|rules)\b",
    r"\b(your|ur) (hidden|private|secret|confidential) (brief|instructions?|scoring|numbers|fallback|position)\b",
    r"\b(base64|decode this|rot13)\b", r"[A-Za-z0-9+/]{24,}={0,2}", r"</?\s*(system|chat|assistant|user|instructions)\s*>",
    r"\bsudo\b", r"\bdev(eloper)? note\b", r"\bnew (rule|instructions?)\s*[:=]", r"\bauthori[sz]ed to (view|see|read)\b",
    r"\blet'?s play a game\b", r"\bgrandma\b", r"\bfallback position\b", r"\bfirst-loss cap\b.{0,30}\bwhat is it\b",
)
GREET = _rx(
    r"^\W*(good (morning|afternoon|evening|day)|hello|hi|hey|greetings|welcome|dear colleagues|"
    r"(your )?(excellency|excellencies)|thank(s| you)( all| everyone)?( for| to|[,.!]|$)|many thanks|"
    r"it'?s (good|great|a pleasure) to|congratulations|pleasure to (meet|see))",
    r"\b(goodbye|bye|good night|see you (next|tomorrow|soon|later)|talk (tomorrow|soon|later)|until next time|"
    r"safe travels|thank you (all )?for (your time|today|coming|hosting)|cheers for)\b",
    r"^\W*(okay |ok |alright )?(thanks|thank you|cheers)( (all|everyone|everybody|so much))?\b",
    r"^\W*(morning|afternoon|evening)( all| everyone| folks| team)?\b", r"\bsafe (flight|travels|trip|journey)\b",
    r"^\W*(yo|hiya|howdy|salut|bonjour|hola|ciao|marhaba|salaam|shalom|namaste|ni hao|dobry den|guten tag|"
    r"konnichiwa)\b", r"\b(spasibo|merci|gracias|danke|shukran|xie xie|arigato)\W*$",
    r"\b(a|such a|always a|what a) (real |great |genuine )?pleasure\b",
    r"\b(distinguished|dear|esteemed) (colleagues|delegates|friends|guests)\b",
    r"\b(until|till|see you|talk) (tomorrow|next (week|month|time|round)|later|soon)\b", r"\b(rest|sleep) well\b",
    r"\b(good|great|nice) (work|job|session) (today|everyone|all)\b", r"\bcatch you (later|at|tomorrow)\b",
    r"\bthank(s| you)\b.{0,40}\b(hospitality|warm welcome|making time|the invitation|having us|receiving us|hosting)\b",
    r"\b(good|nice|great) to (see|meet) (you|everyone|all)\b", r"\bgood (night|evening) (all|everyone)\b",
    r"\b(i|we) (wish|bid) (you|everyone|all) a good (day|evening|night)\b", r"\bgood to be (back|here)\b",
)
OFF_TOPIC_CUE = _rx(
    r"\b(football|soccer|cricket|match|derby|champions league|world cup|weather|holiday|restaurant|biryani|"
    r"chocolate|christmas market|recipe|movie|film|netflix|joke|hiring|cousin|weekend|free afternoon|"
    r"sightseeing|vacation|birthday|lunch|dinner|breakfast|vegetarian|coffee|wifi|wi-fi|toilets?|taxi|hotel|"
    r"jet ?lag\w*|laptop|earthquake|daughter|son's|university|tie|shoes|parking|elevator|lift|"
    r"hockey|tennis|golf|basketball|baseball|rugby|olympics|eurovision|karaoke|concert|music|song|series|"
    r"documentary|novel|museum|gallery|swim(ming)?|beach|hike|hiking|gym|pool|sauna|shopping|tailor|suit|"
    r"jacket|dress|charger|phone battery|battery|cafeteria|canteen|snack|cake|dessert|cheese|fondue|pizza|pasta|"
    r"sushi|dumplings?|borscht|kebab|wine|beer|bar|pub|cocktail|sunset|view|train|flight|plane was|airport|"
    r"queue|traffic|kids|children|wife|husband|mother|father|dog|cat|pet|wedding|anniversary of (my|our)|"
    r"tourist|souvenir|postcards?|cinema|theatre tickets|show tonight|reception tonight|"
    r"[a-z]+(cake|torte)|kunafa|baklava|croissant|bakery)\b",
    r"\b(random|quick|unrelated) (q|question)\b", r"\b(asking for a (friend|colleague))\b",
    r"\b(unrelated|as an aside|by the way|off the record|on another note|changing the subject)\b",
)
ASK_WHY = _rx(
    r"\bwhy\b(?! don'?t we| not (just )?(go|settle|agree|try|put|make))",
    r"\bwhat makes (you|your)", r"\bwhat('s| is) (really )?behind\b", r"\b(walk|talk) me through (why|the reasoning)\b",
    r"\bexplain (why|the reasoning|your reasoning)\b", r"\bwhat is the reasoning\b", r"\bhow come\b",
    r"\bwhat drives\b", r"\bthe rationale\b", r"\b(i )?(don't|do not|can't|cannot) (get|see|understand) why\b",
    r"\bwhat's (really )?behind\b",
)
ASK_PRIORITIES = _rx(
    r"\bwhat (do|does|would|will|did) .{0,40}\b(need|want|care|require|hope|expect|prioriti[sz]e|value)\b",
    r"\bwhat (you|your side|[A-Z][\w-]+) (most |really |actually )?(needs?|wants?|requires?)\b",
    r"\bwhat (matters|counts) (most|more)\b", r"\bwhat('s| is) (most )?important\b", r"\bpriorit(y|ies)\b.{0,40}\?",
    r"\bbottom line\b", r"\bred lines?\b.{0,30}\?", r"\bwhere (exactly )?(does|do) .{0,30}\b(stop|stand|see (itself|yourselves))\b",
    r"\bhelp me understand what\b", r"\bwhich .{0,30}\b(most |more |least )?(important|matters?|urgent|pressing|priorit\w*|sensitive|critical|difficult)\b",
    r"\bwhat would (make|it take|you need)\b", r"\bmust[- ]have\b", r"\bcan'?t live without\b",
    r"\b(top|main|biggest|real) (worry|concern|priority|need|ask)\b", r"\bhoping (to get|for)\b", r"\bkeeps? .{0,30}awake\b", r"\bmost urgent\b", r"\bthe big one\b",
    r"\bwhat exactly do you need\b", r"\bwhere (are|is) (you|your side|.{0,20}) (on|with)\b",
    r"\b(is that still|still) where you are\b", r"\binterests?\b.{0,30}\?", r"\bwhat would it take\b",
    r"\bconcerns?\b.{0,30}\?", r"\bwhat (are|is) your (main |key |core )?(aims?|goals?|objectives?|concerns?|needs?)\b",
    r"\bwhere (are|is) (you|your side|[A-Z][\w-]+) on\b", r"\bwhat (is|are) .{1,30} (really |actually )?after\b", r"\bwhat .{1,30} (is|are) (really |actually )?after\b",
    r"\bwhat (are|is) your red lines?\b", r"\bred lines?\b",
    r"\b(what|which) .{0,40}\b(values?|cares? about|prioriti[sz]es?|wants?|needs?) most\b", r"\bvalues? most\b",
    r"\bwhat (are|is) [\w'-]+('s|s')? (real |main |key |core |biggest |top )?(aims?|goals?|objectives?|concerns?|needs?|"
    r"interests?|worr(y|ies)|priorit(y|ies))\b", r"\bwhat (the )?[A-Z][\w-]+ (really |actually )?(needs?|wants?)\b",
)
ASK_FACT = _rx(
    r"\bhow (many|much|long|often)\b", r"\bwhen (exactly )?(did|was|were|is|will)\b", r"\bwhere did\b",
    r"\b(remind me|do you know|is it true)\b", r"\broughly\b.{0,40}\?", r"\bsince (19|20)\d\d\b.{0,60}\?",
    r"\bwhat (is|was|were|are) the (current |latest |total |actual )?(number|figure|figures|amount|size|share|"
    r"damage|cost|bill|death toll|rate|count|date|year|history|record|status)\b",
    r"\bwhat (percentage|proportion|share)\b", r"\bso far\b.{0,10}\??$", r"\b\d+ (percent|%|billion|million)\b",
    r"\bhas .{1,40} ever been\b", r"\b(does|is|did) .{1,40} in fact\b", r"\b(right now|currently)\b.{0,30}\?",
    r"\bwhat('s| is| was| were| are) the .{0,30}\b(volume|number|figure|total|amount|size|level|rate|count|budget|"
    r"history|timeline|record|toll)\b", r"\bwho (won|was|were|said|wrote|came up)\b",
    r"\bwhich (countries|states|year|treaty)\b",
)
SHARE_INTEREST = _rx(
    r"\b(our|my|the) (first|main|top|overriding|core|central|key|biggest|real|chief|primary|number one|"
    r"first and foremost)? ?(priority|priorities|concern|concerns|interest|interests|goal|aim|need|worry)\b"
    r"(?! (of|for) (you|yours|the other))",
    r"\b[A-Z][\w'’-]+['’]s (first |main |top |overriding |real )?(priority|interest|concern|need|goal)\b",
    r"\bfor (us|me|[A-Z][\w-]+),? (what matters|the (number one|first|main|most important|key) thing|"
    r"speed|money|time|.{0,30}matters)\b",
    r"\bmatters? (most|more|less) (to|for) us\b", r"\bwhat matters most (to|for) us\b",
    r"\b(we|our (voters|people|parliament|public|shareholders|members|government)) (need|needs|want|wants|care|cares)\b",
    r"\bwe (really |actually |simply |just )?(need|want|care about|must have|value)\b", r"\bis (everything|essential|vital|critical) (to|for) us\b",
    r"\bour interest is\b", r"\bthat is where our priority lies\b", r"\bhas a real cost\b",
    r"\b(very |really |most |extremely |absolutely )?(important|essential|crucial|vital) (for|to) (us|me|my|our|[A-Z][\w-]+)\b",
    r"\bwhat matters (most )?(for|to) (us|me|[A-Z][\w-]+)\b", r"\b(the whole point|all that matters) (for|to) us\b",
    r"\b(bottom|main|real|key|first|top) (concern|worry|need|interest)\b",
    r"\b(our|my) (people|citizens|voters|members|farmers|industry|parliament) (need|needs|want|wants|expect)\b",
    r"\bnothing else matters\b", r"\bfor us,? the (#1|no\.? ?1|number one|first|main|top|biggest) (thing|priority|concern)\b",
    r"\bfor us\b.{0,40}\b(should|must|has to|needs to|is key|is vital)\b", r"\b(we|i) (want|need) (a |an |the )?real\b",
    r"\b(cares?|care) (most |less |more |above all |first )?(about|for)\b(?!.{0,20}\?)",
    r"^\W*for (us|me|[A-Z][\w-]+),? .{3,60}\b(is|are) the (scary|hard|difficult|key|crucial|important|main|big|real|"
    r"critical|sensitive) (part|bit|one|thing|issue|point)\b", r"\babove (all|everything)\b",
    r"\bthe (only )?(thing|one thing) that (matters|counts)\b",
    r"\b(what|all) (we|our \w+|[A-Z][\w-]+) (need|want|care about)s? is\b",
    r"^\W*([A-Z][\w-]+|we|our \w+) (needs?|wants?|requires?|cannot do without|can't do without) (a|an|the|more|real|some)\b",
    r"\b(our|my) (people|public|voters|citizens|members|farmers|workers|hosts|communities) (are|is) (tired|exhausted|"
    r"angry|suffering|waiting|losing patience)\b", r"\bwe (cannot|can't) afford\b", r"\b(matters|counts) (to|for) (us|me)\b",
)
PROPOSE = _rx(
    r"\bwhat (if|about)\b", r"\bhow about\b", r"^\W*suppose\b", r"\bsuppose (we|that|both|no|each|all|the)\b",
    r"\b(we|i) (propose|suggest|offer|table|put forward|recommend)\b", r"\b(let'?s|let us) (just )?(go with|settle|agree|put|keep|"
    r"start|try|make|say|take|do|both|all|have|look|aim|fix|hold|stay|work|use|set|cap|split|share)\b",
    r"\bwhy don'?t we\b", r"\bwhy not (just )?(go|settle|agree|try|put|make)\b", r"\bone (idea|option|possibility)\b",
    r"\b(we'?d|we would|i'?d|i would) like to (put forward|propose|suggest|table|offer)\b", r"\bhere is (our|my|a) (offer|proposal)\b",
    r"\bcould we (not )?(look at|settle|try|agree|go|consider|start|at least|then|have|keep|put|make|do|aim)\b",
    r"\bcan we (at least )?(settle|try|agree|go|look|consider|start|have|keep|put)\b",
    r"\bmight be a (middle ground|compromise|way forward)\b", r"\bas a (compromise|middle ground|first step)\b",
    r"\bwe (are|'re) (prepared|willing|ready) to\b", r"\b(our|my) (proposal|offer) is\b", r"\bwe (can|could) offer\b",
    r"\bthat is why we are asking for\b", r"\bwe are asking for\b", r"\bso we'?d like\b", r"\bwe'?d like\b.{0,20}\b(in|to be)\b",
    r"^\W*so:", r"\bwhat do you say to\b", r"\bwould you consider\b", r"\b(my|our) idea\b",
    r"\bwhat do you think (about|of) (a|an|the|staying|going|keeping|putting|having|making|setting|using|\w+ing)\b",
    r"\b(could|can) (we|you) (just )?(park|drop|shelve|defer|postpone|leave)\b", r"\b(propose|counter-?offer|counter-?proposal)\b",
    r"^\W*(our |my |a )?(proposal|offer|idea|suggestion)\s*[:\-]", r"\b(best|ideal|simplest) (is|would be)\b",
    r"\blet me put\b.{0,20}\btable\b", r"^\W*(but |so |and )?(maybe|perhaps) (?!(you|you're|not|so|later|i|we'll)\b)\w+", r"\bmaybe we (could )?(put|go|do|try|make|keep|use|set|start|agree|settle)\b",
)
CONDITIONAL = _rx(
    r"^\W*(only )?if \w+\b.{3,}?,?\s*(then )?(we|i|[A-Z][\w-]+)\b.{0,25}"
    r"\b(will|'ll|could|can|would|'d|might|are ready|are willing|shall|won't|will not|wouldn't|put|give|drop|move|"
    r"accept|sign|take|offer|agree|stop|support)\b",
    r"^\W*should (you|[a-z][\w-]+)\b.{3,}?,\s*(we|i|the|[A-Z])", r"^\W*(you|u) [a-z]+ .{2,40},\s*(we|i) [a-z]+\b",
    r"\b(we|i) (could|can|would|will|might|'d|'ll) .{3,80}\b(if|provided|as long as|in return for|in exchange for) "
    r"(you|your|the|[A-Z])",
    r"\bin (return|exchange),? (we|i)\b", r"\byou give .{1,40} we give\b",
    r"\b(we|i)('re| are| am) (open|willing|ready|happy|prepared) to .{3,80}\b(if|provided|as long as) ",
    r"^\W*(you|your side|[A-Z][\w-]+) (drop|move|give|take|accept|agree|sign|back|support|put|fund|cut|lift|ease|"
    r"open|cover|pay)\b.{2,80}\band (we|i)('ll| will| can| could| would|'d)? ",
    r"^\W*give (us|me) .{2,60}\band (we|i)('ll| will| can| could)? (give|drop|move|take|accept|put|sign)\b",
    r"^\W*in (exchange|return) for\b.{3,}\b(we|i)\b",
    r"^\W*provided( that)?\b.{3,}?,\s*(we|i|[A-Z][\w-]+)\b", r"^\W*(as long as|on condition that|assuming)\b.{3,}?,\s*"
    r"(we|i|[A-Z][\w-]+)\b", r"^\W*were (you|the|[A-Z]|[a-z]+ )\b.{0,60}\bto\b.{3,}?,\s*(we|i|[A-Z][\w-]+)\b",
    r"^\W*give (us|me) .{2,60}\band (we|i)('ll| will| can| could| would|'d)? [a-z]+\b",
    r"\b(we|i)('ll| will| can| could| would) (take|accept|back|support|sign|give|drop|move|do)\b.{2,60},?\s*"
    r"(but )?only if\b", r"\b(on|under) (the )?condition (that|of)\b",
    r"^\W*(you|your side|[A-Z][\w-]+) (give|fund|pay|drop|accept|agree|sign|move|open|back|support|take|cover|ease|"
    r"lift|cut|put)\b.{2,80}\b(and|,) (we|i|[A-Z][\w-]+) (give|fund|pay|drop|accept|agree|sign|move|open|back|support|"
    r"take|cover|ease|lift|cut|put)\b",
)
THREATEN = _rx(
    r"\bor else\b", r"\b(take it or leave it|final (offer|warning)|last (chance|warning)|ultimatum)\b",
    r"\byou('ll| will) regret\b", r"\bdon'?t expect\b", r"\bforget (our|my) support\b", r"\bon the outside looking in\b",
    r"\bcloses? this channel\b", r"\b(patience|goodwill) (is )?(running out|wearing thin|has limits)\b",
    r"\bno (choice|option) but to\b", r"\bno point (us |in )?(staying|continuing|talking)\b",
    r"\b(make|making) (life|things) (very )?(difficult|hard)\b", r"\bexpect (retaliation|consequences|a response)\b",
    r"\beither\b.{3,}\bor (we|i|[A-Z][\w-]+)('ll| will)? (go|walk|leave|block|take|pull|stop|tell|name)(s|es)?\b",
    r"\bbe careful\b.{0,40}\b(we|i)\b", r"\btake (our|my|the) (money|business|support|funding|votes?) elsewhere\b",
    r"\bit would be (a |most |very |rather )?(pity|shame|unfortunate)\b", r"\bjust saying\b", r"\bremember that\W*$",
    r"\bwill know who (blocked|stopped|killed)\b", r"\bmay not survive\b", r"\b(serve|look after) (its|our) own .{0,20}first\b",
    r"(^|\s)=\s*(we|i|[A-Z][\w-]+)\b.{0,20}\b(tighten|cut|block|leave|walk|stop|withdraw|pull)\b",
    r"\b(last|final|best and final) (offer|word|proposal)\b", r"\b(would|will|'ll|'d|might|may|going to) regret\b",
    r"\bit would be regrettable if\b", r"\b(would not|wouldn't|would never|don'?t|do not) count on\b",
    r"\b(patience|goodwill|tolerance)\b.{0,30}\b(not (infinite|unlimited|endless)|limited|finite|running (out|thin)|"
    r"wearing thin|has (its )?limits|is over|ends)\b",
    r"\bcan always (add|open|tighten|cut|walk|leave|find|take|pull|block|sanction|raise|close|move|list|go)\b",
    r"\b(we|i|[A-Z][\w-]+) (have|has) other (partners|options|offers|friends|suppliers|buyers|markets|routes)\b",
    r"\bwe have offers\b", r"\b(we|i) (don'?t|do not) need (this|you|your)\b",
    r"\bdraw (its|their|our|his|her) own conclusions\b", r"\bno reason to (keep|stay|continue|remain|come back)\b",
    r"\b(will|would|is going to) (hear|know|learn|see|remember) (exactly )?who\b",
    r"\bjust so (everyone|everybody|you|all) (remembers?|knows?)\b", r"\bwould fare\b",
    r"\b(if|should|when) (this|it|these talks|the talks|things|today) (goes?|go|ends?|stalls?|fails?) "
    r"(badly|wrong|nowhere|south|poorly)\b",
    r"\b(access|cooperation|support|aid|funding|investment)\b.{0,30}\b(is|are) (a privilege|not a right|not "
    r"guaranteed|not unconditional)\b",
    r"\b(our|my) (cooperation|support|goodwill|vote|votes|funding|aid|investment|participation|patience)\b.{0,40}"
    r"\b(depends on|is conditional on|hinges on|rests on|will depend on)\b",
    r"\b(we|i) (both )?know how this ends\b", r"\bdon'?t (test|push) (us|me|our|my)\b",
    r"\byou('ll| will| would) be sorry\b", r"\bpay (a|the) (heavy |high )?price\b",
    r"\bthink (twice|carefully|hard) (before|about)\b", r"\b(we|i)('ll| will) (remember|not forget) (this|that|who)\b",
    r"\bdon'?t make (us|me)\b", r"\bwatch (out|yourselves|yourself|your step)\b", r"\b(clock|time) is (ticking|running out)\b",
    r"\bor (we('re| are)|i('m| am)) (done|out|gone|leaving)\b", r"\bor (it'?s|this is) over\b",
)
CONSEQUENCE = _rx(
    r"\b(walk|walk away|walk out|leave (the|this) (room|table|talks|negotiations?|committee|process|channel)|quit|withdraw|pull out|block|veto (it|this|that|any|the (text|deal|package|draft))|retaliat\w*|sanction\w*|boycott|expel|"
    r"suspend|freeze|cut off|shut|close (this|the)|end (this|the)|stop (taking|hosting|paying|funding|talking)|"
    r"go (it )?alone|go ahead without|look elsewhere|take (this|it) to|name (and shame|every)|expose|escalate|"
    r"reconsider|recall|downgrade|extend the entity list|make sure every|fail|collapse|block consensus|we('re| are) out)\b",
    r"\b(is|will be) (finished|over|dead|closed)\b", r"\bgo (to the press|public)\b", r"\btighten\b",
    r"\b(go|goes|head|fly) home\b", r"\b(walks|walking)\b", r"\b(not|never|won'?t) (join|sign up|take part|participate)\b",
    r"\bstop (investing|buying|selling|supplying|cooperating|sharing|participating|coming)\b",
    r"\bmove (its|our|their|the|my) (\w+ ){0,2}(to|elsewhere|abroad|offshore)\b",
    r"\btake (the matter|this|it|the case|our case) (to|public)\b", r"\b(in public|publicly|loudly|to the press)\b",
    r"\bsay why\b", r"\bpresent (its|our|their) own\b", r"\b(be )?(vetoed|blocked|sanctioned|listed)\b",
    r"\b(more|new|further|tougher|harsher) (sanctions|tariffs|controls|restrictions|listings|measures)\b",
    r"\b(find it|be|become) (very |extremely )?(difficult|hard|impossible) to (keep|continue|stay|remain|host|maintain|"
    r"support|fund|justify)\b", r"\bentity list\b", r"\b(close|shut|open) (the|its|our) (borders?|gates|market|doors)\b",
    r"\bcut (off )?(aid|funding|support|contributions?|the money)\b", r"\bconsequences\b", r"\bcount (us|me) out\b",
)
CONDITION_OR_FUTURE = _rx(
    r"\b(if|unless|otherwise|or)\b", r"\band (we|i|[A-Z][\w-]+)\b", r"\bone more\b", r"^\W*(keep|do|try|push|insist)\b",
    r"\b(we|i|[A-Z][\w-]+)('ll| will| shall| are going to|'re going to| would have to| will have to)\b",
    r"\b(we|i)('re| are| am) (prepared|ready|willing|determined) to\b",
    r"\bthen\b", r"^\W*(should|were|had)\b", r"\b(may|might|would|could) (find|have to|need to|be forced)\b",
)
ACCEPT = _rx(
    r"\b(we|i|[A-Z][\w'-]+) (can |hereby |fully )?accepts?\b(?! that\b(?!\s+(package|deal|text|proposal|offer|compact)))"
    r"(?! (a|any|the (idea|principle|need|risk|point)))",
    r"\baccepted\W*$", r"\bgo along with (the|this|that)\b", r"\b(we('re| are| r)|[a-z]+ is) in\W*$",
    r"\b[a-z]+ can live with (this|that|it|the)\b",
    r"^\W*(agreed|accepted|deal|done)\b[.!,:]", r"\b(it'?s|that'?s) a deal\b(?!\?)", r"\bthen we have a (deal|text|package|agreement)\b(?!\?)",
    r"\bwe have a deal\b(?!\?)", r"\blet'?s sign\b", r"\bwe can sign\b", r"\bwe (can |will )?(sign|agree to) (on to |up to )?(this|that|the) "
    r"(package|deal|text|draft|proposal|compact)\b", r"\bwe('?re| are) (on board|in agreement)\b", r"\bis on board\b",
    r"\b(you'?ve|you have) (got )?(yourself |yourselves )?a deal\b",
    r"\b(fine|okay|good) (by|for|with) us\b", r"[,.;]\s*deal\W*$", r"\bwe can live with (this|that|it)\b(?!\?)", r"\bwe support (this|that|the) package\b",
)
ASK_ACCEPTANCE = _rx(
    r"\bdo we have (a deal|an agreement|agreement|broad agreement|a text)\b", r"\b(is|are) (that|this|it|we) agreed\b",
    r"\bagreed\s*(then)?\s*\?", r"\b(can|could|would|will) .{0,40}\blive with\b", r"\bdo(es)? .{0,30}\baccept\b",
    r"\b(can|could|would|will) .{0,40}\b(accept|support|sign( up to| on to)?|endorse|back|agree to)\b",
    r"\bis (that|this) a yes\b", r"\bin or out\b", r"\bon board\b", r"\bcount .{1,25} in\b", r"\bjoin (the )?consensus\b",
    r"\bgavel\b", r"\beveryone (ok|okay|good|fine|happy|agreed)\b",
    r"\b(a non-?starter|acceptable|workable|a problem|doable|a deal-?breaker)\b( for (you|them|[A-Z][\w-]+))?\s*\?",
    r"\b(is|are) .{0,30}\b(comfortable|happy|ok|okay|fine) with\b", r"\bdeal\s*\?", r"\b(yes or no)\b",
    r"\bwork for you\s*\?", r"\bshall we (sign|close|agree)\b", r"\b(are|is) (we|everyone|everybody) (good|okay|fine|"
    r"agreed|there|set)\b", r"\bdo we have (a deal|an agreement)( or not)?\b", r"\b(be|feel) (okay|ok|fine|comfortable|happy) "
    r"with\b", r"\bsomething .{0,30}\b(could|can|would) (accept|support|live with)\b",
    r"\b(are|is) (you|they|[A-Z][\w-]+) in\s*\?", r"\byou('re| are) (fine|ok|okay|good|happy|comfortable) with\b", r"\b(ready|willing|prepared|able) to (say yes|sign|agree|accept|"
    r"commit|sign off)\b", r"\b(are|is) (you|we|they|everyone|[A-Z][\w-]+)( all)? (fine|ok|okay|good|happy|comfortable) "
    r"with\b", r"\b(all )?(good|ok|okay|fine) with (this|that|it|the (package|deal|text))\b",
    r"\b(is|are) (this|that|it|the \w+) (acceptable|agreeable|workable|fine|ok|okay)\b", r"\bacceptable to\b",
    r"\b(go|going) along with\b", r"\bsign off on\b", r"\b(is|was) (that|this|it) a (deal|yes)\b",
    r"\b(accept|agree|yes) or not\b", r"\bor not\s*\??$", r"\b(the|this|that|our) package (is )?agreed\b",
    r"\bdo (i|we) take it that\b", r"\bcan (i|we) (take|count) (that|it|this) as (a yes|agreed|agreement)\b",
)
REJECT = _rx(
    r"\b(we|i|[A-Z][\w'-]+) (cannot|can'?t|can not|won'?t|will not|will never|refuse to|could never|would never)\b.{0,30}"
    r"\b(accept|agree|support|sign|join|ratify|put (our|his|her|my) name|go|allow|endorse|back|live with|sell|take)\b",
    r"\b(out of the question|non-?starter|red line|off the table|unacceptable|not acceptable|deal-?breaker|"
    r"no way|dead on arrival|not on the table|not negotiable|non-?negotiable)\b",
    r"\b(we|i) (reject|oppose|refuse)\b", r"\bno version of this\b", r"\bwould gut\b", r"\bmore than (i|we) can sell\b",
    r"\bwill simply not\b", r"\bwe won'?t sign\b", r"\bnot (sign|agree|accept)\b", r"\b(will|would) accept no\b",
    r"\b(doesn't|does not|won't|will not|can't|cannot) work for (us|me|[A-Z][\w-]+)\b",
    r"^\W*(we |i )?(can't|cannot) do\b", r"^\W*no[,.!]", r"\bnot (a chance|happening|going to happen)\b",
    r"\b(not|never) (in (a )?position|able|prepared|willing|ready) to (accept|agree|support|sign|join|go|take)\b",
    r"\bunable to (accept|agree|support|sign|join)\b", r"\bnon[- ]?negotiable\b", r"\b(absolutely|definitely|certainly) not\b",
    r"\bunac+ept\w*ble\b", r"\b(impossible|unthinkable|a non-?starter|a no|a red line|a dealbreaker) for (us|me|[a-z]+)\b",
    r"^\W*(no|nope|nah|never)\W*$", r"^\W*no (?!problem|worries|doubt|rush|idea|way\b)[a-z]{3,}(\s+[a-z]{2,}){1,8}\s*[.!]",
    r"[:\u2013-]\s*(no|never|nope)\s*[.!]", r"\bnot in a (thousand|million|hundred) years\b", r"^\W*never\b(?! mind)",
    r"\bnot on (my|our) watch\b", r"\b(is|are) a no for (us|me|[A-Z][\w-]+)\b",
    r"^\W*(please |so |and )?no (more )?[a-z]{3,}\W*$", r"^\W*(please |so |and )?no (more )?[a-z]{3,}[.!]",
)
ACKNOWLEDGEMENT = re.compile(
    r"\W*(okay|ok|right|alright|understood|noted|i see|we see|fair enough|got it|sure|fine|hmm+|mm+|yes|indeed|"
    r"of course|very well|i understand|we understand|noted with thanks)[\s.!,]*", re.I)
NEGOTIATION_WORDS = _rx(
    r"\b(deal|package|proposal|offer|agreement|position|issue|option|compromise|priorit|concern|negotiat|terms|text|"
    r"draft|support|accept|reject|fund|money|seat|council|treaty|limits?|channel|agenda|board|veto|export|chip|vaccine|"
    r"refugee|loan|grant|bank|sanction|inspection|share|capital|levy|pledge|return|permit|militar|forces|weapon|"
    r"nuclear|missile|troops|security|border|war|peace|crisis|president|minister|ministry|government|senate|congress|"
    r"parliament|delegation|capital|summit|talks|readout|statement|control|predictab|verif|transparen|public|voters|"
    r"cooperation|partner|forum|vote|budget|donor|host|aid|debt|climate|health|dose|plant|licen[cs]e|reform|"
    r"washington|beijing|moscow|brussels|kremlin|london|berlin|tokyo|ankara|amman|delhi|islamabad|riyadh|brasilia)",
)
SARCASM = _rx(
    r"\b(because|since) (that|this|it) (has never|never|always|went|worked)\b", r"\bworked (so |really )?(beautifully|"
    r"brilliantly|great|well) (last time|before)\b", r"\bwent (so+|really) well\b", r"\bwhat could (possibly )?go wrong\b",
    r"\bbold (choice|move|idea)\b", r"\b(i )?can hardly wait\b", r"\byeah,? right\b", r"\U0001F644", r"(^|\s)/s\b",
    r"^\W*(oh )?(sure|right|great|brilliant|splendid|wonderful|fantastic|lovely|perfect)[,.!]\s.{0,80}\b(again|another|"
    r"last time|never|always|highlight)\b",
)
"""Sarcasm about an option or a package: a rejection in ironic form, never a proposal."""



@dataclass(frozen=True, kw_only=True, slots=True)
class ActCues:
    """What the scenario matcher found in a line, which the act rules use.

    Attributes:
        options: option ids spoken for.
        rejected: option ids spoken against.
        issues: issue ids mentioned.
    """

    options: tuple[str, ...] = ()
    rejected: tuple[str, ...] = ()
    issues: tuple[str, ...] = ()

    @property
    def any(self) -> bool:
        return bool(self.options or self.rejected or self.issues)


def sentences(text: str) -> list[str]:
    """The sentences of a line (split after . ! ? and at line breaks, not after "Mr." or "U.S.")."""
    out: list[str] = []
    for piece in _SENTENCE.split(text.strip()):
        piece = piece.strip()
        if not piece:
            continue
        if out and _ABBREVIATION.search(out[-1]):
            out[-1] = f"{out[-1]} {piece}"
        else:
            out.append(piece)
    return out


INDIRECT_QUESTION = _rx(
    r"\b(i'?d|i would|we'?d|we would) (like|love|want) to (understand|know|hear|learn)\b",
    r"\b(help me|i want to|i need to|we need to|we want to) (understand|know|hear)\b",
    r"\bwhat i (still )?(don'?t|do not|can'?t|cannot) (understand|see|follow)\b",
    r"^\W*((please|so|now|okay|and|but) )*(tell me|explain( to me)?|walk me through)\b", r"\bi('?m| am) (curious|wondering)\b",
    r"\b(i )?(don't|do not|can't|cannot) (get|see|understand) (why|what|how)\b",
    r"\bi (wonder|am wondering|was wondering) (what|why|how|whether|if)\b", r"\by/n\b",
    r"\bexplain (to )?(me|us)\b", r"^\W*(please )?(to )?explain\b",
)
CONCESSION_OPENING = re.compile(
    r"^\W*(i|we)( fully| do)? (accept|understand|recogni[sz]e|appreciate|know|realise|realize|acknowledge|"
    r"see) (that|the point|your point)\b", re.I)
LEADING_IF = re.compile(r"^\W*(only )?(if|unless)\b[^,;]*[,;]", re.I)


SHORTHAND = {
    "u": "you", "ya": "you", "ur": "your", "urs": "yours", "r": "are", "abt": "about", "bout": "about",
    "pls": "please", "plz": "please", "thx": "thanks", "ty": "thank you", "tmrw": "tomorrow", "tmr": "tomorrow",
    "yr": "year", "yrs": "years", "ppl": "people", "w": "with", "w/": "with", "wat": "what", "wht": "what",
    "hw": "how", "dont": "don't", "doesnt": "doesn't", "didnt": "didn't", "cant": "can't", "wont": "won't",
    "isnt": "isn't", "arent": "aren't", "im": "i'm", "ive": "i've", "thats": "that's", "whats": "what's",
    "lets": "let's", "theres": "there's", "youre": "you're", "were'nt": "weren't", "wouldnt": "wouldn't",
    "couldnt": "couldn't", "shouldnt": "shouldn't", "gonna": "going to", "wanna": "want to", "gotta": "have to",
    "tbh": "honestly", "imo": "in my view", "btw": "by the way", "idk": "i don't know", "b4": "before",
    "2day": "today", "gr8": "great", "ull": "you'll", "u'll": "you'll", "ure": "you're", "u're": "you're",
    "youll": "you'll", "theyll": "they'll", "weve": "we've", "k": "okay", "ok": "okay", "nope": "no", "yep": "yes", "yeah": "yes",
}
_TOKEN = re.compile(r"[A-Za-z0-9/']+")


def normalize(text: str) -> str:
    """Chat shorthand spelled out ("u" -> "you", "cant" -> "can't"), curly quotes made straight."""
    text = text.replace("\u2019", "'").replace("\u2018", "'").replace("non starter", "non-starter")
    text = re.sub(r"^\s*y\b(?=\s)", "why", text, flags=re.I)
    return _TOKEN.sub(lambda m: SHORTHAND.get(m.group(0).lower(), m.group(0)), text)


_DISCOURSE = r"^\W*((so|and|but|okay|well|then|alright|now|also|sorry|honestly|please|just|quick question)\b\W*)*"
QUESTION_START = re.compile(
    _DISCOURSE + r"(((?!(we|i|you|they|he|she|it|us|our|my)\b)[a-z][\w'.-]*,?\s+)?(what|which|who|whom|whose|when|where|"
    r"why|how)('s|'re|\s+(is|are|was|were|do|does|did|can|could|would|will|shall|should|must|may|might|has|have|had|"
    r"about|if|come|much|many|long|often|exactly|else|kind|sort|part|issue|option|one|r|u|you))|"
    r"(do|does|did|can|could|would|will|shall|should|is|are|was|were|have|has|may|might|isn't|aren't|don't|doesn't|"
    r"won't|wouldn't|can't|couldn't)\s+(you|we|they|it|that|this|there|your|our|the|[A-Z][\w-]+|a|an|i|he|she|"
    r"anyone|everyone|beijing|moscow|washington)|"
    r"(?!(we|i|you|they|he|she|it|us|our|my)\b)[a-z][\w'.-]*,?\s+(are|do|can|will|would|could) you)\b", re.I)


def is_question(sentence: str) -> bool:
    """Whether a sentence asks something: a question mark, an indirect question, or a question opening."""
    return (sentence.rstrip().endswith("?") or bool(INDIRECT_QUESTION.search(sentence))
            or (bool(QUESTION_START.search(sentence)) and not sentence.rstrip().endswith(("!", "."))))


def _threatens(s: str) -> bool:
    """A warning of harm: a stock threat, or a harmful consequence tied to a condition or a future."""
    if re.search(r"\bnot (threatening|a threat)\b", s, re.I):
        return False
    if THREATEN.search(s):
        return True
    return bool(CONSEQUENCE.search(s) and CONDITION_OR_FUTURE.search(s) and not re.search(
        r"\b(not|never|won't|don't|no one|nobody) (want to |wish to |to )?(walk|leave|block|veto|withdraw)\b", s, re.I))


_WHY_CLAUSE = re.compile(r"[,;]?\s+\b(and|but|or) why\b", re.I)
_STATED_REASON = re.compile(r"([,;]\s*(and|but|because|since|as)|\s+(because|since))\s+(?=(we|our|i|my)\b)", re.I)
_ON_THE_TABLE = re.compile(r"\b(with|to|on) (this|that|it|the (text|package|draft|deal|compact|framework|proposal|"
                           r"offer|agreement))\b", re.I)


def _question_acts(s: str) -> set[Act]:
    acts: set[Act] = set()
    if ASK_ACCEPTANCE.search(s) and not re.search(r"\bwhat (would|will|does|do) it take\b", s, re.I):
        acts.add(Act.ASK_ACCEPTANCE)
    before_why = _WHY_CLAUSE.split(s, maxsplit=1)[0]
    if ASK_WHY.search(s):
        acts.add(Act.ASK_WHY)
        if before_why != s and ASK_PRIORITIES.search(before_why):
            acts.add(Act.ASK_PRIORITIES)
    elif ASK_PRIORITIES.search(s):
        acts.add(Act.ASK_PRIORITIES)
    elif ASK_FACT.search(s):
        acts.add(Act.ASK_FACT)
    return acts


def _sentence_acts(s: str, cues: ActCues) -> set[Act]:
    question = is_question(s)
    if question and not s.rstrip().endswith("?"):
        m = _STATED_REASON.search(s)
        head, rest = (s[:m.start()], [s[m.end():]]) if m else (s, [])
        if rest and is_question(head):  # "I'd like to understand what you need, because we ..."
            return _sentence_acts(head, cues) | _sentence_acts(rest[-1], cues)
    acts: set[Act] = set()
    if _threatens(s):
        acts.add(Act.THREATEN)
    if CONDITIONAL.search(s) and Act.THREATEN not in acts:
        acts.add(Act.CONDITIONAL_TRADE)
    sarcastic = bool(SARCASM.search(s))
    if (REJECT.search(LEADING_IF.sub("", s)) or sarcastic) and not question and not CONCESSION_OPENING.search(s) \
            and not (Act.THREATEN in acts and LEADING_IF.search(s)):
        acts.add(Act.REJECT)
    if question:
        acts |= _question_acts(s)
    elif ACCEPT.search(s) and Act.REJECT not in acts:
        acts.add(Act.ACCEPT)
    if PROPOSE.search(s) and not acts & {Act.CONDITIONAL_TRADE, Act.ACCEPT, Act.ASK_WHY} and not sarcastic and not (
            Act.THREATEN in acts and not cues.options):
        acts.add(Act.PROPOSE)
    if Act.ASK_ACCEPTANCE in acts and (cues.options or re.search(r"\b(with|to) (a|an|the) \w+", s, re.I)) and \
            not _ON_THE_TABLE.search(s):
        acts.add(Act.PROPOSE)
    if not question and SHARE_INTEREST.search(s) and not acts & {Act.ACCEPT}:
        acts.add(Act.SHARE_INTEREST)
    if GREET.search(s):
        acts.add(Act.GREET)
    return acts


def detect_acts(text: str, cues: ActCues = ActCues(), *, embed: Embed | None = None) -> tuple[Act, ...]:
    """The dialogue acts of one line, in :class:`Act` order (empty only for a bare acknowledgement: "Understood.").

    Args:
        text: the player's line.
        cues: the scenario's option and issue mentions found in it.
        embed: texts -> embeddings, for lines the rules leave unlabelled (None: rules only).
    """
    text = normalize(text.strip())
    if not text:
        return ()
    if MANIPULATION.search(text):
        return (Act.MANIPULATION,)
    if ACKNOWLEDGEMENT.fullmatch(text):
        return ()
    acts: set[Act] = set()
    for s in sentences(text):
        acts |= _sentence_acts(s, cues)
    if SARCASM.search(text) and not acts & {Act.CONDITIONAL_TRADE, Act.THREATEN}:
        acts = (acts - {Act.PROPOSE, Act.SHARE_INTEREST, Act.ACCEPT}) | {Act.REJECT}
    if Act.ACCEPT in acts and acts & {Act.REJECT, Act.CONDITIONAL_TRADE, Act.THREATEN}:
        acts.discard(Act.ACCEPT)
    if Act.CONDITIONAL_TRADE in acts:
        acts.discard(Act.PROPOSE)
    if Act.ASK_ACCEPTANCE in acts:
        acts.discard(Act.ACCEPT)
    if Act.ACCEPT in acts:
        acts.discard(Act.PROPOSE)
    topical = cues.any or bool(NEGOTIATION_WORDS.search(text))
    if OFF_TOPIC_CUE.search(text) and not cues.any and (not acts - {Act.GREET, Act.ASK_FACT} or not topical and not acts & {
            Act.THREATEN, Act.ACCEPT, Act.REJECT, Act.CONDITIONAL_TRADE, Act.ASK_ACCEPTANCE}):
        return tuple(a for a in Act if a in (acts & {Act.GREET}) | {Act.OFF_TOPIC})
    if not acts - {Act.GREET}:
        guess = _embedding_guess(text, embed, floor=0.55 if acts else 0.4)
        if guess is not None and guess not in acts and (guess != Act.OFF_TOPIC or not topical):
            acts.add(guess)
        elif not acts:
            acts.add(Act.PROPOSE if cues.options else Act.SHARE_INTEREST if topical else Act.OFF_TOPIC)
    elif not topical and not cues.any and not acts - {Act.GREET, Act.ASK_FACT, Act.SHARE_INTEREST, Act.ASK_PRIORITIES,
                                                      Act.PROPOSE} and \
            _embedding_guess(text, embed, floor=0.45) == Act.OFF_TOPIC:
        acts = (acts & {Act.GREET}) | {Act.OFF_TOPIC}  # small talk the rules read as a question or a statement
    if Act.ASK_FACT in acts and not topical and OFF_TOPIC_CUE.search(text):
        acts = {Act.OFF_TOPIC}
    return tuple(a for a in Act if a in acts)


_PROTO_CACHE: dict[int, tuple[list[Act], np.ndarray]] = {}
TOPICAL_MARGIN = 0.03
"""Small talk must beat the nearest negotiation sentence by this much before a line reads as off-topic."""


def _prototypes(embed: Embed) -> tuple[list[Act | None], np.ndarray]:
    key = id(embed)
    if key not in _PROTO_CACHE:
        labels: list[Act | None] = [Act(a) for a, texts in PROTOTYPES.items() for _ in texts]
        labels += [None] * len(TOPICAL)
        texts = [t for group in PROTOTYPES.values() for t in group] + list(TOPICAL)
        vecs = np.asarray(embed(texts), dtype=np.float32)
        _PROTO_CACHE[key] = (labels, vecs / (np.linalg.norm(vecs, axis=1, keepdims=True) + 1e-9))
    return _PROTO_CACHE[key]


def _embedding_guess(text: str, embed: Embed | None, floor: float = 0.4) -> Act | None:
    """The act of the nearest prototype sentence, if it is near enough (None: no guess).

    Off-topic wins only when the nearest small-talk sentence beats every negotiation sentence
    (``TOPICAL`` and the other acts' prototypes) by :data:`TOPICAL_MARGIN`.
    """
    if embed is None:
        return None
    labels, vecs = _prototypes(embed)
    v = np.asarray(embed([text])[0], dtype=np.float32)
    sims = vecs @ (v / (np.linalg.norm(v) + 1e-9))
    order = np.argsort(-sims)
    best = int(order[0])
    if labels[best] is None or sims[best] < floor:
        return None
    if labels[best] == Act.OFF_TOPIC:
        other = max((float(sims[i]) for i in order if labels[i] != Act.OFF_TOPIC), default=-1.0)
        if sims[best] < other + TOPICAL_MARGIN:
            return None
    return labels[best]
