import pytest
from hypothesis import given
from hypothesis import strategies as st

from peerpath.core import codes


def test_billable_icd10_code_is_accepted_with_or_without_dot():
    assert codes.icd10_problem("F33.1") is None
    assert codes.icd10_problem("f331") is None
    assert codes.normalize_icd10("f331") == "F33.1"


@pytest.mark.parametrize(
    ("code", "why"),
    [("F99.9", "not in the ICD-10-CM code set"), ("F33", "category"), ("33.1", "not shaped")],
)
def test_unknown_or_non_billable_icd10_code_is_refused_with_the_reason(code, why):
    assert why in codes.icd10_problem(code)


@pytest.mark.parametrize(
    ("code", "category"),
    [("F11.20", "SUD"), ("F10.20", "SUD"), ("F17.210", "MH"), ("F33.1", "MH"), ("Z00.00", "OTHER")],
)
def test_diagnosis_category_flags_substance_use_but_not_tobacco(code, category):
    assert codes.diagnosis_category(code) == category


def test_npi_check_digit_follows_luhn_over_80840_prefix():
    # 1234567893 is the worked example in the CMS NPI check-digit guidance.
    assert codes.npi_is_valid("1234567893")
    assert not codes.npi_is_valid("1234567890")
    assert not codes.npi_is_valid("123456789")


@given(st.from_regex(r"\d{9}", fullmatch=True))
def test_any_nine_digit_stem_completes_to_a_valid_npi(stem):
    npi = codes.npi_with_check_digit(stem)
    assert npi.startswith(stem) and codes.npi_is_valid(npi)
    wrong = stem + str((int(npi[-1]) + 1) % 10)
    assert not codes.npi_is_valid(wrong)


def test_medicaid_id_shape_is_checked_per_state_without_echoing_the_id():
    assert codes.medicaid_id_problem("123456789T", "NC") is None
    problem = codes.medicaid_id_problem("55577", "NC")
    assert problem is not None and "9 digits followed by a letter" in problem
    assert "55577" not in problem
    assert codes.medicaid_id_problem("1234567890", "SC") is None
