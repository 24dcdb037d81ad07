import json

import pytest

from peerpath.cli import main


def run(capsys, *argv):
    code = main(list(argv))
    out = capsys.readouterr().out
    assert code == 0
    return out


def row(out, key):
    return next(line for line in out.splitlines() if line.startswith(f"| {key} |"))


def test_diff_nc_2018_against_8g_2025_shows_eligibility_ratios_and_not_covered(capsys):
    out = run(capsys, "policy", "diff", "nc-pss-2018", "nc-8g-2025")
    assert "| 3 | 1 |" in row(out, "eligibility.needs_areas_required")
    assert "| 6 | 8 |" in row(out, "ratios.qp_to_cpss")
    assert "| 25 | 12 |" in row(out, "ratios.cpss_to_people")
    not_covered = row(out, "not_covered.activities")
    assert "childcare" in not_covered and "room_and_board" in not_covered


def test_diff_nc_8g_2025_against_sc_shows_group_size_and_concurrency(capsys):
    out = run(capsys, "policy", "diff", "nc-8g-2025", "sc-pss-2003")
    assert "| 12 | 10 |" in row(out, "ratios.group_max")
    assert "| never | allowed_list |" in row(out, "concurrency.same_time_rule")
    assert "MH_CLUBHOUSE" in row(out, "concurrency.allowed_concurrent_services")


def test_diff_as_html_is_a_table(capsys):
    out = run(capsys, "policy", "diff", "nc-8g-2025", "sc-pss-2003", "--format", "html")
    assert "<table>" in out and '<th scope="col">parameter</th>' in out


def test_list_shows_packs_rules_and_parameter_confidence(capsys):
    out = run(capsys, "policy", "list", "--pack", "tx-pss-2019")
    assert "tx-pss-2019" in out and "NOTE.MODALITY_ALLOWED" in out
    assert "units.cap" in out and "official" in out


def test_show_a_rule_lists_its_citation_in_each_pack(capsys):
    out = run(capsys, "policy", "show", "CONCURRENCY.OTHER_SERVICE")
    assert "sc-pss-2003" in out and "allowed_list" in out


def test_show_a_parameter_keeps_the_disagreeing_source_visible(capsys):
    out = run(capsys, "policy", "show", "ratios.cpss_to_people")
    assert "other source: 15" in out


def test_show_unknown_name_fails_with_a_hint(capsys):
    assert main(["policy", "show", "NO.SUCH"]) == 2
    assert "peerpath policy list" in capsys.readouterr().err


def test_diff_unknown_pack_fails(capsys):
    assert main(["policy", "diff", "nc-8g-2025", "zz-none"]) == 2


@pytest.mark.django_db
def test_check_prints_json_lines(capsys):
    from tests.policy.test_checks import overlapping_note_person

    person = overlapping_note_person()
    out = run(
        capsys,
        "policy",
        "check",
        "--person",
        str(person.pk),
        "--as-of",
        "2026-06-30",
        "--format",
        "jsonl",
    )
    lines = [json.loads(line) for line in out.splitlines()]
    assert any(f["rule_id"] == "CONCURRENCY.OTHER_SERVICE" for f in lines)
    assert all(f["citation"]["source"] for f in lines)
