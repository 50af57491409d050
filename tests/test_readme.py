"""Every command-line example of the README runs as written, on the bundled examples/reports, in order."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import pytest
from click.testing import Result
from typer.testing import CliRunner

from cli.main import app

REPOSITORY = Path(__file__).resolve().parent.parent
# Examples that are not run here, and why.
NOT_RUN = {
    ("serve",): "starts a server that runs until stopped; the HTTP examples are tested through the app"
}
HAN_PAIR = re.compile(r"[\u4e00-\u9fff]{2}")


def readme_examples() -> list[list[str]]:
    """The `govsearch …` lines of the README's command-line block, comments cut, split as a shell would."""
    text = (REPOSITORY / "README.md").read_text(encoding="utf-8")
    block = text.split("## Command line", 1)[1].split("```sh", 1)[1].split("```", 1)[0]
    lines = [re.split(r"\s{2,}#", line, maxsplit=1)[0] for line in block.splitlines()]
    return [shlex.split(line)[1:] for line in lines if line.startswith("govsearch ")]


EXAMPLES = readme_examples()


def not_run(arguments: list[str]) -> str | None:
    return next((why for prefix, why in NOT_RUN.items() if tuple(arguments[: len(prefix)]) == prefix), None)


@pytest.fixture(scope="module")
def results(tmp_path_factory: pytest.TempPathFactory, model_dir: Path) -> dict[str, Result]:
    """Each example's result, run in README order (the index is built by the README's own command)."""
    state = tmp_path_factory.mktemp("readme")
    environment = {
        "GOVSEARCH_INDEX_DIR": str(state / "index"),
        "GOVSEARCH_BANK_FILE": str(state / "bank.sqlite"),
        "GOVSEARCH_MODEL_DIR": str(model_dir),
    }
    runner = CliRunner()
    found: dict[str, Result] = {}
    with pytest.MonkeyPatch.context() as patch:
        patch.chdir(REPOSITORY)  # the examples name examples/reports relative to the repository
        for arguments in EXAMPLES:
            if not_run(arguments):
                continue
            found[" ".join(arguments)] = runner.invoke(app, arguments, env=environment)
    return found


def test_the_readme_has_the_examples_people_need() -> None:
    commands = {tuple(arguments[:1]) for arguments in EXAMPLES}
    assert {("index",), ("search",), ("similar",), ("phrases",), ("bank",), ("serve",)} <= commands


@pytest.mark.parametrize("arguments", EXAMPLES, ids=[" ".join(example) for example in EXAMPLES])
def test_readme_example(results: dict[str, Result], arguments: list[str]) -> None:
    why = not_run(arguments)
    if why:
        pytest.skip(why)
    result = results[" ".join(arguments)]
    assert result.exit_code == 0, result.output
    assert result.output.strip(), "no output"
    # On topic: a query, phrase or tag given in Chinese shows up in what the command prints.
    for argument in arguments:
        pairs = HAN_PAIR.findall(argument)
        if pairs:
            assert any(pair in result.output for pair in pairs), (argument, result.output[:500])
