"""negotiation."""
