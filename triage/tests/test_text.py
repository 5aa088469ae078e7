"""Cleaning and segmentation of raw message text."""

from triage.features import make_doc
from triage.text import clean, normalise, words


def test_cleaning_collapses_whitespace_runs_tabs_and_newlines():
    assert clean("\n\t\t  小区   物业\n\n\t乱收费  ") == "小区 物业 乱收费"


def test_cleaning_turns_full_width_spaces_letters_and_digits_into_ascii():
    assert clean("Ａ市　Ａ３区　１２号") == "A市 A3区 12号"


def test_cleaning_handles_none_and_empty_text():
    assert clean(None) == ""
    assert clean("") == ""
    assert clean(" \u3000\t\n") == ""


def test_normalising_masks_anonymised_places_and_numbers():
    assert normalise("A市A3区K8县大道12号") == "市区县大道0号"


def test_segmentation_drops_spaces_and_punctuation():
    tokens = words(normalise("小区物业，乱收停车费！"))
    assert "物业" in tokens
    assert "，" not in tokens and "！" not in tokens and " " not in tokens


def test_a_document_keeps_title_and_body_words_apart():
    doc = make_doc("物业乱收费", "\t\t小区　停车费太高\n")
    assert doc.title == "物业乱收费"
    assert doc.body == "小区 停车费太高"
    assert "物业" in doc.title_words and "停车费" in doc.body_words


def test_cleaning_drops_control_and_zero_width_characters():
    assert clean("楚江\u200b新区\x00 A\ufeff市\r\n") == "楚江新区 A市"
