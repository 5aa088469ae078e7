"""Reading GeoReport v2 arguments: jurisdiction, w3c datetimes, comma lists, paging, POST fields.

Every problem becomes an `Open311Error` whose descriptions start with the argument's name.
POST validation collects every problem before anything is written.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import URLValidator, validate_email
from django.utils import timezone
from django.utils.translation import gettext as _

from api.models import ApiToken
from api.open311 import mapping, selectors
from api.open311.render import Open311Error
from cases.choices import Priority
from cases.services import ADDRESS_MAX
from pingan.text import querydict_refusal, strip_controls
from territory.choices import Level
from territory.models import Area

MAX_SPAN = timedelta(days=90)  # the spec's default window and longest range
DEFAULT_PAGE_SIZE = 1000  # "first 1000 requests" (the spec's default query limit)
MAX_PAGE_SIZE = 1000
MAX_PAGE = 1_000_000  # page × page_size stays a number every database takes
DESCRIPTION_MAX = 4000  # the spec's limit
NAME_MAX = 50
PHONE_MAX = 30
EMAIL_MAX = 254
MEDIA_URL_MAX = 500
IDEMPOTENCY_KEY_MAX = 60
TITLE_LENGTH = 40
W3C = re.compile(
    r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,6})?)?(Z|[+-]\d{2}:\d{2})$", re.ASCII
)


def problem(name: str, message: str) -> str:
    """One error description: the argument's name first, so a client can point at it."""
    return f"{name}: {message}"


def bad(name: str, message: str, status: int = 400) -> Open311Error:
    return Open311Error(status, problem(name, message))


def jurisdiction(params) -> str:
    """Our jurisdiction_id is a district code; optional while we serve one district."""
    code = (params.get("jurisdiction_id") or "").strip() or settings.PINGAN_DISTRICT_CODE
    if not selectors.jurisdiction_exists(code):
        raise bad("jurisdiction_id", _("no jurisdiction %s here") % code, 404)
    return code


def w3c_datetime(params, name: str) -> datetime | None:
    raw = (params.get(name) or "").strip()
    if not raw:
        return None
    # An unencoded "+08:00" arrives as " 08:00": take the client's meaning.
    raw = re.sub(r" (\d{2}:\d{2})$", r"+\1", raw)
    if not W3C.match(raw):
        raise bad(name, _("a w3c datetime with a time zone, e.g. 2026-01-01T00:00:00+08:00"))
    try:
        return datetime.fromisoformat(raw.replace("Z", "+00:00"))
    except ValueError as exc:
        raise bad(name, _("not a valid date and time")) from exc


def window(
    params, start_name: str, end_name: str, *, default: bool, now: datetime | None = None
) -> tuple[datetime | None, datetime | None]:
    """[start, end], at most 90 days. One end given: 90 days from or to it. Neither: the
    last 90 days when `default`, else no limit."""
    start, end = w3c_datetime(params, start_name), w3c_datetime(params, end_name)
    if start is None and end is None:
        if not default:
            return None, None
        end = now or timezone.now()
        return end - MAX_SPAN, end
    if start is None:
        start = end - MAX_SPAN
    elif end is None:
        end = start + MAX_SPAN
    if end < start:
        raise bad(end_name, _("must not be before %s") % start_name)
    if end - start > MAX_SPAN:
        raise bad(end_name, _("the range may not span more than 90 days"))
    return start, end


def comma_list(params, name: str) -> list[str]:
    return [v.strip() for v in (params.get(name) or "").split(",") if v.strip()]


def request_ids(params) -> list[str]:
    numbers = comma_list(params, "service_request_id")
    if len(numbers) > MAX_PAGE_SIZE:
        raise bad("service_request_id", _("at most %d") % MAX_PAGE_SIZE)
    return numbers


def statuses(params) -> list[str]:
    values = comma_list(params, "status")
    for value in values:
        if value not in ("open", "closed"):
            raise bad("status", _("open or closed, not %s") % value)
    return values


def services(params) -> list[mapping.Service]:
    found = []
    for code in comma_list(params, "service_code"):
        service = mapping.find_service(code)
        if service is None:
            raise bad("service_code", _("no service %s") % code)
        found.append(service)
    return found


ASCII_NUMBER = re.compile(r"^[0-9]{1,12}$")  # not int()'s: it reads ٣ and ³ as digits


def _positive_int(params, name: str, default: int, maximum: int) -> int:
    raw = (params.get(name) or "").strip()
    if not raw:
        return default
    if not ASCII_NUMBER.match(raw) or int(raw) < 1:
        raise bad(name, _("a whole number from 1"))
    if int(raw) > maximum:
        raise bad(name, _("at most %d") % maximum)
    return int(raw)


