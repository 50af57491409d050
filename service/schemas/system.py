"""Health, readiness, statistics and introspection."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field


class Stats(BaseModel):
    index_dir: str | None = Field(description="The index's path on the server; null without the API key.")
    counts: dict[str, int]
    manifest: dict[str, str]


class Health(BaseModel):
    status: Literal["ok"] = "ok"


class Readiness(BaseModel):
    status: Literal["ready"] = "ready"
    documents: int
    chunks: int


class Info(BaseModel):
    version: str
    ready: bool
    manifest: dict[str, str] = Field(description="The loaded index's manifest (empty until it is loaded).")
    settings: dict[str, object] = Field(
        description="Non-secret settings; `api_key` only says whether one is set; paths need the API key."
    )
