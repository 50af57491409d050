"""The in-memory BM25 keyword side ranks and scores exactly as FTS5 does, at every generation and after
every way of opening an index: kept, replayed from the log, loaded from a snapshot, rebuilt."""

from __future__ import annotations

import json
import sqlite3
from contextlib import closing
from pathlib import Path

import numpy as np
import pytest
from index_fixture import BuiltIndex

from indexer.index import Index, IndexConfig
from indexer.ingest.pipeline import ingest_paths
from indexer.records import DocType, Filters
from indexer.search.searcher import MAX_KEYWORD_TERMS, QueryWords
from indexer.store import bm25_top, keyword_files
from indexer.store.bm25 import EMPTY, K1, SNAPSHOT_FORMAT, Base, Keywords, TermPostings
from indexer.store.bm25_top import Part, pruned
from indexer.store.fts_tokens import SAME_TOKEN, FtsTokenizer, Vocabulary
from indexer.store.retrieval import MemoryKeywords
from indexer.store.vector_log import KEYWORDS, VECTORS, VectorLog
from indexer.text.normalize import normalize_for_search
from indexer.text.tokenize import tokenize_for_search

TOP = 200
# Literal query term lists, as the searcher passes them: words, sub-words and the cases FTS5's tokenizer
# changes: case folded (GDP → gdp, twice counted twice), a term it reads as a phrase (9.8 → "9 8"), one it
# drops (%), a term found nowhere.
QUERIES = [
    ["对外开放"],
    ["乡村", "振兴", "乡村振兴"],
    ["招商引资", "营商", "环境", "营商环境"],
    ["经济", "增长", "2024", "年"],
    ["科技", "创新", "科技创新", "新质", "生产力"],
    ["就业", "民生", "保障", "社会保障", "收入"],
    ["GDP", "gdp", "增长"],
    ["9.8", "增长", "%", "9.8%"],
    ["量子", "纠缠", "超导"],
    ["不存在的词语"],
    ["一", "二", "三"],
]
FILTERS = [Filters(), Filters(year_from=2024), Filters(doc_types=(DocType.REPORT,))]
# A pasted paragraph, as the searcher splits it: dozens of terms, rare and common, for the pruned top k.
PARAGRAPH_TEXT = normalize_for_search(
    "一年来，我们深入学习贯彻习近平新时代中国特色社会主义思想，坚定维护以习近平同志为核心的党中央权威和"
    "集中统一领导，把党的领导贯穿政府工作各方面全过程，全面贯彻落实党的二十大和二十届二中、三中全会精神，"
    "按照党中央决策部署，主要做了以下工作。"
)
PARAGRAPH = tokenize_for_search(PARAGRAPH_TEXT)
PARAGRAPH_TOPS = [1, 3, 6, 10, 100]


@pytest.fixture(autouse=True)
def prune_as_in_a_large_index(monkeypatch: pytest.MonkeyPatch) -> None:
    """The fixture's postings lists are short: skip terms whenever the bounds allow, as a million
    passages' long lists make worth it, so every ranking below goes through the pruned top k."""
    monkeypatch.setattr(bm25_top, "SKIP_WORTH", 0)


def memory_keywords(index: Index) -> MemoryKeywords:
    keywords = index.searcher().keywords
    assert isinstance(keywords, MemoryKeywords)
    return keywords


def assert_same_ranking(expected: list[tuple[int, float]], found: list[tuple[int, float]]) -> None:
    """Equal scores in order (1e-6); the same rows, except among rows tied with the last one kept."""
    assert len(found) == len(expected)
    assert all(abs(a[1] - b[1]) <= 1e-6 for a, b in zip(expected, found, strict=True))
    scores, cutoff = dict(expected), expected[-1][1] if expected else 0.0
    for row, score in found:
        assert (row in scores and abs(scores[row] - score) <= 1e-6) or abs(score - cutoff) <= 1e-6


