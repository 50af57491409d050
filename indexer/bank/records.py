"""Phrase-bank entries as records: checking them, and their stored, CSV and JSON forms.

Every form carries every field, so an entry survives export and import unchanged.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from indexer.errors import InvalidInput

COLUMNS = ("id", "phrase", "tags", "note", "source_chunk_id", "created", "updated")
# Tags are joined with this in a CSV cell, so a tag may not contain it.
TAG_SEPARATOR = ";"
JSON_FORMAT = "govsearch-phrasebank"
JSON_VERSION = 1
MAX_PHRASE_CHARS = 200
MAX_TAG_CHARS = 40
MAX_NOTE_CHARS = 5000
# Most entries one listing returns (API page and `govsearch bank list`).
MAX_BANK_PAGE = 500
# SQLite's largest INTEGER: a larger id cannot be stored (or even looked up).
MAX_ENTRY_ID = 2**63 - 1
TIMES = ("created", "updated")


@dataclass(frozen=True)
class BankEntry:
    """One saved phrase; `source_chunk_id` is the passage it was taken from, if any."""

    id: int
    phrase: str
    tags: tuple[str, ...]
    note: str
    source_chunk_id: str | None
    created: datetime
    updated: datetime


def validated_entry(
    entry_id: int | None,
    phrase: object,
    tags: object,
    note: object,
    source_chunk_id: object,
    created: datetime,
    updated: datetime,
) -> BankEntry:
    """The entry these fields make, or InvalidInput naming the first field that is wrong."""
    phrase = phrase.strip() if isinstance(phrase, str) else ""
    if not phrase or len(phrase) > MAX_PHRASE_CHARS or "\n" in phrase:
        raise InvalidInput(f"phrase must be one line of 1–{MAX_PHRASE_CHARS} characters")
    if not isinstance(tags, list | tuple) or not all(isinstance(tag, str) for tag in tags):
        raise InvalidInput("tags must be a list of strings")
    cleaned = tuple(dict.fromkeys(tag.strip() for tag in tags if tag.strip()))
    for tag in cleaned:
        if len(tag) > MAX_TAG_CHARS or TAG_SEPARATOR in tag or "\n" in tag:
            raise InvalidInput(
                f"tag {tag!r}: at most {MAX_TAG_CHARS} characters, no {TAG_SEPARATOR} or line break"
            )
    if not isinstance(note, str) or len(note) > MAX_NOTE_CHARS:
        raise InvalidInput(f"note must be text of at most {MAX_NOTE_CHARS} characters")
    if source_chunk_id is not None and (not isinstance(source_chunk_id, str) or not source_chunk_id.strip()):
        raise InvalidInput("source_chunk_id must be a chunk id or empty")
    if updated < created:
        raise InvalidInput("updated must not be before created")
    return BankEntry(entry_id or 0, phrase, cleaned, note, source_chunk_id, created, updated)


def record_entry(place: str, record: Mapping[str, object], now: datetime) -> BankEntry:
    """The entry one imported row or object describes; a missing id or time means a new entry, now."""
    try:
        entry_id = _optional_id(record.get("id"))
        created = _optional_time(record.get("created"), now)
        updated = _optional_time(record.get("updated"), max(now, created))
        source = record.get("source_chunk_id") or None
        tags = record.get("tags", [])
        note = record.get("note") or ""
        return validated_entry(entry_id, record.get("phrase"), tags, note, source, created, updated)
    except InvalidInput as error:
        raise InvalidInput(f"{place}: {error}") from error


def _optional_id(value: object) -> int | None:
    if value is None or value == "":
        return None
    if isinstance(value, str) and value.strip().isdecimal():
        value = int(value)
    if isinstance(value, int) and not isinstance(value, bool) and 0 < value <= MAX_ENTRY_ID:
        return value
    raise InvalidInput(f"id must be a positive whole number of at most {MAX_ENTRY_ID}, not {value!r}")


def _optional_time(value: object, default: datetime) -> datetime:
    if value is None or value == "":
        return default
    try:
        moment = datetime.fromisoformat(str(value))
    except ValueError as error:
        raise InvalidInput(f"{value!r} is not an ISO 8601 time") from error
    if moment.tzinfo is None:
        raise InvalidInput(f"time {value!r} has no time zone")
    return moment.astimezone(UTC)


def already_stored(stored: BankEntry, entry: BankEntry, record: Mapping[str, object]) -> bool:
    """Whether importing `record` (read as `entry`) would leave `stored` as it is: same fields, and the
    same times where the record gives them (a record without times does not re-date an entry)."""
    fields = ("phrase", "tags", "note", "source_chunk_id")
    given_times = [name for name in TIMES if record.get(name)]
    return all(getattr(stored, name) == getattr(entry, name) for name in (*fields, *given_times))


def refuse_repeats(records: Sequence[tuple[str, Mapping[str, object]]], entries: Sequence[BankEntry]) -> None:
    """Two rows of one file may not share an id or a phrase."""
    seen_ids: dict[int, str] = {}
    seen_phrases: dict[str, str] = {}
    for (place, _), entry in zip(records, entries, strict=True):
        if entry.id and entry.id in seen_ids:
            raise InvalidInput(f"{place}: id {entry.id} repeats {seen_ids[entry.id]}")
        if entry.phrase in seen_phrases:
            raise InvalidInput(f"{place}: phrase {entry.phrase!r} repeats {seen_phrases[entry.phrase]}")
        seen_ids[entry.id] = place
        seen_phrases[entry.phrase] = place


def stored_row(entry: BankEntry) -> tuple[object, ...]:
    """The entry as stored, in COLUMNS order."""
    return (
        entry.id,
        entry.phrase,
        json.dumps(list(entry.tags), ensure_ascii=False),
        entry.note,
        entry.source_chunk_id,
        entry.created.isoformat(),
        entry.updated.isoformat(),
    )


def entry_from_row(row: Sequence[object]) -> BankEntry:
    entry_id, phrase, tags, note, source, created, updated = row
    return BankEntry(
        int(str(entry_id)),
        str(phrase),
        tuple(json.loads(str(tags))),
        str(note),
        None if source is None else str(source),
        datetime.fromisoformat(str(created)),
        datetime.fromisoformat(str(updated)),
    )


def csv_cells(entry: BankEntry) -> tuple[object, ...]:
    return (
        entry.id,
        entry.phrase,
        TAG_SEPARATOR.join(entry.tags),
        entry.note,
        entry.source_chunk_id or "",
        entry.created.isoformat(),
        entry.updated.isoformat(),
    )


def json_object(entry: BankEntry) -> dict[str, object]:
    return {
        "id": entry.id,
        "phrase": entry.phrase,
        "tags": list(entry.tags),
        "note": entry.note,
        "source_chunk_id": entry.source_chunk_id,
        "created": entry.created.isoformat(),
        "updated": entry.updated.isoformat(),
    }
