"""The triage classifier: training, the versioned artifact, and category proposals with reasons."""

from __future__ import annotations

import hashlib
import io
import json
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import joblib
import numpy as np
import scipy.sparse as sp
import sklearn
from django.utils.translation import gettext as _
from sklearn.linear_model import LogisticRegression
from threadpoolctl import threadpool_limits

from .features import Doc, TaxonomyFeatures, TfidfBlocks, make_doc, make_docs
from .text import warm_up

MAGIC = b"PINGAN-TRIAGE\n"
FORMAT_VERSION = 1

Pair = tuple[str | None, str | None]


class TriageModelError(Exception):
    """A model artifact is missing, unreadable, corrupt or of another format version."""


@dataclass(frozen=True, slots=True)
class Proposal:
    """A proposed category; a person confirms it unless the caller decides to prefill."""

    category: str | None
    confidence: float
    alternatives: list[tuple[str, float]] = field(default_factory=list)
    reasons: list[tuple[str, float]] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class TrainParams:
    """Everything that shapes a model; stored in the artifact's metadata."""

    # (feature block, weight, min_df): jieba words, character 1/2/3-grams, title words.
    blocks: tuple[tuple[str, float, int], ...] = (
        ("w", 1.0, 1),
        ("c1", 1.0, 2),
        ("c2", 1.0, 2),
        ("c3", 1.0, 2),
        ("t", 1.0, 1),
    )
    taxonomy_weight: float = 1.0
    C: float = 10.0
    class_weight: str | None = "balanced"
    max_iter: int = 5000
    random_state: int = 0

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["blocks"] = [list(b) for b in self.blocks]
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> TrainParams:
        data = dict(data)
        data["blocks"] = tuple(tuple(b) for b in data.get("blocks", cls.blocks))
        return cls(**data)


def _sha256_rows(rows: Sequence[Sequence[str]]) -> str:
    digest = hashlib.sha256()
    for row in rows:
        digest.update(json.dumps(list(row), ensure_ascii=False).encode("utf-8"))
        digest.update(b"\n")
    return digest.hexdigest()


