"""The classifier: determinism, proposals with reasons, and the versioned artifact."""

from __future__ import annotations

import json
from pathlib import Path

import joblib
import numpy as np
import pytest
from sklearn.feature_extraction.text import TfidfVectorizer

from triage.features import ANALYZERS, TfidfBlocks, make_docs
from triage.model import FORMAT_VERSION, MAGIC, TriageModel, TriageModelError

from .conftest import FAST, SMALL_TAXONOMY, small_corpus


def test_training_twice_on_the_same_data_gives_identical_predictions_and_hashes():
    texts, labels = small_corpus()
    a = TriageModel.train(texts, labels, taxonomy_rows=SMALL_TAXONOMY, params=FAST)
    b = TriageModel.train(texts, labels, taxonomy_rows=SMALL_TAXONOMY, params=FAST)
    assert a.predict_proba(texts).tobytes() == b.predict_proba(texts).tobytes()
    assert a.metadata["data_sha256"] == b.metadata["data_sha256"]
    assert a.metadata["model_sha256"] == b.metadata["model_sha256"]


def test_the_order_of_training_rows_does_not_change_the_model():
    texts, labels = small_corpus()
    a = TriageModel.train(texts, labels, params=FAST)
    b = TriageModel.train(texts[::-1], labels[::-1], params=FAST)
    assert a.metadata["model_sha256"] == b.metadata["model_sha256"]
    assert a.predict_proba(texts).tobytes() == b.predict_proba(texts).tobytes()


def test_different_training_data_changes_the_data_hash():
    texts, labels = small_corpus()
    a = TriageModel.train(texts, labels, params=FAST)
    b = TriageModel.train(texts[:-1], labels[:-1], params=FAST)
    assert a.metadata["data_sha256"] != b.metadata["data_sha256"]


def test_metadata_records_classes_params_versions_and_time(small_model):
    meta = small_model.metadata
    assert meta["classes"] == sorted(["城乡建设", "教育文体", "劳动和社会保障"])
    assert meta["format_version"] == FORMAT_VERSION
    assert meta["sklearn_version"]
    assert meta["created"]
    assert meta["params"]["C"] == FAST.C and meta["params"]["random_state"] == 0
    assert meta["n_taxonomy_rows"] == len(SMALL_TAXONOMY)


def test_a_proposal_names_the_category_alternatives_and_the_terms_behind_it(small_model):
    proposal = small_model.propose("公司拖欠工资", "老板拖欠我们三个月工资，社保也断缴了")
    assert proposal.category == "劳动和社会保障"
    assert 0.0 < proposal.confidence <= 1.0
    assert [c for c, _p in proposal.alternatives] == sorted(
        {"城乡建设", "教育文体"}, key=lambda c: -dict(proposal.alternatives)[c]
    )
    assert abs(proposal.confidence + sum(p for _c, p in proposal.alternatives) - 1.0) < 1e-9
    terms = [t for t, _w in proposal.reasons]
    assert any("工资" in t for t in terms)
    assert all(w > 0 for _t, w in proposal.reasons)


def test_a_message_with_no_known_terms_gets_a_proposal_without_reasons(small_model):
    proposal = small_model.propose("", "xyz")
    assert proposal.category in small_model.classes
    assert proposal.reasons == []


def test_fast_single_message_scoring_matches_scikit_learn(small_model):
    texts, _labels = small_corpus()
    docs = make_docs(texts)
    X = small_model._features(docs)
    assert np.allclose(small_model._proba(X), small_model.classifier.predict_proba(X))
    single = small_model._features(docs[:1])
    assert np.allclose(single.toarray(), X[:1].toarray())


def test_hand_made_tfidf_rows_equal_scikit_learns_vectorizer():
    texts, _labels = small_corpus()
    docs = make_docs(texts)
    blocks = TfidfBlocks([("w", 1.0, 1), ("c2", 1.0, 1)]).fit(docs)
    ours = blocks.transform(docs).toarray()
    theirs = [
        TfidfVectorizer(analyzer=ANALYZERS[n], sublinear_tf=True).fit_transform(docs).toarray()
        for n in ("w", "c2")
    ]
    assert np.allclose(ours, np.hstack(theirs))


def test_a_saved_model_loads_back_with_the_same_predictions(small_model, tmp_path):
    path = small_model.save(tmp_path / "m.joblib")
    loaded = TriageModel.load(path)
    texts, _labels = small_corpus()
    assert loaded.predict(texts) == small_model.predict(texts)
    assert loaded.metadata == small_model.metadata
    sidecar = json.loads((tmp_path / "m.json").read_text(encoding="utf-8"))
    assert sidecar["data_sha256"] == small_model.metadata["data_sha256"]


def test_loading_a_missing_model_names_the_path_and_the_problem(tmp_path):
    path = tmp_path / "nowhere" / "model.joblib"
    with pytest.raises(TriageModelError, match="file not found") as exc:
        TriageModel.load(path)
    assert str(path) in str(exc.value)


def test_loading_a_file_of_another_format_is_refused(tmp_path):
    path = tmp_path / "other.joblib"
    joblib.dump({"coef": [1, 2, 3]}, path)
    with pytest.raises(TriageModelError, match="wrong file format") as exc:
        TriageModel.load(path)
    assert str(path) in str(exc.value)


def test_loading_a_truncated_model_is_refused(small_model, tmp_path):
    path = small_model.save(tmp_path / "m.joblib")
    data = path.read_bytes()
    path.write_bytes(data[: len(data) - 100])
    with pytest.raises(TriageModelError, match="truncated"):
        TriageModel.load(path)


def test_loading_a_corrupted_model_is_refused(small_model, tmp_path):
    path = small_model.save(tmp_path / "m.joblib")
    data = bytearray(path.read_bytes())
    data[-50] ^= 0xFF
    path.write_bytes(bytes(data))
    with pytest.raises(TriageModelError, match="checksum"):
        TriageModel.load(path)


def test_loading_a_model_of_another_format_version_asks_for_retraining(small_model, tmp_path):
    path = small_model.save(tmp_path / "m.joblib")
    raw = path.read_bytes()
    header_end = raw.index(b"\n", len(MAGIC))
    header = json.loads(raw[len(MAGIC) : header_end])
    header["format_version"] = FORMAT_VERSION + 1
    patched = MAGIC + json.dumps(header).encode() + raw[header_end:]
    path.write_bytes(patched)
    with pytest.raises(TriageModelError, match="version") as exc:
        TriageModel.load(path)
    assert "retrain" in str(exc.value)


def test_loading_garbage_or_an_empty_file_is_refused(tmp_path: Path):
    for content in (b"", b"\x00\x01garbage", MAGIC + b"{not json"):
        path = tmp_path / "bad.joblib"
        path.write_bytes(content)
        with pytest.raises(TriageModelError):
            TriageModel.load(path)


def test_training_on_a_single_category_is_refused():
    with pytest.raises(ValueError):
        TriageModel.train([("a", "b"), ("c", "d")], ["x", "x"], params=FAST)
