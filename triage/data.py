"""Reading labelled and unlabelled messages from CSV files (any columns, named by the caller)."""

from __future__ import annotations

import csv
import hashlib
import sys
from dataclasses import dataclass
from pathlib import Path

from django.utils.translation import gettext as _

# Message bodies can exceed csv's default 128 KiB field limit.
csv.field_size_limit(min(sys.maxsize, 2**31 - 1))


@dataclass(frozen=True, slots=True)
class Messages:
    """Texts as (title, body) pairs, and labels when the file has a label column."""

    path: Path
    texts: list[tuple[str, str]]
    labels: list[str] | None
    sha256: str


def read_messages(
    path: str | Path,
    *,
    text_cols: tuple[str, ...] = ("title", "detail"),
    label_col: str | None = "category",
    require_label: bool = True,
) -> Messages:
    """Read a CSV; the first text column is the title, the rest are joined as the body."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(_("No such data file: %(path)s") % {"path": path})
    raw = path.read_bytes()
    with open(path, encoding="utf-8-sig", newline="") as fh:
        reader = csv.DictReader(fh)
        columns = set(reader.fieldnames or [])
        missing = [c for c in text_cols if c not in columns]
        if missing:
            raise ValueError(
                _("%(path)s has no column(s) %(cols)s (it has %(have)s)")
                % {"path": path, "cols": ", ".join(missing), "have": ", ".join(sorted(columns))}
            )
        has_label = bool(label_col) and label_col in columns
        if require_label and not has_label:
            raise ValueError(
                _("%(path)s has no label column %(col)s") % {"path": path, "col": label_col}
            )
        texts: list[tuple[str, str]] = []
        labels: list[str] = []
        for row in reader:
            title = row.get(text_cols[0]) or ""
            body = " ".join(row.get(c) or "" for c in text_cols[1:])
            if has_label:
                label = (row.get(label_col) or "").strip()  # type: ignore[arg-type]
                if not label:
                    continue  # unlabelled rows in a labelled file teach nothing
                labels.append(label)
            texts.append((title, body))
    return Messages(path, texts, labels if has_label else None, hashlib.sha256(raw).hexdigest())
