"""``validate`` and ``schema`` commands."""

from __future__ import annotations

import json
from enum import Enum
from pathlib import Path

import typer


class SchemaKind(str, Enum):
    persona = "persona"
    scenario = "scenario"


def register(app: typer.Typer) -> None:
    @app.command()
    def validate(
        paths: list[Path] = typer.Argument(None, help="Files or folders (default: personas/ and scenarios/)."),
        json_out: bool = typer.Option(False, "--json", help="Print problems as JSON."),
    ) -> None:
        """Validate personas and scenarios; one line per problem naming file and field."""
        from dialogue_engine.domain.validate import validate_paths

        problems = validate_paths(list(paths or []))
        if json_out:
            typer.echo(json.dumps([{"file": p.file, "line": p.line, "field": p.field, "reason": p.reason}
                                   for p in problems], indent=2))
        else:
            for p in problems:
                typer.echo(str(p), err=True)
            if not problems:
                typer.echo("all valid")
        raise typer.Exit(1 if problems else 0)

    @app.command()
    def schema(kind: SchemaKind = typer.Argument(..., help="persona or scenario")) -> None:
        """Print the JSON Schema of a persona or scenario file (for editors)."""
        from dialogue_engine.domain import Persona, Scenario

        model = Persona if kind == SchemaKind.persona else Scenario
        typer.echo(json.dumps(model.model_json_schema(), indent=2))
