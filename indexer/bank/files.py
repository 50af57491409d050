"""The phrase bank as files: export formats with their media types, and import from uploaded bytes.

Shared by the API and the CLI, so `govsearch bank export` writes the same file the page downloads.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from pathlib import PurePath

from indexer.bank.store import ImportReport, PhraseBank
from indexer.errors import InvalidInput
from indexer.ingest.readers import decode_text

# Excel opens a UTF-8 CSV as the local code page (GBK) unless it starts with a byte-order mark.
EXCEL_BOM = "\ufeff"


class BankFormat(StrEnum):
    CSV = "csv"
    JSON = "json"


MEDIA_TYPES = {BankFormat.CSV: "text/csv; charset=utf-8", BankFormat.JSON: "application/json"}


@dataclass(frozen=True)
class BankExport:
    """An export ready to save: its text, media type and a file name."""

    text: str
    media_type: str
    filename: str


def export_bank(bank: PhraseBank, form: BankFormat) -> BankExport:
    """Every entry as CSV (with a BOM, for Excel) or JSON; importing the file restores the bank exactly."""
    text = EXCEL_BOM + bank.export_csv() if form is BankFormat.CSV else bank.export_json()
    return BankExport(text, MEDIA_TYPES[form], f"phrasebank.{form.value}")


def format_of(filename: str | None, given: BankFormat | None) -> BankFormat:
    """The format asked for, else the one the file's extension names."""
    if given is not None:
        return given
    suffix = PurePath(filename or "").suffix.lower().removeprefix(".")
    try:
        return BankFormat(suffix)
    except ValueError:
        raise InvalidInput(
            f"cannot tell the format of {filename or 'the file'!r}: name it .csv or .json"
        ) from None


def import_bank(bank: PhraseBank, data: bytes, form: BankFormat) -> ImportReport:
    """Add or replace the entries of an exported (or hand-written) file; all or nothing.

    The bytes are decoded like a report (UTF-8 with or without BOM, else GB18030 as Excel saves it).
    """
    text, _ = decode_text(data)
    return bank.import_csv(text) if form is BankFormat.CSV else bank.import_json(text)
