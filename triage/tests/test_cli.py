"""train-triage and eval-triage, through triage.cli and the management commands."""

from __future__ import annotations

import io
import json
import re

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from triage import cli
from triage.model import TriageModel

from .conftest import SMALL_TAXONOMY


@pytest.fixture
def taxonomy_csv(tmp_path):
    path = tmp_path / "catalogue.csv"
    lines = ["level1,level2,level3"] + [",".join(r) for r in SMALL_TAXONOMY]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_training_writes_an_artifact_with_its_metadata_and_dev_scores(
    small_csv, taxonomy_csv, tmp_path
):
    out = tmp_path / "m" / "model.joblib"
    stdout = io.StringIO()
    cli.train(small_csv, out=out, dev=small_csv, taxonomy=taxonomy_csv, stdout=stdout)
    meta = TriageModel.read_header(out)["metadata"]
    assert meta["dev_scores"]["accuracy"] == 1.0
    assert meta["sources"]["data"]["rows"] == 45
    assert meta["sources"]["taxonomy"]["path"] == str(taxonomy_csv)
    assert json.loads(out.with_suffix(".json").read_text(encoding="utf-8"))["classes"]
    assert str(out) in stdout.getvalue()


def test_training_twice_writes_the_same_model(small_csv, tmp_path):
    a = cli.train(small_csv, out=tmp_path / "a.joblib", stdout=io.StringIO())
    b = cli.train(small_csv, out=tmp_path / "b.joblib", stdout=io.StringIO())
    assert a.metadata["data_sha256"] == b.metadata["data_sha256"]
    assert a.metadata["model_sha256"] == b.metadata["model_sha256"]


def test_a_taxonomy_beside_the_data_is_picked_up_unless_disabled(small_csv, taxonomy_csv):
    beside = small_csv.parent / "taxonomy.csv"
    beside.write_bytes(taxonomy_csv.read_bytes())
    assert cli.resolve_taxonomy(small_csv, None, True) == beside
    assert cli.resolve_taxonomy(small_csv, None, False) is None
    assert cli.resolve_taxonomy(small_csv, taxonomy_csv, True) == taxonomy_csv


def test_the_default_artifact_location_follows_the_setting(settings, tmp_path):
    settings.PINGAN_TRIAGE_MODEL = str(tmp_path / "x.joblib")
    assert cli.default_model_path() == tmp_path / "x.joblib"
    settings.PINGAN_TRIAGE_MODEL = ""
    assert cli.default_model_path().parts[-2:] == ("triage", "model.joblib")


def test_evaluation_prints_the_confusion_matrix_and_a_final_score_line(small_csv, tmp_path):
    out = tmp_path / "model.joblib"
    cli.train(small_csv, out=out, stdout=io.StringIO())
    stdout = io.StringIO()
    result = cli.evaluate(small_csv, model=out, stdout=stdout)
    lines = stdout.getvalue().splitlines()
    assert lines[0].startswith("Confusion matrix")
    assert re.fullmatch(r"accuracy=1\.0000 macro_f1=1\.0000 ms_per_message=\d+\.\d\d", lines[-1])
    assert result["ms_per_message"] > 0


def test_the_management_commands_wrap_the_same_logic(small_csv, tmp_path):
    out = tmp_path / "model.joblib"
    call_command(
        "train_triage", data=str(small_csv), out=str(out), no_taxonomy=True, stdout=io.StringIO()
    )
    stdout = io.StringIO()
    call_command("eval_triage", data=str(small_csv), model=str(out), stdout=stdout)
    assert stdout.getvalue().splitlines()[-1].startswith("accuracy=1.0000")


def test_commands_report_a_missing_model_or_column_as_a_clear_error(small_csv, tmp_path):
    with pytest.raises(CommandError, match="file not found"):
        call_command("eval_triage", data=str(small_csv), model=str(tmp_path / "none.joblib"))
    with pytest.raises(CommandError, match="no column"):
        call_command(
            "train_triage",
            data=str(small_csv),
            text_cols="title,body",
            out=str(tmp_path / "m.joblib"),
        )
