"""Program-integrity audits over claims or records extracts (docs/audit.md).

Not to be confused with peerpath.audit (the change history of records).
"""
