"""The one access module: which territory a user may see, for every query that follows.

Every read for a user goes through `scope_codes` / `restrict`: a user sees only what lies
inside the scope of their active memberships (an area code and every code below it).
"""

from __future__ import annotations

from collections.abc import Iterable

from django.db.models import Q, QuerySet

from org.choices import Role

ALL = ""  # the empty prefix: every code starts with it


def minimal_prefixes(codes: Iterable[str]) -> list[str]:
    """Drop codes that lie inside another code of the set (their prefix is already there)."""
    result: list[str] = []
    for code in sorted(set(codes)):
        if not any(code.startswith(kept) for kept in result):
            result.append(code)
    return result


def scope_codes(user, roles: Iterable[str] | None = None) -> list[str]:
    """Area codes whose subtrees this user may see (in any of `roles`, if given)."""
    if user is None or not user.is_authenticated or not user.is_active:
        return []
    if user.is_superuser:
        return [ALL]
    # One read of the user's memberships per user object answers every role question.
    grants = user.__dict__.get("_pingan_grants")
    if grants is None:
        from org.models import Membership

        grants = list(
            Membership.objects.filter(
                person__user=user,
                person__is_active=True,
                is_active=True,
                unit__is_active=True,
            ).values_list("role", "scope__code")
        )
        user.__dict__["_pingan_grants"] = grants
    wanted = None if roles is None else {str(r) for r in roles}
    return minimal_prefixes(code for role, code in grants if wanted is None or role in wanted)


def scope_q(field: str, prefixes: list[str]) -> Q:
    """A filter matching rows whose `field` (an area code) lies inside any prefix."""
    if ALL in prefixes:
        return Q()
    if not prefixes:
        return Q(pk__in=[])
    q = Q()
    for prefix in prefixes:
        q |= Q(**{f"{field}__startswith": prefix})
    return q


def restrict(qs: QuerySet, user, *, field: str = "code", roles: Iterable[str] | None = None):
    """`qs` narrowed to rows inside the user's territory (NetBox's `.restrict()`)."""
    return qs.filter(scope_q(field, scope_codes(user, roles)))


def can_see_code(user, code: str, roles: Iterable[str] | None = None) -> bool:
    return any(code.startswith(prefix) for prefix in scope_codes(user, roles))


def has_role(user, role: str | Role, code: str | None = None) -> bool:
    """Whether the user holds `role` with a scope covering `code` (anywhere, if None)."""
    prefixes = scope_codes(user, [str(role)])
    if code is None:
        return bool(prefixes)
    return any(code.startswith(prefix) for prefix in prefixes)


def actor_profile(user) -> tuple:
    """(the user's first active unit or None, the name an event shows): what every event the
    user writes records; read once per user object."""
    found = user.__dict__.get("_pingan_actor")
    if found is None:
        from org.models import Person, Unit

        unit = (
            Unit.objects.filter(memberships__person__user=user, memberships__is_active=True)
            .order_by("pk")
            .first()
        )
        name = Person.objects.filter(user=user).values_list("name", flat=True).first()
        found = (unit, name or user.get_username())
        user.__dict__["_pingan_actor"] = found
    return found
