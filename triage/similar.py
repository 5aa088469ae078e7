"""Similar cases and hot issues: cosine similarity over the triage TF-IDF vectors.

Vectors are the classifier's own TF-IDF blocks (jieba words, character bigrams and
trigrams, title words), L2-normalised. Single characters are left out here: they make
every pair of Chinese texts look alike and drown the signal of a shared problem.
"""

from __future__ import annotations

import math
from collections.abc import Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

import numpy as np
import scipy.sparse as sp
from scipy.cluster.hierarchy import fcluster, linkage
from scipy.sparse.csgraph import connected_components
from sklearn.preprocessing import normalize

from .features import Doc, TfidfBlocks, make_doc

# Fitted on the indexed texts themselves: terms seen once cannot link two messages, and
# trigrams add little over bigrams for near-duplicates while tripling the vocabulary.
# The title counts double: residents summarise the problem there (judged on 4,326 real
# messages: it keeps two neighbouring estates' similar complaints apart).
SIMILARITY_BLOCKS: tuple[tuple[str, float, int], ...] = (
    ("w", 1.0, 2),
    ("c2", 1.0, 2),
    ("t", 2.0, 1),
)
# With a trained model, its own blocks minus single characters.
MODEL_BLOCKS = ("w", "c2", "c3", "t")
EARTH_RADIUS_M = 6_371_008.8
# Cosine at which two messages count as the same problem when grouping hot issues: on the
# real corpus 0.5 only finds copy-pasted reports, 0.25 starts merging template-like but
# unrelated requests ("请加快…建设"); see docs/triage.md.
DEFAULT_HOT_THRESHOLD = 0.3
# Groups whose centroids are this alike are one problem told in other words.
DEFAULT_MERGE_THRESHOLD = 0.5

Text = str | tuple[str | None, str | None]
Point = tuple[float, float]  # (longitude, latitude) in degrees


def as_doc(text: Text) -> Doc:
    """A plain string is a body without title; a pair is (title, body)."""
    if isinstance(text, tuple):
        return make_doc(text[0], text[1])
    return make_doc("", text)


def distance_m(a: Point, b: Point) -> float:
    """Great-circle (haversine) distance in metres between two (lon, lat) points."""
    lon1, lat1, lon2, lat2 = map(math.radians, (a[0], a[1], b[0], b[1]))
    h = (
        math.sin((lat2 - lat1) / 2) ** 2
        + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2
    )
    return 2 * EARTH_RADIUS_M * math.asin(min(1.0, math.sqrt(h)))


def _days_between(a: date | datetime, b: date | datetime) -> float:
    if isinstance(a, datetime) != isinstance(b, datetime):
        a = a.date() if isinstance(a, datetime) else a
        b = b.date() if isinstance(b, datetime) else b
    delta = a - b  # type: ignore[operator]
    return abs(delta.total_seconds()) / 86400.0


class Vectorizer:
    """TF-IDF blocks (a model's, or fitted on the texts at hand), rows L2-normalised."""

    def __init__(self, blocks: TfidfBlocks, keep: Sequence[str] | None = None) -> None:
        self.blocks = blocks
        names = [b[0] for b in blocks.blocks]
        keep_set = set(keep) if keep is not None else set(names)
        spans, offset = [], 0
        for name, vocab in zip(names, blocks.vocabularies, strict=True):
            if name in keep_set:
                spans.append(np.arange(offset, offset + len(vocab)))
            offset += len(vocab)
        self.columns = np.concatenate(spans) if spans else np.empty(0, dtype=np.int64)
        self.names = np.array(blocks.feature_names(), dtype=object)[self.columns]

    @classmethod
    def fit(cls, docs: Sequence[Doc], blocks=SIMILARITY_BLOCKS) -> Vectorizer:
        return cls(TfidfBlocks(blocks).fit(docs))

    @classmethod
    def from_model(cls, model: Any) -> Vectorizer:
        return cls(model.blocks, keep=MODEL_BLOCKS)

    def transform(self, docs: Sequence[Doc]) -> sp.csr_matrix:
        X = self.blocks.transform(docs)[:, self.columns]
        return normalize(X).tocsr()


@dataclass(frozen=True, slots=True)
class HotIssue:
    """Many reports of one problem: members, how many, their votes and shared terms."""

    ids: list[Hashable]
    size: int
    votes: int
    representative: Hashable
    cohesion: float  # mean similarity of members to the representative
    terms: list[str] = field(default_factory=list)


@dataclass(slots=True)
class _Entry:
    id: Hashable
    doc: Doc
    point: Point | None
    time: date | datetime | None


