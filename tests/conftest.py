from __future__ import annotations

import pytest

from tests.factories import UserFactory


@pytest.fixture
def actor(db):  # type: ignore[no-untyped-def]
    """The staff user who acts in service-function tests."""
    return UserFactory(username="tester")
