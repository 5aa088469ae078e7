"""The demo district's units and one login per role (idempotent)."""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils.translation import gettext_lazy as _

from org.choices import Role, UnitKind
from org.models import Membership, Person, Unit
from territory.choices import Level
from territory.models import Area

DEMO_PASSWORD = "pingan-demo-2026"

# District departments: (code suffix, name, kind)
DISTRICT_UNITS = [
    ("center", "区综治中心", UnitKind.DISTRICT_CENTER),
    ("court", "区人民法院", UnitKind.COURT),
    ("procuratorate", "区人民检察院", UnitKind.PROCURATORATE),
    ("justice", "区司法局", UnitKind.JUSTICE_OFFICE),
    ("petition", "区信访办", UnitKind.PETITION_OFFICE),
    ("emergency", "区应急管理局", UnitKind.EMERGENCY),
    ("housing", "区住房城乡建委", UnitKind.HOUSING),
    ("urban", "区城市管理局", UnitKind.URBAN_MANAGEMENT),
    ("market", "区市场监管局", UnitKind.MARKET_REGULATION),
    ("ecology", "区生态环境局", UnitKind.ECOLOGY),
    ("health", "区卫生健康委", UnitKind.HEALTH),
    ("education", "区教委", UnitKind.EDUCATION),
    ("hrss", "区人力社保局", UnitKind.HUMAN_RESOURCES),
    ("transport", "区交通局", UnitKind.TRANSPORT),
    ("fire", "区消防救援支队", UnitKind.FIRE_RESCUE),
    ("police", "公安分局", UnitKind.POLICE_STATION),
]


@dataclass(frozen=True)
class DemoLogin:
    username: str
    role: str
    unit: str
    scope: str


def ensure_demo_org(district: Area) -> list[DemoLogin]:
    """Create the demo units and users under `district` if they are missing."""
    with transaction.atomic():
        units = _ensure_units(district)
        return _ensure_users(district, units)


def _unit(code: str, name: str, kind: str, area: Area, parent: Unit | None) -> Unit:
    unit, _created = Unit.objects.get_or_create(
        code=code, defaults={"name": name, "kind": kind, "area": area, "parent": parent}
    )
    return unit


def _ensure_units(district: Area) -> dict[str, Unit]:
    dc = district.code
    units: dict[str, Unit] = {}
    center = None
    for suffix, name, kind in DISTRICT_UNITS:
        unit = _unit(
            f"{dc}-{suffix}", district.name + name.removeprefix("区"), kind, district, center
        )
        units[suffix] = unit
        center = center or unit
    streets = Area.objects.filter(parent=district, level=Level.STREET).order_by("code")
    for street in streets:
        short = street.name.removesuffix("街道")
        units[f"{street.code}-center"] = _unit(
            f"{street.code}-center",
            f"{street.name}综治中心",
            UnitKind.STREET_CENTER,
            street,
            center,
        )
        units[f"{street.code}-office"] = _unit(
            f"{street.code}-office", f"{street.name}办事处", UnitKind.STREET_OFFICE, street, center
        )
        units[f"{street.code}-police"] = _unit(
            f"{street.code}-police",
            f"{short}派出所",
            UnitKind.POLICE_STATION,
            street,
            units["police"],
        )
        units[f"{street.code}-justice"] = _unit(
            f"{street.code}-justice",
            f"{short}司法所",
            UnitKind.JUSTICE_OFFICE,
            street,
            units["justice"],
        )
    for community in Area.objects.filter(code__startswith=dc, level=Level.COMMUNITY):
        street_center = units.get(f"{community.code[:9]}-center")
        units[f"{community.code}-committee"] = _unit(
            f"{community.code}-committee",
            f"{community.name}居委会",
            UnitKind.COMMUNITY_COMMITTEE,
            community,
            street_center,
        )
    return units


def _ensure_users(district: Area, units: dict[str, Unit]) -> list[DemoLogin]:
    first_street = Area.objects.filter(parent=district).order_by("code").first()
    first_community = Area.objects.filter(parent=first_street).order_by("code").first()
    first_grid = Area.objects.filter(parent=first_community).order_by("code").first()
    specs = [
        ("admin", _("Demo administrator"), Role.ADMINISTRATOR, units["center"], district),
        ("leader", _("Demo district leader"), Role.LEADER, units["center"], district),
        ("dispatcher", _("Demo dispatcher"), Role.DISPATCHER, units["center"], district),
        ("clerk", _("Demo intake clerk"), Role.INTAKE_CLERK, units["center"], district),
        (
            "petition",
            _("Demo petition officer"),
            Role.PETITION_OFFICER,
            units["petition"],
            district,
        ),
        ("crowd", _("Demo crowd operator"), Role.CROWD_OPERATOR, units["emergency"], district),
        (
            "street",
            _("Demo street leader"),
            Role.LEADER,
            units[f"{first_street.code}-center"],
            first_street,
        ),
        (
            "handler",
            _("Demo street handler"),
            Role.HANDLER,
            units[f"{first_street.code}-office"],
            first_street,
        ),
        (
            "community",
            _("Demo community handler"),
            Role.HANDLER,
            units[f"{first_community.code}-committee"],
            first_community,
        ),
        (
            "gridworker",
            _("Demo grid worker"),
            Role.GRID_WORKER,
            units[f"{first_community.code}-committee"],
            first_grid,
        ),
    ]
    User = get_user_model()
    logins = []
    for username, name, role, unit, scope in specs:
        user = User.objects.filter(username=username).first()
        if user is None:
            user = User.objects.create_user(username=username, password=DEMO_PASSWORD)
            if role == Role.ADMINISTRATOR:
                user.is_staff = user.is_superuser = True
                user.save(update_fields=["is_staff", "is_superuser"])
        person, _created = Person.objects.get_or_create(user=user, defaults={"name": str(name)})
        Membership.objects.get_or_create(person=person, unit=unit, role=role, scope=scope)
        logins.append(
            DemoLogin(username, str(Role(role).label), unit.name, f"{scope.name} ({scope.code})")
        )
    return logins
