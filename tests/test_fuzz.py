"""Schemathesis against the app's own OpenAPI: no 5xx, every status and body as documented.

Every operation gets schema-valid and schema-invalid requests, over a private copy of the small real
index (uploads and deletes stay there) with an API key set: writes are sent without the key first (they
must be refused) and then with it. Seeded, so a run is repeatable: about 1,300 generated cases, one to
three minutes on two cores.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import schemathesis
from api_client import settings_for
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis.errors import Unsatisfiable
from index_fixture import BuiltIndex, copy_index
from schemathesis import APIOperation, BaseSchema, Case, GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    negative_data_rejection,
    response_schema_conformance,
    status_code_conformance,
)

from service.app import create_app

API_KEY = "fuzz-key"
EXAMPLES = 40  # per operation and generation mode
# Each accepted upload reads and embeds its file, by far the slowest request.
FEW_EXAMPLES = {"POST /documents": 8}
# Generous: on a busy machine a topic-phrase request on a 5000-character paragraph takes seconds, and
# speed is for bench/, not for this test.
TIMEOUT_S = 120
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    response_schema_conformance,
    content_type_conformance,
    negative_data_rejection,
]


@pytest.fixture(scope="module")
def api_schema(
    built_index: BuiltIndex, model_dir: Path, tmp_path_factory: pytest.TempPathFactory
) -> BaseSchema:
    index_dir = tmp_path_factory.mktemp("fuzzed-index")
    index = copy_index(built_index.index_dir, index_dir, model_dir)
    app = create_app(settings_for(index_dir, model_dir, api_key=API_KEY), index)
    return schemathesis.openapi.from_asgi("/openapi.json", app)


def needs_key(operation: APIOperation) -> bool:
    return bool(operation.definition.raw.get("security"))


def send(case: Case) -> None:
    """One generated request, checked; a write first without the key, which must be refused.

    Refused with 401, or with 400/422 when the body cannot even be parsed: FastAPI parses JSON before
    it runs the key check. Either way nothing is written.
    """
    if needs_key(case.operation):
        assert case.call_and_validate(checks=CHECKS, timeout=TIMEOUT_S).status_code in (400, 401, 422)
    case.call_and_validate(headers={"X-API-Key": API_KEY}, checks=CHECKS, timeout=TIMEOUT_S)


def fuzz(operation: APIOperation, mode: GenerationMode) -> tuple[int, str | None]:
    """Send the operation's examples in one mode: how many were sent, and the first failure, described."""
    sent = 0

    @given(case=operation.as_strategy(mode))
    @settings(
        max_examples=FEW_EXAMPLES.get(operation.label, EXAMPLES),
        deadline=None,
        database=None,
        derandomize=True,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    def run(case: Case) -> None:
        nonlocal sent
        sent += 1
        send(case)

    try:
        run()
    except Unsatisfiable:
        return sent, None  # nothing about the operation can be made invalid (no parameters, no body)
    # Collected rather than raised, so one run reports every failing operation. Schemathesis reports
    # failed checks as an exception group, a server error as the exception the app raised.
    except (Exception, BaseExceptionGroup) as failure:
        return sent, f"{operation.label} ({mode.value}):\n{failure}"
    return sent, None


@pytest.mark.slow
def test_every_operation_answers_as_documented(api_schema: BaseSchema) -> None:
    operations = [result.ok() for result in api_schema.get_all_operations()]
    runs = [
        fuzz(operation, mode)
        for operation in operations
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE)
    ]
    failures = [failure for _, failure in runs if failure is not None]
    assert not failures, "\n\n".join(failures)
    assert len(operations) >= 20
    assert sum(sent for sent, _ in runs) >= 20 * EXAMPLES
