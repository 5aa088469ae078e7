"""pingan.redact: every written form of a phone number, an ID number, an e-mail address and a
cued name is masked wherever free text leaves the system (Open311, staff pages, the REST API,
exports), ordinary numbers are left alone, and no export cell is ever a formula."""

from __future__ import annotations

import csv
import io
import re
import unicodedata

import pytest
from django.db.models import F
from django.test import Client
from django.urls import reverse
from openpyxl import load_workbook

from pingan import redact

# (form, the written value, the digits/letters that must not survive)
SENSITIVE = [
    ("mainland ID, 18", "110105199001010357", "19900101"),
    ("mainland ID, 18 with X", "11010519900101035X", "19900101"),
    ("mainland ID, 18 with x", "11010519900101035x", "19900101"),
    ("mainland ID, 15", "110105900101035", "90010"),
    ("Hong Kong ID", "A123456(7)", "123456"),
    ("Hong Kong ID, two letters", "AB987654(A)", "987654"),
    ("Hong Kong ID, full-width brackets", "C246802（3）", "246802"),
    ("Macao ID", "1234567(8)", "234567"),
    ("Macao ID, slashes", "1/234567/8", "234567"),
    ("Taiwan ID", "A123456789", "2345678"),
    ("passport E + 8", "E12345678", "234567"),
    ("passport G + 7", "G1234567", "123456"),
    ("passport two letters", "EA1234567", "123456"),
    ("mobile", "13924680975", "2468"),
    ("mobile +86", "+8613924680975", "2468"),
    ("mobile +86 with spaces", "+86 139 2468 0975", "2468"),
    ("mobile 0086", "0086-13924680975", "2468"),
    ("mobile 86-", "86-13924680975", "2468"),
    ("mobile (+86)", "(+86)13924680975", "2468"),
    ("mobile with dots", "139.2468.0975", "2468"),
    ("mobile with spaces", "139 2468 0975", "2468"),
    ("mobile with dashes", "139-2468-0975", "2468"),
    ("mobile in full-width digits", "１３９２４６８０９７５", "2468"),
    ("landline 010-", "010-62345678", "623456"),
    ("landline (0755)", "(0755) 2345 6789", "234567"),
    ("landline full-width brackets", "（０７５５）２３４５６７８９", "234567"),
    ("landline with dot", "0755.23456789", "234567"),
    ("landline with spaces", "021 6123 4567", "612345"),
    ("landline with extension", "010-62345678-123", "623456"),
    ("landline +86", "+86 10 6234 5678", "623456"),
    ("landline no separator", "075523456789", "234567"),
    ("local number after 电话", "电话 6123 4567", "612345"),
    ("bank card", "6222021234567890123", "12345678"),
]
EMAILS = ["zhang.san@example.com", "li_si+12345@mail.qq.com"]
NAMES = [
    ("我叫张三丰", "三丰"),
    ("联系人：李四", "四"),
    ("联系人: 王小明", "小明"),
    ("联系电话人赵六", "六"),
    ("姓名：欧阳娜娜", "阳娜"),
    ("本人刘德华反映", "德"),
    ("我是陈大文，住3号楼", "大文"),
]
# Ordinary numbers and words that must come out exactly as they went in.
PLAIN = [
    "2026-11-24 14:30 发现",
    "2026年11月24日",
    "2026/11/24",
    "案件 500103-2026-000123 已办结",
    "3号楼2单元501室",
    "面积120平方米",
    "约300米",
    "高峰时段7:30-9:00",
    "编号 TZ-2025-00001",
    "1号楼101",
    "我是本小区居民",
    "我是住户，我叫不出名字的东西",
    "温度零下5度",
    "GB 50016-2014",
    "消防通道被堵",
    "报警110和119",
    "第12345期",
    "金额 1,234.56 元",
]


def digits_of(text: str) -> str:
    return re.sub(r"\D", "", unicodedata.normalize("NFKC", text))


def windows(secret: str, size: int = 4) -> set[str]:
    return {secret[i : i + size] for i in range(len(secret) - size + 1)}


def assert_hidden(out: str, value: str, secret: str) -> None:
    assert value not in out and unicodedata.normalize("NFKC", value) not in out, out
    if secret.isdigit():
        runs = re.findall(r"\d+", unicodedata.normalize("NFKC", out))
        assert not any(w in run for w in windows(secret) for run in runs), (value, out)
    else:
        assert secret not in out, (value, out)


@pytest.mark.parametrize(("form", "value", "secret"), SENSITIVE, ids=[s[0] for s in SENSITIVE])
def test_scrub_masks_every_form(form, value, secret):
    for text in (value, f"请联系{value}谢谢", f"情况：{value}，尽快处理"):
        out = redact.scrub(text)
        assert_hidden(out, value, secret)
        assert "*" in out


def test_scrub_keeps_the_rest_readable():
    out = redact.scrub("路灯坏了，电话13912345678，3号楼2单元501，2026-11-24报的")
    assert out == "路灯坏了，电话139****5678，3号楼2单元501，2026-11-24报的"
    assert redact.scrub("身份证500103199001011234") == "身份证500103********1234"


