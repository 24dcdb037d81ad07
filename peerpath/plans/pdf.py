"""The person's own printable copies of their plan and crisis plan, made with WeasyPrint:
large type, plain words, nothing clinical. WeasyPrint is imported only when a copy is made
(it loads the Pango text libraries)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from django.template.loader import render_to_string

from peerpath.people.models import Person
from peerpath.policy.api import PlanRequirements

from .models import WholeHealthFactor
from .selectors import PlanView

STYLESHEET = Path(__file__).with_name("print.css")


def layout(template: str, context: dict[str, Any]) -> Any:
    """The laid-out pages (a weasyprint Document): tests read the text from them."""
    from weasyprint import CSS, HTML

    html = render_to_string(template, context)
    return HTML(string=html).render(stylesheets=[CSS(filename=str(STYLESHEET))])


def render_pdf(template: str, context: dict[str, Any]) -> bytes:
    pdf: bytes = layout(template, context).write_pdf()
    return pdf


def _name(person: Person) -> str:
    return person.preferred_name or person.first_name


PLAN_TEMPLATE = "plans/pdf/plan.html"
CRISIS_TEMPLATE = "plans/pdf/crisis.html"


def plan_context(
    person: Person, view: PlanView, rules: PlanRequirements, *, printed: dt.datetime
) -> dict[str, Any]:
    labels = dict(WholeHealthFactor.choices)
    factors = sorted({labels[g.whole_health_factor] for g in view.goals if g.whole_health_factor})
    return {
        "person": person,
        "name": _name(person),
        "view": view,
        "plan": view.plan,
        "factors": factors,
        "plan_name": rules.plan_name,
        "printed": printed,
    }


def crisis_context(person: Person, view: PlanView, *, printed: dt.datetime) -> dict[str, Any]:
    return {
        "person": person,
        "name": _name(person),
        "plan": view.plan,
        "crisis": view.crisis,
        "printed": printed,
    }


def plan_pdf(
    person: Person, view: PlanView, rules: PlanRequirements, *, printed: dt.datetime
) -> bytes:
    return render_pdf(PLAN_TEMPLATE, plan_context(person, view, rules, printed=printed))


def crisis_plan_pdf(person: Person, view: PlanView, *, printed: dt.datetime) -> bytes:
    return render_pdf(CRISIS_TEMPLATE, crisis_context(person, view, printed=printed))
