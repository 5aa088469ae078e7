"""Intake with the triage model: its proposal and reasons, and rules when the model is broken."""

import pytest

from cases import services
from triage.model import TriageModel
from triage.service import clear_cache

pytestmark = pytest.mark.django_db

TRAIN = [
    (("小区电梯坏了", "物业不修电梯，老人上下楼困难"), "城乡建设"),
    (("楼道漏水", "物业拖着不修，房屋质量问题"), "城乡建设"),
    (("小区停水", "施工挖断水管，停水三天"), "城乡建设"),
    (("物业乱收费", "物业公司私自涨价"), "城乡建设"),
    (("工厂排放废气", "夜里工厂偷排废气，臭味很重"), "环境保护"),
    (("河道污染", "排污口向河里排放污水"), "环境保护"),
    (("餐馆油烟扰民", "油烟直排，污染环境"), "环境保护"),
    (("垃圾堆放发臭", "垃圾没人清运，污染严重"), "环境保护"),
]


@pytest.fixture
def model_file(tmp_path, settings):
    model = TriageModel.train([t for t, _ in TRAIN], [label for _, label in TRAIN])
    path = tmp_path / "model.joblib"
    model.save(path)
    settings.PINGAN_TRIAGE_MODEL = str(path)
    clear_cache()
    yield path
    clear_cache()


def test_the_model_proposes_a_catalogue_category_with_the_terms_that_drove_it(
    model_file, first_grid
):
    result = services.intake_case(
        title="工厂废气污染",
        text="附近工厂排放废气，气味刺鼻",
        channel="online",
        case_type="request",
        lon=first_grid.centroid_lon,
        lat=first_grid.centroid_lat,
    )
    proposal = result.proposal
    assert proposal.source == "model"
    assert proposal.category.name == "环境保护"
    assert proposal.reasons
    data = result.case.events.get(kind="intake").data["proposal"]
    assert data["source"] == "model" and data["category"] == proposal.category.code


def test_a_corrupt_model_file_leaves_intake_working_on_keyword_rules(
    tmp_path, settings, first_grid
):
    broken = tmp_path / "model.joblib"
    broken.write_bytes(b"not a model at all")
    settings.PINGAN_TRIAGE_MODEL = str(broken)
    clear_cache()
    try:
        result = services.intake_case(
            title="小区门口井盖松动",
            channel="online",
            case_type="hazard",
            lon=first_grid.centroid_lon,
            lat=first_grid.centroid_lat,
        )
    finally:
        clear_cache()
    assert result.created
    assert result.proposal.source == "rules"
    assert result.case.category.code == "hazard-road"


def test_a_persons_correction_is_kept_as_a_training_example(first_grid, users):
    from cases.models import TrainingExample

    case = services.intake_case(
        title="噪音很大",
        channel="hotline",
        case_type="request",
        lon=first_grid.centroid_lon,
        lat=first_grid.centroid_lat,
    ).case
    services.classify_case(case.pk, actor=users["dispatcher"], category="request-env-noise")
    example = TrainingExample.objects.get(case=case)
    assert example.chosen.code == "request-env-noise" and example.title == "噪音很大"


def test_the_districts_own_cases_export_as_training_data(first_grid, users, tmp_path):
    import csv

    from django.core.management import call_command

    case = services.intake_case(
        title="噪音很大",
        channel="hotline",
        case_type="request",
        lon=first_grid.centroid_lon,
        lat=first_grid.centroid_lat,
    ).case
    services.classify_case(case.pk, actor=users["dispatcher"], category="request-env-noise")
    out = tmp_path / "labelled.csv"
    call_command("export_triage_data", "--out", str(out))
    rows = list(csv.DictReader(out.open(encoding="utf-8")))
    assert rows == [{"title": "噪音很大", "detail": "", "category": "环境保护"}]
