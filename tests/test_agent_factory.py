"""QD_LLM_DECIDES switches AI seats to the LLM-deciding agent; the default stays PersonaAgent."""

from dialogue_engine.agents.agent import PersonaAgent
from dialogue_engine.agents.factory import agent_factory
from dialogue_engine.config import Settings
from dialogue_engine.domain import load_persona, load_scenario
from dialogue_engine.llm import WithTimeout
from dialogue_engine.llm.openai_compat import OpenAICompatModel


def test_default_is_persona_agent():
    assert agent_factory(Settings()) is PersonaAgent


def test_llm_decides_builds_a_deciding_agent_with_a_strategy_veto():
    settings = Settings(QD_LLM="openai", OPENAI_API_KEY="k", QD_LLM_DECIDES=True)
    scenario = load_scenario("us-china-quiet-dialogue")
    party = scenario.parties[0]
    agent = agent_factory(settings)(load_persona(party.persona_id), scenario, party.id, retriever=None,
                                    realizer=None, seed=0)
    assert isinstance(agent, PersonaAgent)
    assert type(agent).__name__ == "LLMDecidingAgent"
    assert agent.verdicts == []
    model = agent.decider.model  # the configured adapter behind the settings' per-call timeout
    assert isinstance(model, WithTimeout) and model.seconds == settings.llm_timeout
    assert isinstance(model.model, OpenAICompatModel)
