"""The billing charts (denials by reason, charges awaiting payment, units by payer): the
numbers they draw, the SVG they draw it as, an empty agency, and the page that shows them
(the billing home and the remittances page load it), in a fixed number of queries."""

from __future__ import annotations

import base64
import datetime as dt
import re
from decimal import Decimal

import pytest
from django.db import connection
from django.test import Client, override_settings
from django.test.utils import CaptureQueriesContext

from peerpath.billing import charts, reports
from peerpath.billing.remittance import post_remittance
from peerpath.billing.reports import AgingRow, PayerUnits, Rate
from peerpath.billing.x12.remit_builder import ClaimOutcome, LineOutcome, build_835_from_837
from peerpath.people.models import Person
from tests.access.factories import StaffUserFactory
from tests.billing.remit_factories import LineSpec, sent_claims
from tests.factories import PayerFactory, PersonFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("no_second_factor")]
D = dt.date
PAYER = "Blue Ridge Health Partners"


@pytest.fixture
def no_second_factor():
    with override_settings(PEERPATH_REQUIRE_2FA=False):
        yield


@pytest.fixture
def sent():
    billing = StaffUserFactory(role="billing")
    payer = PayerFactory(name=PAYER)
    people = [PersonFactory(agency=billing.agency, payer=payer) for _ in range(2)]
    _, text = sent_claims(
        billing.agency,
        payer,
        [
            (people[0], [LineSpec(D(2026, 4, 6), 4), LineSpec(D(2026, 4, 8), 6)]),
            (people[1], [LineSpec(D(2026, 4, 7), 4)]),
        ],
    )
    return billing, text


OUTCOMES = {
    "PP501-1": ClaimOutcome(lines={2: LineOutcome.deny("197", remarks=("N54",))}),
    "PP501-2": LineOutcome.deny("B7"),
}


def client_for(staff) -> Client:
    client = Client()
    client.force_login(staff.user)
    return client


def svg_of(uri: str) -> str:
    assert uri.startswith("data:image/svg+xml;base64,")
    return base64.b64decode(uri.split(",", 1)[1]).decode()


def images(page: str) -> list[str]:
    return [svg_of(u) for u in re.findall(r'src="(data:image/svg\+xml;base64,[^"]+)"', page)]


# The numbers ----------------------------------------------------------------------------


def test_units_by_payer_adds_the_units_of_lines_by_where_they_stand(sent):
    billing, text = sent
    people = Person.objects.filter(agency=billing.agency)
    before = reports.units_by_payer(people)
    assert [(r.payer, r.units, r.total) for r in before] == [(PAYER, {"submitted": 14}, 14)]
    post_remittance(actor=billing.user, text=build_835_from_837(text, OUTCOMES))
    after = reports.units_by_payer(people)
    # Line 1 (4 units) paid; line 2 (6) denied for 197; the other claim (4) denied for B7.
    assert [(r.payer, r.units) for r in after] == [(PAYER, {"paid": 4, "refused": 10})]
    assert after[0].cells == [0, 0, 0, 4, 10]
    assert reports.units_by_payer(Person.objects.none()) == []


def test_denial_bars_put_the_most_refused_first_and_add_up_the_rest():
    rates = [Rate(code, n, 100) for code, n in [("197", 9), ("B7", 5)]]
    assert charts.denial_bars(rates) == [("CARC 197", 9), ("CARC B7", 5)]
    many = [Rate(str(100 + i), 20 - i, 100) for i in range(charts.MAX_BARS + 3)]
    bars = charts.denial_bars(many)
    assert len(bars) == charts.MAX_BARS + 1
    assert bars[0] == ("CARC 100", 20)
    assert bars[-1] == ("Other reasons", 20 - 8 + 20 - 9 + 20 - 10)
    assert charts.denial_bars([]) == []


# The drawings ---------------------------------------------------------------------------


