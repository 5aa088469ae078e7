"""Scoped reads of cases: every read for a user goes through here (and so through org.access)."""

from __future__ import annotations

import math
from datetime import datetime, timedelta
from functools import lru_cache

from django.conf import settings
from django.db import connection
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils import timezone

from cases.choices import OPEN_STATUSES, DeadlineState, EventKind, Status
from cases.errors import CaseNotFound
from cases.models import Assignment, Case, CaseEvent, CaseType, Notification
from org import access, policy
from org.choices import Role
from org.models import Membership
from pingan import bulk


def user_unit_ids(user) -> list[int]:
    return sorted({unit for _role, unit in unit_grants(user)})


def unit_grants(user) -> list[tuple[str, int]]:
    """(role, unit id) of the user's active memberships, read once per user object."""
    if user is None or not user.is_authenticated:
        return []
    cache = user.__dict__.get("_pingan_unit_grants")
    if cache is None:
        cache = list(
            Membership.objects.filter(
                person__user=user, is_active=True, person__is_active=True, unit__is_active=True
            )
            .values_list("role", "unit_id")
            .distinct()
        )
        user.__dict__["_pingan_unit_grants"] = cache
    return cache


def case_type_codes(user=None) -> dict[int, str]:
    """Case type id → code (one small read, kept on the user object for its request)."""
    holder = user.__dict__ if user is not None else {}
    found = holder.get("_pingan_case_types")
    if found is None:
        found = dict(CaseType.objects.values_list("id", "code"))
        holder["_pingan_case_types"] = found
    return found


def _policy_q(user, right: str = policy.SEE) -> Q | None:
    """The filter of the cases on which the user holds `right` (org/policy.py), or None
    when it holds it on every case. Territory grants: (role's prefixes × the case types
    where the role holds the right); unit grants: the cases the user's units work, of the
    types where their role there holds it."""
    types = case_type_codes(user)
    everything = frozenset(types.values())
    by_types: dict[frozenset, list[str]] = {}
    for role in Role.values:
        prefixes = access.scope_codes(user, [role])
        if not prefixes:
            continue
        allowed = frozenset(c for c in types.values() if policy.allows(role, c, right))
        if allowed:
            by_types.setdefault(allowed, []).extend(prefixes)
    q = Q(pk__in=[])
    for allowed, prefixes in by_types.items():
        prefixes = access.minimal_prefixes(prefixes)
        if access.ALL in prefixes and allowed == everything:
            return None
        q |= access.scope_q("area_code", prefixes) & Q(
            case_type_id__in=sorted(i for i, c in types.items() if c in allowed)
        )
    units_by_types: dict[frozenset, set[int]] = {}
    for role, unit in unit_grants(user):
        allowed = frozenset(
            c for c in types.values() if policy.allows(role, c, right, working=True)
        )
        if allowed:
            units_by_types.setdefault(allowed, set()).add(unit)
    for allowed, units in units_by_types.items():
        ids = sorted(i for i, c in types.items() if c in allowed)
        working = Assignment.objects.filter(
            case_id=OuterRef("pk"), unit_id__in=sorted(units), ended_at__isnull=True
        )
        q |= Q(case_type_id__in=ids) & (Q(owner_unit_id__in=sorted(units)) | Exists(working))
    return q


def visible_cases(user, right: str = policy.SEE) -> QuerySet[Case]:
    """The cases the user may see (or hold another right on): in the territory of a role
    that holds the right on the case's type, or worked by one of the user's units where
    the role there holds it (org/policy.py)."""
    if user is None or not user.is_authenticated or not user.is_active:
        return Case.objects.none()
    if user.is_superuser:
        return Case.objects.all()
    q = _policy_q(user, right)
    if q is None:
        return Case.objects.all()
    return Case.objects.filter(q)


def holds(user, case: Case, right: str) -> bool:
    """Whether the user holds `right` (org/policy.py) on this one case."""
    if user is None or not user.is_authenticated or not user.is_active:
        return False
    if user.is_superuser:
        return True
    code = case_type_codes(user).get(case.case_type_id, "")
    if any(
        policy.allows(role, code, right)
        for role in Role.values
        if access.can_see_code(user, case.area_code, [role])
    ):
        return True
    working = working_unit_ids(case)
    return any(
        unit in working and policy.allows(role, code, right, working=True)
        for role, unit in unit_grants(user)
    )


def working_unit_ids(case: Case) -> set[int]:
    """The lead unit and every unit with an active assignment on the case."""
    units = set(case.assignments.filter(ended_at__isnull=True).values_list("unit_id", flat=True))
    if case.owner_unit_id:
        units.add(case.owner_unit_id)
    return units


