"""Structured replies: validate data against a schema and find a JSON object in a model's text."""

from __future__ import annotations

import json
from typing import Any

from pydantic import ValidationError

from dialogue_engine.llm.errors import LLMMalformed
from dialogue_engine.llm.types import M


def validate(schema: type[M], data: Any) -> M:
    """``data`` as a ``schema`` instance.

    Raises:
        LLMMalformed: ``"<field>: <problem>"`` for the first validation error.
    """
    if not isinstance(data, dict):
        raise LLMMalformed("JSON reply is not an object")
    try:
        return schema.model_validate(data)
    except ValidationError as err:
        first = err.errors()[0]
        where = ".".join(str(x) for x in first.get("loc", ())) or "reply"
        raise LLMMalformed(f"{where}: {first.get('msg', 'invalid').lower()}") from None


def parse_json_object(content: str, schema: type[M]) -> M:
    """The JSON object in ``content`` (code fences and chatter around it are tolerated) as ``schema``.

    Raises:
        LLMMalformed: no JSON object, bad JSON or a schema violation.
    """
    start, end = content.find("{"), content.rfind("}")
    if start < 0:
        raise LLMMalformed("no JSON object in the reply")
    if end <= start:
        raise LLMMalformed("bad JSON: the object is not closed (reply cut off?)")
    return validate(schema, loads(content[start : end + 1], "bad JSON"))


def loads(text: str, what: str) -> Any:
    """``json.loads`` raising :class:`LLMMalformed` ``"<what>: <reason>"``."""
    try:
        return json.loads(text, strict=False)
    except json.JSONDecodeError as err:
        raise LLMMalformed(f"{what}: {err.msg}") from None


def schema_hint(schema: type[M]) -> str:
    """An instruction naming the JSON object to reply with (for ``json_object`` mode): each key with its type
    and description, e.g. ``"cited" (list of integer: Numbers of the passages cited)``."""
    fields = [f'"{name}" ({_describe(prop)})' for name, prop in schema.model_json_schema().get("properties", {}).items()]
    return "Reply with one JSON object only, with the keys " + "; ".join(fields) + "."


def _describe(prop: dict[str, Any]) -> str:
    kind = prop.get("type") or "value"
    if kind == "array":
        kind = f"list of {prop.get('items', {}).get('type', 'value')}"
    if prop.get("enum"):
        kind = "one of " + " | ".join(str(v) for v in prop["enum"])
    what = (prop.get("description") or "").rstrip(".")
    return f"{kind}: {what}" if what else kind