class TriageModel:
    """Proposes a first-level category for a message (title + description)."""

    def __init__(
        self,
        blocks: TfidfBlocks,
        taxonomy: TaxonomyFeatures | None,
        classifier: LogisticRegression,
        metadata: dict[str, Any],
    ) -> None:
        self.blocks = blocks
        self.taxonomy = taxonomy
        self.classifier = classifier
        self.metadata = metadata
        self._names: np.ndarray | None = None
        self._rel: np.ndarray | None = None

    # ------------------------------------------------------------------ training
    @classmethod
    def train(
        cls,
        texts: Sequence[Pair],
        labels: Sequence[str],
        *,
        unlabelled: Sequence[Pair] = (),
        taxonomy_rows: Sequence[tuple[str, str, str]] | None = None,
        params: TrainParams | None = None,
        sources: dict[str, Any] | None = None,
    ) -> TriageModel:
        """Fit on labelled messages; unlabelled text only informs taxonomy term weights (IDF).

        Rows are put in a canonical order first, so the same data in any order gives
        the same model (and byte-identical predictions).
        """
        params = params or TrainParams()
        if len(texts) != len(labels):
            raise ValueError("texts and labels differ in length")
        rows = sorted(
            {(str(lbl), t or "", b or "") for (t, b), lbl in zip(texts, labels, strict=True)}
        )
        if len({r[0] for r in rows}) < 2:
            raise ValueError(_("Training needs at least two categories."))
        extra = sorted({(t or "", b or "") for t, b in unlabelled} - {(r[1], r[2]) for r in rows})
        tax_rows = sorted(set(taxonomy_rows)) if taxonomy_rows else []
        # Keep catalogue order stable for feature names but independent of file row order.
        y = np.array([r[0] for r in rows])
        docs = make_docs((r[1], r[2]) for r in rows)

        blocks = TfidfBlocks(params.blocks).fit(docs)
        taxonomy = None
        if tax_rows:
            taxonomy = TaxonomyFeatures(tax_rows, weight=params.taxonomy_weight)
            taxonomy.fit(docs + make_docs(extra), docs)
        model = cls(blocks, taxonomy, LogisticRegression(), {})
        X = model._features(docs)
        # One BLAS thread: on a shared CPU, two threads made the fit 4x slower.
        with threadpool_limits(limits=1):
            model.classifier = LogisticRegression(
                C=params.C,
                class_weight=params.class_weight,
                max_iter=params.max_iter,
                random_state=params.random_state,
            ).fit(X, y)
        counts = {str(c): int((y == c).sum()) for c in model.classifier.classes_}
        model.metadata = {
            "format": "pingan-triage",
            "format_version": FORMAT_VERSION,
            "created": datetime.now(UTC).isoformat(timespec="seconds"),
            "sklearn_version": sklearn.__version__,
            "classes": [str(c) for c in model.classifier.classes_],
            "class_counts": counts,
            "n_train": len(rows),
            "n_unlabelled": len(extra),
            "n_taxonomy_rows": len(tax_rows),
            "data_sha256": _sha256_rows(rows),
            "unlabelled_sha256": _sha256_rows(extra),
            "taxonomy_sha256": _sha256_rows(tax_rows),
            "params": params.to_json(),
            "n_features": int(X.shape[1]),
            "sources": sources or {},
        }
        model.metadata["model_sha256"] = model.fingerprint()
        return model

    def fingerprint(self) -> str:
        """Hash of the fitted numbers and vocabulary: equal for equal training data."""
        digest = hashlib.sha256()
        digest.update(np.ascontiguousarray(self.classifier.coef_).tobytes())
        digest.update(np.ascontiguousarray(self.classifier.intercept_).tobytes())
        digest.update("\x00".join(self.feature_names()).encode("utf-8"))
        return digest.hexdigest()

    # ----------------------------------------------------------------- inference
    @property
    def classes(self) -> list[str]:
        return [str(c) for c in self.classifier.classes_]

    def _features(self, docs: Sequence[Doc]) -> sp.csr_matrix:
        X = self.blocks.transform(docs)
        if self.taxonomy is None:
            return X
        tax = self.taxonomy.dense(docs)
        if len(docs) == 1:
            # sp.hstack costs ~0.5 ms; one row is cheaper to splice by hand.
            cols = np.arange(X.shape[1], X.shape[1] + tax.shape[1])
            return sp.csr_matrix(
                (
                    np.concatenate([X.data, tax[0]]),
                    np.concatenate([X.indices, cols]),
                    np.array([0, X.nnz + tax.shape[1]]),
                ),
                shape=(1, X.shape[1] + tax.shape[1]),
            )
        return sp.hstack([X, sp.csr_matrix(tax)], format="csr")

    def feature_names(self) -> np.ndarray:
        if self._names is None:
            names = self.blocks.feature_names()
            if self.taxonomy is not None:
                names += self.taxonomy.feature_names()
            self._names = np.array(names, dtype=object)
        return self._names

    def _proba(self, X: sp.csr_matrix) -> np.ndarray:
        """LogisticRegression.predict_proba without its per-call validation (latency budget)."""
        clf = self.classifier
        scores = np.asarray(X @ clf.coef_.T) + clf.intercept_
        if scores.shape[1] == 1:  # binary: sigmoid of the single score
            p = 1.0 / (1.0 + np.exp(-scores[:, 0]))
            return np.column_stack([1.0 - p, p])
        scores -= scores.max(axis=1, keepdims=True)
        np.exp(scores, out=scores)
        return scores / scores.sum(axis=1, keepdims=True)

    def predict_proba(self, texts: Sequence[Pair]) -> np.ndarray:
        return self._proba(self._features(make_docs(texts)))

    def predict(self, texts: Sequence[Pair]) -> list[str]:
        proba = self.predict_proba(texts)
        classes = self.classifier.classes_
        return [str(classes[i]) for i in proba.argmax(axis=1)]

    def propose(
        self, title: str | None, text: str | None, *, n_alternatives: int = 3, n_reasons: int = 6
    ) -> Proposal:
        """The most likely category, the runners-up, and the terms that pushed towards it."""
        doc = make_doc(title, text)
        x = self._features([doc])
        proba = self._proba(x)[0]
        order = np.argsort(-proba, kind="stable")
        best = int(order[0])
        classes = self.classes
        alternatives = [(classes[i], float(proba[i])) for i in order[1 : 1 + n_alternatives]]
        if x.nnz == 0:
            # Nothing the model knows: say so rather than echo the class prior.
            return Proposal(classes[best], float(proba[best]), alternatives, [])
        return Proposal(
            classes[best], float(proba[best]), alternatives, self._reasons(x, best, n_reasons)
        )

    def _reasons(self, x: sp.csr_matrix, k: int, n: int) -> list[tuple[str, float]]:
        """Terms whose weight for class k, relative to the other classes, most raised its score."""
        idx = x.indices
        contrib = x.data * self._relative_coef()[k, idx]
        names = self.feature_names()
        totals: dict[str, float] = {}
        for name, value in zip(names[idx], contrib, strict=True):
            # Words and the same characters as n-grams are one reason to a reader.
            label, _sep, term = name.partition(":")
            key = name if label == "目录" else term
            totals[key] = totals.get(key, 0.0) + float(value)
        ranked = sorted(totals.items(), key=lambda kv: (-kv[1], kv[0]))
        return [(term, round(v, 4)) for term, v in ranked[:n] if v > 0]

    def _relative_coef(self) -> np.ndarray:
        """Per class, each feature's weight above the class average (computed once)."""
        if self._rel is None:
            coef = self.classifier.coef_
            if coef.shape[0] == 1:  # binary: one row, positive = classes_[1]
                self._rel = np.vstack([-coef[0], coef[0]])
            else:
                self._rel = coef - coef.mean(axis=0)
        return self._rel

    # ----------------------------------------------------------------- similarity
    def vectorize(self, texts: Sequence[Pair]) -> sp.csr_matrix:
        """L2-normalised TF-IDF vectors (words + character n-grams) for similar-case search."""
        from sklearn.preprocessing import normalize

        return normalize(self.blocks.transform(make_docs(texts)))

    # -------------------------------------------------------------- persistence
    def save(self, path: str | Path) -> Path:
        """One file: magic line, JSON header (version, metadata, checksum), joblib payload."""
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        buf = io.BytesIO()
        joblib.dump(
            {"blocks": self.blocks, "taxonomy": self.taxonomy, "classifier": self.classifier},
            buf,
            compress=3,
        )
        payload = buf.getvalue()
        header = {
            "format": "pingan-triage",
            "format_version": FORMAT_VERSION,
            "payload_sha256": hashlib.sha256(payload).hexdigest(),
            "payload_bytes": len(payload),
            "metadata": self.metadata,
        }
        tmp = path.with_name(path.name + ".tmp")
        with open(tmp, "wb") as fh:
            fh.write(MAGIC)
            fh.write(json.dumps(header, ensure_ascii=False, sort_keys=True).encode("utf-8"))
            fh.write(b"\n")
            fh.write(payload)
        tmp.replace(path)  # atomic: a running intake never sees a half-written model
        sidecar = path.with_suffix(".json")
        sidecar.write_text(
            json.dumps(self.metadata, ensure_ascii=False, indent=2, sort_keys=True) + "\n",
            encoding="utf-8",
        )
        return path

    @staticmethod
    def read_header(path: str | Path) -> dict[str, Any]:
        """The artifact's header (metadata) without unpickling its payload."""
        header, _payload = _read(Path(path), with_payload=False)
        return header

    @classmethod
    def load(cls, path: str | Path) -> TriageModel:
        path = Path(path)
        header, payload = _read(path, with_payload=True)
        try:
            parts = joblib.load(io.BytesIO(payload))
            model = cls(parts["blocks"], parts["taxonomy"], parts["classifier"], header["metadata"])
        except Exception as exc:  # unpickling can fail in many ways; all mean "corrupt"
            raise TriageModelError(
                _("Triage model %(path)s is corrupt: %(error)s") % {"path": path, "error": exc}
            ) from exc
        warm_up()  # jieba's ~1 s dictionary load here, not in the first intake request
        return model