def visible_among(user, cases: list[Case]) -> set[int]:
    """The ids of those of `cases` that `visible_cases` would give: the territory and the
    type checked in memory where the case's type is known, the database asked the rest."""
    if user is None or not user.is_authenticated or not user.is_active or not cases:
        return set()
    if user.is_superuser:
        return {c.pk for c in cases}
    types = case_type_codes(user)
    roles = [(role, access.scope_codes(user, [role])) for role in Role.values]
    seen = set()
    for c in cases:
        code = types.get(c.case_type_id) if c.case_type_id else None
        if code is not None and any(
            policy.allows(role, code, policy.SEE)
            and any(c.area_code.startswith(p) for p in prefixes)
            for role, prefixes in roles
            if prefixes
        ):
            seen.add(c.pk)
    rest = [c.pk for c in cases if c.pk not in seen]
    if rest:
        seen |= set(visible_cases(user).filter(pk__in=rest).values_list("pk", flat=True))
    return seen


def get_case(user, *, number: str | None = None, pk: int | None = None) -> Case:
    """One case the user may see; CaseNotFound when absent or outside their territory."""
    qs = visible_cases(user).select_related("case_type", "category", "owner_unit")
    try:
        return qs.get(number=number) if number is not None else qs.get(pk=pk)
    except (Case.DoesNotExist, ValueError, TypeError) as exc:
        raise CaseNotFound("no such case in your territory") from exc


def filter_cases(qs: QuerySet[Case], params: dict) -> QuerySet[Case]:
    """The one filter definition shared by the HTML list, the Excel export and the API."""
    if v := params.get("status"):
        qs = qs.filter(status__in=v if isinstance(v, list) else [v])
    if v := params.get("case_type"):
        qs = qs.filter(case_type__code=v)
    if v := params.get("category"):
        qs = qs.filter(
            Q(category__code=v) | Q(category__parent__code=v) | Q(category__parent__parent__code=v)
        )
    if v := params.get("area"):
        qs = qs.filter(area_code__startswith=v)
    if v := params.get("channel"):
        qs = qs.filter(channel=v)
    if v := params.get("priority"):
        qs = qs.filter(priority=v)
    if params.get("overdue") in (True, "1", "true", "on"):
        qs = qs.filter(deadline_state=DeadlineState.OVERDUE, status__in=OPEN_STATUSES)
    if v := params.get("received_from"):
        qs = qs.filter(received_at__date__gte=v)
    if v := params.get("received_to"):
        qs = qs.filter(received_at__date__lte=v)
    if v := params.get("q"):
        qs = qs.filter(Q(number__icontains=v) | Q(title__icontains=v) | Q(address__icontains=v))
    return qs


def inbox(user) -> dict[str, QuerySet[Case]]:
    """My work, by what the user's roles do next."""
    visible = visible_cases(user).select_related("case_type", "category", "owner_unit")
    units = user_unit_ids(user)
    roles = {r for r in Role.values if access.scope_codes(user, [r])}
    boxes: dict[str, QuerySet[Case]] = {}
    if roles & {
        Role.DISPATCHER,
        Role.INTAKE_CLERK,
        Role.LEADER,
        Role.PETITION_OFFICER,
        Role.ADMINISTRATOR,
    }:
        boxes["to_dispatch"] = visible.filter(status__in=[Status.RECEIVED, Status.ACCEPTED])
        boxes["to_close"] = visible.filter(status=Status.RESOLVED)
    if roles & {Role.HANDLER, Role.GRID_WORKER}:
        boxes["to_handle"] = visible.filter(
            status__in=[Status.ASSIGNED, Status.IN_PROGRESS], owner_unit_id__in=units
        )
    if roles & {Role.GRID_WORKER, Role.HANDLER}:
        # Never a resolution of one's own unit, nor one's own (issue 12, hole 4).
        own = CaseEvent.objects.filter(case_id=OuterRef("pk"), kind=EventKind.RESOLVE, actor=user)
        boxes["to_verify"] = (
            visible.filter(status=Status.RESOLVED, verified_at__isnull=True)
            .exclude(owner_unit_id__in=units)
            .exclude(Exists(own))
        )
    if Role.LEADER in roles:
        boxes["overdue"] = visible.filter(
            status__in=OPEN_STATUSES, deadline_state=DeadlineState.OVERDUE
        )
    return boxes


def _bigrams(text: str) -> set[str]:
    text = "".join(text.split())  # without whitespace
    return {text[i : i + 2] for i in range(len(text) - 1)}


def text_similarity(a: str, b: str) -> float:
    """Jaccard similarity of character bigrams: good enough for short Chinese reports."""
    x, y = _bigrams(a), _bigrams(b)
    return len(x & y) / len(x | y) if x and y else 0.0