@pytest.mark.parametrize("email", EMAILS)
def test_scrub_masks_emails(email):
    out = redact.scrub(f"邮箱{email}，谢谢")
    assert email not in out and "@" in out and out.startswith("邮箱") and out.endswith("，谢谢")
    assert email.split("@")[0] not in out


@pytest.mark.parametrize(("text", "hidden"), NAMES)
def test_scrub_masks_the_name_after_a_cue(text, hidden):
    out = redact.scrub(text)
    assert hidden not in out and "*" in out, out


@pytest.mark.parametrize("text", PLAIN)
def test_scrub_leaves_ordinary_numbers_and_words(text):
    assert redact.scrub(text) == text


def test_scrub_of_nothing():
    assert redact.scrub(None) == "" and redact.scrub("") == ""


@pytest.mark.parametrize(
    "value",
    [
        "1234567890",
        "A1234567",
        "H123456(7)",
        "12345",
        "1234",
        "500103199001011234",
        "E12345678",
        "123456789012",
    ],
)
def test_id_number_masks_never_show_a_value_whole(value):
    masked = redact.mask_id_number(value)
    assert masked != value and len(masked) == len(value) and "*" in masked
    assert masked.count("*") * 2 >= len(value) or len(value) >= 15
    if len(value) >= 15:  # a mainland ID: the region and the last four, nothing between
        assert masked[6:-4] == "*" * (len(value) - 10)
        return
    middle = value[2:-2]
    for w in windows(digits_of(middle)):
        assert not any(w in run for run in re.findall(r"\d+", masked))


@pytest.mark.parametrize(
    "value", ["13812341234", "61234567", "12345", "1234", "+8613812341234", "010-62345678"]
)
def test_phone_masks_never_show_a_value_whole(value):
    masked = redact.mask_phone(value)
    assert masked != value and "*" in masked


def test_the_usual_masks_are_kept():
    assert redact.mask_phone("13812341234") == "138****1234"
    assert redact.mask_id_number("500103199001011234") == "500103********1234"
    assert redact.mask_name("王小明") == "王*明"
    assert redact.mask_email("x@example.com") == "x***@example.com"
    from cases import crypto

    assert crypto.mask_id_number("1234567890") == redact.mask_id_number("1234567890")
    assert crypto.mask_id_number("1234567890") != "1234567890"


@pytest.mark.parametrize(
    "value",
    [
        '=HYPERLINK("http://x","y")',
        "+1",
        "-2+3",
        "@SUM(A1)",
        "\tx",
        "\rx",
        "＝1+1",
        "＋1",
        "－1",
        "＠A",
    ],
)
def test_neutralise_formula_starts(value):
    assert redact.neutralise(value) == "'" + value


def test_neutralise_strips_control_characters_and_leaves_other_values():
    assert redact.neutralise("a\x0bb\x00c\x1f") == "abc"
    assert redact.neutralise("line\nnext") == "line\nnext"
    assert redact.neutralise(12) == 12 and redact.neutralise(None) is None
    assert redact.neutralise("路灯") == "路灯"


def test_scrub_data_keeps_our_codes():
    data = {
        "grid": "500103001001001",
        "note": "电话13912345678",
        "co_units": ["a"],
        "source": {"format": "xlsx", "remark": "联系人李四"},
    }
    out = redact.scrub_data(data)
    assert out["grid"] == "500103001001001" and "13912345678" not in out["note"]
    assert "李四" not in out["source"]["remark"] and out["source"]["format"] == "xlsx"


# -- over HTTP ---------------------------------------------------------------------------------
TEXT = (
    "；".join(v for _f, v, _s in SENSITIVE)
    + "；"
    + "；".join(EMAILS)
    + "；"
    + "；".join(t for t, _h in NAMES)
)


def assert_body_clean(body: str, *fields: str) -> None:
    """No form anywhere in the body; each free-text field (as shown) fully checked."""
    body = body.replace("\\/", "/")
    for _form, value, secret in SENSITIVE:
        assert value not in body and unicodedata.normalize("NFKC", value) not in body, value
        if len(secret) >= 6:
            assert secret not in body, value
        for field in fields:
            assert_hidden(field, value, secret)
    for email in EMAILS:
        assert email not in body
    for _text, hidden in NAMES:
        if len(hidden) >= 2:
            assert hidden not in body, hidden


@pytest.fixture
def leaky_case(make_case):
    # Title, text, address and a note: each holds every form.
    return make_case(
        title="楼道杂物 13924680975",
        text=TEXT,
        address="示例路1号 联系人李四",
        case_type="request",
        category="request-urban-works",
    )


@pytest.mark.django_db
def test_open311_publishes_none_of_the_forms(leaky_case):
    client = Client()
    for url in (
        "/open311/v2/requests.json",
        f"/open311/v2/requests/{leaky_case.number}.json",
        f"/open311/v2/requests/{leaky_case.number}.xml",
    ):
        response = client.get(url)
        assert response.status_code == 200
        body = response.content.decode()
        assert leaky_case.number in body
        fields = []
        if url.endswith(".json"):
            [row] = [r for r in response.json() if r["service_request_id"] == leaky_case.number]
            fields = [row["description"], row["address"]]
            assert "139****0975" in row["description"]
        assert_body_clean(body, *fields)


