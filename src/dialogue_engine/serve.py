"""``dialogue-engine serve``: start the Streamlit app."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import typer

from dialogue_engine.config import get_settings


def app_entry() -> Path:
    """The Streamlit entry script (``app/main.py`` in the content folder)."""
    return get_settings().content_dir / "app" / "main.py"


def register(app: typer.Typer) -> None:
    @app.command()
    def serve(
        port: int = typer.Option(None, help="Port (default: PORT or 8501)."),
        headless: bool = typer.Option(True, help="Do not open a browser."),
    ) -> None:
        """Start the Streamlit app."""
        settings = get_settings()
        entry = app_entry()
        cmd = [
            sys.executable, "-m", "streamlit", "run", str(entry),
            "--server.port", str(port or settings.port),
            "--server.headless", "true" if headless else "false",
            "--browser.gatherUsageStats", "false",
            "--client.showErrorDetails", "none",
            "--server.maxUploadSize", "10",
        ]
        # Become Streamlit (exec), so a signal sent to this process (Ctrl-C, SIGTERM from a supervisor or a
        # test) reaches Streamlit itself and nothing is left running behind a parent that has gone.
        sys.stdout.flush()
        sys.stderr.flush()
        os.execv(sys.executable, cmd)
