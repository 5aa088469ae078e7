"""Who may see, act on and unmask which kind of case: the access policy as data.

Territory (`org.access`) says *where* a membership reaches; this table says *what* each role
may do there, by case type. Each cell is a string of rights:

    S  see the cases of this type inside the role's territory
    A  act on them (the workflow table in cases/workflow.py still decides which action)
    U  unmask their parties' personal data (each unmask audited)
    s, a, u  the same, but only for a unit working the case (the lead unit or an active
             co-handling assignment), wherever it lies

A role missing from a row has no right on that type; a case type missing from the table
takes the row `*` (a type an administrator adds later starts as narrow as a request).
Superusers hold every right. Selectors (`cases.selectors`) turn these cells into querysets;
`cases.permissions` and `cases.services.reveal_party` ask `allows` for one case.

Defaults (issue 12, hole 3): petition parties only for petition officers, leaders and the
units working the case; crowd operators see crowd cases and nothing else; auditors read the
audit trail and no case; a grid worker or handler outside the working unit sees a petition
not at all.
"""

from __future__ import annotations

from org.choices import Role as R

SEE, ACT, UNMASK = "S", "A", "U"
RIGHTS = (SEE, ACT, UNMASK)

# The ordinary types: every staff role of the territory sees and acts; those who talk to
# residents unmask; the working unit unmasks too.
_ORDINARY = {
    R.GRID_WORKER: "SAu",
    R.INTAKE_CLERK: "SAU",
    R.DISPATCHER: "SAU",
    R.HANDLER: "SAu",
    R.LEADER: "SAU",
    R.PETITION_OFFICER: "SA",
    R.ADMINISTRATOR: "SA",
}

POLICY: dict[str, dict[str, str]] = {
    "dispute": {**_ORDINARY, R.PETITION_OFFICER: "SAU"},
    # A petitioner's name and details only for those who handle the petition.
    "petition": {
        R.PETITION_OFFICER: "SAU",
        R.LEADER: "SAU",
        R.DISPATCHER: "SA",
        R.INTAKE_CLERK: "SA",
        R.HANDLER: "sau",
        R.GRID_WORKER: "sau",
    },
    "hazard": dict(_ORDINARY),
    "request": dict(_ORDINARY),
    "rental": dict(_ORDINARY),
    "crowd": {
        R.CROWD_OPERATOR: "SAU",
        R.LEADER: "SAU",
        R.DISPATCHER: "SAU",
        R.GRID_WORKER: "SA",
        R.HANDLER: "SAu",
        R.INTAKE_CLERK: "SA",
        R.ADMINISTRATOR: "SA",
    },
    "*": dict(_ORDINARY),
}


def cell(role: str, case_type: str) -> str:
    return POLICY.get(case_type, POLICY["*"]).get(role, "")


def allows(role: str, case_type: str, right: str, *, working: bool = False) -> bool:
    """Whether `role` holds `right` on `case_type`: in its territory, or (with `working`)
    as a member of a unit working the case."""
    rights = cell(role, case_type)
    return right in rights or (working and right.lower() in rights)


def types_for(role: str, right: str, known: list[str], *, working: bool = False) -> list[str]:
    """The case types among `known` (plus any unknown, by `*`) where `role` holds `right`."""
    return [t for t in known if allows(role, t, right, working=working)]


def territory_roles(right: str, case_type: str) -> list[str]:
    """The roles holding `right` on `case_type` inside their territory."""
    return [r for r in R.values if right in cell(r, case_type)]


def matrix() -> list[tuple[str, str, str]]:
    """Every (role, case type, rights) cell: for the documentation and the tests."""
    return [(role, t, cell(role, t)) for t in POLICY for role in R.values]
