"""Quiet Dialogue: a policy-exercise chatbot and negotiation wargame engine."""

__version__ = "0.1.0"