class SimilarityIndex:
    """Add messages; query for the most similar ones, optionally near a place and time."""

    def __init__(self, vectorizer: Vectorizer | None = None) -> None:
        self.vectorizer = vectorizer
        self._fit_here = vectorizer is None  # fit on the indexed texts themselves
        self._entries: list[_Entry] = []
        self._ids: dict[Hashable, int] = {}
        self._matrix: sp.csr_matrix | None = None

    @classmethod
    def for_model(cls, model: Any) -> SimilarityIndex:
        return cls(Vectorizer.from_model(model))

    def __len__(self) -> int:
        return len(self._entries)

    def add(
        self,
        id: Hashable,
        text: Text,
        point: Point | None = None,
        time: date | datetime | None = None,
    ) -> None:
        """Index a message; adding an existing id replaces it."""
        entry = _Entry(id, as_doc(text), point, time)
        if id in self._ids:
            self._entries[self._ids[id]] = entry
        else:
            self._ids[id] = len(self._entries)
            self._entries.append(entry)
        self._matrix = None
        if self._fit_here:
            self.vectorizer = None  # the vocabulary must grow with the corpus

    def _vectors(self) -> sp.csr_matrix:
        if self.vectorizer is None:
            self.vectorizer = Vectorizer.fit([e.doc for e in self._entries])
        if self._matrix is None:
            self._matrix = self.vectorizer.transform([e.doc for e in self._entries])
        return self._matrix

    def query(
        self,
        text: Text,
        *,
        point: Point | None = None,
        time: date | datetime | None = None,
        radius_m: float = 1000.0,
        window_days: float = 30.0,
        k: int = 10,
        min_score: float = 0.0,
        exclude: Iterable[Hashable] = (),
    ) -> list[tuple[Hashable, float]]:
        """Up to k (id, cosine) pairs, best first. With `point`, only messages that have a
        point within radius_m; with `time`, only those within window_days of it."""
        if not self._entries:
            return []
        X = self._vectors()
        assert self.vectorizer is not None
        q = self.vectorizer.transform([as_doc(text)])
        scores = np.asarray((X @ q.T).todense()).ravel()
        skip = set(exclude)
        hits: list[tuple[Hashable, float]] = []
        for i in np.argsort(-scores, kind="stable"):
            score = float(scores[i])
            if score < min_score or len(hits) >= k:
                break
            entry = self._entries[i]
            if entry.id in skip:
                continue
            if point is not None and (
                entry.point is None or distance_m(point, entry.point) > radius_m
            ):
                continue
            if time is not None and (
                entry.time is None or _days_between(time, entry.time) > window_days
            ):
                continue
            hits.append((entry.id, round(score, 6)))
        return hits

    def hot_issues(
        self,
        texts: Mapping[Hashable, Text] | Sequence[Text] | None = None,
        *,
        min_size: int = 3,
        threshold: float = DEFAULT_HOT_THRESHOLD,
        votes: Mapping[Hashable, int] | None = None,
        merge_threshold: float | None = DEFAULT_MERGE_THRESHOLD,
        n_terms: int = 5,
    ) -> list[HotIssue]:
        """Groups of messages about the same problem, largest (then most voted) first.

        `texts` (id → text, or a list) are grouped with vectors fitted on them; without
        texts, the indexed messages are. See `cluster` for the method.
        """
        if texts is None:
            ids = [e.id for e in self._entries]
            X = self._vectors()
            vectorizer = self.vectorizer
        else:
            items = list(texts.items()) if isinstance(texts, Mapping) else list(enumerate(texts))
            ids = [i for i, _t in items]
            docs = [as_doc(t) for _i, t in items]
            vectorizer = (
                Vectorizer.fit(docs)
                if self._fit_here or self.vectorizer is None
                else self.vectorizer
            )
            X = vectorizer.transform(docs)
        assert vectorizer is not None
        groups = cluster(X, threshold=threshold, min_size=min_size, merge_threshold=merge_threshold)
        votes = votes or {}
        issues = []
        for members in groups:
            sub = X[members]
            centroid = np.asarray(sub.mean(axis=0)).ravel()
            sims = np.asarray(sub @ centroid).ravel()
            rep = members[int(np.argmax(sims))]
            rep_sims = np.asarray((sub @ X[rep].T).todense()).ravel()
            terms = _top_terms(centroid, vectorizer.names, n_terms)
            member_ids = [ids[m] for m in members]
            issues.append(
                HotIssue(
                    ids=member_ids,
                    size=len(members),
                    votes=int(sum(int(votes.get(i, 0) or 0) for i in member_ids)),
                    representative=ids[rep],
                    cohesion=round(float(rep_sims.mean()), 4),
                    terms=terms,
                )
            )
        issues.sort(key=lambda h: (-h.size, -h.votes, str(h.representative)))
        return issues


