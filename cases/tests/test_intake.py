"""intake_case: validate → locate → classify → dedupe → route → deadline → one transaction."""

import pytest
from django.db import connection

from cases import services
from cases.choices import Location, Status
from cases.errors import CaseInputError, CaseNotFound, IdempotencyConflict
from cases.models import Case, CaseEvent, Party

pytestmark = pytest.mark.django_db


def test_a_report_is_located_to_its_grid_routed_numbered_and_given_a_deadline(first_grid):
    result = services.intake_case(
        title="小区门口井盖松动",
        text="走上去会晃，晚上很危险",
        channel="resident_web",
        case_type="hazard",
        lon=first_grid.centroid_lon,
        lat=first_grid.centroid_lat,
        parties=[{"role": "reporter", "name": "王小明", "phone": "13812341234"}],
    )
    case = result.case
    assert result.created and len(result.public_code) == 8
    assert case.grid_code == first_grid.code == case.area_code
    assert case.location == Location.LOCATED
    assert case.number.startswith(f"500103-{case.received_at.year}-")
    assert case.category.code == "hazard-road"  # from the keyword 井盖
    assert case.owner_unit.code == f"{first_grid.code[:9]}-office"  # its street office
    assert case.due_at > case.received_at and case.warn_at < case.due_at
    assert case.status == Status.RECEIVED
    event = CaseEvent.objects.get(case=case)
    assert event.kind == "intake" and event.data["proposal"]["reasons"] == ["井盖"]


def test_personal_data_is_encrypted_at_rest_and_masked_on_screen(first_grid):
    case = services.intake_case(
        title="噪音扰民",
        channel="hotline",
        case_type="request",
        lon=first_grid.centroid_lon,
        lat=first_grid.centroid_lat,
        parties=[
            {
                "name": "王小明",
                "phone": "13812341234",
                "id_number": "500103199001011234",
                "email": "xiaoming@example.com",
            }
        ],
    ).case
    party = Party.objects.get(case=case)
    assert (party.masked_name, party.masked_phone) == ("王*明", "138****1234")
    assert party.masked_id_number == "500103********1234"
    assert party.masked_email == "x***@example.com"
    with connection.cursor() as cursor:
        cursor.execute(
            "select name, phone, id_number, email from cases_party where id = %s", [party.pk]
        )
        raw = cursor.fetchone()
    assert all(v.startswith("enc1:") for v in raw)
    assert "13812341234" not in "".join(raw)


def test_a_retried_request_with_the_same_client_key_returns_the_same_case(first_grid):
    kw = {
        "title": "路灯不亮",
        "channel": "open311",
        "case_type": "request",
        "client_key": "app-42",
        "lon": first_grid.centroid_lon,
        "lat": first_grid.centroid_lat,
    }
    first = services.intake_case(**kw)
    again = services.intake_case(**kw)
    assert again.case.pk == first.case.pk and not again.created
    assert Case.objects.filter(client_key="app-42").count() == 1


def test_the_same_client_key_with_another_request_is_refused_not_answered(first_grid):
    kw = {
        "title": "路灯不亮",
        "channel": "open311",
        "case_type": "request",
        "client_key": "app-43",
        "lon": first_grid.centroid_lon,
        "lat": first_grid.centroid_lat,
    }
    services.intake_case(**kw)
    with pytest.raises(IdempotencyConflict) as caught:
        services.intake_case(**{**kw, "title": "别人的案件"})
    assert caught.value.status == 422 and "client_key" in caught.value.errors
    assert Case.objects.filter(client_key="app-43").count() == 1


def test_control_characters_are_stripped_at_intake(first_grid):
    case = services.intake_case(
        title="路灯\x07不亮\x1b",
        text="第一行\n第二行\t\x7f\x85",
        address="\x0c三号楼",
        channel="hotline",
        case_type="request",
        parties=[{"name": "王\x08小明"}],
        lon=first_grid.centroid_lon,
        lat=first_grid.centroid_lat,
    ).case
    case.refresh_from_db()
    assert (case.title, case.text, case.address) == ("路灯不亮", "第一行\n第二行", "三号楼")
    assert case.parties.get().name == "王小明"


