"""Domain errors. The service maps each to one HTTP status and one JSON error shape."""


class GovsearchError(Exception):
    """Base class: every error the library raises on purpose."""


class IndexNotFound(GovsearchError):
    """No index at the configured location."""


class IndexIncompatible(GovsearchError):
    """The index was built with another model or format version."""


class ModelNotFound(GovsearchError):
    """The embedding model is missing or fails its checksum."""


class UnknownDocument(GovsearchError):
    """No document with that id."""


class UnknownChunk(GovsearchError):
    """No chunk with that id."""


class UnknownBankEntry(GovsearchError):
    """No phrase-bank entry with that id."""


class UnsupportedFile(GovsearchError):
    """A file whose type or content cannot be read as a report."""


class DocumentTooLarge(UnsupportedFile):
    """A file or document beyond the configured size limits (max_document_chars, a zip bomb)."""


class InvalidInput(GovsearchError):
    """A request the library cannot act on (an empty query, a bad CSV, …)."""


class DuplicateBankEntry(InvalidInput):
    """A phrase that is already in the phrase bank (under another id)."""


class IndexUnreadable(GovsearchError):
    """Files in the index directory that cannot be opened now (half copied, unreadable)."""


class BackendUnavailable(GovsearchError):
    """The configured search backend cannot be used: its package is not installed or its server is down."""
