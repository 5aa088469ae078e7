"""Text cleaning and jieba segmentation shared by the classifier and the similarity index."""

from __future__ import annotations

import re
import threading
import unicodedata

_WS = re.compile(r"\s+")
# Control and zero-width characters (pasted from web pages and Word) are invisible noise.
_INVISIBLE = re.compile(r"[\x00-\x1f\x7f-\x9f\u200b-\u200f\u202a-\u202e\u2060-\u2064\ufeff]")
# Anonymised places (A市, A3区, K8县, …) and raw numbers carry no topic; collapsing them
# keeps the vocabulary about *what* is reported, not *where* or *how many*.
_PLACE = re.compile(r"(?<![A-Za-z])[A-Z]\d{0,2}(?=[市区县])")
_NUMBER = re.compile(r"\d+(?:\.\d+)?")

_jieba_lock = threading.Lock()
_jieba_ready = False


def clean(text: str | None) -> str:
    """NFKC (full-width spaces/letters/digits → ASCII), whitespace runs → one space,
    control and zero-width characters dropped."""
    if not text:
        return ""
    text = unicodedata.normalize("NFKC", str(text))
    text = _INVISIBLE.sub("", _WS.sub(" ", text))
    return _WS.sub(" ", text).strip()


def normalise(text: str | None) -> str:
    """clean() plus masking of anonymised place codes and numbers (what the features see)."""
    text = clean(text)
    text = _PLACE.sub("", text)
    return _NUMBER.sub("0", text)


def _jieba():
    """Import and initialise jieba once per process (its dictionary load costs ~1 s)."""
    global _jieba_ready
    import jieba

    if not _jieba_ready:
        with _jieba_lock:
            if not _jieba_ready:
                jieba.setLogLevel(60)  # its "Building prefix dict" chatter is not for users
                jieba.initialize()
                _jieba_ready = True
    return jieba


def warm_up() -> None:
    """Load jieba's dictionary now (idempotent), so no request pays for it."""
    _jieba()


def words(text: str) -> list[str]:
    """jieba words of an already normalised text, without spaces and lone punctuation."""
    jieba = _jieba()
    return [w for w in jieba.lcut(text) if w.strip() and not _is_punct(w)]


def _is_punct(token: str) -> bool:
    return all(unicodedata.category(ch)[0] in "PSZ" for ch in token)
