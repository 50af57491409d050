"""The saved phrase bank: phrases users keep, with tags, a note and the passage they came from.

It lives in its own SQLite file beside the catalog, so rebuilding the index never loses it. Export and
import (CSV and JSON) carry every field, so export → import restores a bank exactly; an import is
checked in full first and then written in one transaction, so a bad file changes nothing.
"""

from __future__ import annotations

import csv
import io
import json
import sqlite3
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import closing, contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from indexer.bank.records import (
    COLUMNS,
    JSON_FORMAT,
    JSON_VERSION,
    TAG_SEPARATOR,
    BankEntry,
    already_stored,
    csv_cells,
    entry_from_row,
    json_object,
    record_entry,
    refuse_repeats,
    stored_row,
    validated_entry,
)
from indexer.errors import DuplicateBankEntry, InvalidInput, UnknownBankEntry
from indexer.store.database import transaction

SCHEMA = """CREATE TABLE IF NOT EXISTS entries (
    id INTEGER PRIMARY KEY,
    phrase TEXT NOT NULL UNIQUE,
    tags TEXT NOT NULL,
    note TEXT NOT NULL,
    source_chunk_id TEXT,
    created TEXT NOT NULL,
    updated TEXT NOT NULL
)"""


@dataclass(frozen=True)
class BankPage:
    """One page of a listing; `total` counts every entry that matches."""

    entries: tuple[BankEntry, ...]
    total: int


@dataclass(frozen=True)
class ImportReport:
    """What an import did: entries added or replaced, and entries the bank already held as they are."""

    imported: int
    unchanged: int


class _Keep:
    """Marks an `update` argument that leaves the field as it is (None clears the source chunk)."""


KEEP = _Keep()


