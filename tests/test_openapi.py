"""The OpenAPI tells generated clients what the server does: its bounds, 400s and cross-field rules."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from api_client import assert_error, client_for, settings_for
from fastapi.testclient import TestClient
from index_fixture import BuiltIndex

Schema = dict[str, Any]


@pytest.fixture(scope="module")
def client(
    built_index: BuiltIndex, model_dir: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[TestClient]:
    bank_file = tmp_path_factory.mktemp("openapi-bank") / "bank.sqlite"
    settings = settings_for(built_index.index_dir, model_dir, max_k=7, bank_file=bank_file)
    with client_for(built_index.index, settings) as test_client:
        yield test_client


@pytest.fixture(scope="module")
def openapi(client: TestClient) -> Schema:
    return dict(client.get("/openapi.json").json())


def operations(openapi: Schema) -> Iterator[tuple[str, Schema]]:
    for path, methods in openapi["paths"].items():
        for method, operation in methods.items():
            yield f"{method.upper()} {path}", operation


def resolved(node: Any, openapi: Schema) -> Any:
    """The schema with every local $ref replaced by what it names."""
    if isinstance(node, dict):
        if "$ref" in node:
            return resolved(openapi["components"]["schemas"][node["$ref"].rsplit("/", 1)[-1]], openapi)
        return {key: resolved(value, openapi) for key, value in node.items()}
    if isinstance(node, list):
        return [resolved(value, openapi) for value in node]
    return node


def integer_schemas(node: Any, name: str = "") -> Iterator[tuple[str, Schema]]:
    if isinstance(node, dict):
        if node.get("type") == "integer":
            yield name, node
        for key, value in node.items():
            yield from integer_schemas(value, key if key not in ("anyOf", "items", "schema") else name)
    elif isinstance(node, list):
        for value in node:
            yield from integer_schemas(value, name)


def request_integers(openapi: Schema) -> list[tuple[str, str, Schema]]:
    """Every integer a request may carry: in a path, a query or a JSON body."""
    found = []
    for label, operation in operations(openapi):
        for parameter in operation.get("parameters", []):
            found += [
                (label, parameter["name"], schema) for _, schema in integer_schemas(parameter["schema"])
            ]
        body = resolved(operation.get("requestBody", {}), openapi)
        found += [(label, name, schema) for name, schema in integer_schemas(body)]
    return found


def test_every_integer_a_request_carries_has_documented_bounds(openapi: Schema) -> None:
    integers = request_integers(openapi)
    assert {("GET /bank/{entry_id}", "entry_id"), ("GET /phrases/mined", "min_docs")} <= {
        (label, name) for label, name, _ in integers
    }
    unbounded = [(label, name) for label, name, schema in integers if "maximum" not in schema]
    assert unbounded == []
    # None reaches past SQLite's INTEGER, which is where 2**63 used to become a 500.
    assert max(schema["maximum"] for _, _, schema in integers) <= 2**63 - 1


def test_k_is_bounded_by_the_servers_max_k(openapi: Schema) -> None:
    page_sizes = {
        label: schema["maximum"]
        for label, name, schema in request_integers(openapi)
        if name == "k" and not label.endswith("/phrases")  # topic phrases have their own fixed bound
    }
    assert page_sizes == {"GET /search": 7, "POST /search": 7, "POST /similar": 7}
    # The default page size (10) shrinks to a smaller max_k, in the schema as on the server.
    defaults = {schema["default"] for _, name, schema in request_integers(openapi) if name == "k"}
    assert defaults == {7, 20}  # 20: topic phrases


def test_the_bounds_in_the_openapi_are_the_ones_enforced(client: TestClient) -> None:
    assert client.get("/search", params={"q": "招商引资", "k": 7}).status_code == 200
    assert_error(client.get("/search", params={"q": "招商引资", "k": 8}), 422, "invalid_parameter", "k")
    assert_error(client.get(f"/bank/{2**63}"), 422, "invalid_parameter", "entry_id")


def test_a_body_that_cannot_be_parsed_is_a_documented_400(client: TestClient, openapi: Schema) -> None:
    with_body = [label for label, operation in operations(openapi) if "requestBody" in operation]
    assert len(with_body) >= 7
    assert [
        label for label, op in operations(openapi) if "requestBody" in op and "400" not in op["responses"]
    ] == []
    not_utf8 = {"content-type": "application/json"}
    for path in ("/search", "/similar", "/phrases", "/bank"):
        assert_error(client.post(path, content=b"\xff\xfe{", headers=not_utf8), 400, "bad_request")
    broken = {"content-type": "multipart/form-data; boundary=x"}
    assert_error(
        client.post("/bank/import", content=b"--x\r\nnonsense--x--\r\n", headers=broken), 400, "bad_request"
    )


@pytest.mark.parametrize(
    ("label", "rules"),
    [
        ("GET /search", ["`year_to` before `year_from`", "max_k"]),
        ("POST /search", ["`year_to` before `year_from`", "max_k"]),
        ("POST /similar", ["exactly one of `chunk_id` and `text`", "`year_to` before `year_from`", "max_k"]),
        ("GET /documents", ["`year_to` before `year_from`"]),
        ("GET /phrases", ["`year_to` before `year_from`"]),
        ("POST /phrases", ["`year_to` before `year_from`"]),
        ("POST /bank", ["`source_chunk_id` must be a passage of the index"]),
        ("PATCH /bank/{entry_id}", ["`source_chunk_id` must be a passage of the index"]),
    ],
)
def test_cross_field_rules_are_in_the_operation_descriptions(
    openapi: Schema, label: str, rules: list[str]
) -> None:
    description = " ".join(dict(operations(openapi))[label]["description"].split())
    for rule in rules:
        assert rule in description, description
