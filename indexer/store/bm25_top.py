"""The best k rows of a query by BM25, each term's postings scored in full only where they can matter.

MaxScore (Turtle and Flood, 1995): a term's share of any row's score is below its bound, idf · (k1 + 1).
The terms with the highest bounds (the rarest) are scored in full and the rows they hold are the
candidates; the others are looked up at the candidates only. A row outside the candidates scores at
most the sum of the skipped terms' bounds, so when the k-th best candidate scores above that sum, the
candidates' top k is the top k. When it does not, the rows outside whose skipped terms' bounds reach the
k-th score are found by adding up bounds alone (no scoring, one pass over those postings) and scored
exactly; only when they are many are fewer terms skipped (those whose bounds sum below the k-th score,
which only rises as candidates are added), or, skipping none, every posting is scored.
A candidate's terms are added in the query's order, as FTS5 adds them: the scores are the same floats.
"""

from __future__ import annotations

import numpy as np

from indexer.store.bm25 import TermPostings

Scored = tuple[np.ndarray, np.ndarray]  # rows and a term's shares, scored already (FTS5's phrases)
Part = TermPostings | Scored
Ranked = list[tuple[int, float]]

# Candidates wanted from the terms scored first: enough for the k-th score to beat the skipped terms.
FIRST_CANDIDATES = 20
# Bounds and sums are rounded floats: a candidate must beat the skipped terms' bound by this much more.
MARGIN = 1e-9
# Skipping terms pays when their postings outnumber the scored ones' this many times (the lookups, the
# second pass over the candidates).
SKIP_WORTH = 2
# A candidate looked up in a term's postings costs about as much as this many postings scored in full.
LOOKUP_COST = 4


def top(parts: list[Part], allowed: np.ndarray | None, k: int) -> Ranked:
    """Rows by their scores summed over the query's terms, best k first (ties: the lower row first)."""
    if k <= 0:
        return []
    scored: dict[int, Scored] = {}
    found = pruned(parts, allowed, k, scored)
    if found is not None:
        return found
    for i, part in enumerate(parts):
        if isinstance(part, TermPostings) and i not in scored:
            scored[i] = part.scores()
    candidates = rows_of(list(scored.values()), allowed)
    return ranked(candidates, sums(parts, scored, candidates), k)


def pruned(parts: list[Part], allowed: np.ndarray | None, k: int, scored: dict[int, Scored]) -> Ranked | None:
    """The top k with the lowest-bound terms skipped, or None when no term can be (or is worth it).
    `scored` collects the terms scored in full, for the caller to score the others."""
    scored.update((i, part) for i, part in enumerate(parts) if not isinstance(part, TermPostings))
    terms = sorted(
        ((i, part) for i, part in enumerate(parts) if isinstance(part, TermPostings)),
        key=lambda t: t[1].bound,
    )
    skipped, kth = first_skipped([part for _, part in terms], k), 0.0
    while skipped:
        for i, part in terms[skipped:]:
            if i not in scored:
                scored[i] = part.scores()
        candidates = rows_of(list(scored.values()), allowed)
        if len(candidates) < k:
            return None
        survivors, kth = contenders(scored, [part for _, part in terms[:skipped]], candidates, k, kth)
        bounds = np.cumsum([part.bound for _, part in terms[:skipped]]) * (1 + MARGIN)
        if kth > bounds[-1]:
            return ranked(survivors, sums(parts, scored, survivors), k)
        outside = outsiders([part for _, part in terms[:skipped]], candidates, kth, allowed)
        if len(outside) <= FIRST_CANDIDATES * k:
            rows = np.union1d(survivors, outside)
            return ranked(rows, sums(parts, scored, rows), k)
        skipped = int(np.searchsorted(bounds, kth))  # fewer: the next round passes, as kth only rises
    return None


