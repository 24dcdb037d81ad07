import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from peerpath.audit.models import ChangeRecord
from peerpath.organizations import services
from peerpath.organizations.models import Agency
from tests.factories import AgencyFactory, ContractFactory, PayerFactory


def test_agency_create_records_who_created_it(actor):
    agency = services.agency_create(
        actor=actor, name="Hope Street", state="NC", npi="1234567893", tax_id="561234567"
    )
    record = ChangeRecord.objects.get(record_type="organizations.Agency", record_id=agency.pk)
    assert record.actor == actor and record.action == "create"
    assert record.changes["name"] == "Hope Street"


def test_agency_with_bad_npi_is_refused_and_nothing_is_written(actor):
    with pytest.raises(ValidationError) as err:
        services.agency_create(
            actor=actor, name="X", state="NC", npi="1234567890", tax_id="561234567"
        )
    assert "npi" in err.value.message_dict
    assert not Agency.objects.exists() and not ChangeRecord.objects.exists()


def test_site_name_must_be_unique_in_an_agency(actor):
    agency = AgencyFactory()
    services.site_create(actor=actor, agency=agency, name="Downtown")
    with pytest.raises(ValidationError):
        services.site_create(actor=actor, agency=agency, name="Downtown")


def test_payer_needs_a_two_letter_state(actor):
    payer = services.payer_create(actor=actor, name="BRHP", payer_id="BRHP1", state="NC")
    assert payer.pk
    with pytest.raises(ValidationError) as err:
        services.payer_create(actor=actor, name="Y", payer_id="Y1", state="North Carolina")
    assert "state" in err.value.message_dict


def test_contract_cannot_end_before_it_starts_or_name_an_unknown_pack(actor):
    agency, payer = AgencyFactory(), PayerFactory()
    ok = services.contract_create(
        actor=actor, agency=agency, payer=payer, number="C1", start=dt.date(2025, 1, 1)
    )
    assert ok.pk
    with pytest.raises(ValidationError) as err:
        services.contract_create(
            actor=actor,
            agency=agency,
            payer=payer,
            number="C2",
            start=dt.date(2025, 1, 1),
            end=dt.date(2024, 1, 1),
        )
    assert "end" in err.value.message_dict
    with pytest.raises(ValidationError) as err:
        services.contract_create(
            actor=actor,
            agency=agency,
            payer=payer,
            number="C3",
            start=dt.date(2025, 1, 1),
            pack_override="xx-none",
        )
    assert "pack_override" in err.value.message_dict


def test_contract_rate_is_cited_and_never_negative(actor):
    contract = ContractFactory()
    rate = services.contract_rate_add(
        actor=actor,
        contract=contract,
        procedure_code="H0038",
        modifiers="HQ",
        start=dt.date(2019, 11, 1),
        rate_per_unit=Decimal("2.88"),
        source="fee schedule",
    )
    assert str(rate) == "H0038 HQ $2.88 from 2019-11-01"
    with pytest.raises(ValidationError) as err:
        services.contract_rate_add(
            actor=actor,
            contract=contract,
            procedure_code="H0038",
            modifiers="",
            start=dt.date(2019, 11, 1),
            rate_per_unit=Decimal("-1"),
            source="x",
        )
    assert "rate_per_unit" in err.value.message_dict