def assert_matches_fts(index: Index) -> None:
    """Every query and filter ranks as FTS5 ranks, and the statistics BM25 uses are FTS5's own."""
    memory = memory_keywords(index)
    for terms, k in [*((terms, TOP) for terms in QUERIES), *((PARAGRAPH, k) for k in PARAGRAPH_TOPS)]:
        for filters in FILTERS:
            assert_same_ranking(index.keywords.search(terms, filters, k), memory.search(terms, filters, k))
    with closing(sqlite3.connect(index.database.path)) as connection:
        connection.execute("CREATE VIRTUAL TABLE temp.rows USING fts5vocab(main, chunk_terms, row)")
        frequencies = dict(connection.execute("SELECT term, doc FROM temp.rows").fetchall())
        (tokens,) = connection.execute("SELECT sum(cnt) FROM temp.rows").fetchone()
        (rows,) = connection.execute("SELECT count(*) FROM chunk_terms").fetchone()
        connection.execute("CREATE VIRTUAL TABLE temp.columns USING fts5vocab(main, chunk_terms, col)")
        in_text = dict(connection.execute("SELECT term, doc FROM temp.columns WHERE col = 'body'").fetchall())
    state = memory.keywords
    assert memory.term_frequencies(list(state.vocabulary.terms)) == (rows, in_text)
    assert (state.rows, state.tokens) == (rows, tokens or 0)
    held = {
        term: int(state.frequencies[i]) for term, i in state.vocabulary.ids.items() if state.frequencies[i]
    }
    assert held == frequencies


def test_rankings_and_statistics_equal_fts5(built_index: BuiltIndex) -> None:
    memory = memory_keywords(built_index.index)
    assert len(memory.search(["对外开放"], Filters(), TOP)) == 21, "the fixture holds the term"
    assert memory.tokenizer.tokens("9.8") == ("9", "8") and memory.tokenizer.tokens("GDP") == ("gdp",)
    assert_matches_fts(built_index.index)


def mismatched_tops(index: Index) -> list[tuple[int, Filters]]:
    """The k and filters for which the paragraph's top k differs from FTS5's."""
    memory, found = memory_keywords(index), []
    for k in PARAGRAPH_TOPS:
        for filters in FILTERS:
            try:
                assert_same_ranking(
                    index.keywords.search(PARAGRAPH, filters, k), memory.search(PARAGRAPH, filters, k)
                )
            except AssertionError:
                found.append((k, filters))
    return found


def test_a_pasted_paragraph_skips_terms_for_a_short_top_and_scores_all_for_a_long_one(
    built_index: BuiltIndex,
) -> None:
    index = built_index.index
    parts = memory_keywords(index).parts(PARAGRAPH)
    assert len(parts) >= 30 and all(isinstance(part, TermPostings) for part in parts)
    matched = len(index.keywords.search(PARAGRAPH, Filters(), 100_000))
    assert pruned(parts, None, 5, {}) is not None, "the rarest terms settle the top 5"
    assert pruned(parts, None, matched, {}) is None, "every matching row is wanted: no term skipped"
    assert mismatched_tops(index) == []
    assert_same_ranking(
        index.keywords.search(PARAGRAPH, Filters(), matched),
        memory_keywords(index).search(PARAGRAPH, Filters(), matched),
    )


