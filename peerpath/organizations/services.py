"""Writes for agencies, sites, payers and contracts. Each runs in one transaction."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.db import transaction

from peerpath.core.services import Actor, save_record

from .models import Agency, ContractRate, Payer, PayerContract, Site


@transaction.atomic
def agency_create(
    *,
    actor: Actor,
    name: str,
    state: str,
    npi: str,
    tax_id: str,
    address: str = "",
    city: str = "",
    postal_code: str = "",
    phone: str = "",
) -> Agency:
    agency = Agency(
        name=name,
        state=state,
        npi=npi,
        tax_id=tax_id,
        address=address,
        city=city,
        postal_code=postal_code,
        phone=phone,
    )
    return save_record(agency, actor=actor)


@transaction.atomic
def site_create(
    *,
    actor: Actor,
    agency: Agency,
    name: str,
    address: str = "",
    city: str = "",
    postal_code: str = "",
) -> Site:
    site = Site(agency=agency, name=name, address=address, city=city, postal_code=postal_code)
    return save_record(site, actor=actor)


@transaction.atomic
def payer_create(
    *, actor: Actor, name: str, payer_id: str, state: str, kind: str = "lme_mco"
) -> Payer:
    return save_record(Payer(name=name, payer_id=payer_id, state=state, kind=kind), actor=actor)


@transaction.atomic
def contract_create(
    *,
    actor: Actor,
    agency: Agency,
    payer: Payer,
    number: str,
    start: dt.date,
    end: dt.date | None = None,
    pack_override: str = "",
) -> PayerContract:
    contract = PayerContract(
        agency=agency,
        payer=payer,
        number=number,
        start=start,
        end=end,
        pack_override=pack_override,
    )
    return save_record(contract, actor=actor)


@transaction.atomic
def contract_rate_add(
    *,
    actor: Actor,
    contract: PayerContract,
    procedure_code: str,
    modifiers: str,
    start: dt.date,
    rate_per_unit: Decimal,
    source: str,
    end: dt.date | None = None,
) -> ContractRate:
    rate = ContractRate(
        contract=contract,
        procedure_code=procedure_code,
        modifiers=modifiers,
        start=start,
        end=end,
        rate_per_unit=rate_per_unit,
        source=source,
    )
    return save_record(rate, actor=actor)
