"""Fixtures for triage tests: a small synthetic corpus and the real data when present."""

from __future__ import annotations

import csv
import os
from pathlib import Path

import pytest

from triage.model import TrainParams, TriageModel

# Tests find the shared data as ../shared/data relative to the repository root.
SHARED_DATA = Path(__file__).resolve().parents[2] / ".." / "shared" / "data"

TOPICS = {
    "城乡建设": ["小区物业乱收费", "道路施工扬尘", "拆迁安置补偿", "小区电梯故障", "违章建筑"],
    "教育文体": ["学校乱收补课费", "幼儿园入学难", "老师体罚学生", "学校食堂", "中考招生"],
    "劳动和社会保障": ["公司拖欠工资", "社保断缴", "退休金太低", "劳动合同纠纷", "工伤认定"],
}
FILLER = ["请相关部门尽快处理", "希望领导重视", "已经反映多次没有结果", "严重影响生活"]


def small_corpus() -> tuple[list[tuple[str, str]], list[str]]:
    texts, labels = [], []
    for label, topics in TOPICS.items():
        for i, topic in enumerate(topics):
            for j, filler in enumerate(FILLER[:3]):
                title = f"A{i + 1}区{topic}问题"
                body = f"\n\t\t我们A市A{j}区{topic}，{FILLER[(i + j) % 4]}。　{filler}！\n\t"
                texts.append((title, body))
                labels.append(label)
    return texts, labels


SMALL_TAXONOMY = [
    ("城乡建设", "住房保障与房地产", "物业服务"),
    ("城乡建设", "城乡规划", "违章建筑"),
    ("教育文体", "教育收费", "其他"),
    ("教育文体", "考试招生", "其他"),
    ("劳动和社会保障", "工资福利", "拖欠工资"),
    ("劳动和社会保障", "城镇职工社会保险", "其他"),
]

FAST = TrainParams(max_iter=2000)


@pytest.fixture(scope="session")
def small_model() -> TriageModel:
    texts, labels = small_corpus()
    return TriageModel.train(texts, labels, taxonomy_rows=SMALL_TAXONOMY, params=FAST)


@pytest.fixture
def small_csv(tmp_path: Path) -> Path:
    texts, labels = small_corpus()
    path = tmp_path / "small.csv"
    with open(path, "w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(["id", "title", "detail", "category"])
        for i, ((title, body), label) in enumerate(zip(texts, labels, strict=True)):
            writer.writerow([i, title, body, label])
    return path


def real_data(*parts: str) -> Path:
    """A file under shared/data; skipped on a fresh machine without it, failed in CI."""
    path = SHARED_DATA.joinpath(*parts).resolve()
    if not path.exists():
        reason = f"real citizen messages not available at {path}"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"CI=true but {reason}")
        pytest.skip(reason)
    return path


@pytest.fixture(autouse=True)
def english_messages():
    """Assertions read the English source strings (the project default is Chinese)."""
    from django.utils import translation

    with translation.override("en"):
        yield