def page(params) -> tuple[int, int]:
    """(page, page_size): the paging extension; pages count from 1."""
    return (
        _positive_int(params, "page", 1, MAX_PAGE),
        _positive_int(params, "page_size", DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE),
    )


def clean_form(form) -> None:
    """A POST's arguments without control characters, in place; a NUL is refused (400
    naming the argument) — pingan/text.py."""
    if (found := querydict_refusal(form)) is not None:
        raise bad(*found)
    for name in list(form):
        form.setlist(name, [strip_controls(v) for v in form.getlist(name)])


# -- POST requests -----------------------------------------------------------------------------
def api_user(params):
    """The integration user behind api_key; 403 when it is missing or not valid."""
    raw = (params.get("api_key") or "").strip()
    if not raw:
        raise bad("api_key", _("missing: creating a request needs an api_key"), 403)
    user = ApiToken.authenticate(raw)
    if user is None:
        raise bad("api_key", _("not valid: the api_key is unknown or revoked"), 403)
    return user


@dataclass
class NewRequest:
    """A POST's arguments, checked and turned into intake_case's terms."""

    service: mapping.Service
    title: str
    text: str = ""
    lon: float | None = None
    lat: float | None = None
    address: str = ""
    reporter_grid: str = ""
    priority: str = Priority.NORMAL
    parties: list[dict] = field(default_factory=list)
    media_url: str = ""
    client_key: str | None = None

    def intake_kwargs(self) -> dict:
        kw = {
            "title": self.title,
            "text": self.text,
            "lon": self.lon,
            "lat": self.lat,
            "address": self.address,
            "reporter_grid": self.reporter_grid,
            "priority": self.priority,
            "parties": self.parties,
            "client_key": self.client_key,
        }
        if self.service.category is not None:
            kw["category"] = self.service.category
        else:
            kw["case_type"] = self.service.case_type
        return kw


def _title(text: str, service: mapping.Service) -> str:
    first = next((line.strip() for line in text.splitlines() if line.strip()), "")
    # FixMyStreet's extended description starts "title: <the report's title>".
    first = re.sub(r"^title:\s*", "", first, flags=re.IGNORECASE)
    if not first:
        return service.name
    return first if len(first) <= TITLE_LENGTH else first[: TITLE_LENGTH - 1] + "…"


def _location(params, jurisdiction_code: str, errors: list[str]) -> dict:
    from territory.locator import get_locator

    out: dict = {}
    lat_raw, lon_raw = (params.get("lat") or "").strip(), (params.get("long") or "").strip()
    address = (params.get("address_string") or "").strip()
    address_id = (params.get("address_id") or "").strip()
    if lat_raw or lon_raw:
        if not (lat_raw and lon_raw):
            errors.append(problem("long" if lat_raw else "lat", _("send lat and long together")))
        else:
            try:
                lat, lon = float(lat_raw), float(lon_raw)
            except ValueError:
                errors.append(problem("lat", _("lat and long must be numbers (WGS-84)")))
            else:
                if not (math.isfinite(lat) and -90 <= lat <= 90):
                    errors.append(problem("lat", _("between -90 and 90")))
                elif not (math.isfinite(lon) and -180 <= lon <= 180):
                    errors.append(problem("long", _("between -180 and 180")))
                else:
                    grid = get_locator().locate(lon, lat)
                    if grid and not grid.startswith(jurisdiction_code):
                        errors.append(
                            problem(
                                "lat",
                                _("the point lies outside jurisdiction %s") % jurisdiction_code,
                            )
                        )
                    out["lat"], out["lon"] = lat, lon
    if address_id:
        # Our addressing system is the grid: address_id is a 15-digit grid code.
        if not (
            len(address_id) == 15
            and address_id.startswith(jurisdiction_code)
            and Area.objects.filter(code=address_id, level=Level.GRID).exists()
        ):
            errors.append(problem("address_id", _("no grid %s in this jurisdiction") % address_id))
        else:
            out["reporter_grid"] = address_id
    if not (lat_raw or lon_raw or address or address_id):
        errors.append(problem("location", _("give lat and long, address_string or address_id")))
    out["address"] = address
    return out


