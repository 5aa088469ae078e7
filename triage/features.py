"""TF-IDF features over jieba words, character n-grams, the title and the category taxonomy."""

from __future__ import annotations

import csv
from collections import Counter, OrderedDict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import scipy.sparse as sp
from sklearn.feature_extraction.text import TfidfVectorizer

from .text import normalise, words

# Names that say nothing about a topic ("other", "management", …) in a catalogue.
TAXONOMY_STOPWORDS = frozenset({"其他", "其它", "管理", "问题", "和", "与", "及", "、"})
# Catalogue leaves that are catch-alls rather than topics.
CATCH_ALL = frozenset({"其他", "其它"})


@dataclass(frozen=True, slots=True)
class Doc:
    """A message analysed once (cleaned, segmented) so every feature block reuses the work."""

    title: str
    body: str
    title_words: tuple[str, ...]
    body_words: tuple[str, ...]

    @property
    def text(self) -> str:
        return f"{self.title} {self.body}".strip()


def make_doc(title: str | None, body: str | None) -> Doc:
    t, b = normalise(title), normalise(body)
    return Doc(t, b, tuple(words(t)) if t else (), tuple(words(b)) if b else ())


def make_docs(pairs: Iterable[tuple[str | None, str | None]]) -> list[Doc]:
    return [make_doc(t, b) for t, b in pairs]


# Analysers are module-level functions (not lambdas) so fitted vectorizers pickle.
def all_words(doc: Doc) -> list[str]:
    return [*doc.title_words, *doc.body_words]


def title_words(doc: Doc) -> list[str]:
    return list(doc.title_words)


def _char_ngrams(text: str, n: int) -> list[str]:
    text = text.replace(" ", "")
    return [text[i : i + n] for i in range(len(text) - n + 1)]


def chars1(doc: Doc) -> list[str]:
    return _char_ngrams(doc.text, 1)


def chars2(doc: Doc) -> list[str]:
    return _char_ngrams(doc.text, 2)


def chars3(doc: Doc) -> list[str]:
    return _char_ngrams(doc.text, 3)


def words_and_bigrams(doc: Doc) -> list[str]:
    """Words plus character bigrams: matches catalogue names that jieba splits differently."""
    return [*all_words(doc), *_char_ngrams(doc.text, 2)]


ANALYZERS = {
    "w": all_words,
    "c1": chars1,
    "c2": chars2,
    "c3": chars3,
    "t": title_words,
}
# Human-readable prefixes for the "reasons" shown to staff.
BLOCK_LABELS = {"w": "词", "c1": "字", "c2": "字", "c3": "字", "t": "标题", "tax": "目录"}


