"""Category proposal at intake: the triage model when one is configured, else keyword rules
from the category catalogue. A person can always override; below the threshold they must."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

from django.conf import settings

from cases import reference
from cases.models import Category

log = logging.getLogger(__name__)


@dataclass
class Proposal:
    category: Category | None
    confidence: float
    reasons: list[str] = field(default_factory=list)
    alternatives: list[tuple[str, float]] = field(default_factory=list)
    source: str = "rules"

    @property
    def prefill(self) -> bool:
        return self.category is not None and self.confidence >= settings.PINGAN_TRIAGE_THRESHOLD

    def as_data(self) -> dict:
        return {
            "category": self.category.code if self.category else None,
            "confidence": round(self.confidence, 3),
            "reasons": self.reasons,
            "alternatives": [[c, round(p, 3)] for c, p in self.alternatives],
            "source": self.source,
            "prefilled": self.prefill,
        }


def propose(title: str, text: str, *, case_type_id: int | None = None) -> Proposal:
    model_proposal = _from_model(title, text, case_type_id)
    if model_proposal is not None:
        return model_proposal
    return keyword_proposal(title, text, case_type_id=case_type_id)


def keyword_proposal(title: str, text: str, *, case_type_id: int | None = None) -> Proposal:
    """Score leaf-most categories by keyword hits (title hits count double)."""
    scored = []
    for category, words in reference.catalogue().keywords.get(case_type_id or None, []):
        hits = [w for w in words if w in title or w in text]
        if hits:
            score = sum(2 if w in title else 1 for w in hits) + 0.01 * len(category.code)
            scored.append((score, category, hits))
    if not scored:
        return Proposal(None, 0.0)
    scored.sort(key=lambda s: (-s[0], s[1].code))
    total = sum(s[0] for s in scored)
    best_score, best, hits = scored[0]
    # A share of the evidence, damped when there is little of it at all.
    confidence = best_score / total * min(1.0, best_score / 3)
    return Proposal(
        best,
        confidence,
        reasons=hits[:5],
        alternatives=[(c.code, s / total) for s, c, _ in scored[1:4]],
    )


def _from_model(title: str, text: str, case_type_id: int | None) -> Proposal | None:
    """The trained model's proposal mapped onto our catalogue, or None (then: keyword rules).

    The model predicts category names (e.g. 城乡建设); a name that is not an active category
    of the case's type gives None, so a model trained elsewhere never forces a wrong type."""
    from triage.service import get_model

    model = get_model()  # None when missing or corrupt (logged once per file version)
    if model is None:
        return None
    try:
        proposal = model.propose(title, text)
    except Exception:  # a broken model must never stop intake
        log.exception("triage model failed; falling back to keyword rules")
        return None
    if not proposal.category:
        return None
    catalogue = reference.catalogue()
    category = catalogue.by_name.get((case_type_id or None, proposal.category))
    if category is None:
        category = catalogue.active_category(proposal.category)
        if category is not None and case_type_id and category.case_type_id != case_type_id:
            category = None
    if category is None:
        return None
    return Proposal(
        category,
        float(proposal.confidence),
        reasons=[r[0] if isinstance(r, (tuple, list)) else str(r) for r in proposal.reasons][:5],
        alternatives=[(c, float(p)) for c, p in proposal.alternatives][:3],
        source="model",
    )
