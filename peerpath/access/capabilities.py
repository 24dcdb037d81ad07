"""The permission registry: what each role may do, in one table.

A **capability** is one thing a user may do ("read_person", "write_note", "decide_
authorization"). Roles are given capabilities here and nowhere else. Everything that decides
who may do something asks this module:

- a page declares the capability it needs: `@declare("read_plan", person_param="person_id")`
  (`peerpath.access.permissions`);
- a template asks `{% if can.read_billing %}` (the `can` context variable; an unknown name
  is an error, not a silent "no");
- Python code asks `has(user, Cap.SIGN_NOTE)`;
- the admin asks `has(user, Cap.USE_ADMIN)`;
- an API endpoint declares its capability, and a personal access token carries a subset of
  its owner's capabilities (`peerpath.api`).

Capabilities say *what* a role may do. *Whom* it may do it to (the caseload, the agency, the
payer's members) is the scope, in `peerpath.access.scope`; both are checked.

To add a capability: add it to `Cap` with a one-line description in `DESCRIPTIONS`, give it
to roles in `ROLE_CAPABILITIES`, and declare it on the views that need it.
"""

from __future__ import annotations

from collections.abc import Iterable
from enum import StrEnum
from typing import Any

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.core.exceptions import ImproperlyConfigured

from peerpath.staff.models import Role


class Cap(StrEnum):
    """Every capability PeerPath knows. The value is the name used everywhere (declarations,
    templates, token scopes)."""

    SEARCH_PEOPLE = "search_people"
    READ_PERSON = "read_person"
    READ_ACCESS_HISTORY = "read_access_history"
    READ_NARRATIVES = "read_narratives"
    CHANGE_RECORD = "change_record"
    BREAK_GLASS = "break_glass"
    SEE_DAY = "see_day"
    READ_NOTE = "read_note"
    WRITE_NOTE = "write_note"
    SIGN_NOTE = "sign_note"
    READ_GROUP = "read_group"
    WRITE_GROUP = "write_group"
    READ_PLAN = "read_plan"
    WRITE_PLAN = "write_plan"
    PRINT_PLAN = "print_plan"
    READ_AUTHORIZATION = "read_authorization"
    REQUEST_AUTHORIZATION = "request_authorization"
    DECIDE_AUTHORIZATION = "decide_authorization"
    READ_FINDINGS = "read_findings"
    READ_TEAM = "read_team"
    REASSIGN_PERSON = "reassign_person"
    SUPERVISE = "supervise"
    READ_BILLING = "read_billing"
    WRITE_BILLING = "write_billing"
    POST_REMITTANCE = "post_remittance"
    READ_OUTCOMES = "read_outcomes"
    WRITE_OUTCOMES = "write_outcomes"
    EXPORT_RECORDS = "export_records"
    IMPORT_RECORDS = "import_records"
    USE_ADMIN = "use_admin"
    AUDIT_PROGRAM = "audit_program"
    READ_PROGRAM_OUTCOMES = "read_program_outcomes"
    READ_SCHEDULE = "read_schedule"
    WRITE_SCHEDULE = "write_schedule"
    REVIEW_NOTE = "review_note"
    SEE_INBOX = "see_inbox"


DESCRIPTIONS: dict[Cap, str] = {
    Cap.SEARCH_PEOPLE: "list and search the people in one's scope",
    Cap.READ_PERSON: "open a person's record (chart, diagnoses, coverage)",
    Cap.READ_ACCESS_HISTORY: "see who opened a person's record",
    Cap.READ_NARRATIVES: "read what notes and plans say (billing staff see codes only)",
    Cap.CHANGE_RECORD: "change a person's clinical record",
    Cap.BREAK_GLASS: "open a record outside one's caseload in an emergency (logged)",
    Cap.SEE_DAY: "see one's day (or a supervisee's)",
    Cap.READ_NOTE: "read service notes",
    Cap.WRITE_NOTE: "write, check and amend one's own service notes",
    Cap.SIGN_NOTE: "sign one's own service notes",
    Cap.READ_GROUP: "open group sessions one leads or supervises",
    Cap.WRITE_GROUP: "start groups, check people in, write group notes",
    Cap.READ_PLAN: "read person-centered plans and crisis plans",
    Cap.WRITE_PLAN: "write, sign and reopen plans",
    Cap.PRINT_PLAN: "print the person's copy of a plan or crisis plan",
    Cap.READ_AUTHORIZATION: "read authorizations and their units",
    Cap.REQUEST_AUTHORIZATION: "request an authorization from a payer",
    Cap.DECIDE_AUTHORIZATION: "decide authorization requests (the payer's reviewer)",
    Cap.READ_FINDINGS: "read the policy engine's findings",
    Cap.READ_TEAM: "see a team's board: caseloads, ratios, what is due",
    Cap.REASSIGN_PERSON: "move a person to another peer specialist",
    Cap.SUPERVISE: "record supervision contacts and evaluations for one's team",
    Cap.READ_BILLING: "read claim lines, claims, remittances and billing reports",
    Cap.WRITE_BILLING: "release held lines and make claim files",
    Cap.POST_REMITTANCE: "post a payer's 835 remittance",
    Cap.READ_OUTCOMES: "read outcome measures",
    Cap.WRITE_OUTCOMES: "record outcome measures",
    Cap.EXPORT_RECORDS: "export records (FHIR, bulk NDJSON)",
    Cap.IMPORT_RECORDS: "import records from another system",
    Cap.USE_ADMIN: "use the records administration (Django admin)",
    Cap.AUDIT_PROGRAM: "audit the program: findings by rule, provider, peer, month; samples",
    Cap.READ_PROGRAM_OUTCOMES: "see and export the program's outcomes (change, threshold, dose)",
    Cap.READ_SCHEDULE: "see one's appointments by day and week (or a supervisee's)",
    Cap.WRITE_SCHEDULE: "make appointments and weekly groups, record no-shows and cancellations",
    Cap.REVIEW_NOTE: "review one's team's signed notes: approve, or return with a comment",
    Cap.SEE_INBOX: "see one's inbox: what needs one's attention",
}

