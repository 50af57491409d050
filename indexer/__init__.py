"""govsearch indexer: the library that reads reports, chunks them, embeds them, stores and searches them.

It knows nothing of HTTP; `service/` (the API and page) and `cli/` are thin faces over what this module
exports. The sub-packages show the architecture:

    ingest/     files → reports → cleaned documents with metadata → chunks
    text/       folding and tokenising for search, and the rule files (data/) everything reads
    embedding/  the model: fetching it, choosing precision for the hardware, embedding text
    store/      SQLite catalog, embedding cache, keyword index, FAISS vectors, update plans
    search/     keyword, semantic and hybrid ranking, collapsing, highlighting, evaluation
    phrases/    phrase mining over the corpus and topic phrases for a query
    bank/       the user's saved phrase bank (素材库) and its CSV/JSON files
"""

from indexer.bank.files import BankFormat, export_bank, format_of, import_bank
from indexer.bank.records import MAX_BANK_PAGE, MAX_ENTRY_ID, MAX_NOTE_CHARS, MAX_PHRASE_CHARS, BankEntry
from indexer.bank.store import KEEP, BankPage, ImportReport, PhraseBank
from indexer.embedding.hardware import Precision, Runtime
from indexer.embedding.info import EngineInfo, engine_info, prepare_engine
from indexer.embedding.model_fetch import fetch_model, model_id_of
from indexer.errors import (
    BackendUnavailable,
    DocumentTooLarge,
    DuplicateBankEntry,
    GovsearchError,
    IndexIncompatible,
    IndexNotFound,
    IndexUnreadable,
    InvalidInput,
    ModelNotFound,
    UnknownBankEntry,
    UnknownChunk,
    UnknownDocument,
    UnsupportedFile,
)
from indexer.index import Index, IndexConfig, UpdateReport
from indexer.ingest.pipeline import IngestResult, IngestSummary, ingest_file, ingest_paths, ingest_uploads
from indexer.ingest.readers import MAX_DOCUMENT_CHARS
from indexer.latest import LatestIndex
from indexer.phrases.mining import MAX_MINED_PHRASES, MinedPhrase, PhraseKind
from indexer.phrases.topics import MAX_TOPIC_PHRASES, Example, TopicPhrase
from indexer.records import Chunk, DocType, Document, DocumentInfo, Filters, Hit, Level, Mode, Skipped
from indexer.search.evaluation import (
    EvalQuery,
    EvalReport,
    QueryScore,
    evaluate,
    grade,
    read_judgments,
    read_queries,
    read_units,
)
from indexer.search.searcher import SearchOptions, SearchPage
from indexer.store.updates import Documents, UpdatePlan

__all__ = [
    "KEEP",
    "MAX_BANK_PAGE",
    "MAX_DOCUMENT_CHARS",
    "MAX_ENTRY_ID",
    "MAX_MINED_PHRASES",
    "MAX_NOTE_CHARS",
    "MAX_PHRASE_CHARS",
    "MAX_TOPIC_PHRASES",
    "BackendUnavailable",
    "BankEntry",
    "BankFormat",
    "BankPage",
    "Chunk",
    "DocType",
    "Document",
    "DocumentInfo",
    "DocumentTooLarge",
    "Documents",
    "DuplicateBankEntry",
    "EngineInfo",
    "Example",
    "EvalQuery",
    "EvalReport",
    "Filters",
    "GovsearchError",
    "Hit",
    "ImportReport",
    "Index",
    "IndexConfig",
    "IndexIncompatible",
    "IndexNotFound",
    "IndexUnreadable",
    "IngestResult",
    "IngestSummary",
    "InvalidInput",
    "LatestIndex",
    "Level",
    "MinedPhrase",
    "Mode",
    "ModelNotFound",
    "PhraseBank",
    "PhraseKind",
    "QueryScore",
    "Precision",
    "Runtime",
    "SearchOptions",
    "SearchPage",
    "Skipped",
    "TopicPhrase",
    "UnknownBankEntry",
    "UnknownChunk",
    "UnknownDocument",
    "UnsupportedFile",
    "UpdatePlan",
    "UpdateReport",
    "engine_info",
    "evaluate",
    "export_bank",
    "fetch_model",
    "format_of",
    "grade",
    "import_bank",
    "ingest_file",
    "ingest_paths",
    "ingest_uploads",
    "prepare_engine",
    "model_id_of",
    "read_judgments",
    "read_queries",
    "read_units",
]
