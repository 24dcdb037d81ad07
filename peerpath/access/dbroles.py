"""The two-role PostgreSQL setup (docs/deploy.md): an owner role that runs migrations and
owns every table, and an application role that the web server and workers use.

The application role reads and writes rows, but owns nothing: so it cannot TRUNCATE,
ALTER or DROP a table, nor disable or drop the triggers that keep the access log and the
accounting of disclosures append-only; on those tables it may only read and add rows.
`app_role_sql` writes the statements; `peerpath accesslog app-role` prints them.
"""

from __future__ import annotations

import re

APPEND_ONLY = ("access_accesslogentry", "consent_disclosure")
_NAME = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")


def _ident(name: str, what: str) -> str:
    if not _NAME.match(name):
        raise ValueError(f"{what} '{name}' must be a plain lower-case PostgreSQL name")
    return name


def app_role_sql(*, app_role: str, owner_role: str, schema: str = "public") -> list[str]:
    """Statements (run by the owner or a superuser, after `migrate`) that give `app_role`
    what the application needs and nothing more. Creates the role without a password; set
    one with ALTER ROLE ... PASSWORD, or use peer/certificate authentication."""
    app = _ident(app_role, "application role")
    owner = _ident(owner_role, "owner role")
    sch = _ident(schema, "schema")
    statements = [
        f"DO $$ BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '{app}') THEN "
        f"CREATE ROLE {app} LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOBYPASSRLS; "
        "END IF; END $$",
        f"GRANT USAGE ON SCHEMA {sch} TO {app}",
        f"REVOKE CREATE ON SCHEMA {sch} FROM {app}",
        f"GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA {sch} TO {app}",
        f"GRANT USAGE, SELECT, UPDATE ON ALL SEQUENCES IN SCHEMA {sch} TO {app}",
        f"REVOKE TRUNCATE, TRIGGER, REFERENCES ON ALL TABLES IN SCHEMA {sch} FROM {app}",
        # Tables the owner creates in later migrations get the same rights.
        f"ALTER DEFAULT PRIVILEGES FOR ROLE {owner} IN SCHEMA {sch} "
        f"GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO {app}",
        f"ALTER DEFAULT PRIVILEGES FOR ROLE {owner} IN SCHEMA {sch} "
        f"GRANT USAGE, SELECT, UPDATE ON SEQUENCES TO {app}",
    ]
    for table in APPEND_ONLY:
        statements.append(f"REVOKE UPDATE, DELETE ON {sch}.{table} FROM {app}")
    return statements