def test_each_chart_draws_its_figures_as_svg_with_no_style_element():
    denials = charts.denials_by_reason_svg([Rate("197", 1234, 5000), Rate("B7", 5, 5000)])
    assert "CARC 197" in denials and "1,234" in denials and "CARC B7" in denials
    aging = charts.aging_svg(
        [AgingRow(PAYER, {"0-30": Decimal("1500.00"), ">120": Decimal("20.00")}, {"0-30": 3})]
    )
    assert PAYER in aging and "over 120" in aging and "$1,500" in aging
    units = charts.units_by_payer_svg([PayerUnits(PAYER, {"paid": 40, "held": 8})])
    assert PAYER in units and "Awaiting payment" in units and "Refused in whole or part" in units
    for svg in (denials, aging, units):
        assert svg.lstrip().startswith("<?xml") and "<svg" in svg
        assert "<style" not in svg and "<script" not in svg


def test_each_chart_says_so_when_there_is_nothing_to_draw():
    assert "No denials posted" in charts.denials_by_reason_svg([])
    assert "Nothing is awaiting payment" in charts.aging_svg([])
    assert "No claim lines yet" in charts.units_by_payer_svg([])


# The page -------------------------------------------------------------------------------


def test_the_charts_page_shows_each_chart_with_its_numbers(sent):
    billing, text = sent
    client = client_for(billing)
    page = client.get("/billing/glance/", HTTP_HX_REQUEST="true").content.decode()
    assert "<html" not in page  # the piece htmx swaps in
    denials, aging, units = images(page)
    assert "No denials posted" in denials and "No denials posted." in page
    assert PAYER in aging and "$167.58" in page  # 14 units at 11.97, sent today
    assert PAYER in units
    post_remittance(actor=billing.user, text=build_835_from_837(text, OUTCOMES))
    page = client.get("/billing/glance/").content.decode()
    assert "<html" in page  # without JavaScript, a page of its own
    denials, aging, units = images(page)
    assert "CARC 197" in denials and "CARC B7" in denials
    assert "Nothing is awaiting payment" in aging and "Nothing is awaiting payment." in page
    assert re.search(r'<td data-label="Paid">4</td>', page)
    assert re.search(r'<td data-label="Refused in whole or part">10</td>', page)
    assert 'alt="Bar chart of refused lines by reason code; the most: CARC' in page


def test_an_agency_with_no_claims_sees_three_empty_charts():
    client = client_for(StaffUserFactory(role="billing"))
    page = client.get("/billing/glance/").content.decode()
    assert len(images(page)) == 3
    for words in ("No denials posted.", "Nothing is awaiting payment.", "No claim lines yet."):
        assert words in page


def test_the_billing_home_and_remittances_load_the_charts(sent):
    billing, _ = sent
    client = client_for(billing)
    for url in ("/billing/", "/billing/remittances/"):
        page = client.get(url).content.decode()
        assert 'hx-get="/billing/glance/" hx-trigger="load"' in page, url


@pytest.mark.parametrize("role", ["cpss", "supervisor", "um_reviewer"])
def test_other_roles_see_no_charts(sent, role):
    billing, _ = sent
    other = StaffUserFactory(role=role, agency=billing.agency)
    assert client_for(other).get("/billing/glance/").status_code == 403


def _queries(client: Client, url: str) -> int:
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    return len(ctx.captured_queries)


def test_the_charts_take_a_fixed_number_of_queries_however_many_claims(sent):
    billing, text = sent
    client = client_for(billing)
    post_remittance(actor=billing.user, text=build_835_from_837(text, OUTCOMES))
    client.get("/billing/glance/")
    few = _queries(client, "/billing/glance/")
    for n in range(2, 6):
        payer = PayerFactory(name=f"Payer {n}")
        person = PersonFactory(agency=billing.agency, payer=payer)
        sent_claims(
            billing.agency, payer, [(person, [LineSpec(D(2026, 4, 6), 4)] * 3)],
            isa_control=500 + n * 10,
        )  # fmt: skip
    assert _queries(client, "/billing/glance/") == few