def test_a_point_outside_every_grid_is_accepted_flagged_and_sent_to_the_district_center(users):
    case = services.intake_case(
        title="江边护栏损坏", channel="hotline", case_type="hazard", lon=106.40, lat=29.40
    ).case
    assert case.location == Location.OUTSIDE
    assert case.area_code == "500103" and case.grid_code == ""
    assert case.owner_unit.code == "500103-center"


def test_a_case_without_a_point_falls_back_to_the_reporters_grid(first_grid):
    case = services.intake_case(
        title="楼上漏水", channel="clerk", case_type="dispute", reporter_grid=first_grid.code
    ).case
    assert case.location == Location.REPORTER_GRID and case.area_code == first_grid.code


@pytest.mark.parametrize(
    ("kw", "field"),
    [
        ({"title": ""}, "title"),
        ({"title": "x" * 201}, "title"),
        ({"text": "x" * 5001}, "text"),
        ({"channel": "carrier-pigeon"}, "channel"),
        ({"case_type": "weather"}, "case_type"),
        ({"category": "no-such"}, "category"),
        ({"category": "petition-land"}, "category"),  # not a hazard category
        ({"lon": 200.0}, "lon"),
        ({"lat": -95.0}, "lat"),
        ({"lon": "east"}, "lon"),
        ({"lat": None}, "lat"),
        ({"priority": "whenever"}, "priority"),
        ({"parties": [{"phone": "call me maybe"}]}, "parties[0].phone"),
        ({"parties": [{"email": "xiaoming at example"}]}, "parties[0].email"),
        ({"parties": [{"role": "judge"}]}, "parties[0].role"),
        ({"client_key": "k" * 161}, "client_key"),  # a stored key: scope and key
        ({"title": "井盖\x00松动"}, "title"),
        ({"text": "\x00"}, "text"),
        ({"address": "a\x00"}, "address"),
        ({"parties": [{"name": "王\x00"}]}, "parties[0].name"),
        ({"client_key": "k\x00"}, "client_key"),
    ],
)
def test_bad_input_names_the_field_and_writes_nothing(first_grid, kw, field):
    params = {
        "title": "井盖松动",
        "channel": "hotline",
        "case_type": "hazard",
        "lon": first_grid.centroid_lon,
        "lat": first_grid.centroid_lat,
        **kw,
    }
    with pytest.raises(CaseInputError) as caught:
        services.intake_case(**params)
    assert field in caught.value.errors
    assert Case.objects.count() == 0 and CaseEvent.objects.count() == 0


def test_a_grid_worker_cannot_file_a_case_in_another_street(users, far_grid):
    with pytest.raises(CaseNotFound):
        services.intake_case(
            title="井盖松动",
            channel="grid_worker",
            case_type="hazard",
            lon=far_grid.centroid_lon,
            lat=far_grid.centroid_lat,
            actor=users["gridworker"],
        )
    assert Case.objects.count() == 0


def test_similar_open_cases_nearby_are_offered_as_possible_duplicates(first_grid):
    kw = {
        "title": "消防通道被电动车堵死",
        "text": "一楼消防通道停满电动车",
        "channel": "hotline",
        "category": "hazard-fire",
        "lon": first_grid.centroid_lon,
        "lat": first_grid.centroid_lat,
    }
    first = services.intake_case(**kw).case
    second = services.intake_case(**{**kw, "lon": kw["lon"] + 0.0005})
    assert [c.pk for c, _ in second.duplicates] == [first.pk]
    far = services.intake_case(**{**kw, "lon": kw["lon"] + 0.02})
    assert far.duplicates == []


def test_case_numbers_run_per_district_and_year(make_case):
    a, b = make_case(), make_case()
    assert int(b.number[-6:]) == int(a.number[-6:]) + 1


def test_warm_up_loads_what_intake_keeps_in_memory(demo_org):
    """`pingan serve` calls it in each worker before requests: the grid locator (and the
    catalogue, rules and triage model) are in memory afterwards."""
    from territory import locator

    locator.invalidate_locator()
    services.warm_up()
    assert locator._state["locator"] is not None and len(locator._state["locator"]) == 879
