"""Similar-case search and hot-issue grouping."""

from __future__ import annotations

from datetime import date, datetime

from triage.similar import SimilarityIndex, distance_m, hot_issues

NOISE = [
    "学校乱收补课费，家长负担重",
    "公司拖欠工资三个月",
    "公交车太少等车时间长",
    "医院排队挂号难",
    "景区门票涨价太快",
]
SAME = "小区门口的垃圾站臭味很大，夏天蚊蝇很多"
CENTRE = (106.5770, 29.5570)  # (lon, lat) in Yuzhong


def index() -> SimilarityIndex:
    idx = SimilarityIndex()
    for i, text in enumerate(NOISE):
        idx.add(f"n{i}", text, point=CENTRE, time=date(2024, 5, 1))
    idx.add("near", SAME, point=(106.5780, 29.5575), time=date(2024, 5, 10))  # ~110 m
    idx.add("far", SAME, point=(106.6200, 29.5800), time=date(2024, 5, 10))  # ~4.9 km
    idx.add("old", SAME, point=CENTRE, time=date(2023, 1, 1))
    idx.add("nowhere", SAME)
    return idx


def test_haversine_distance_is_in_metres():
    assert abs(distance_m((0.0, 0.0), (0.0, 1.0)) - 111_195) < 10
    assert distance_m(CENTRE, CENTRE) == 0.0


def test_the_most_similar_message_comes_first():
    hits = index().query("垃圾站臭味大，蚊蝇多", k=3)
    assert {i for i, _s in hits} <= {"near", "far", "old", "nowhere"}
    assert hits[0][1] >= hits[-1][1] > 0


def test_a_query_with_a_place_only_returns_messages_within_the_radius():
    hits = index().query(SAME, point=CENTRE, radius_m=500, k=10, min_score=0.3)
    assert {i for i, _s in hits} == {"near", "old"}


def test_a_query_with_a_time_only_returns_messages_within_the_window():
    hits = index().query(SAME, time=datetime(2024, 5, 12, 9, 30), window_days=30, min_score=0.3)
    assert {i for i, _s in hits} == {"near", "far"}


def test_place_and_time_filters_combine():
    hits = index().query(
        SAME, point=CENTRE, radius_m=500, time=date(2024, 5, 12), window_days=30, min_score=0.3
    )
    assert [i for i, _s in hits] == ["near"]


def test_k_limits_the_number_of_results_and_ids_can_be_excluded():
    idx = index()
    assert len(idx.query(SAME, k=2)) == 2
    assert "near" not in {i for i, _s in idx.query(SAME, exclude=["near"])}


def test_adding_an_existing_id_replaces_the_message():
    idx = index()
    idx.add("near", "完全不同的内容：学校开学", point=CENTRE)
    assert len(idx) == 9
    hits = idx.query(SAME, point=CENTRE, radius_m=500, min_score=0.3)
    assert "near" not in {i for i, _s in hits}


def test_an_empty_index_finds_nothing():
    assert SimilarityIndex().query("垃圾") == []


def test_hot_issues_group_reports_of_the_same_problem_largest_first():
    texts = {f"n{i}": t for i, t in enumerate(NOISE)}
    texts.update({f"s{i}": (f"垃圾站臭味{i}", SAME + "，请处理") for i in range(4)})
    texts.update({f"b{i}": ("公交车太少", "公交车太少，等车时间长，请增加班次") for i in range(3)})
    votes = {"s0": 5, "b1": 100}
    groups = hot_issues(texts, min_size=3, threshold=0.5, votes=votes)
    assert [g.ids for g in groups] == [["s0", "s1", "s2", "s3"], ["b0", "b1", "b2"]]
    assert groups[0].size == 4 and groups[0].votes == 5
    assert groups[1].votes == 100
    assert "垃圾站" in groups[0].terms and groups[0].representative in groups[0].ids


def test_hot_issues_ignore_groups_smaller_than_min_size():
    assert hot_issues(NOISE, min_size=2, threshold=0.5) == []


def test_a_model_backed_index_uses_the_models_vectors(small_model):
    idx = SimilarityIndex.for_model(small_model)
    idx.add(1, ("公司拖欠工资", "老板拖欠三个月工资"))
    idx.add(2, ("小区物业乱收费", "物业公司乱收停车费"))
    assert idx.query(("拖欠工资", "拖欠工资"), k=1)[0][0] == 1