def similar_open_cases(
    *,
    category_id: int | None,
    lon: float | None,
    lat: float | None,
    text: str,
    at: datetime | None = None,
    exclude_pk: int | None = None,
    limit: int = 5,
    min_similarity: float = 0.25,
) -> list[tuple[Case, float]]:
    """Open cases of the same category, near in place and time, with similar text."""
    if category_id is None:
        return []
    at = at or timezone.now()
    radius = settings.PINGAN_DUPLICATE_RADIUS_M
    # One fixed statement (intake asks this for every case: no query building per call).
    ops = connection.ops
    params = [category_id, *(str(s) for s in OPEN_STATUSES), exclude_pk or 0]
    near = lon is not None and lat is not None
    if near:
        dlat = radius / 111_320
        dlon = radius / (111_320 * math.cos(math.radians(lat)))
        params += [lat - dlat, lat + dlat, lon - dlon, lon + dlon]
    params += [
        ops.adapt_datetimefield_value(at - timedelta(days=settings.PINGAN_DUPLICATE_DAYS)),
        ops.adapt_datetimefield_value(at),
    ]  # the window, last in both statements
    found = []
    words = _bigrams(text)
    if not words:
        return []
    sql = similar_sql(near, connection.vendor)
    # Plain rows, and a model object only for a match: intake asks this for every case.
    rows = bulk.execute(connection, sql, params)  # prepared once, not planned every time
    for pk, number, title, body, c_lon, c_lat, area_code in rows:
        if lon is not None and c_lon is not None and _metres(lon, lat, c_lon, c_lat) > radius:
            continue
        other = _bigrams(f"{title} {body}")
        common = len(words & other)
        score = common / (len(words) + len(other) - common) if other else 0.0
        if score >= min_similarity:
            found.append(
                (
                    Case(
                        id=pk,
                        number=number,
                        title=title,
                        text=body,
                        lon=c_lon,
                        lat=c_lat,
                        area_code=area_code,
                    ),
                    score,
                )
            )
    found.sort(key=lambda p: -p[1])
    return found[:limit]


@lru_cache(maxsize=4)
def similar_sql(near: bool, vendor: str = "postgresql") -> str:
    """The duplicate search's statement: the newest open cases of a category received in a
    window, inside a box around the point when there is one.

    With a point, the open cases of the category in the box are read first on their own
    (a MATERIALIZED CTE on PostgreSQL), then the window and the order apply to those few.
    The inner query names only what index case_dedupe_near leads with (category, then the
    box), so no statistics can make another index look better: asked for the window and
    the order at once, the planner's generic plans (on an empty or unanalysed table, as
    when a server starts on a new database) walked case_received or case_category_received
    in time order through every case of the window (13.6 ms with 4,000 cases of the
    category; the box: 0.3 ms). tests/test_postgres.py EXPLAINs the prepared statement."""
    columns = "id, number, title, text, lon, lat, area_code"
    open_ = (
        f"category_id = %s AND status IN ({', '.join(['%s'] * len(OPEN_STATUSES))}) AND id <> %s"
    )
    window = "received_at >= %s AND received_at <= %s"
    newest = "ORDER BY received_at DESC, id DESC LIMIT 200"
    if not near:
        return f"SELECT {columns} FROM {Case._meta.db_table} WHERE {open_} AND {window} {newest}"
    fence = " MATERIALIZED" if vendor == "postgresql" else ""
    return (
        f"WITH box AS{fence} (SELECT {columns}, received_at FROM {Case._meta.db_table} "
        f"WHERE {open_} AND lat BETWEEN %s AND %s AND lon BETWEEN %s AND %s) "
        f"SELECT {columns} FROM box WHERE {window} {newest}"
    )


def _metres(lon1: float, lat1: float, lon2: float, lat2: float) -> float:
    r = 6_371_008.8
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    h = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * r * math.asin(math.sqrt(h))


def unit_notifications(user) -> QuerySet[Notification]:
    """In-app notifications addressed to the user's units, newest first."""
    return (
        Notification.objects.filter(
            medium=Notification.Medium.IN_APP,
            unit_id__in=user_unit_ids(user),
            recipient__isnull=True,
        )
        .select_related("case")
        .order_by("-created_at")
    )


# What a resident sees of the event log: the steps, never who took them or their notes.
PUBLIC_KINDS = (
    EventKind.INTAKE,
    EventKind.ACCEPT,
    EventKind.REJECT,
    EventKind.ASSIGN,
    EventKind.TRANSFER,
    EventKind.ESCALATE,
    EventKind.START,
    EventKind.PAUSE,
    EventKind.RESUME,
    EventKind.EXTEND,
    EventKind.RESOLVE,
    EventKind.VERIFY,
    EventKind.VERIFY_FAILED,
    EventKind.RATE,
    EventKind.REOPEN,
    EventKind.CLOSE,
    EventKind.MERGE,
)


def get_public_case(number: str, code: str) -> Case | None:
    """For a resident: the case with this number, only when the code is its own.

    A missing number costs the same hashing as a wrong code, and both answer None, so the
    public pages cannot be used to learn which numbers exist."""
    from cases.services import check_public_code, hash_public_code

    case = Case.objects.filter(number=number).select_related("case_type", "category").first()
    if case is None:
        hash_public_code(code)
        return None
    return case if check_public_code(case, code) else None


def public_timeline(case: Case) -> list[dict]:
    return [
        {
            "at": e.at,
            "label": EventKind(e.kind).label,
            "status": Status(e.to_status).label if e.to_status else "",
        }
        for e in case.events.filter(kind__in=PUBLIC_KINDS).order_by("seq")
    ]
