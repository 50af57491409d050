"""The generated OpenAPI, completed with what FastAPI cannot see: bounds set by the server's Settings, and
the 400 that any request body may get when it cannot be parsed at all."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI

from service.errors import ErrorBody
from service.settings import Settings

# Marks a field whose upper bound is a setting; replaced by `maximum` when the app's schema is built.
SETTING_MAXIMUM = "x-maximum-setting"
UNPARSABLE_BODY = {
    "description": "The body cannot be parsed: JSON that is not UTF-8 text, or a broken multipart form.",
    "content": {"application/json": {"schema": {"$ref": f"#/components/schemas/{ErrorBody.__name__}"}}},
}


def maximum_setting(name: str) -> dict[str, Any]:
    """`json_schema_extra` for a field at most the server's setting `name` (e.g. max_k)."""
    return {SETTING_MAXIMUM: name}


def complete_openapi(app: FastAPI, settings: Settings) -> None:
    """Make `app.openapi()` document this server: its settings' bounds and the 400 for unparsable bodies."""
    generate = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            schema = generate()
            apply_setting_bounds(schema, settings)
            for operation in operations(schema):
                if "requestBody" in operation:
                    operation["responses"].setdefault("400", UNPARSABLE_BODY)
        return app.openapi_schema or {}

    app.openapi = openapi  # type: ignore[method-assign]


def operations(schema: dict[str, Any]) -> list[dict[str, Any]]:
    return [operation for methods in schema.get("paths", {}).values() for operation in methods.values()]


def apply_setting_bounds(node: object, settings: Settings) -> None:
    """Replace every SETTING_MAXIMUM marker in the schema by `maximum`, the setting's value; a default
    above it shrinks to it, as the server's does (a plain search on a server with max_k 5 gets 5 hits)."""
    if isinstance(node, dict):
        if SETTING_MAXIMUM in node:
            node["maximum"] = getattr(settings, node.pop(SETTING_MAXIMUM))
            if "default" in node:
                node["default"] = min(node["default"], node["maximum"])
        for value in node.values():
            apply_setting_bounds(value, settings)
    elif isinstance(node, list):
        for value in node:
            apply_setting_bounds(value, settings)
