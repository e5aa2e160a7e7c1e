"""exercise."""
