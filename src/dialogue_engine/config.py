"""Settings from environment variables and `.env` (pydantic-settings).

Variables are read from the environment, then from ``.env`` in the working directory (``QD_ENV_FILE`` names
another file; set it empty to read none, as the tests do). Variables: ``QD_STORE_DIR``, ``QD_DATABASE_URL``, ``QD_CHROMA_URL``, ``QD_LLM`` (``none`` | ``openai``),
``OPENAI_API_KEY``, ``OPENAI_BASE_URL``, ``QD_LLM_MODEL``, ``QD_LLM_TIMEOUT``, ``QD_LLM_OUTPUT``
(``function_calling`` | ``json_mode`` | ``text``), ``QD_LLM_MAX_TOKENS``, ``QD_LLM_DECIDES``, ``QD_DATA_DIR``,
``QD_CONTENT_DIR``, ``PORT``.
"""

from __future__ import annotations

from enum import Enum
from functools import lru_cache
from pathlib import Path

from pydantic import AliasChoices, Field
from pydantic_settings import BaseSettings, SettingsConfigDict

PACKAGE_DIR = Path(__file__).resolve().parent


class LLMKind(str, Enum):
    """Which realizer backend to use."""

    NONE = "none"
    OPENAI = "openai"


def _default_content_dir() -> Path:
    """The folder holding ``personas/``, ``scenarios/`` and ``knowledge/``.

    The current directory when it has them (a checkout or a user's own project), else the source checkout
    this package was installed from in editable mode.
    """
    cwd = Path.cwd()
    if (cwd / "personas").is_dir() and (cwd / "scenarios").is_dir():
        return cwd
    return PACKAGE_DIR.parent.parent


class Settings(BaseSettings):
    """All run-time configuration. Read once per process through :func:`get_settings`."""

    model_config = SettingsConfigDict(env_file=".env", env_file_encoding="utf-8", extra="ignore")

    data_dir: Path = Field(default=Path(".quiet-dialogue"), validation_alias="QD_DATA_DIR")
    content_dir: Path = Field(default_factory=_default_content_dir, validation_alias="QD_CONTENT_DIR")
    store_dir: Path | None = Field(default=None, validation_alias="QD_STORE_DIR")
    database_url: str | None = Field(default=None, validation_alias="QD_DATABASE_URL")
    chroma_url: str | None = Field(default=None, validation_alias="QD_CHROMA_URL")
    llm: LLMKind = Field(default=LLMKind.NONE, validation_alias="QD_LLM")
    openai_api_key: str | None = Field(default=None, validation_alias="OPENAI_API_KEY")
    openai_base_url: str | None = Field(default=None, validation_alias="OPENAI_BASE_URL")
    llm_model: str = Field(default="gpt-4o-mini", validation_alias="QD_LLM_MODEL")
    llm_timeout: float = Field(default=30.0, validation_alias=AliasChoices("QD_LLM_TIMEOUT"))
    llm_output: str = Field(default="function_calling", validation_alias="QD_LLM_OUTPUT")
    llm_max_tokens: int = Field(default=300, ge=16, validation_alias="QD_LLM_MAX_TOKENS")
    llm_decides: bool = Field(default=False, validation_alias="QD_LLM_DECIDES")
    port: int = Field(default=8501, validation_alias="PORT")

    @property
    def resolved_store_dir(self) -> Path:
        """Where the embedded Chroma store lives."""
        return self.store_dir or self.data_dir / "store"

    @property
    def resolved_database_url(self) -> str:
        """SQLAlchemy URL of the exercise database (a SQLite file by default)."""
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.data_dir / 'exercises.db').resolve()}"

    @property
    def personas_dir(self) -> Path:
        return self.content_dir / "personas"

    @property
    def scenarios_dir(self) -> Path:
        return self.content_dir / "scenarios"

    @property
    def knowledge_dir(self) -> Path:
        return self.content_dir / "knowledge"


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings (cached; call ``get_settings.cache_clear()`` in tests).

    Raises:
        ConfigError: a variable holds an invalid value (one line naming the variable).
    """
    from pydantic import ValidationError

    from dialogue_engine.errors import ConfigError

    import os

    try:
        return Settings(_env_file=os.environ.get("QD_ENV_FILE", ".env") or None)
    except ValidationError as err:
        first = err.errors()[0]
        name = str(first.get("loc", ("setting",))[0])
        raise ConfigError(f"{name}={first.get('input')!r}: {first.get('msg', 'invalid value')}") from None