_CLINICAL_READ = {
    Cap.SEARCH_PEOPLE,
    Cap.READ_PERSON,
    Cap.READ_NARRATIVES,
    Cap.READ_NOTE,
    Cap.READ_PLAN,
    Cap.READ_AUTHORIZATION,
    Cap.READ_FINDINGS,
    Cap.READ_OUTCOMES,
}

# The registry: each role's capabilities. Read it as the access policy of PeerPath.
ROLE_CAPABILITIES: dict[str, frozenset[Cap]] = {
    Role.CPSS.value: frozenset(
        {
            *_CLINICAL_READ,
            Cap.CHANGE_RECORD,
            Cap.BREAK_GLASS,
            Cap.SEE_DAY,
            Cap.WRITE_NOTE,
            Cap.SIGN_NOTE,
            Cap.READ_GROUP,
            Cap.WRITE_GROUP,
            Cap.WRITE_PLAN,
            Cap.PRINT_PLAN,
            Cap.REQUEST_AUTHORIZATION,
            Cap.WRITE_OUTCOMES,
            Cap.READ_SCHEDULE,
            Cap.WRITE_SCHEDULE,
        }
    ),
    Role.SUPERVISOR.value: frozenset(
        {
            *_CLINICAL_READ,
            Cap.READ_ACCESS_HISTORY,
            Cap.CHANGE_RECORD,
            Cap.BREAK_GLASS,
            Cap.SEE_DAY,
            Cap.READ_GROUP,
            Cap.WRITE_PLAN,
            Cap.PRINT_PLAN,
            Cap.REQUEST_AUTHORIZATION,
            Cap.READ_TEAM,
            Cap.REASSIGN_PERSON,
            Cap.SUPERVISE,
            Cap.REVIEW_NOTE,
            Cap.WRITE_OUTCOMES,
            Cap.READ_SCHEDULE,
        }
    ),
    Role.MHP.value: frozenset(
        {
            *_CLINICAL_READ,
            Cap.CHANGE_RECORD,
            Cap.BREAK_GLASS,
            Cap.SEE_DAY,
            Cap.READ_GROUP,
            Cap.WRITE_PLAN,
            Cap.PRINT_PLAN,
            Cap.REQUEST_AUTHORIZATION,
            Cap.READ_TEAM,
            Cap.REASSIGN_PERSON,
            Cap.SUPERVISE,
            Cap.REVIEW_NOTE,
            Cap.WRITE_OUTCOMES,
            Cap.READ_SCHEDULE,
        }
    ),
    Role.BILLING.value: frozenset(
        {
            Cap.SEARCH_PEOPLE,
            Cap.READ_PERSON,
            Cap.READ_AUTHORIZATION,
            Cap.READ_BILLING,
            Cap.WRITE_BILLING,
            Cap.POST_REMITTANCE,
        }
    ),
    Role.UM_REVIEWER.value: frozenset(
        {
            Cap.SEARCH_PEOPLE,
            Cap.READ_PERSON,
            Cap.READ_NARRATIVES,
            Cap.READ_AUTHORIZATION,
            Cap.DECIDE_AUTHORIZATION,
        }
    ),
    Role.AUDITOR.value: frozenset(
        {
            *_CLINICAL_READ,
            Cap.READ_BILLING,
            Cap.EXPORT_RECORDS,
            Cap.AUDIT_PROGRAM,
            Cap.READ_ACCESS_HISTORY,
        }
    ),
    Role.ADMIN.value: frozenset(
        {
            *_CLINICAL_READ,
            Cap.READ_ACCESS_HISTORY,
            Cap.CHANGE_RECORD,
            Cap.PRINT_PLAN,
            Cap.REQUEST_AUTHORIZATION,
            Cap.READ_TEAM,
            Cap.REASSIGN_PERSON,
            Cap.READ_BILLING,
            Cap.WRITE_BILLING,
            Cap.POST_REMITTANCE,
            Cap.EXPORT_RECORDS,
            Cap.IMPORT_RECORDS,
            Cap.USE_ADMIN,
            Cap.AUDIT_PROGRAM,
        }
    ),
}