def outsiders(
    skipped: list[TermPostings], candidates: np.ndarray, kth: float, allowed: np.ndarray | None
) -> np.ndarray:
    """The rows outside the candidates that may still reach the k-th best score: those whose skipped
    terms' bounds add up to it (the others score below it), live and allowed, ascending."""
    rows = [part.rows() for part in skipped]
    reach = np.bincount(
        np.concatenate(rows), weights=np.repeat([part.bound for part in skipped], [len(r) for r in rows])
    )
    reach[candidates[candidates < len(reach)]] = 0.0
    found = np.flatnonzero(reach >= kth / (1 + MARGIN))
    found = found[skipped[0].keywords.live(found)]
    return found if allowed is None else found[np.isin(found, allowed)]


def contenders(
    scored: dict[int, Scored], skipped: list[TermPostings], candidates: np.ndarray, k: int, kth: float
) -> tuple[np.ndarray, float]:
    """The candidates that may be among the best k, and a lower bound of the k-th best score (at least
    `kth`, one known already). The skipped terms are added from the highest bound down; a candidate that
    cannot reach the k-th best even with every skipped term still to come is dropped before the next."""
    total = np.zeros(size_of(scored))
    for rows, shares in scored.values():
        total[rows] += shares
    remaining = sum(part.bound for part in skipped)
    kth = max(kth, kth_best(total[candidates], k))
    for part in reversed(skipped):
        candidates = candidates[(total[candidates] + remaining) * (1 + MARGIN) >= kth]
        if len(candidates) * LOOKUP_COST < part.size:
            total[candidates] += part.scores_at(candidates)
        else:
            rows, shares = part.scores()
            inside = rows < len(total)
            total[rows[inside]] += shares[inside]
        remaining -= part.bound
        kth = max(kth, kth_best(total[candidates], k))
    return candidates, kth


def first_skipped(terms: list[TermPostings], k: int) -> int:
    """How many of the lowest-bound terms to skip first: the others, scored from the highest bound
    down, hold postings for FIRST_CANDIDATES · k rows; none unless the skipped hold SKIP_WORTH times more."""
    held = np.cumsum([part.size for part in reversed(terms)])
    scored = min(int(np.searchsorted(held, FIRST_CANDIDATES * k)) + 1, len(terms))
    worth = held[-1] - held[scored - 1] >= SKIP_WORTH * held[scored - 1] if terms else False
    return len(terms) - scored if worth else 0


def rows_of(scored: list[Scored], allowed: np.ndarray | None) -> np.ndarray:
    """The rows holding any of the scored terms, within `allowed`, ascending."""
    size = size_of(dict(enumerate(scored)))
    matched = np.zeros(size, dtype=bool)  # a byte a row: 8x less to scan for the candidates than floats
    for rows, _ in scored:
        matched[rows] = True
    if allowed is not None:
        mask = np.zeros(size, dtype=bool)
        mask[allowed[allowed < size]] = True
        matched &= mask
    return np.flatnonzero(matched)


def sums(parts: list[Part], scored: dict[int, Scored], candidates: np.ndarray) -> np.ndarray:
    """The candidates' scores: each term's shares added in the query's order, a skipped term's looked up."""
    total = np.zeros(max(size_of(scored), int(candidates.max(initial=-1)) + 1))
    for i, part in enumerate(parts):
        if i in scored:
            rows, shares = scored[i]
            total[rows] += shares  # a term's rows are distinct
        elif isinstance(part, TermPostings):
            total[candidates] += part.scores_at(candidates)
    return total[candidates]


def size_of(scored: dict[int, Scored]) -> int:
    """Rows up to the last one any scored term holds."""
    return max((int(rows.max(initial=-1)) for rows, _ in scored.values()), default=-1) + 1


def ranked(candidates: np.ndarray, totals: np.ndarray, k: int) -> Ranked:
    """The best k by score, then the lower row first: among rows tied with the k-th, the same ones
    whichever candidates were scored."""
    if len(candidates) > k:
        keep = totals >= kth_best(totals, k)
        candidates, totals = candidates[keep], totals[keep]
    order = np.lexsort((candidates, -totals))[:k]
    return list(zip(candidates[order].tolist(), totals[order].tolist(), strict=True))


def kth_best(totals: np.ndarray, k: int) -> float:
    return float(np.partition(totals, len(totals) - k)[len(totals) - k])