def _reporter(params, errors: list[str]) -> list[dict]:
    first = (params.get("first_name") or "").strip()
    last = (params.get("last_name") or "").strip()
    if first and last and all("\u4e00" <= ch <= "\u9fff" for ch in first + last):
        name = last + first  # a Chinese name: family name first, no space
    else:
        name = " ".join(p for p in (first, last) if p)
    if len(name) > NAME_MAX:
        errors.append(
            problem(
                "first_name",
                _("first_name and last_name together: at most %d characters") % NAME_MAX,
            )
        )
    phone = re.sub(r"[().]", "", (params.get("phone") or "").strip()).strip()
    if len(phone) > PHONE_MAX:
        errors.append(problem("phone", _("at most %d characters") % PHONE_MAX))
    elif phone and not all(c.isdigit() or c in "+- " for c in phone):
        errors.append(problem("phone", _("only digits, spaces, brackets, + and -")))
    email = (params.get("email") or "").strip()
    if len(email) > EMAIL_MAX:
        errors.append(problem("email", _("at most %d characters") % EMAIL_MAX))
    elif email:
        try:
            validate_email(email)
        except ValidationError:
            errors.append(problem("email", _("not an e-mail address")))
    # device_id and account_id are not kept (see docs/open311.md).
    if not (name or phone or email):
        return []
    return [{"role": "reporter", "name": name, "phone": phone, "email": email}]


def _attributes(params, errors: list[str]) -> dict:
    out = {"priority": Priority.NORMAL, "place": ""}
    priority = (params.get(f"attribute[{mapping.PRIORITY_ATTRIBUTE}]") or "").strip()
    if priority:
        if priority not in Priority.values:
            errors.append(
                problem(
                    f"attribute[{mapping.PRIORITY_ATTRIBUTE}]",
                    _("one of %s") % ", ".join(Priority.values),
                )
            )
        else:
            out["priority"] = priority
    place = (params.get(f"attribute[{mapping.PLACE_ATTRIBUTE}]") or "").strip()
    if len(place) > mapping.PLACE_DETAIL_MAX:
        errors.append(
            problem(
                f"attribute[{mapping.PLACE_ATTRIBUTE}]",
                _("at most %d characters") % mapping.PLACE_DETAIL_MAX,
            )
        )
    out["place"] = place
    return out


def idempotency_key(request, form, user) -> str | None:
    """The client's retry key, kept per integration user so two integrations never meet
    each other's requests: the Idempotency-Key header, else `idempotency_key`, else the
    report id FixMyStreet sends with every report (attribute[fixmystreet_id])."""
    raw = (request.headers.get("Idempotency-Key") or form.get("idempotency_key") or "").strip()
    if not raw and (fms := (form.get("attribute[fixmystreet_id]") or "").strip()):
        raw = f"fixmystreet-{fms}"
    if not raw:
        return None
    if len(raw) > IDEMPOTENCY_KEY_MAX:
        raise bad("idempotency_key", _("at most %d characters") % IDEMPOTENCY_KEY_MAX)
    return f"open311:{user.pk}:{raw}"


def new_request(params, jurisdiction_code: str) -> NewRequest:
    """Check every argument of a POST; 400 listing every problem, or the request."""
    errors: list[str] = []
    code = (params.get("service_code") or "").strip()
    service = mapping.find_service(code) if code else None
    if not code:
        errors.append(problem("service_code", _("required")))
    elif service is None:
        errors.append(problem("service_code", _("no service %s") % code))
    text = (params.get("description") or "").strip()
    if len(text) > DESCRIPTION_MAX:
        errors.append(problem("description", _("at most %d characters") % DESCRIPTION_MAX))
    place = _location(params, jurisdiction_code, errors)
    parties = _reporter(params, errors)
    attributes = _attributes(params, errors)
    media_url = (params.get("media_url") or "").strip()
    if media_url:
        try:
            URLValidator(schemes=["http", "https"])(media_url)
        except ValidationError:
            errors.append(problem("media_url", _("an http or https URL")))
        if len(media_url) > MEDIA_URL_MAX:
            errors.append(problem("media_url", _("at most %d characters") % MEDIA_URL_MAX))
    address = " ".join(p for p in (place["address"], attributes["place"]) if p)
    if len(address) > ADDRESS_MAX:
        errors.append(problem("address_string", _("at most %d characters") % ADDRESS_MAX))
    if errors or service is None:
        raise Open311Error(400, *errors)
    return NewRequest(
        service=service,
        title=_title(text, service),
        text=text,
        lon=place.get("lon"),
        lat=place.get("lat"),
        address=address,
        reporter_grid=place.get("reporter_grid", ""),
        priority=attributes["priority"],
        parties=parties,
        media_url=media_url,
    )


# intake_case's field names → the Open311 argument a client sent.
INTAKE_FIELDS = {
    "title": "description",
    "text": "description",
    "lon": "long",
    "lat": "lat",
    "address": "address_string",
    "reporter_grid": "address_id",
    "category": "service_code",
    "case_type": "service_code",
    "priority": f"attribute[{mapping.PRIORITY_ATTRIBUTE}]",
    "client_key": "idempotency_key",
    "parties[0].name": "first_name",
    "parties[0].phone": "phone",
    "parties[0].email": "email",
}


def intake_problems(errors: dict[str, str]) -> list[str]:
    return [problem(INTAKE_FIELDS.get(name, name), message) for name, message in errors.items()]