def _tfidf_row(
    tokens: Iterable[str], vocabulary: dict[str, int], idf: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """One document as scikit-learn's TfidfVectorizer(sublinear_tf=True) would weigh it.

    Done by hand because the vectorizer's per-call validation costs ~0.5 ms a block,
    which alone would break the 5 ms budget for a single message.
    """
    # Counter counts in C; each distinct token is then looked up once.
    pairs = [(j, n) for tok, n in Counter(tokens).items() if (j := vocabulary.get(tok)) is not None]
    if not pairs:
        return np.empty(0, dtype=np.int64), np.empty(0, dtype=np.float64)
    pairs.sort()
    arr = np.array(pairs, dtype=np.int64)
    idx = arr[:, 0]
    values = (1.0 + np.log(arr[:, 1].astype(np.float64))) * idf[idx]
    norm = float(np.sqrt(values @ values))
    return idx, (values / norm if norm > 0 else values)


def _pack(vocabulary: dict[str, int]) -> str:
    """Terms in column order, NUL-separated (clean() removes NUL from all text)."""
    return "\x00".join(sorted(vocabulary, key=vocabulary.__getitem__))


def _unpack(packed: str) -> dict[str, int]:
    return {t: i for i, t in enumerate(packed.split("\x00"))} if packed else {}


class TfidfBlocks:
    """Several TF-IDF blocks, each L2-normalised and weighted, concatenated side by side.

    Fitted with scikit-learn's TfidfVectorizer; only its vocabulary and IDF are kept.
    """

    def __init__(self, blocks: Sequence[tuple[str, float, int]]) -> None:
        # (analyser name, weight, min_df)
        self.blocks = [(name, float(weight), int(min_df)) for name, weight, min_df in blocks]
        self.vocabularies: list[dict[str, int]] = []
        self.idfs: list[np.ndarray] = []

    def fit(self, docs: Sequence[Doc]) -> TfidfBlocks:
        self.vocabularies, self.idfs = [], []
        for name, _weight, min_df in self.blocks:
            # A min_df above the corpus size would leave an empty vocabulary on tiny data.
            effective_min_df = min_df if len(docs) >= 10 * min_df else 1
            vec = TfidfVectorizer(
                analyzer=ANALYZERS[name],
                sublinear_tf=True,
                min_df=effective_min_df,
                dtype=np.float64,
            )
            try:
                vec.fit(docs)
            except ValueError:  # nothing in this block (e.g. no titles): an empty block
                self.vocabularies.append({})
                self.idfs.append(np.empty(0))
                continue
            # Plain dict in sorted order: pickles identically for identical data.
            self.vocabularies.append({t: int(vec.vocabulary_[t]) for t in sorted(vec.vocabulary_)})
            self.idfs.append(np.asarray(vec.idf_, dtype=np.float64))
        return self

    # Vocabularies pickle as one string each: joblib's pure-Python pickler needs seconds
    # for dicts of 10⁵ entries, a single string takes milliseconds.
    def __getstate__(self) -> dict:
        return {
            "blocks": self.blocks,
            "terms": [_pack(v) for v in self.vocabularies],
            "idfs": self.idfs,
        }

    def __setstate__(self, state: dict) -> None:
        self.blocks = state["blocks"]
        self.vocabularies = [_unpack(t) for t in state["terms"]]
        self.idfs = state["idfs"]

    @property
    def n_features(self) -> int:
        return sum(len(v) for v in self.vocabularies)

    def transform(self, docs: Sequence[Doc]) -> sp.csr_matrix:
        indices: list[np.ndarray] = []
        data: list[np.ndarray] = []
        indptr = [0]
        for doc in docs:
            offset = 0
            for (name, weight, _md), vocab, idf in zip(
                self.blocks, self.vocabularies, self.idfs, strict=True
            ):
                idx, values = _tfidf_row(ANALYZERS[name](doc), vocab, idf)
                indices.append(idx + offset)
                data.append(values * weight)
                offset += len(vocab)
            indptr.append(indptr[-1] + sum(len(i) for i in indices[-len(self.blocks) :]))
        return sp.csr_matrix(
            (
                np.concatenate(data) if data else np.empty(0),
                np.concatenate(indices) if indices else np.empty(0, dtype=np.int64),
                np.array(indptr),
            ),
            shape=(len(docs), self.n_features),
        )

    def feature_names(self) -> list[str]:
        names: list[str] = []
        for vocab, (name, _w, _md) in zip(self.vocabularies, self.blocks, strict=True):
            label = BLOCK_LABELS.get(name, name)
            terms = sorted(vocab, key=vocab.__getitem__)
            names.extend(f"{label}:{term}" for term in terms)
        return names


def read_taxonomy(path: str | Path) -> list[tuple[str, str, str]]:
    """Rows (level1, level2, level3) of a catalogue CSV with those column names."""
    with open(path, encoding="utf-8-sig", newline="") as fh:
        reader = csv.DictReader(fh)
        missing = {"level1", "level2", "level3"} - set(reader.fieldnames or [])
        if missing:
            raise ValueError(f"{path}: missing columns {sorted(missing)}")
        return [
            ((r["level1"] or "").strip(), (r["level2"] or "").strip(), (r["level3"] or "").strip())
            for r in reader
            if (r["level1"] or "").strip()
        ]


def taxonomy_groups(rows: Iterable[tuple[str, str, str]]) -> OrderedDict[str, list[str]]:
    """First-level class → the distinct lower-level names under it (catalogue order kept)."""
    groups: OrderedDict[str, list[str]] = OrderedDict()
    for level1, level2, level3 in rows:
        names = groups.setdefault(level1, [])
        for name in (level2, level3):
            if name and name not in CATCH_ALL and name not in names:
                names.append(name)
    return OrderedDict((k, v) for k, v in groups.items() if v)


class TaxonomyFeatures:
    """Cosine similarity of a message to each first-level class of a category catalogue.

    The catalogue's classes need not be the labels a deployment uses: the classifier
    learns from the training data how much each similarity counts for each label, which
    is how 15 catalogue classes map onto 7 labels (by overlap, nothing hand-coded).
    """

    def __init__(self, rows: Sequence[tuple[str, str, str]], weight: float = 1.0) -> None:
        self.groups = taxonomy_groups(rows)
        self.weight = float(weight)
        self.names = list(self.groups)
        self.vocabulary: dict[str, int] = {}
        self.idf = np.empty(0)
        self.node_terms: dict[int, int] = {}
        self.node_weights = np.empty((0, len(self.names)))
        self.scale: np.ndarray | None = None

    def fit(self, corpus: Sequence[Doc], train: Sequence[Doc]) -> TaxonomyFeatures:
        """IDF from the whole corpus (labelled + unlabelled text); scale from the train docs."""
        vec = TfidfVectorizer(analyzer=words_and_bigrams, sublinear_tf=True, dtype=np.float64)
        vec.fit(corpus)
        self.vocabulary = {t: int(vec.vocabulary_[t]) for t in sorted(vec.vocabulary_)}
        self.idf = np.asarray(vec.idf_, dtype=np.float64)
        node_docs = [
            Doc(
                "",
                " ".join(names),
                (),
                tuple(w for w in words(normalise(" ".join(names))) if w not in TAXONOMY_STOPWORDS),
            )
            for names in self.groups.values()
        ]
        nodes = vec.transform(node_docs).toarray()  # (n_nodes, vocabulary)
        # Only terms that occur in some node matter for the similarity; keep just those.
        used = np.flatnonzero(nodes.any(axis=0))
        self.node_terms = {int(j): k for k, j in enumerate(used.tolist())}
        self.node_weights = np.ascontiguousarray(nodes[:, used].T)  # (used terms, n_nodes)
        raw = self._raw(train)
        # Standardise each similarity so one weight fits catalogues of any size or wording.
        std = raw.std(axis=0)
        self.scale = np.where(std > 1e-9, 1.0 / np.maximum(std, 1e-9), 0.0) / np.sqrt(
            max(len(self.names), 1)
        )
        return self

    def _raw(self, docs: Sequence[Doc]) -> np.ndarray:
        out = np.zeros((len(docs), len(self.names)))
        for i, doc in enumerate(docs):
            idx, values = _tfidf_row(words_and_bigrams(doc), self.vocabulary, self.idf)
            rows = [
                (self.node_terms[j], v)
                for j, v in zip(idx.tolist(), values.tolist(), strict=True)
                if j in self.node_terms
            ]
            if rows:
                pos = np.array([r for r, _v in rows])
                out[i] = np.array([v for _r, v in rows]) @ self.node_weights[pos]
        return out

    def __getstate__(self) -> dict:
        state = dict(self.__dict__)
        state["vocabulary"] = _pack(self.vocabulary)
        state["node_terms"] = np.array(sorted(self.node_terms.items()), dtype=np.int64)
        return state

    def __setstate__(self, state: dict) -> None:
        state = dict(state)
        state["vocabulary"] = _unpack(state["vocabulary"])
        pairs = state["node_terms"].reshape(-1, 2)
        state["node_terms"] = {int(j): int(k) for j, k in pairs.tolist()}
        self.__dict__.update(state)

    def dense(self, docs: Sequence[Doc]) -> np.ndarray:
        assert self.scale is not None
        return self._raw(docs) * self.scale * self.weight

    def transform(self, docs: Sequence[Doc]) -> sp.csr_matrix:
        return sp.csr_matrix(self.dense(docs))

    def feature_names(self) -> list[str]:
        return [f"{BLOCK_LABELS['tax']}:{name}" for name in self.names]