def _top_terms(weights: np.ndarray, names: np.ndarray, n: int) -> list[str]:
    """The heaviest jieba words of a centroid (n-grams read badly), distinct, multi-char."""
    terms: list[str] = []
    for j in np.argsort(-weights, kind="stable"):
        if weights[j] <= 0 or len(terms) >= n:
            break
        label, _sep, term = str(names[j]).partition(":")
        if label in {"词", "标题"} and len(term) > 1 and term not in terms:
            terms.append(term)
    return terms


def cluster(
    X: sp.csr_matrix,
    *,
    threshold: float,
    min_size: int,
    merge_threshold: float | None = DEFAULT_MERGE_THRESHOLD,
    chunk: int = 512,
) -> list[list[int]]:
    """Row groups of an L2-normalised matrix about one problem each.

    1. Link rows with cosine ≥ threshold; 2. cut each linked component by average
    linkage at the same threshold (no chains of loosely related rows); 3. merge groups
    whose centroids have cosine ≥ merge_threshold (the same problem told in different
    words: 搅拌站 / 搅拌厂). Groups smaller than min_size are dropped at the end.
    """
    n = X.shape[0]
    if n == 0:
        return []
    rows, cols = [], []
    XT = X.T.tocsc()
    for start in range(0, n, chunk):
        sims = (X[start : start + chunk] @ XT).toarray()
        r, c = np.nonzero(sims >= threshold)
        keep = (r + start) < c  # each pair once, no self-loops
        rows.append(r[keep] + start)
        cols.append(c[keep])
    r, c = np.concatenate(rows), np.concatenate(cols)
    graph = sp.coo_matrix((np.ones(len(r)), (r, c)), shape=(n, n))
    n_comp, labels = connected_components(graph, directed=False)
    order = np.argsort(labels, kind="stable")
    bounds = np.flatnonzero(np.diff(labels[order])) + 1
    groups: list[np.ndarray] = []
    for members in np.split(order, bounds):
        if len(members) <= 2:
            groups.append(members)
            continue
        sub = X[members]
        dist = 1.0 - (sub @ sub.T).toarray()
        np.clip(dist, 0.0, 2.0, out=dist)
        tree = linkage(dist[np.triu_indices(len(members), k=1)], method="average")
        parts = fcluster(tree, t=1.0 - threshold, criterion="distance")
        groups.extend(members[parts == p] for p in np.unique(parts))
    if merge_threshold is not None and len(groups) > 1:
        groups = _merge_by_centroid(X, groups, merge_threshold)
    result = [sorted(g.tolist()) for g in groups if len(g) >= min_size]
    return sorted(result, key=lambda g: (-len(g), g[0]))


def _merge_by_centroid(
    X: sp.csr_matrix, groups: list[np.ndarray], threshold: float
) -> list[np.ndarray]:
    """Join groups whose L2-normalised centroids are at least `threshold` alike."""
    membership = sp.csr_matrix(
        (
            np.concatenate([np.full(len(g), 1.0 / len(g)) for g in groups]),
            (np.repeat(np.arange(len(groups)), [len(g) for g in groups]), np.concatenate(groups)),
        ),
        shape=(len(groups), X.shape[0]),
    )
    centroids = normalize(membership @ X)
    links = centroids @ centroids.T
    links.data = (links.data >= threshold).astype(np.float64)
    links.eliminate_zeros()
    _n, labels = connected_components(links, directed=False)
    merged: dict[int, list[np.ndarray]] = {}
    for g, label in zip(groups, labels, strict=True):
        merged.setdefault(int(label), []).append(g)
    return [np.concatenate(parts) for _label, parts in sorted(merged.items())]


def hot_issues(
    texts: Mapping[Hashable, Text] | Sequence[Text],
    *,
    min_size: int = 3,
    threshold: float = DEFAULT_HOT_THRESHOLD,
    votes: Mapping[Hashable, int] | None = None,
    merge_threshold: float | None = DEFAULT_MERGE_THRESHOLD,
    model: Any = None,
) -> list[HotIssue]:
    """Convenience: group `texts` with a fresh index (or a model's vectors)."""
    index = SimilarityIndex.for_model(model) if model is not None else SimilarityIndex()
    return index.hot_issues(
        texts, min_size=min_size, threshold=threshold, votes=votes, merge_threshold=merge_threshold
    )