@pytest.mark.django_db
def test_the_staff_case_page_and_list_show_none_of_the_forms(client, users, leaky_case):
    client.force_login(users["dispatcher"])
    page = client.get(reverse("cases:detail", args=[leaky_case.number]))
    assert page.status_code == 200
    body = page.content.decode()
    assert "139****0975" in body and "楼道杂物" in body
    text = re.search(r'<p class="case-text">(.*?)</p>', body, re.S).group(1)
    assert_body_clean(body, text)
    listing = client.get(reverse("cases:list")).content.decode()
    assert leaky_case.number in listing and "13912345678" not in listing


@pytest.mark.django_db
def test_the_api_case_detail_shows_none_of_the_forms(users, leaky_case):
    from api.models import ApiToken

    _token, raw = ApiToken.issue(name="t", user=users["dispatcher"])
    client = Client(headers={"Authorization": f"Bearer {raw}"})
    response = client.get(f"/api/v1/cases/{leaky_case.number}")
    assert response.status_code == 200
    detail = response.json()
    assert "139****0975" in detail["title"] and "*" in detail["text"]
    assert_body_clean(response.content.decode(), detail["title"], detail["text"], detail["address"])
    events = client.get(f"/api/v1/cases/{leaky_case.number}/events")
    assert events.status_code == 200
    listing = client.get("/api/v1/cases")
    assert "13912345678" not in listing.content.decode()


# -- exports -----------------------------------------------------------------------------------
FORMULA = '=HYPERLINK("http://x","y")'


def cells(response):
    assert response.status_code == 200
    book = load_workbook(io.BytesIO(response.content))
    return [c for ws in book.worksheets for row in ws.iter_rows() for c in row]


@pytest.mark.django_db
def test_the_case_export_writes_text_never_a_formula(client, users, make_case):
    from django.db import connection

    from cases.models import Case

    formula = make_case()
    control = make_case()
    # As old rows may hold them, whatever intake accepts today.
    Case.objects.filter(pk=formula.pk).update(title=FORMULA, address="-1+1")
    # (PostgreSQL cannot store a NUL at all; SQLite can, so old SQLite rows may hold one.)
    nul = "\x00" if connection.vendor == "sqlite" else ""
    Case.objects.filter(pk=control.pk).update(title="井盖\x0b缺失" + nul, address="@SUM(A1)")
    client.force_login(users["dispatcher"])
    found = cells(client.get(reverse("cases:export")))
    assert not [c for c in found if c.data_type == "f"]
    values = [c.value for c in found]
    assert "'" + FORMULA in values and "'-1+1" in values and "'@SUM(A1)" in values
    assert "井盖缺失" in values
    literal = next(c for c in found if c.value == "'" + FORMULA)
    assert literal.data_type == "s"


@pytest.mark.django_db
def test_the_case_export_scrubs_title_and_address(client, users, make_case):
    make_case(title="占道经营 联系13912345678", address="示例路1号 电话 6123 4567")
    client.force_login(users["dispatcher"])
    values = [str(c.value) for c in cells(client.get(reverse("cases:export")))]
    joined = " ".join(values)
    assert "13912345678" not in joined and "6123 4567" not in joined
    assert "占道经营 联系139****5678" in values


@pytest.mark.django_db
def test_the_audit_export_writes_text_never_a_formula(client, users, make_case):
    from cases import services

    case = make_case(parties=[{"name": "王小明", "phone": "13812341234"}])
    party = case.parties.get()
    services.reveal_party(party.pk, actor=users["dispatcher"], reason=FORMULA + "\x0b")
    client.force_login(users["leader"])
    found = cells(client.get(reverse("org:audit-export")))
    assert not [c for c in found if c.data_type == "f"]
    assert any(str(c.value).startswith("'=HYPERLINK") for c in found)


def test_the_scorecard_workbook_writes_text_never_a_formula():
    from measures import exports

    content = exports.workbook("=cmd|' /C calc'!A0", "2026-11", [], [])
    book = load_workbook(io.BytesIO(content))
    found = [c for ws in book.worksheets for row in ws.iter_rows() for c in row]
    assert not [c for c in found if c.data_type == "f"]


@pytest.mark.django_db
def test_the_triage_csv_is_scrubbed_and_never_a_formula(tmp_path, make_case):
    from django.core.management import call_command

    from cases.choices import Status
    from cases.models import Case

    case = make_case(title=FORMULA, text="联系13912345678")
    Case.objects.filter(pk=case.pk).update(status=Status.CLOSED, version=F("version") + 1)
    out = tmp_path / "triage.csv"
    call_command("export_triage_data", out=str(out))
    rows = list(csv.DictReader(out.open(encoding="utf-8")))
    row = next(r for r in rows if "HYPERLINK" in r["title"])
    assert row["title"] == "'" + FORMULA and "13912345678" not in row["detail"]
