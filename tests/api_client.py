"""Helpers for API tests: an app over a given index with explicit settings, and the error-shape check."""

from __future__ import annotations

from pathlib import Path

from fastapi.testclient import TestClient
from httpx import Response

from indexer.index import Index
from service.app import create_app
from service.settings import Settings


def settings_for(index_dir: Path, model_dir: Path, **overrides: object) -> Settings:
    """Every limit spelled out, so a GOVSEARCH_* variable in the environment cannot change a test."""
    values: dict[str, object] = {
        "index_dir": index_dir,
        "model_dir": model_dir,
        "api_key": None,
        "max_upload_bytes": 1_000_000,
        "max_query_chars": 5000,
        "max_k": 100,
        "device": "cpu",
    }
    values.update(overrides)
    return Settings.model_validate(values)


def client_for(index: Index | None, settings: Settings) -> TestClient:
    return TestClient(create_app(settings, index))


def assert_error(response: Response, status: int, code: str, field: str | None = None) -> str:
    """The one error shape: exactly {"error": {"code", "message", "field"}}, `field` null unless a parameter
    is at fault; returns the message."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/json")
    body = response.json()
    assert set(body) == {"error"}
    error = body["error"]
    assert set(error) == {"code", "message", "field"}, error
    assert error["code"] == code, error
    assert isinstance(error["message"], str) and error["message"]
    assert error["field"] == field, error
    return str(error["message"])
