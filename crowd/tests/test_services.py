"""Readings in, alerts, cases and dispatches out: the crowd services against the database."""

from datetime import timedelta

import numpy as np
import pytest
import time_machine

from crowd import events, selectors, services
from crowd.errors import CrowdConflict, CrowdForbidden, CrowdInputError, CrowdNotFound
from crowd.models import Alert, Dispatch, Reading, Responder

from .conftest import T0, at

NOW = T0 + timedelta(hours=1)  # the server's clock when the test readings arrive


def ingest(readings, **kw):
    return services.ingest_readings(readings=readings, now=NOW, **kw)


def occupancy(venue, zone) -> float:
    return services.live_updates(venue.pk)[zone.pk]["occupancy"]


def gate(t, n_in, n_out=0, sensor="sq-gate"):
    return {"sensor": sensor, "ts": at(t), "in": n_in, "out": n_out}


def fill_lane(start, end, per_s):
    """People walking from the square into the lane, `per_s` each second."""
    return [gate(t, per_s, 0, sensor="lane-gate") for t in range(start, end)]


# ------------------------------------------------------------------ validation


def test_a_batch_with_one_bad_reading_is_refused_whole_and_names_the_field(venue):
    batch = [gate(1, 10), gate(2, -3), gate(3, 5)]
    with pytest.raises(CrowdInputError) as err:
        ingest(batch)
    assert err.value.errors == {"readings[1].in": "must be a whole number ≥ 0"}
    assert Reading.objects.count() == 0
    assert services.live_updates(venue.pk) == {}


def test_every_problem_of_a_batch_is_named_by_reading_and_field(venue):
    batch = [
        {"sensor": "nobody", "ts": at(1), "in": 1, "out": 0},
        {"sensor": "sq-gate", "ts": "2025-12-31T23:00:00", "in": 1, "out": 0},
        {"sensor": "sq-gate", "ts": at(2), "in": 1, "out": 0, "visitor": "a1b2"},
        {"sensor": "sq-cam", "ts": at(3), "count": 1.5},
        {"sensor": "pos", "ts": at(4), "positions": [[106.5, 29.5], [200, 29.5]]},
        {"sensor": "sq-gate", "ts": (NOW + timedelta(hours=1)).isoformat(), "in": 1, "out": 0},
        {"sensor": "sq-gate", "ts": at(5), "out": 0},
        {"sensor": "sq-cam", "ts": at(6), "count": 10**30},
    ]
    with pytest.raises(CrowdInputError) as err:
        ingest(batch)
    assert err.value.errors == {
        "readings[0].sensor": "unknown sensor",
        "readings[1].ts": "must carry a time zone",
        "readings[2].visitor": "unknown field for a counter sensor",
        "readings[3].count": "must be a whole number ≥ 0",
        "readings[4].positions": "longitude and latitude must be finite and in range",
        "readings[5].ts": "lies in the future",
        "readings[6].in": "required",
        "readings[7].count": "at most 10000000",
    }
    assert Reading.objects.count() == 0


def test_a_sensor_outside_the_callers_territory_reads_as_unknown(venue, operators):
    with pytest.raises(CrowdInputError) as err:
        ingest([gate(1, 10)], actor=operators["far"])
    assert err.value.errors == {"readings[0].sensor": "unknown sensor"}
    assert ingest([gate(1, 10)], actor=operators["crowd"]).accepted == 1


# ------------------------------------------------------------------ idempotency, order


def test_a_resent_batch_is_stored_and_counted_once(venue):
    batch = [gate(t, 10, 2) for t in range(1, 11)]
    first = ingest(batch)
    again = ingest(batch + [gate(5, 99)])  # the repeat of t=5 with other counts is ignored too
    assert (first.accepted, first.duplicates) == (10, 0)
    assert (again.accepted, again.duplicates) == (0, 11)
    assert Reading.objects.count() == 10
    assert occupancy(venue, venue.square) == 80


def test_epoch_seconds_and_iso_times_of_the_same_instant_are_the_same_reading(venue):
    ingest([gate(1, 10)])
    assert (
        ingest([{"sensor": "sq-gate", "ts": T0.timestamp() + 1, "in": 10, "out": 0}]).duplicates
        == 1
    )


def test_a_shuffled_batch_gives_the_same_occupancy_as_one_in_order(venue):
    rng = np.random.default_rng(3)
    batch = [gate(t, int(rng.integers(5, 30)), int(rng.integers(0, 10))) for t in range(1, 121)]
    ingest(batch)
    in_order = occupancy(venue, venue.square)
    services.reset_venue_live_data(venue=venue)
    shuffled = [batch[i] for i in rng.permutation(len(batch))]
    ingest(shuffled)
    assert occupancy(venue, venue.square) == in_order
    assert in_order == sum(r["in"] - r["out"] for r in batch)


