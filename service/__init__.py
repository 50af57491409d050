"""govsearch service: the HTTP API, the page for writers and the command line, over `indexer`."""
