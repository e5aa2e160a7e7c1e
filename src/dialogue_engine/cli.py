"""The ``dialogue-engine`` command: one subcommand group per noun.

Each subpackage registers its own commands in a ``cli`` module of its own (``register(app)``), so this
file only assembles them and turns user-facing errors into one line on stderr with a non-zero exit.
"""

from __future__ import annotations

import logging
import sys

import typer

from dialogue_engine.errors import QDError

app = typer.Typer(
    name="dialogue-engine",
    help="Quiet Dialogue: rehearse negotiations with grounded personas.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

_REGISTRARS = (
    "dialogue_engine.knowledge.cli",
    "dialogue_engine.domain.cli",
    "dialogue_engine.negotiation.cli",
    "dialogue_engine.exercise.cli",
    "dialogue_engine.exercise.chat_cli",
    "dialogue_engine.serve",
)


def _register_all() -> None:
    import importlib

    for name in _REGISTRARS:
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as err:
            if err.name == name:
                continue
            raise
        module.register(app)


_register_all()


def main() -> None:
    """Console entry point."""
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    try:
        app()
    except QDError as err:
        typer.echo(f"error: {err}", err=True)
        sys.exit(1)


if __name__ == "__main__":
    main()