def test_late_counter_readings_are_booked_unless_a_later_headcount_already_counted_them(venue):
    ingest([gate(t, 10) for t in range(1, 11)])
    late = ingest([gate(12, 10), gate(11, 10)])  # 11 arrives after 12: still booked
    assert late.late == 0 and occupancy(venue, venue.square) == 120
    ingest([{"sensor": "sq-cam", "ts": at(20), "count": 300, "std": 0}])
    stale = ingest([gate(15, 50)])  # before the headcount: the camera saw these people
    assert stale.late == 1
    assert occupancy(venue, venue.square) == 300
    assert (
        Reading.objects.get(sensor__code="sq-gate", ts=T0 + timedelta(seconds=15)).applied is False
    )


def test_a_headcount_a_few_seconds_late_still_counts_and_a_stale_one_is_only_stored(venue):
    ingest([gate(t, 10) for t in range(1, 31)])  # 300 people by t=30
    # counted 900 at t=25; the gate has let 50 more in since
    ingest([{"sensor": "sq-cam", "ts": at(25), "count": 900, "std": 5}])
    assert occupancy(venue, venue.square) == pytest.approx(950, abs=5)
    result = ingest([{"sensor": "sq-cam", "ts": at(5), "count": 0, "std": 5}])
    assert result.late == 1 and occupancy(venue, venue.square) > 850


def test_position_samples_are_counted_per_zone_and_only_their_number_is_kept(venue):
    rng = np.random.default_rng(1)
    in_square = venue.projection.to_lonlat(rng.uniform([-49, -24], [49, 24], size=(6000, 2)))
    in_lane = venue.projection.to_lonlat(rng.uniform([-49, 31], [49, 34], size=(400, 2)))
    outside = venue.projection.to_lonlat(rng.uniform([200, 200], [300, 300], size=(50, 2)))
    positions = np.vstack([in_square, in_lane, outside]).tolist()
    ingest([{"sensor": "pos", "ts": at(1), "positions": positions}])
    assert occupancy(venue, venue.square) == pytest.approx(6000, rel=0.01)
    assert occupancy(venue, venue.lane) == pytest.approx(400, rel=0.01)
    reading = Reading.objects.get(sensor__code="pos")
    assert (reading.count, reading.inflow, reading.outflow) == (6450, None, None)
    assert not hasattr(reading, "positions")


# ------------------------------------------------------------------ alerts and cases


def test_a_filling_lane_raises_escalates_to_serious_and_opens_an_urgent_crowd_case(
    venue, django_capture_on_commit_callbacks
):
    # given: 20 people a second walking into a 500 m² lane (serious from 4 p/m²)
    with django_capture_on_commit_callbacks(execute=True):
        ingest(fill_lane(1, 121, 20))
    # then: attention after 10 s at ≥ 1.5 p/m², and escalations on the way to serious
    kinds = list(
        Alert.objects.filter(zone=venue.lane)
        .order_by("raised_at", "pk")
        .values_list("kind", "level")
    )
    assert kinds[0] == ("raise", 1)
    assert kinds[-1] == ("escalate", 4)
    serious = Alert.objects.get(zone=venue.lane, level=4)
    case = serious.case
    assert case is not None
    assert (case.case_type.code, case.category.code, case.priority, case.channel) == (
        "crowd",
        "crowd-density",
        "urgent",
        "crowd",
    )
    assert "小巷" in case.title
    # only the serious one is still open: each level superseded the one before
    assert list(Alert.objects.filter(zone=venue.lane, cleared_at=None)) == [serious]
    # the square lost those people
    assert occupancy(venue, venue.square) == 0


