"""govsearch indexer: the library that reads reports, chunks them, embeds them, stores and searches them.

It knows nothing of HTTP; `service/` is the API and page over it.
"""
