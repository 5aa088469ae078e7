"""propose_category: the confidence threshold and the fallback to keyword rules."""

from __future__ import annotations

import logging

import pytest

from triage import service
from triage.model import Proposal
from triage.service import KeywordRules, propose_category

RULES = KeywordRules({"城乡建设": ["物业", "小区"], "劳动和社会保障": "工资 社保 欠薪"})


@pytest.fixture(autouse=True)
def fresh_cache(settings):
    settings.PINGAN_TRIAGE_KEYWORDS = {}
    service.clear_cache()
    yield
    service.clear_cache()


def test_a_confidence_above_the_threshold_prefills_the_category(small_model):
    result = propose_category(
        "公司拖欠工资", "老板拖欠三个月工资", threshold=0.1, model=small_model
    )
    assert result.source == "model"
    assert result.category == "劳动和社会保障"
    assert result.confidence >= 0.1
    assert result.prefill is True


def test_a_confidence_below_the_threshold_leaves_the_choice_to_a_person(small_model):
    result = propose_category(
        "公司拖欠工资", "老板拖欠三个月工资", threshold=0.999, model=small_model
    )
    assert result.category == "劳动和社会保障"  # still proposed, as a suggestion
    assert result.prefill is False


def test_the_threshold_is_inclusive(small_model):
    first = propose_category("公司拖欠工资", "老板拖欠工资", threshold=0.0, model=small_model)
    again = propose_category(
        "公司拖欠工资", "老板拖欠工资", threshold=first.confidence, model=small_model
    )
    assert again.prefill is True


def test_the_threshold_defaults_to_the_setting(small_model, settings):
    settings.PINGAN_TRIAGE_THRESHOLD = 1.01
    assert propose_category("拖欠工资", "拖欠工资", model=small_model).prefill is False


def test_a_missing_model_falls_back_to_keyword_rules_with_a_warning(tmp_path, caplog):
    path = tmp_path / "missing.joblib"
    with caplog.at_level(logging.WARNING, logger="triage.service"):
        result = propose_category(
            "小区物业乱收费", "物业公司", threshold=0.5, model=path, rules=RULES
        )
    assert result.source == "rules"
    assert result.category == "城乡建设"
    assert any(str(path) in r.getMessage() for r in caplog.records)


def test_a_corrupt_model_falls_back_to_keyword_rules_with_a_warning(tmp_path, caplog):
    path = tmp_path / "corrupt.joblib"
    path.write_bytes(b"not a model at all")
    with caplog.at_level(logging.WARNING, logger="triage.service"):
        result = propose_category("拖欠工资", "社保断缴", threshold=0.5, model=path, rules=RULES)
    assert result.source == "rules"
    assert result.category == "劳动和社会保障"
    assert any("wrong file format" in r.getMessage() for r in caplog.records)


def test_the_configured_model_path_is_used_and_its_absence_does_not_crash(tmp_path, settings):
    settings.PINGAN_TRIAGE_MODEL = str(tmp_path / "model.joblib")
    result = propose_category("小区物业", "物业", threshold=0.5, rules=RULES)
    assert result.source == "rules"


def test_the_configured_model_is_loaded_once_and_reloaded_when_retrained(
    small_model, tmp_path, settings
):
    path = small_model.save(tmp_path / "model.joblib")
    settings.PINGAN_TRIAGE_MODEL = str(path)
    first = service.get_model()
    assert first is not None and service.get_model() is first
    result = propose_category("公司拖欠工资", "拖欠工资", threshold=0.1)
    # A new file at the path: not looked at within the recheck time, then loaded.
    path.write_bytes(b"retrained, but broken")
    assert service.get_model() is first
    settings.PINGAN_TRIAGE_RECHECK_SECONDS = 0
    assert service.get_model() is None  # the new file was read (and refused)
    assert result.source == "model"


def test_a_model_that_fails_while_proposing_does_not_stop_intake(small_model, monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr(small_model, "propose", broken)
    result = propose_category("小区物业", "物业", threshold=0.5, model=small_model, rules=RULES)
    assert result.source == "rules"


def test_without_model_or_matching_keywords_nothing_is_proposed(tmp_path):
    result = propose_category("你好", "谢谢", threshold=0.5, model=tmp_path / "x", rules=RULES)
    assert result.source == "none"
    assert result.category is None and result.prefill is False


def test_keyword_rules_count_title_hits_double_and_explain_themselves():
    proposal = RULES.propose("物业", "工资")
    assert isinstance(proposal, Proposal)
    assert proposal.category == "城乡建设"
    assert proposal.reasons == [("物业", 2.0)]
    assert proposal.alternatives == [("劳动和社会保障", pytest.approx(1 / 3))]


def test_keyword_rules_see_through_full_width_text():
    assert RULES.propose("", "公司　欠薪").category == "劳动和社会保障"


def test_keyword_rules_can_be_built_from_a_catalogue(tmp_path):
    path = tmp_path / "taxonomy.csv"
    path.write_text(
        "level1,level2,level3\n城乡建设,住房保障与房地产,物业服务\n卫生计生,食品药品监管,食品安全\n",
        encoding="utf-8",
    )
    rules = KeywordRules.from_taxonomy(path)
    assert rules.propose("学校食品安全", "").category == "卫生计生"
