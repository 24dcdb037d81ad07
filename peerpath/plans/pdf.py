"""The person's own printable copies of their plan and crisis plan, made with WeasyPrint:
large type, plain words, nothing clinical. WeasyPrint is imported only when a copy is made
(it loads the Pango text libraries)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from django.template.loader import render_to_string

from peerpath.people.models import Person

from .models import WholeHealthFactor
from .requirements import PlanRequirements
from .selectors import PlanView

STYLESHEET = Path(__file__).with_name("print.css")


def render_pdf(template: str, context: dict[str, Any]) -> bytes:
    from weasyprint import CSS, HTML

    html = render_to_string(template, context)
    pdf: bytes = HTML(string=html).write_pdf(stylesheets=[CSS(filename=str(STYLESHEET))])
    return pdf


def _name(person: Person) -> str:
    return person.preferred_name or person.first_name


def plan_pdf(
    person: Person, view: PlanView, rules: PlanRequirements, *, printed: dt.datetime
) -> bytes:
    labels = dict(WholeHealthFactor.choices)
    factors = sorted({labels[g.whole_health_factor] for g in view.goals if g.whole_health_factor})
    return render_pdf(
        "plans/pdf/plan.html",
        {
            "person": person,
            "name": _name(person),
            "view": view,
            "plan": view.plan,
            "factors": factors,
            "plan_name": rules.plan_name,
            "printed": printed,
        },
    )


def crisis_plan_pdf(person: Person, view: PlanView, *, printed: dt.datetime) -> bytes:
    return render_pdf(
        "plans/pdf/crisis.html",
        {
            "person": person,
            "name": _name(person),
            "plan": view.plan,
            "crisis": view.crisis,
            "printed": printed,
        },
    )