def test_a_case_is_opened_once_per_serious_episode(venue, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        ingest(fill_lane(1, 121, 20))
        first = services.open_case_for_serious_alert(
            alert_id=Alert.objects.get(zone=venue.lane, level=4).pk
        )
    assert (
        services.open_case_for_serious_alert(
            alert_id=Alert.objects.get(zone=venue.lane, level=4).pk
        )
        == first
    )
    assert (
        services.open_case_for_serious_alert(
            alert_id=Alert.objects.filter(zone=venue.lane, level=1).get().pk
        )
        is None
    )


def test_flow_control_relieves_the_lane_which_steps_down_then_clears(
    venue, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        ingest(fill_lane(1, 91, 20))  # 1800 people: 3.6 p/m², alert level
        # flow control: the lane empties at 15 a second, nobody let in
        ingest([gate(t, 0, 15, sensor="lane-gate") for t in range(91, 400)])
    kinds = list(
        Alert.objects.filter(zone=venue.lane)
        .order_by("raised_at", "pk")
        .values_list("kind", flat=True)
    )
    assert kinds[-1] == "clear" and "deescalate" in kinds
    assert not Alert.objects.filter(zone=venue.lane, cleared_at=None).exists()
    assert not Alert.objects.filter(zone=venue.lane, level=4).exists()  # never serious


def test_a_silent_sensor_is_reported_once_and_restored_when_it_reports(
    venue, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        ingest(
            [gate(t, 1) for t in range(1, 11)]
            + [gate(t, 0, sensor="lane-gate") for t in range(1, 11)]
        )
        ingest([gate(t, 0, sensor="lane-gate") for t in range(11, 60)])
        services.tick(now=T0.timestamp() + 60)
        services.tick(now=T0.timestamp() + 61)
    silent = Alert.objects.get(kind="sensor_silent", sensor__code="sq-gate")
    assert silent.zone == venue.square and silent.cleared_at is None
    with django_capture_on_commit_callbacks(execute=True):
        ingest([gate(62, 1)])
    silent.refresh_from_db()
    assert silent.cleared_at is not None
    assert Alert.objects.filter(kind="sensor_restored", sensor__code="sq-gate").count() == 1
    assert Alert.objects.filter(kind="sensor_silent", sensor__code="sq-gate").count() == 1


def test_a_steady_inflow_gives_an_early_warning_before_the_alert(venue):
    # 5 people a second into the square: 4 p/m² (20,000) is ~60 min away, then closer
    ingest([gate(t, 25) for t in range(1, 600)])
    warning = Alert.objects.get(zone=venue.square, kind="early_warning")
    assert warning.level == 3 and 0 < warning.minutes <= 15


def test_acknowledging_records_who_and_when_and_twice_changes_nothing(venue, operators):
    ingest(fill_lane(1, 31, 20))
    alert = Alert.objects.filter(zone=venue.lane).first()
    with time_machine.travel(NOW, tick=False):
        services.acknowledge_alert(alert_id=alert.pk, actor=operators["crowd"])
    with time_machine.travel(NOW + timedelta(seconds=30), tick=False):
        again = services.acknowledge_alert(alert_id=alert.pk, actor=operators["crowd"])
    assert again.acknowledged_at == NOW and again.acknowledged_by == operators["crowd"]


def test_an_operator_of_another_street_cannot_find_the_alert_and_a_watcher_cannot_act(
    venue, operators
):
    ingest(fill_lane(1, 31, 20))
    alert = Alert.objects.filter(zone=venue.lane).first()
    with pytest.raises(CrowdNotFound):
        services.acknowledge_alert(alert_id=alert.pk, actor=operators["far"])
    with pytest.raises(CrowdForbidden):
        services.acknowledge_alert(alert_id=alert.pk, actor=operators["watcher"])
    alert.refresh_from_db()
    assert alert.acknowledged_at is None


def test_a_layout_change_rebuilds_the_live_state_from_the_last_snapshot_without_a_second_raise(
    venue,
):
    ingest(fill_lane(1, 61, 10))  # 600 people: 1.2 → caution at 2.5? no: attention at 1.5
    before = Alert.objects.count()
    level = services.live_updates(venue.pk)[venue.lane.pk]["level"]
    services.add_sensor(venue=venue, code="lane-cam", kind="headcount", zone=venue.lane)
    ingest([gate(t, 0, sensor="lane-gate") for t in range(61, 80)])
    assert services.live_updates(venue.pk)[venue.lane.pk]["level"] == level
    assert Alert.objects.count() == before
    assert occupancy(venue, venue.lane) == pytest.approx(600, abs=1)


def test_a_failure_while_storing_leaves_nothing_behind_and_forgets_the_live_state(
    venue, monkeypatch
):
    ingest([gate(t, 10) for t in range(1, 11)])

    def broken(*args, **kwargs):
        raise RuntimeError("disk full")

    # the readings are written, then storing the snapshots and alerts fails
    monkeypatch.setattr(services, "_store_outcome", broken)
    with pytest.raises(RuntimeError):
        ingest([gate(t, 10) for t in range(11, 31)])
    monkeypatch.undo()
    assert Reading.objects.count() == 10
    assert services.live_updates(venue.pk) == {}
    ingest([gate(31, 0)])  # rebuilt from the snapshot at t=10: 100 people
    assert occupancy(venue, venue.square) == 100


# ------------------------------------------------------------------ dispatch


@pytest.fixture
def responders(venue, street):
    """Four responders at known distances east of the square's centre."""
    p = venue.projection
    made = {}
    for code, x, mobility in (
        ("near", 150, "foot"),
        ("mid", 400, "foot"),
        ("far", 1200, "foot"),
        ("bike", 900, "bicycle"),
    ):
        lon, lat = p.to_lonlat((x, 0))
        made[code] = services.add_responder(
            code=code,
            name=code,
            kind="unit",
            mobility=mobility,
            lon=float(lon),
            lat=float(lat),
            area=street,
        )
    return made


def test_dispatch_sends_the_fastest_available_responders(venue, operators, responders):
    ingest(fill_lane(1, 31, 20))
    alert = Alert.objects.filter(zone=venue.lane).first()
    sent = services.dispatch_nearest(alert_id=alert.pk, actor=operators["crowd"], count=2)
    # foot 1.4 m/s × 1.3 detour; bicycle 3.5 m/s × 1.4: 900 m by bike (360 s) beats 400 m on
    # foot (371 s)
    assert [d.responder.code for d in sent] == ["near", "bike"]
    assert sent[0].travel_s == pytest.approx(sent[0].distance_m * 1.3 / 1.4)
    statuses = dict(Responder.objects.values_list("code", "status"))
    assert statuses == {
        "near": "dispatched",
        "bike": "dispatched",
        "mid": "available",
        "far": "available",
    }
    nxt = services.dispatch_nearest(alert_id=alert.pk, actor=operators["crowd"], count=1)
    assert nxt[0].responder.code == "mid"


def test_acknowledge_on_scene_and_clear_are_timed_and_free_the_responder(
    venue, operators, responders
):
    ingest(fill_lane(1, 31, 20))
    alert = Alert.objects.filter(zone=venue.lane).first()
    with time_machine.travel(NOW, tick=False):
        (d,) = services.dispatch_nearest(alert_id=alert.pk, actor=operators["crowd"], count=1)
    with time_machine.travel(NOW + timedelta(seconds=25), tick=False):
        services.step_dispatch(dispatch_id=d.pk, step="acknowledge", actor=operators["crowd"])
    with time_machine.travel(NOW + timedelta(seconds=140), tick=False):
        services.step_dispatch(dispatch_id=d.pk, step="on_scene", actor=operators["crowd"])
    assert Responder.objects.get(code="near").status == "on_scene"
    with time_machine.travel(NOW + timedelta(minutes=20), tick=False):
        services.step_dispatch(dispatch_id=d.pk, step="clear", actor=operators["crowd"])
    d.refresh_from_db()
    assert (d.acknowledge_s, d.response_s) == (25.0, 140.0)
    assert Responder.objects.get(code="near").status == "available"
    with pytest.raises(CrowdConflict):
        services.step_dispatch(dispatch_id=d.pk, step="acknowledge", actor=operators["crowd"])
    with time_machine.travel(NOW + timedelta(minutes=21), tick=False):
        stats = selectors.response_stats(venue)
    assert stats["dispatch_ack_median_s"] == 25.0 and stats["on_scene_median_s"] == 140.0


def test_with_nobody_available_dispatch_is_a_conflict_and_changes_nothing(
    venue, operators, responders
):
    Responder.objects.update(status="off_duty")
    ingest(fill_lane(1, 31, 20))
    alert = Alert.objects.filter(zone=venue.lane).first()
    with pytest.raises(CrowdConflict):
        services.dispatch_nearest(alert_id=alert.pk, actor=operators["crowd"])
    assert not Dispatch.objects.exists()


def test_coverage_counts_only_available_responders(venue, operators, responders):
    before = selectors.coverage(venue)
    assert before["available"] == 4
    assert 0 < before["within_60s"] < before["within_180s"] < 1
    Responder.objects.filter(code__in=["near", "mid"]).update(status="off_duty")
    after = selectors.coverage(venue)
    assert after["available"] == 2 and after["within_180s"] < before["within_180s"]


# ------------------------------------------------------------------ live events


def test_an_alert_reaches_a_subscriber_of_the_venue_after_commit(
    venue, django_capture_on_commit_callbacks
):
    sub = events.subscribe(venue.pk)
    other = events.subscribe(venue.pk + 1000)
    try:
        with django_capture_on_commit_callbacks(execute=True):
            ingest(fill_lane(1, 61, 20))
        frames = []
        while (frame := sub.get(timeout=0.01)) is not None:
            frames.append(frame.decode())
        names = [f.split("\n", 1)[0] for f in frames]
        assert "event: alert" in names and "event: zones" in names
        raised = [f for f in frames if f.startswith("event: alert\n") and '"kind":"raise"' in f]
        assert len(raised) == 1 and f'"zone":{venue.lane.pk}' in raised[0]
        assert other.get(timeout=0.01) is None
    finally:
        sub.close()
        other.close()