def test_a_bound_below_a_terms_share_loses_rows_of_the_top(
    built_index: BuiltIndex, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The check the rankings above rest on: with bounds a fifth of idf · (k1 + 1), rows are missed."""
    monkeypatch.setattr(TermPostings, "bound", property(lambda postings: postings.idf * (K1 + 1) / 5))
    assert mismatched_tops(built_index.index)


def test_rows_rewritten_in_place_are_scored_by_their_new_terms_now_and_in_the_next_snapshot(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Their base postings are deleted, their delta ones count: also where a skipped term is looked up."""
    monkeypatch.setattr(bm25_top, "FIRST_CANDIDATES", 1)  # the rare term scored, the common one skipped
    tokenizer, vocabulary = FtsTokenizer(), Vocabulary([])
    stored = [
        (row, "", " ".join(["common"] * (row % 4 == 0) + ["rare"] * (row % 50 == 0) + [f"n{row}"]))
        for row in range(1000)
    ]
    base = Base.build(tokenizer.postings(stored, vocabulary), len(vocabulary))
    keywords = Keywords.of_base(base, vocabulary, 0).apply(
        np.array([0, 4]), tokenizer.postings([(0, "", "rare"), (4, "", "rare common")], vocabulary), 1
    )
    terms = [keywords.postings(term, 1.0) for term in ("common", "rare")]
    parts: list[Part] = [postings for postings in terms if postings is not None]
    totals: dict[int, float] = {}
    for postings in terms:
        assert postings is not None
        for row, share in zip(*postings.scores(), strict=True):
            totals[int(row)] = totals.get(int(row), 0.0) + float(share)
    best = sorted(totals.items(), key=lambda item: (-item[1], item[0]))[:3]
    assert {0, 4} <= {row for row, _ in best}, "the rewritten rows are short: the rare term weighs most there"
    assert pruned(parts, None, 3, {}) == best
    # The next snapshot: the rows' postings come after the base's, and are sorted back into their place.
    merged = Keywords.of_base(Base.build(keywords.merged(), len(vocabulary)), vocabulary, 2)
    again: list[Part] = [p for p in (merged.postings(term, 1.0) for term in ("common", "rare")) if p]
    assert pruned(again, None, 3, {}) == best


def test_rows_outside_the_first_candidates_that_can_reach_the_top_are_found() -> None:
    """Random passages of Zipf-distributed words: rows holding several of the skipped, commoner terms
    can outscore the candidates of the rarest; every pruned top k equals scoring every posting."""
    rng = np.random.default_rng(7)
    words = [f"w{number}" for number in range(40)]
    zipf = 1 / np.arange(1, len(words) + 1)
    stored = [
        (row, "", " ".join(rng.choice(words, size=int(rng.integers(1, 30)), p=zipf / zipf.sum())))
        for row in range(2000)
    ]
    tokenizer, vocabulary = FtsTokenizer(), Vocabulary([])
    base = Base.build(tokenizer.postings(stored, vocabulary), len(vocabulary))
    keywords = Keywords.of_base(base, vocabulary, 0).apply(np.arange(0, 2000, 7), EMPTY, 1)
    for _ in range(40):
        query = rng.choice(words, size=int(rng.integers(4, 16)), replace=False)
        parts: list[Part] = [p for p in (keywords.postings(str(word), 1.0) for word in query) if p]
        everything: dict[int, bm25_top.Scored] = {i: p.scores() for i, p in enumerate(parts)}
        rows = bm25_top.rows_of(list(everything.values()), None)
        for k in (1, 5, 20):
            assert bm25_top.top(parts, None, k) == bm25_top.ranked(
                rows, bm25_top.sums(parts, everything, rows), k
            )


def test_term_frequencies_count_passages_using_the_term_in_their_text(built_index: BuiltIndex) -> None:
    index = built_index.index
    terms = ["对外开放", "经济", "不存在的词语"]
    assert memory_keywords(index).term_frequencies(terms) == index.keywords.term_frequencies(terms)


def test_a_pasted_paragraph_is_ranked_by_its_rarest_words_and_a_few_words_by_all(
    built_index: BuiltIndex,
) -> None:
    searcher = built_index.index.searcher()
    terms = list(dict.fromkeys(PARAGRAPH))
    assert len(terms) > MAX_KEYWORD_TERMS
    kept = searcher.keyword_terms(QueryWords(PARAGRAPH_TEXT, searcher.keywords))
    assert len(kept) == MAX_KEYWORD_TERMS and kept == [term for term in terms if term in kept]
    _, used = searcher.keywords.term_frequencies(terms)
    assert max(used.get(term, 0) for term in kept) <= min(
        used.get(term, 0) for term in terms if term not in kept
    )
    assert searcher.keyword_terms(QueryWords("招商引资 营商环境", searcher.keywords)) == [
        "招商",
        "引资",
        "招商引资",
        "营商",
        "环境",
        "营商环境",
    ]


def report(folder: Path, name: str, text: str) -> Path:
    folder.mkdir(exist_ok=True)
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


def test_adds_replacements_and_deletes_keep_fts5_rankings(writable_index: BuiltIndex, tmp_path: Path) -> None:
    index = writable_index.index
    path = report(
        tmp_path / "new", "某县工作总结.txt", "某县2024年工作总结\n\n乡村振兴全面推进，GDP增长9.8%。\n"
    )
    index.sync(ingest_paths([path.parent]))
    assert_matches_fts(index)
    (added,) = [d for d in index.documents(Filters(), 100, 0)[0] if d.title.startswith("某县")]
    path.write_text("某县2024年工作总结\n\n招商引资成效明显，营商环境持续优化。\n", encoding="utf-8")
    index.replace(added.doc_id, ingest_paths([path]).documents)
    assert_matches_fts(index)
    documents, _ = index.documents(Filters(), limit=100, offset=0)
    index.delete_document(documents[0].doc_id)
    assert_matches_fts(index)


def test_a_reopened_index_replays_the_log_onto_its_snapshot(
    writable_index: BuiltIndex, tmp_path: Path, model_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    index_dir = writable_index.index_dir
    writable_index.index.searcher()
    before = sorted(index_dir.glob("keywords-*"))
    assert before, "a snapshot is written when the index is first built"
    # Treat the fixture as a large index: a snapshot only after a twentieth of it changed. The dense
    # store still saves after every change, which must not drop the log the keyword snapshot needs.
    monkeypatch.setattr(keyword_files, "SMALL_STORE", 0)
    path = report(tmp_path / "new", "某县工作总结.txt", "某县2024年工作总结\n\n新建石雕文化产业园一个。\n")
    writable_index.index.sync(ingest_paths([path.parent]))
    assert sorted(index_dir.glob("keywords-*")) == before  # updated in memory only
    assert memory_keywords(writable_index.index).search(["石雕"], Filters(), 5)

    reopened = Index(IndexConfig(index_dir, model_dir))
    assert_matches_fts(reopened)
    assert sorted(index_dir.glob("keywords-*")) == before  # replayed, not rebuilt


@pytest.mark.parametrize("damage", ["delete", "truncate", "older format"])
def test_a_missing_or_damaged_snapshot_is_rebuilt(
    writable_index: BuiltIndex, model_dir: Path, damage: str
) -> None:
    index_dir = writable_index.index_dir
    writable_index.index.searcher()
    (snapshot,) = index_dir.glob("keywords-*")
    target = snapshot / "posting_rows.npy"
    if damage == "delete":
        target.unlink()
    elif damage == "truncate":
        target.write_bytes(target.read_bytes()[: target.stat().st_size // 2])
    else:  # written before rows were kept in order within each term
        (snapshot / "meta.json").write_text(json.dumps({"generation": Keywords.load(snapshot).generation}))
    reopened = Index(IndexConfig(index_dir, model_dir))
    assert_matches_fts(reopened)
    assert Keywords.load(snapshot).rows == memory_keywords(reopened).keywords.rows  # written again
    assert json.loads((snapshot / "meta.json").read_text())["format"] == SNAPSHOT_FORMAT


def test_terms_taken_as_they_are_are_what_fts5_indexes() -> None:
    """The tokenizer's shortcut: these characters are each one token of their own to unicode61."""
    characters = [chr(code) for code in [*range(0x30, 0x3A), *range(0x61, 0x7B), *range(0x4E00, 0xA000)]]
    assert all(SAME_TOKEN.fullmatch(character) for character in characters)
    with closing(sqlite3.connect(":memory:")) as connection:
        connection.execute("CREATE VIRTUAL TABLE t USING fts5(body, tokenize = 'unicode61')")
        connection.execute("CREATE VIRTUAL TABLE v USING fts5vocab(t, instance)")
        connection.execute("INSERT INTO t (body) VALUES (?)", (" ".join(characters),))
        tokens = [term for (term,) in connection.execute("SELECT term FROM v ORDER BY offset")]
    assert tokens == characters


def test_a_large_index_snapshots_beside_the_searches_and_moves_onto_it(
    writable_index: BuiltIndex, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    index = writable_index.index
    index.searcher()
    monkeypatch.setattr(keyword_files, "SMALL_STORE", 0)  # large: snapshots in a background thread
    paragraphs = "\n\n".join(f"第{n}项：新建石雕文化产业园，推进乡村振兴。" * 8 for n in range(12))
    index.sync(
        ingest_paths([report(tmp_path / "new", "某县工作总结.txt", f"某县2024年工作总结\n\n{paragraphs}\n")])
    )
    saving = index.keyword_files._saving
    assert saving is not None
    saving.join()
    generation = index.catalog.generation()
    assert (writable_index.index_dir / f"keywords-{generation}").is_dir()
    assert memory_keywords(index).keywords.delta.rows.size == 0  # the snapshot is what searches read now
    assert_matches_fts(index)


def test_the_log_stays_whole_for_a_store_without_a_snapshot_on_record(writable_index: BuiltIndex) -> None:
    """An index from before readers were recorded: its dense snapshot is older than the keyword one, so
    trimming the log to the keyword snapshot would force a full dense rebuild on the next open."""
    database = writable_index.index.database
    log = VectorLog(database)
    start, generation = log.start(), writable_index.index.catalog.generation()
    with database.transaction() as connection:
        connection.execute("DELETE FROM vector_log_readers WHERE reader = 'vectors'")
    log.trim(KEYWORDS, generation + 5)
    assert log.start() == start
    log.trim(VECTORS, generation + 5)
    assert log.start() == generation + 5
