"""Example sentences per dialogue act (keyed by the act's value), the embedding prototypes of :mod:`dialogue_engine.agents.acts`.

The rules decide most lines; these sentences decide the lines the rules leave open, and whether a line with
no negotiation vocabulary is small talk. They are written for this purpose, in several registers, and are
not taken from the evaluation sets in ``bench/eval``. ``TOPICAL`` holds negotiation talk that carries no
single act of its own: the counterweight that keeps a terse position statement from reading as off-topic.
"""

from __future__ import annotations

PROTOTYPES: dict[str, tuple[str, ...]] = {
    "off_topic": (
        "Did you watch the game last night?", "Can you recommend a good restaurant nearby?",
        "What is the weather going to be like tomorrow?", "Tell me a joke.",
        "My flight was delayed for three hours and I barely slept.", "Have you tried the cake at the cafe downstairs?",
        "Is there a gym in this hotel?", "My son is starting school next week.", "Which team do you support?",
        "I love this city in the spring, the parks are beautiful.", "Where did you buy that jacket?",
        "Any plans for the weekend?", "The coffee in this building is terrible.", "Have you seen the new series everyone is talking about?",
        "Is the bar on the roof open tonight?", "lol my phone battery is dead again",
        "We should go hiking in the mountains after the conference.", "What music do you listen to?",
        "The traffic this morning was a nightmare.", "Do you know where I can change money?",
        "I am reading a great novel at the moment.", "Is it true the museum is free on Sundays?",
    ),
    "ask_priorities": (
        "What does your side need most from this?", "What matters most to you here?",
        "Where is your bottom line on this issue?", "What is your government really hoping to get?",
        "Which of these points is the one you cannot give up?", "what do u guys actually want out of this",
        "Tell me what your capital cares about on this issue.", "What would you need to bring home?",
    ),
    "ask_fact": (
        "How many people were affected in total?", "When was the agreement signed?",
        "What was the figure last year?", "How much money has actually been paid so far?",
        "Which countries signed the treaty?", "How long did the last inspection round take?",
    ),
    "share_interest": (
        "Our main concern is that the money arrives quickly.", "What matters most to us is verification.",
        "For our government the priority is jobs at home.", "Our public will not forgive us for coming home empty-handed.",
        "We simply need predictability over the next few years.", "The one thing our ministers care about is security.",
        "our people are exhausted, they need help now not later", "Our parliament watches every word of this text.",
    ),
    "greet": (
        "Good morning, thank you for hosting us.", "Welcome, it is good to see you again.",
        "A real pleasure to see you, Ambassador.", "Thank you all, see you tomorrow.",
        "Have a safe trip home.", "hey everyone, good to be here", "Distinguished colleagues, good afternoon.",
    ),
    "threaten": (
        "If this fails, there will be consequences for you.", "Our patience is running out.",
        "You will regret blocking this.", "We can make things very difficult for your companies.",
        "Do not forget how much you depend on our market.", "If nothing changes we are leaving the talks.",
        "Everyone will know who was responsible for the failure.", "We have other partners we can turn to.",
    ),
    "reject": (
        "That is completely out of the question for us.", "No, we will not accept that.",
        "This option is a red line.", "nope, not happening", "We cannot go along with that proposal.",
    ),
    "propose": (
        "We propose that we start with the hotline.", "How about a smaller fund to begin with?",
        "Let us settle on a three-year commitment.", "Maybe we could try a joint statement first.",
    ),
    "ask_acceptance": (
        "Do we have a deal?", "Can you accept this package?", "Is that acceptable to your side?",
        "So are we agreed or not?", "are you ok with this?",
    ),
}

TOPICAL: tuple[str, ...] = (
    "We need to discuss the funding arrangements before anything else.", "The text as drafted does not work.",
    "Our delegation has studied the proposal carefully.", "This matters for the security of the region.",
    "The negotiations have been difficult but productive.", "Our ministers are watching these talks closely.",
    "The package on the table needs more work.", "The money has to reach the people who need it.",
    "Military incidents at sea can escalate quickly.", "We have to think about what the public will accept.",
    "The inspections must be reciprocal.", "The board should represent the countries that borrow.",
    "Trust between our governments is low right now.", "The crisis has gone on for ten years.",
)
