"""The ingest pipeline: files → reports → cleaned documents with metadata → chunks; bad files skipped."""

from __future__ import annotations

import hashlib
import statistics
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from indexer.errors import UnsupportedFile
from indexer.ingest.chunking import DEFAULT_MAX_CHARS, chunk_document
from indexer.ingest.cleaning import clean_text
from indexer.ingest.metadata import extract_metadata
from indexer.ingest.readers import MAX_DOCUMENT_CHARS, RawText, read_file
from indexer.ingest.structure import split_compilation
from indexer.records import Chunk, Document, Skipped

_P95 = 0.95


@dataclass(frozen=True)
class IngestSummary:
    """Counts and chunk-length statistics of one ingest run, as the dry run prints them."""

    files: int
    documents: int
    chunks: int
    skipped: int
    mean_chunk_chars: float
    p95_chunk_chars: int


@dataclass(frozen=True)
class IngestResult:
    """What a set of paths yields: documents with their chunks, and the files skipped with the reason."""

    documents: list[tuple[Document, list[Chunk]]]
    skipped: list[Skipped]
    # The folders and files that were read (absolute paths): the origins an index update mirrors.
    origins: list[str] = field(default_factory=list)

    def summary(self) -> IngestSummary:
        """Counts, mean and 95th-percentile chunk length in characters."""
        lengths = sorted(len(chunk.text) for _, chunks in self.documents for chunk in chunks)
        return IngestSummary(
            files=len({document.source for document, _ in self.documents}),
            documents=len(self.documents),
            chunks=len(lengths),
            skipped=len(self.skipped),
            mean_chunk_chars=round(statistics.fmean(lengths), 1) if lengths else 0.0,
            p95_chunk_chars=lengths[int(_P95 * (len(lengths) - 1))] if lengths else 0,
        )


def document_id(source: str, position: str, text: str) -> str:
    """Hash of where a report comes from and what it says: stable across runs, new when the text changes."""
    return hashlib.sha1(f"{source}#{position}\n{text}".encode()).hexdigest()[:16]


def source_name(path: Path, root: Path | None) -> str:
    """A file's path relative to the folder given on the command line, or its name when given directly."""
    return path.relative_to(root).as_posix() if root is not None else path.name


def origin_of(path: Path) -> str:
    """The absolute form of a folder or file given to the indexer, which documents from it remember."""
    return str(path.resolve())


def _documents(report: RawText, source: str, origin: str) -> Iterator[Document]:
    compilation = split_compilation(clean_text(report.text))
    for part_number, text in enumerate(compilation.parts, start=1):
        extra = dict(report.extra)
        year = int(extra.pop("year")) if extra.get("year", "").isdigit() else None
        position = extra.get("line", "0")
        if len(compilation.parts) > 1:
            extra["part"] = str(part_number)
            position = f"part{part_number}"
            if compilation.title:
                extra["compilation"] = compilation.title
        metadata = extract_metadata(text, title=report.title, year=year)
        yield Document(
            doc_id=document_id(source, position, text),
            title=metadata.title,
            source=source,
            text=text,
            year=metadata.year,
            level=metadata.level,
            region=metadata.region,
            doc_type=metadata.doc_type,
            extra=extra,
            origin=origin,
            province=metadata.province,
        )


def ingest_file(
    path: Path,
    root: Path | None = None,
    max_chars: int = DEFAULT_MAX_CHARS,
    *,
    origin: str | None = None,
    max_document_chars: int = MAX_DOCUMENT_CHARS,
) -> list[tuple[Document, list[Chunk]]]:
    """Read, clean, split and chunk one file; raises UnsupportedFile when it yields no report.

    `origin` defaults to the folder the file was found under, or the file itself.
    """
    source = source_name(path, root)
    origin = origin or origin_of(root or path)
    documents = [
        document
        for report in read_file(path, max_document_chars)
        for document in _documents(report, source, origin)
    ]
    documents = [document for document in documents if document.text.strip()]
    if not documents:
        raise UnsupportedFile("no report text left after removing site boilerplate")
    return [(document, chunk_document(document, max_chars)) for document in documents]


UPLOAD_ORIGIN = "upload"


def ingest_uploads(
    files: Sequence[tuple[Path, Path]], max_document_chars: int = MAX_DOCUMENT_CHARS
) -> list[tuple[Document, list[Chunk]]]:
    """Read uploaded files, each saved under a folder of its own (file, folder), with origin "upload".

    All are read before anything is indexed, so an unreadable one raises and nothing changes; its
    message names the file as uploaded, never the folder the server saved it in.
    """
    documents: list[tuple[Document, list[Chunk]]] = []
    for path, root in files:
        try:
            documents.extend(
                ingest_file(path, root, origin=UPLOAD_ORIGIN, max_document_chars=max_document_chars)
            )
        except UnsupportedFile as error:
            message = str(error).replace(str(path), path.name).replace(str(root), "")
            raise type(error)(f"{path.name}: {message}") from error
    return documents


def _walk(paths: Sequence[Path]) -> Iterator[tuple[Path, Path | None]]:
    """Every file under the given paths, sorted, with the folder it was found under (None if given)."""
    for path in paths:
        if path.is_dir():
            for file in sorted(path.rglob("*")):
                hidden = any(part.startswith(".") for part in file.relative_to(path).parts)
                if file.is_file() and not hidden:
                    yield file, path
        else:
            yield path, None


def ingest_paths(
    paths: Sequence[Path],
    max_chars: int = DEFAULT_MAX_CHARS,
    *,
    max_document_chars: int = MAX_DOCUMENT_CHARS,
) -> IngestResult:
    """Ingest files and folders; a file that cannot be read is reported in `skipped`, never raised.

    A path that does not exist raises UnsupportedFile: reading nothing from it must never look like an
    empty folder, which an update would mirror by removing its documents.
    """
    missing = [str(path) for path in paths if not path.exists()]
    if missing:
        raise UnsupportedFile(f"no such file or folder: {', '.join(missing)}")
    documents: list[tuple[Document, list[Chunk]]] = []
    skipped: list[Skipped] = []
    for path, root in _walk(paths):
        origin = origin_of(root or path)
        try:
            documents.extend(
                ingest_file(path, root, max_chars, origin=origin, max_document_chars=max_document_chars)
            )
        except UnsupportedFile as error:
            skipped.append(Skipped(source_name(path, root), str(error), origin))
        except OSError as error:
            reason = f"cannot read: {error.strerror or error}"
            skipped.append(Skipped(source_name(path, root), reason, origin))
    return IngestResult(documents, skipped, [origin_of(path) for path in paths])
