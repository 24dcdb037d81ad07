"""The rules. Importing this package registers every rule in `base.REGISTRY`."""

from peerpath.policy.rules import (  # noqa: F401
    authorization,
    eligibility,
    notes,
    staffing,
)
