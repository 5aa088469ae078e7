"""The logic of `pingan train-triage` and `pingan eval-triage`, callable without argparse."""

from __future__ import annotations

import statistics
import sys
import time
import unicodedata
from collections.abc import Sequence
from pathlib import Path
from typing import Any, TextIO

import numpy as np
from django.conf import settings
from django.utils.translation import gettext as _
from sklearn.metrics import accuracy_score, confusion_matrix, f1_score
from sklearn.model_selection import StratifiedKFold

from .data import read_messages
from .features import read_taxonomy
from .model import TrainParams, TriageModel


def default_model_path() -> Path:
    """settings.PINGAN_TRIAGE_MODEL if set, else triage/model.joblib under PINGAN_VAR_DIR."""
    if settings.PINGAN_TRIAGE_MODEL:
        return Path(settings.PINGAN_TRIAGE_MODEL)
    return Path(settings.VAR_DIR) / "triage" / "model.joblib"


def resolve_taxonomy(data: Path, taxonomy: str | Path | None, use_taxonomy: bool) -> Path | None:
    """Explicit path, else settings.PINGAN_TRIAGE_TAXONOMY, else taxonomy.csv next to the data."""
    if not use_taxonomy:
        return None
    if taxonomy:
        return Path(taxonomy)
    if settings.PINGAN_TRIAGE_TAXONOMY:
        return Path(settings.PINGAN_TRIAGE_TAXONOMY)
    beside = data.parent / "taxonomy.csv"
    return beside if beside.is_file() else None


def scores(y_true: Sequence[str], y_pred: Sequence[str]) -> dict[str, float]:
    return {
        "accuracy": float(accuracy_score(y_true, y_pred)),
        "macro_f1": float(f1_score(y_true, y_pred, average="macro", zero_division=0)),
    }


def train(
    data: str | Path,
    *,
    text_cols: Sequence[str] = ("title", "detail"),
    label_col: str = "category",
    unlabelled: Sequence[str | Path] = (),
    out: str | Path | None = None,
    dev: str | Path | None = None,
    taxonomy: str | Path | None = None,
    use_taxonomy: bool = True,
    cv_folds: int = 0,
    params: TrainParams | None = None,
    stdout: TextIO | None = None,
) -> TriageModel:
    """Train on `data`, optionally score on `dev` and by k-fold CV, and write the artifact."""
    stdout = stdout or sys.stdout
    cols = tuple(text_cols)
    labelled = read_messages(data, text_cols=cols, label_col=label_col)
    assert labelled.labels is not None
    extra: list[tuple[str, str]] = []
    sources: dict[str, Any] = {
        "data": {
            "path": str(labelled.path),
            "sha256": labelled.sha256,
            "rows": len(labelled.texts),
        },
        "text_cols": list(cols),
        "label_col": label_col,
        "unlabelled": [],
    }
    for path in unlabelled:
        msgs = read_messages(path, text_cols=cols, label_col=None, require_label=False)
        extra.extend(msgs.texts)
        sources["unlabelled"].append(
            {"path": str(msgs.path), "sha256": msgs.sha256, "rows": len(msgs.texts)}
        )
    tax_path = resolve_taxonomy(labelled.path, taxonomy, use_taxonomy)
    tax_rows = read_taxonomy(tax_path) if tax_path else None
    if tax_path:
        sources["taxonomy"] = {"path": str(tax_path), "rows": len(tax_rows or [])}
        stdout.write(_("Using category taxonomy %(path)s") % {"path": tax_path} + "\n")
    params = params or TrainParams()

    model = TriageModel.train(
        labelled.texts,
        labelled.labels,
        unlabelled=extra,
        taxonomy_rows=tax_rows,
        params=params,
        sources=sources,
    )
    if cv_folds and cv_folds > 1:
        cv = cross_validate(
            labelled.texts,
            labelled.labels,
            folds=cv_folds,
            unlabelled=extra,
            taxonomy_rows=tax_rows,
            params=params,
        )
        model.metadata["cv_scores"] = cv
        stdout.write(
            _("Cross-validation on train (%(k)s folds): accuracy=%(acc).3f macro_f1=%(f1).3f")
            % {"k": cv_folds, "acc": cv["accuracy"], "f1": cv["macro_f1"]}
            + "\n"
        )
    if dev:
        dev_msgs = read_messages(dev, text_cols=cols, label_col=label_col)
        assert dev_msgs.labels is not None
        dev_scores = scores(dev_msgs.labels, model.predict(dev_msgs.texts))
        dev_scores["rows"] = len(dev_msgs.texts)
        dev_scores["sha256"] = dev_msgs.sha256  # type: ignore[assignment]
        model.metadata["dev_scores"] = dev_scores
        stdout.write(
            _("Dev: accuracy=%(acc).3f macro_f1=%(f1).3f")
            % {"acc": dev_scores["accuracy"], "f1": dev_scores["macro_f1"]}
            + "\n"
        )
    path = model.save(out or default_model_path())
    stdout.write(
        _("Wrote %(path)s (%(n)s messages, %(k)s categories)")
        % {"path": path, "n": model.metadata["n_train"], "k": len(model.classes)}
        + "\n"
    )
    return model