def _read(path: Path, *, with_payload: bool) -> tuple[dict[str, Any], bytes]:
    def fail(problem: str) -> TriageModelError:
        return TriageModelError(
            _("Triage model %(path)s: %(problem)s") % {"path": path, "problem": problem}
        )

    if not path.exists():
        raise fail(_("file not found (train one with `pingan train-triage`)"))
    if not path.is_file():
        raise fail(_("not a file"))
    try:
        with open(path, "rb") as fh:
            magic = fh.read(len(MAGIC))
            if magic != MAGIC:
                raise fail(_("not a Pingan triage model (wrong file format)"))
            line = fh.readline()
            if not line.endswith(b"\n"):
                raise fail(_("truncated header"))
            try:
                header = json.loads(line)
            except ValueError as exc:
                raise fail(_("unreadable header")) from exc
            if not isinstance(header, dict) or header.get("format") != "pingan-triage":
                raise fail(_("not a Pingan triage model (wrong file format)"))
            version = header.get("format_version")
            if version != FORMAT_VERSION:
                raise fail(
                    _(
                        "format version %(found)s, this Pingan reads version %(expected)s; retrain it"
                    )
                    % {"found": version, "expected": FORMAT_VERSION}
                )
            payload = fh.read() if with_payload else b""
    except OSError as exc:
        raise fail(str(exc)) from exc
    if with_payload:
        if len(payload) != header.get("payload_bytes"):
            raise fail(
                _("truncated (%(got)s of %(expected)s payload bytes)")
                % {"got": len(payload), "expected": header.get("payload_bytes")}
            )
        if hashlib.sha256(payload).hexdigest() != header.get("payload_sha256"):
            raise fail(_("corrupt (checksum mismatch)"))
    return header, payload
