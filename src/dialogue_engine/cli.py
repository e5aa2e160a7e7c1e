"""The ``dialogue-engine`` command: one subcommand group per noun.

Each subpackage registers its own commands in a ``cli`` module of its own (``register(app)``), so this
file only assembles them and turns user-facing errors into one line on stderr with a non-zero exit.
"""

from __future__ import annotations

import logging
import sys

import typer
from typer.core import TyperGroup

from dialogue_engine.errors import QDError


class _Commands(TyperGroup):
    """The root command group: any ``QDError`` from any subcommand, and any usage error (a bad option value,
    a missing argument), ends as one ``error: ...`` line on stderr, never a traceback or a framed panel
    (also when the command is invoked in-process, e.g. by ``typer.testing.CliRunner``)."""

    def main(self, args=None, prog_name=None, complete_var=None, standalone_mode=True, **extra):  # noqa: ANN001, ANN201
        if not standalone_mode:
            return super().main(args, prog_name, complete_var, standalone_mode=False, **extra)
        try:
            rv = super().main(args, prog_name, complete_var, standalone_mode=False, **extra)
        except typer.TyperException as err:
            if type(err).__name__ == "NoArgsIsHelpError":
                err.show()
            else:
                ctx = getattr(err, "ctx", None)
                where = f"{ctx.command_path}: " if ctx is not None else ""
                typer.echo(f"error: {where}{err.format_message()}".splitlines()[0], err=True)
            sys.exit(err.exit_code)
        except typer.Abort:
            typer.echo("Aborted.", err=True)
            sys.exit(1)
        sys.exit(rv if isinstance(rv, int) else 0)

    def invoke(self, ctx):  # noqa: ANN001, ANN201 - the base class signature
        try:
            return super().invoke(ctx)
        except QDError as err:
            typer.echo(f"error: {one_line(err)}", err=True)
            raise typer.Exit(1) from None


def one_line(err: BaseException) -> str:
    """The first line of an error's message (its class name when it has none)."""
    text = str(err).strip()
    return text.splitlines()[0] if text else type(err).__name__


app = typer.Typer(
    cls=_Commands,
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
        typer.echo(f"error: {one_line(err)}", err=True)
        sys.exit(1)


if __name__ == "__main__":
    main()