# Outcomes across the program (peerpath/outcomes/program.py): supervisors, MHPs, admins and
# auditors, over the people in their scope.
for _role in (Role.SUPERVISOR, Role.MHP, Role.ADMIN, Role.AUDITOR):
    ROLE_CAPABILITIES[_role.value] = ROLE_CAPABILITIES[_role.value] | {Cap.READ_PROGRAM_OUTCOMES}

# Every role has an inbox (it lists what needs that role, or says nothing does).
ROLE_CAPABILITIES = {role: caps | {Cap.SEE_INBOX} for role, caps in ROLE_CAPABILITIES.items()}

# Where each role lands after signing in (a URL name); others land on the home page.
LANDING: dict[str, str] = {
    Role.CPSS.value: "my-day",
    Role.SUPERVISOR.value: "team-board",
    Role.MHP.value: "team-board",
    Role.BILLING.value: "billing-lines",
    Role.UM_REVIEWER.value: "um-queue",
    Role.AUDITOR.value: "auditor-home",
    Role.ADMIN.value: "auditor-home",
}

_BY_NAME: dict[str, Cap] = {c.value: c for c in Cap}


def capability(name: str | Cap) -> Cap:
    """The capability called `name`; ImproperlyConfigured for an unknown name (a typo in a
    declaration or a template fails loudly)."""
    found = _BY_NAME.get(str(name))
    if found is None:
        raise ImproperlyConfigured(
            f"Unknown capability {name!r}. Known: {', '.join(sorted(_BY_NAME))}."
        )
    return found


def capabilities_of_role(role: str | None) -> frozenset[Cap]:
    return ROLE_CAPABILITIES.get(role or "", frozenset())


def roles_with(cap: str | Cap) -> frozenset[str]:
    """The roles that have `cap`."""
    wanted = capability(cap)
    return frozenset(role for role, caps in ROLE_CAPABILITIES.items() if wanted in caps)


def capabilities_of(user: AbstractBaseUser | AnonymousUser | None) -> frozenset[Cap]:
    """The user's capabilities (none when not signed in; a superuser has the admin's)."""
    from .scope import role_of  # scope imports this module

    return capabilities_of_role(role_of(user))


def has(user: AbstractBaseUser | AnonymousUser | None, cap: str | Cap) -> bool:
    """May `user` do `cap`? (What, not whom: check the scope as well.)"""
    return capability(cap) in capabilities_of(user)


def has_all(user: AbstractBaseUser | AnonymousUser | None, caps: Iterable[str | Cap]) -> bool:
    mine = capabilities_of(user)
    return all(capability(c) in mine for c in caps)


class Can:
    """The template's view of the registry: `{% if can.write_note %}`. An unknown name raises
    ImproperlyConfigured, which Django's templates do not swallow."""

    def __init__(self, user: Any) -> None:
        self._user = user

    def __getitem__(self, name: str) -> bool:
        return has(self._user, name)

    def __getattr__(self, name: str) -> bool:
        if name.startswith("_"):
            raise AttributeError(name)
        return has(self._user, name)

    def __contains__(self, name: str) -> bool:
        return has(self._user, name)


def context(request: Any) -> dict[str, object]:
    """Context processor: `can` for templates."""
    return {"can": Can(getattr(request, "user", None))}


def registry_table() -> str:
    """The registry as a Markdown table (capability, what it allows, roles): docs/permissions.md
    holds it, and a test keeps the two the same."""
    roles = list(ROLE_CAPABILITIES)
    head = "| capability | what it allows | " + " | ".join(roles) + " |"
    rule = "|---|---|" + "---|" * len(roles)
    rows = [
        f"| `{c.value}` | {DESCRIPTIONS[c]} | "
        + " | ".join("yes" if c in ROLE_CAPABILITIES[r] else "" for r in roles)
        + " |"
        for c in Cap
    ]
    return "\n".join([head, rule, *rows]) + "\n"
