"""Search filters as a Milvus boolean expression over the collection's metadata fields.

The same conditions as the catalog's SQL (`filter_clause`): a null year passes no year bound, a region
matches a document's own government or its province, named officially or short.
"""

from __future__ import annotations

import json
from collections.abc import Iterable

from indexer.records import Filters
from indexer.text.gazetteer import canonical_names


def literal_list(values: Iterable[object]) -> str:
    """A Milvus list literal; JSON's string quoting and escapes are what Milvus expressions accept."""
    return json.dumps([str(value) for value in values], ensure_ascii=False)


def filter_expression(filters: Filters) -> str:
    """The expression for `filters`; empty when nothing is filtered (search everything)."""
    conditions: list[str] = []
    if filters.year_from is not None:
        conditions.append(f"year >= {int(filters.year_from)}")
    if filters.year_to is not None:
        conditions.append(f"year <= {int(filters.year_to)}")
    for field, values in filters.memberships():
        if values:
            conditions.append(f"{field} in {literal_list(values)}")
    if filters.regions:
        regions = literal_list(canonical_names(filters.regions))
        conditions.append(f"(region in {regions} or province in {regions})")
    if filters.exclude_doc_ids:
        conditions.append(f"doc_id not in {literal_list(filters.exclude_doc_ids)}")
    return " and ".join(conditions)
