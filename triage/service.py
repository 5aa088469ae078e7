"""Category proposal for intake: the trained model when available, else keyword rules.

Intake must never fail because of triage: a missing or corrupt model is logged and the
keyword rules answer instead. Below the confidence threshold nothing is prefilled; a
person picks the category (DESIGN §8).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings

from .features import read_taxonomy
from .model import Proposal, TriageModel, TriageModelError
from .text import clean

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class TriageResult:
    """A proposal, whether the form may prefill it, and where it came from."""

    proposal: Proposal
    prefill: bool
    source: str  # "model", "rules" or "none"

    @property
    def category(self) -> str | None:
        return self.proposal.category

    @property
    def confidence(self) -> float:
        return self.proposal.confidence


class KeywordRules:
    """Category → keywords; a hit in the title counts double. The fallback when no model."""

    def __init__(self, mapping: Mapping[str, Iterable[str] | str]) -> None:
        self.keywords: dict[str, list[str]] = {}
        for category, words in mapping.items():
            items = words.split() if isinstance(words, str) else list(words)
            # Longest first so reasons show the most specific term; dedupe, keep stable.
            unique = sorted({clean(w) for w in items if clean(w)}, key=lambda w: (-len(w), w))
            if unique:
                self.keywords[str(category)] = unique

    @classmethod
    def from_taxonomy(cls, path: str | Path) -> KeywordRules:
        """First-level class → its second- and third-level names (a catalogue as rules)."""
        mapping: dict[str, set[str]] = {}
        for level1, level2, level3 in read_taxonomy(path):
            names = mapping.setdefault(level1, {level1})
            names.update(n for n in (level2, level3) if n and n not in {"其他", "其它"})
        return cls({k: sorted(v) for k, v in mapping.items()})

    def propose(self, title: str | None, text: str | None) -> Proposal:
        title_c, text_c = clean(title), clean(text)
        scored: list[tuple[float, str, list[str]]] = []
        for category, words in self.keywords.items():
            hits = [w for w in words if w in title_c or w in text_c]
            if hits:
                score = float(sum(2 if w in title_c else 1 for w in hits))
                scored.append((score, category, hits))
        if not scored:
            return Proposal(None, 0.0, [], [])
        scored.sort(key=lambda s: (-s[0], s[1]))
        total = sum(s[0] for s in scored)
        best_score, best, hits = scored[0]
        # The best class's share of the evidence, damped when there is little evidence.
        confidence = best_score / total * min(1.0, best_score / 3.0)
        return Proposal(
            best,
            confidence,
            [(c, s / total) for s, c, _h in scored[1:4]],
            [(w, 2.0 if w in title_c else 1.0) for w in hits[:5]],
        )


# ------------------------------------------------------------------ model cache
_cache_lock = threading.Lock()
# path → (file stamp, model, when the stamp was last read)
_cache: dict[str, tuple[tuple[int, int], TriageModel | None, float]] = {}


def configured_model_path() -> tuple[Path, bool]:
    """(path, explicitly configured?) — settings.PINGAN_TRIAGE_MODEL else var/triage/."""
    from .cli import default_model_path

    return default_model_path(), bool(settings.PINGAN_TRIAGE_MODEL)


def get_model(path: str | Path | None = None) -> TriageModel | None:
    """The model at `path` (default: configured), loaded once and reloaded when the file
    changes (its stamp read at most every PINGAN_TRIAGE_RECHECK_SECONDS: intake asks for
    every case); None, with one warning per file version, when it is missing or corrupt."""
    explicit = path is not None
    if path is None:
        path, explicit = configured_model_path()
    key = str(path)
    now = time.monotonic()
    cached = _cache.get(key)
    if cached is not None and now - cached[2] < settings.PINGAN_TRIAGE_RECHECK_SECONDS:
        return cached[1]
    path = Path(path)
    try:
        stat = path.stat()
        stamp = (stat.st_mtime_ns, stat.st_size)
    except OSError:
        stamp = (0, -1)
    with _cache_lock:
        cached = _cache.get(key)
        if cached is not None and cached[0] == stamp:
            _cache[key] = (stamp, cached[1], now)
            return cached[1]
        model: TriageModel | None = None
        if stamp[1] < 0 and not explicit:
            log.info("no triage model at %s; using keyword rules", path)
        else:
            try:
                model = TriageModel.load(path)
            except TriageModelError as exc:
                log.warning("%s; using keyword rules", exc)
        _cache[key] = (stamp, model, now)
        return model


def clear_cache() -> None:
    with _cache_lock:
        _cache.clear()


def default_rules() -> KeywordRules:
    """settings.PINGAN_TRIAGE_KEYWORDS (category → keywords) or, failing that, none."""
    return KeywordRules(settings.PINGAN_TRIAGE_KEYWORDS)


def propose_category(
    title: str | None,
    text: str | None,
    *,
    threshold: float | None = None,
    model: TriageModel | str | Path | None = None,
    rules: KeywordRules | None = None,
) -> TriageResult:
    """Propose a category; `prefill` only when confidence ≥ threshold. Never raises on a
    bad model: it falls back to `rules` (default: settings.PINGAN_TRIAGE_KEYWORDS)."""
    if threshold is None:
        threshold = settings.PINGAN_TRIAGE_THRESHOLD
    triage = model if isinstance(model, TriageModel) else get_model(model)
    if triage is not None:
        try:
            proposal = triage.propose(title, text)
        except Exception:  # a broken model must never stop intake
            log.exception("triage model failed; using keyword rules")
        else:
            prefill = proposal.category is not None and proposal.confidence >= threshold
            return TriageResult(proposal, prefill, "model")
    proposal = (rules or default_rules()).propose(title, text)
    if proposal.category is None:
        return TriageResult(proposal, False, "none")
    return TriageResult(proposal, proposal.confidence >= threshold, "rules")