def cross_validate(
    texts: Sequence[tuple[str, str]],
    labels: Sequence[str],
    *,
    folds: int = 5,
    unlabelled: Sequence[tuple[str, str]] = (),
    taxonomy_rows: Sequence[tuple[str, str, str]] | None = None,
    params: TrainParams | None = None,
) -> dict[str, float]:
    """Stratified k-fold scores on the training data (a steadier figure than a small dev set)."""
    y = np.array(labels)
    smallest = min(np.unique(y, return_counts=True)[1])
    folds = max(2, min(folds, int(smallest)))
    predicted = np.empty(len(y), dtype=object)
    splitter = StratifiedKFold(n_splits=folds, shuffle=True, random_state=0)
    for train_idx, test_idx in splitter.split(np.zeros(len(y)), y):
        model = TriageModel.train(
            [texts[i] for i in train_idx],
            [labels[i] for i in train_idx],
            unlabelled=unlabelled,
            taxonomy_rows=taxonomy_rows,
            params=params,
        )
        predicted[test_idx] = model.predict([texts[i] for i in test_idx])
    result = scores(list(y), list(predicted))
    result["folds"] = folds
    return result


def _display_width(text: str) -> int:
    """Terminal columns: CJK characters take two."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def format_confusion(y_true: Sequence[str], y_pred: Sequence[str], labels: Sequence[str]) -> str:
    """Rows are true labels, numbered columns the predictions (names are too wide)."""
    matrix = confusion_matrix(y_true, y_pred, labels=list(labels))
    names = [f"{i:>2d} {lbl}" for i, lbl in enumerate(labels)]
    width = max(_display_width(n) for n in names) + 2
    lines = [_("Confusion matrix (rows: true, columns: predicted)")]
    lines.append(" " * width + "".join(f"{i:>5d}" for i in range(len(labels))))
    for name, row in zip(names, matrix, strict=True):
        pad = " " * (width - _display_width(name))
        lines.append(name + pad + "".join(f"{v:>5d}" for v in row))
    return "\n".join(lines) + "\n"


def evaluate(
    data: str | Path,
    *,
    model: str | Path | None = None,
    text_cols: Sequence[str] | None = None,
    label_col: str | None = None,
    stdout: TextIO | None = None,
) -> dict[str, float]:
    """Print the confusion matrix and `accuracy=… macro_f1=… ms_per_message=…`."""
    stdout = stdout or sys.stdout
    path = Path(model) if model else default_model_path()
    triage = TriageModel.load(path)
    sources = triage.metadata.get("sources", {})
    cols = tuple(text_cols or sources.get("text_cols") or ("title", "detail"))
    label = label_col or sources.get("label_col") or "category"
    msgs = read_messages(data, text_cols=cols, label_col=label)
    assert msgs.labels is not None
    if not msgs.texts:
        raise ValueError(_("%(path)s has no labelled messages") % {"path": msgs.path})

    predicted = triage.predict(msgs.texts)
    # Latency as a user sees it: one message at a time, after the one-off warm-up.
    triage.propose(*msgs.texts[0])
    timings = []
    for title, body in msgs.texts:
        start = time.perf_counter()
        triage.propose(title, body)
        timings.append((time.perf_counter() - start) * 1000.0)
    ms = statistics.median(timings)

    labels = sorted(set(msgs.labels) | set(triage.classes))
    stdout.write(format_confusion(msgs.labels, predicted, labels))
    result = scores(msgs.labels, predicted)
    result["ms_per_message"] = ms
    stdout.write(
        f"accuracy={result['accuracy']:.4f} macro_f1={result['macro_f1']:.4f} "
        f"ms_per_message={ms:.2f}\n"
    )
    return result
