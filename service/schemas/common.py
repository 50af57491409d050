"""What requests share: filters, ranking and paging parameters, their limits."""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field

from indexer import DocType, Filters, Level, Mode, SearchOptions
from service.errors import parameter_error
from service.openapi import maximum_setting
from service.settings import Settings

MAX_OFFSET = 1000


# Listings page through at most this many items; the bound keeps every offset storable in SQLite.
MAX_LIST_OFFSET = 1_000_000


FIRST_YEAR = 1949


LAST_YEAR = 2100


MAX_CONTEXT = 10


PASTED_PARAGRAPH = (
    "持续优化营商环境，深化“放管服”改革，加大招商引资力度，积极承接产业转移，"
    "推动一批重大项目落地见效，进一步激发市场主体活力。"
)


def as_list(value: object) -> object:
    """A single value where a list is expected (a JSON body's `"level": "省"`) is a list of one."""
    return [value] if isinstance(value, str) else value


Year = Annotated[int | None, Field(ge=FIRST_YEAR, le=LAST_YEAR)]


Strings = Annotated[list[str], BeforeValidator(as_list)]


class FilterParams(BaseModel):
    """Which documents a request may draw from."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    year_from: Year = Field(None, description="Earliest report year (inclusive).", examples=[2018])
    year_to: Year = Field(
        None, description="Latest report year (inclusive); not before year_from (422).", examples=[2025]
    )
    level: Annotated[list[Level], BeforeValidator(as_list)] = Field(
        default_factory=list, description="Administrative levels (repeatable).", examples=[["国务院"]]
    )
    region: Strings = Field(
        default_factory=list,
        description="Regions (repeatable): a document's own government or its province, so 浙江省"
        " (or 浙江) also finds reports of 杭州市.",
        examples=[["浙江省"]],
    )
    type: Annotated[list[DocType], BeforeValidator(as_list)] = Field(
        default_factory=list, description="Document types (repeatable).", examples=[["政府工作报告"]]
    )
    doc_id: Strings = Field(default_factory=list, description="Only these documents (repeatable).")
    exclude_doc_id: Strings = Field(default_factory=list, description="Never these documents (repeatable).")

    def filters(self) -> Filters:
        return Filters(
            year_from=self.year_from,
            year_to=self.year_to,
            levels=tuple(self.level),
            regions=tuple(self.region),
            doc_types=tuple(self.type),
            doc_ids=tuple(self.doc_id),
            exclude_doc_ids=tuple(self.exclude_doc_id),
        )

    def check(self, settings: Settings) -> None:
        """Limits that depend on each other or on the settings (422 naming the field)."""
        if self.year_from is not None and self.year_to is not None and self.year_from > self.year_to:
            raise parameter_error("year_to", f"must not be before year_from ({self.year_from})")


class RankingParams(FilterParams):
    """How to rank and which page of the ranking to return."""

    mode: Mode = Field(Mode.HYBRID, description="hybrid (default), semantic or keyword.")
    k: int = Field(
        10,
        ge=1,
        description="Hits per page, at most the server's max_k (100 by default).",
        json_schema_extra=maximum_setting("max_k"),
    )
    offset: int = Field(0, ge=0, le=MAX_OFFSET, description="Hits to skip, for paging.")
    dedupe: bool = Field(True, description="Collapse near-identical passages into one hit.")
    per_document: int = Field(3, ge=0, le=100, description="Most hits from one document; 0 for no cap.")
    context: int = Field(0, ge=0, le=MAX_CONTEXT, description="Neighbouring passages to return on each side.")

    def options(self, settings: Settings) -> SearchOptions:
        """The library's options; the default page size shrinks to a server's smaller max_k."""
        k = self.k if "k" in self.model_fields_set else min(self.k, settings.max_k)
        return SearchOptions(
            mode=self.mode,
            k=k,
            offset=self.offset,
            filters=self.filters(),
            dedupe=self.dedupe,
            per_document=self.per_document or None,
            context=self.context,
        )

    def check(self, settings: Settings) -> None:
        super().check(settings)
        if "k" in self.model_fields_set and self.k > settings.max_k:
            raise parameter_error("k", f"must be at most {settings.max_k}")


def check_text(field: str, text: str, settings: Settings) -> None:
    if len(text) > settings.max_query_chars:
        raise parameter_error(
            field, f"must be at most {settings.max_query_chars} characters, got {len(text)}"
        )
