"""The CARC/RARC table: the codes billing staff meet most, each in plain words, and each
mapped rule a real PeerPath rule."""

from __future__ import annotations

import pytest

from peerpath.billing.x12.reason_codes import SCRUB_CHECKS, reason_codes
from peerpath.policy.rules.base import REGISTRY

COMMON_CARCS = [
    "1",
    "2",
    "3",
    "4",
    "16",
    "18",
    "27",
    "29",
    "45",
    "50",
    "96",
    "97",
    "109",
    "119",
    "151",
    "197",
    "198",
    "204",
    "242",
    "252",
    "B7",
]
COMMON_RARCS = ["N4", "N30", "N54", "N290", "M15", "M51", "MA130"]


def test_the_common_behavioral_health_codes_are_in_the_table() -> None:
    codes = reason_codes()
    assert set(COMMON_CARCS) <= set(codes.carc)
    assert set(COMMON_RARCS) <= set(codes.rarc)
    assert set(codes.groups) == {"CO", "PR", "OA", "PI", "CR"}


def test_every_code_has_a_meaning_in_plain_words() -> None:
    codes = reason_codes()
    for code in (*codes.carc.values(), *codes.rarc.values()):
        assert len(code.meaning) > 10, code.label
        assert "patient" not in code.meaning.lower(), code.label  # person-first words


def test_every_mapped_rule_is_a_policy_rule_or_a_scrub_check() -> None:
    from peerpath.policy.api import CHECKS

    codes = reason_codes()
    for code in (*codes.carc.values(), *codes.rarc.values()):
        for rule_id in code.rules:
            if rule_id.startswith("BILLING."):
                assert rule_id in SCRUB_CHECKS, f"{code.label} names unknown check {rule_id}"
                assert rule_id in CHECKS, f"the engine no longer has the claim check {rule_id}"
            else:
                assert rule_id in REGISTRY, f"{code.label} names unknown rule {rule_id}"


@pytest.mark.parametrize(
    ("carc", "rarcs", "first_rule"),
    [
        ("197", (), "AUTH.NOTE_COVERED"),
        ("119", (), "UNITS.CAP"),
        ("198", (), "AUTH.UNITS_EXCEEDED"),
        ("204", (), "NOTE.NOT_COVERED_ACTIVITY"),
        ("B7", (), "CREDENTIAL.CURRENT"),
        ("96", ("N95",), "CREDENTIAL.CURRENT"),  # the remark is more specific than the CARC
        ("96", ("N290",), "BILLING.RENDERING_NPI"),
        ("58", (), "NOTE.SETTING_ALLOWED"),
        ("97", (), "CONCURRENCY.OTHER_SERVICE"),
    ],
)
def test_a_denial_names_the_rule_that_would_have_caught_it(
    carc: str, rarcs: tuple[str, ...], first_rule: str
) -> None:
    assert reason_codes().rules_for(carc, rarcs)[0] == first_rule


def test_denials_no_rule_can_catch_name_the_safeguard_or_nothing() -> None:
    codes = reason_codes()
    assert codes.rules_for("18") == ()
    assert "billed once" in codes.safeguards_for("18")[0]
    assert codes.rules_for("45") == () and codes.safeguards_for("45") == ()
    assert codes.rules_for("Z99") == ()