class PhraseBank:
    """A phrase bank in one SQLite file; each call opens its own connection, so threads may share it.

    `known_passage`, when given, says whether a chunk id is a passage of the index: an entry may then
    only be linked to passages that exist. Without it (no index at hand) links are not checked.
    """

    def __init__(self, path: Path, known_passage: Callable[[str], bool] | None = None) -> None:
        self.path = path
        self.known_passage = known_passage
        path.parent.mkdir(parents=True, exist_ok=True)
        with self._transaction() as connection:
            connection.execute(SCHEMA)

    @contextmanager
    def _transaction(self, mode: str = "IMMEDIATE") -> Iterator[sqlite3.Connection]:
        """A transaction on a fresh connection: IMMEDIATE to write, DEFERRED to read."""
        with (
            closing(sqlite3.connect(self.path, timeout=30, isolation_level=None)) as connection,
            transaction(connection, mode),
        ):
            yield connection

    def create(
        self, phrase: str, tags: Sequence[str] = (), note: str = "", source_chunk_id: str | None = None
    ) -> BankEntry:
        """Save a new phrase; a phrase already in the bank is refused with the id it has."""
        now = datetime.now(UTC)
        entry = validated_entry(None, phrase, tags, note, source_chunk_id, now, now)
        self._check_source(entry.source_chunk_id, None)
        with self._transaction() as connection:
            _refuse_duplicate(connection, entry.phrase, None)
            cursor = connection.execute(
                "INSERT INTO entries (phrase, tags, note, source_chunk_id, created, updated)"
                " VALUES (?, ?, ?, ?, ?, ?)",
                stored_row(entry)[1:],
            )
            return _get(connection, cursor.lastrowid or 0)

    def get(self, entry_id: int) -> BankEntry:
        """The entry with this id."""
        with self._transaction("DEFERRED") as connection:
            return _get(connection, entry_id)

    def list(
        self, *, tag: str | None = None, query: str | None = None, limit: int = 50, offset: int = 0
    ) -> BankPage:
        """Entries newest first, optionally only those with `tag` or containing `query` in phrase or note."""
        if limit < 1 or offset < 0:
            raise InvalidInput("limit must be at least 1 and offset at least 0")
        conditions, params = ["1"], []  # type: list[str], list[object]
        if tag and tag.strip():
            conditions.append("EXISTS (SELECT 1 FROM json_each(entries.tags) WHERE value = ?)")
            params.append(tag.strip())
        if query:
            conditions.append("(instr(phrase, ?) > 0 OR instr(note, ?) > 0)")
            params.extend((query, query))
        where = " AND ".join(conditions)
        with self._transaction("DEFERRED") as connection:
            total = connection.execute(f"SELECT COUNT(*) FROM entries WHERE {where}", params).fetchone()[0]
            rows = connection.execute(
                f"SELECT {', '.join(COLUMNS)} FROM entries WHERE {where} ORDER BY id DESC LIMIT ? OFFSET ?",
                [*params, limit, offset],
            ).fetchall()
        return BankPage(tuple(entry_from_row(row) for row in rows), total)

    def update(
        self,
        entry_id: int,
        *,
        phrase: str | None = None,
        tags: Sequence[str] | None = None,
        note: str | None = None,
        source_chunk_id: str | None | _Keep = KEEP,
    ) -> BankEntry:
        """Change the given fields of an entry (the others stay) and stamp it as updated now."""
        with self._transaction() as connection:
            old = _get(connection, entry_id)
            entry = validated_entry(
                entry_id,
                old.phrase if phrase is None else phrase,
                old.tags if tags is None else tags,
                old.note if note is None else note,
                old.source_chunk_id if isinstance(source_chunk_id, _Keep) else source_chunk_id,
                old.created,
                max(datetime.now(UTC), old.created),
            )
            _refuse_duplicate(connection, entry.phrase, entry_id)
            self._check_source(entry.source_chunk_id, old.source_chunk_id)
            connection.execute(
                "UPDATE entries SET phrase = ?, tags = ?, note = ?, source_chunk_id = ?, created = ?,"
                " updated = ? WHERE id = ?",
                (*stored_row(entry)[1:], entry_id),
            )
        return entry

    def delete(self, entry_id: int) -> None:
        """Remove an entry."""
        with self._transaction() as connection:
            if connection.execute("DELETE FROM entries WHERE id = ?", (entry_id,)).rowcount == 0:
                raise UnknownBankEntry(str(entry_id))

    def entries(self) -> tuple[BankEntry, ...]:
        """Every entry, oldest id first (the export order)."""
        with self._transaction("DEFERRED") as connection:
            rows = connection.execute(f"SELECT {', '.join(COLUMNS)} FROM entries ORDER BY id").fetchall()
        return tuple(entry_from_row(row) for row in rows)

    def export_csv(self) -> str:
        """All entries as CSV with a header row; tags joined by `;`, times in ISO 8601 (UTC)."""
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\n")
        writer.writerow(COLUMNS)
        for entry in self.entries():
            writer.writerow(csv_cells(entry))
        return buffer.getvalue()

    def export_json(self) -> str:
        """All entries as one JSON document."""
        document = {
            "format": JSON_FORMAT,
            "version": JSON_VERSION,
            "entries": [json_object(entry) for entry in self.entries()],
        }
        return json.dumps(document, ensure_ascii=False, indent=2)

    def import_csv(self, text: str) -> ImportReport:
        """Add or replace (by id) the entries of a CSV export, all or nothing; those held as is stay."""
        reader = csv.DictReader(io.StringIO(text.removeprefix("\ufeff")))
        missing = {"phrase"} - set(reader.fieldnames or ())
        unknown = set(reader.fieldnames or ()) - set(COLUMNS)
        if missing or unknown:
            raise InvalidInput(f"CSV header must name the columns {', '.join(COLUMNS)} (phrase is required)")
        records = []
        # Rows are counted as a spreadsheet shows them: the header is row 1, a multi-line note is one row.
        for number, row in enumerate(reader, start=2):
            place = f"CSV row {number}"
            if None in row:
                raise InvalidInput(f"{place}: more cells than columns")
            cells = {key: value or "" for key, value in row.items()}
            tags = [tag.strip() for tag in cells.get("tags", "").split(TAG_SEPARATOR) if tag.strip()]
            records.append((place, {**cells, "tags": tags}))
        return self._import(records)

    def import_json(self, text: str) -> ImportReport:
        """Add or replace (by id) the entries of a JSON export, all or nothing; those held as is stay."""
        try:
            document = json.loads(text)
        except json.JSONDecodeError as error:
            raise InvalidInput(f"not JSON: {error}") from error
        if not isinstance(document, dict) or not isinstance(document.get("entries"), list):
            raise InvalidInput('JSON must be an object with an "entries" list')
        records = []
        for index, item in enumerate(document["entries"], start=1):
            if not isinstance(item, dict):
                raise InvalidInput(f"JSON entry {index}: not an object")
            records.append((f"JSON entry {index}", item))
        return self._import(records)

    def _import(self, records: Sequence[tuple[str, Mapping[str, object]]]) -> ImportReport:
        now = datetime.now(UTC)
        entries = [record_entry(place, record, now) for place, record in records]
        refuse_repeats(records, entries)
        with self._transaction() as connection:
            changed = []
            for (place, record), entry in zip(records, entries, strict=True):
                stored = _stored_version(connection, entry)
                if stored is not None and already_stored(stored, entry, record):
                    continue
                try:
                    _refuse_duplicate(connection, entry.phrase, entry.id or None)
                    self._check_source(entry.source_chunk_id, stored.source_chunk_id if stored else None)
                except InvalidInput as error:
                    raise InvalidInput(f"{place}: {error}") from error
                changed.append(entry)
            for entry in changed:
                if entry.id:
                    connection.execute(
                        f"INSERT OR REPLACE INTO entries ({', '.join(COLUMNS)}) VALUES (?, ?, ?, ?, ?, ?, ?)",
                        stored_row(entry),
                    )
                else:
                    connection.execute(
                        "INSERT INTO entries (phrase, tags, note, source_chunk_id, created, updated)"
                        " VALUES (?, ?, ?, ?, ?, ?)",
                        stored_row(entry)[1:],
                    )
        return ImportReport(len(changed), len(entries) - len(changed))

    def _check_source(self, source_chunk_id: str | None, linked: str | None) -> None:
        """A new link must name a passage of the index; a link the entry already has is left alone."""
        if source_chunk_id is None or source_chunk_id == linked or self.known_passage is None:
            return
        if not self.known_passage(source_chunk_id):
            raise InvalidInput(f"source_chunk_id {source_chunk_id!r} is not a passage of the index")


def _refuse_duplicate(connection: sqlite3.Connection, phrase: str, entry_id: int | None) -> None:
    holder = connection.execute("SELECT id FROM entries WHERE phrase = ?", (phrase,)).fetchone()
    if holder is not None and holder[0] != entry_id:
        raise DuplicateBankEntry(f"{phrase!r} is already in the bank as entry {holder[0]}")


def _find(connection: sqlite3.Connection, column: str, key: object) -> BankEntry | None:
    row = connection.execute(
        f"SELECT {', '.join(COLUMNS)} FROM entries WHERE {column} = ?", (key,)
    ).fetchone()
    return None if row is None else entry_from_row(row)


def _stored_version(connection: sqlite3.Connection, entry: BankEntry) -> BankEntry | None:
    """The stored entry an imported one would replace: the same id, or for one without, the same phrase."""
    return _find(connection, "id", entry.id) if entry.id else _find(connection, "phrase", entry.phrase)


def _get(connection: sqlite3.Connection, entry_id: int) -> BankEntry:
    entry = _find(connection, "id", entry_id)
    if entry is None:
        raise UnknownBankEntry(str(entry_id))
    return entry
