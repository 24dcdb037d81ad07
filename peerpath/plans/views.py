"""The plan builder: a person's plan versions, the draft being written with them (goals in
their words, measurable steps, interventions, whole health, the crisis plan), signing, and
the printable copies the person keeps. Every write goes through peerpath.plans.services;
htmx posts return the part of the page that changed."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from peerpath.access.capabilities import Cap, has
from peerpath.access.permissions import declare
from peerpath.access.scope import role_of, staff_of
from peerpath.access.services import log_access, logged_person_read
from peerpath.consent.part2 import part2_plan_ids
from peerpath.consent.services import part2_for_outside_reader, reads_from_outside
from peerpath.core.stale import StaleEditError, revision
from peerpath.people.models import Person
from peerpath.policy.api import PlanRequirements

from . import services
from .forms import (
    ContactForm,
    CrisisForm,
    DetailsForm,
    GoalForm,
    InterventionForm,
    ObjectiveForm,
    ReopenForm,
    SignForm,
    StartForm,
    apply_errors,
)
from .models import Goal, Intervention, Objective, Plan, PlanStatus, SignerRole, WholeHealthFactor
from .pdf import crisis_plan_pdf, plan_pdf
from .selectors import (
    CRISIS,
    GOAL,
    INTERVENTION,
    OBJECTIVE,
    PlanView,
    Trail,
    plan_for_page,
    plan_versions,
    plan_view,
)

PLAN_RECORD = "plans.Plan"


# ---- shared pieces ----------------------------------------------------------------------------


def _person(person_id: int) -> Person:
    return get_object_or_404(Person.objects.select_related("payer", "agency"), pk=person_id)


def _plan(person: Person, version: int) -> Plan:
    plan = plan_for_page(person, version)
    if plan is None:
        raise Http404("No such plan version.")
    return plan


def _payer_staff(request: HttpRequest) -> Any:
    """The user's staff record when they work for a payer, not the agency: showing them a
    plan is a disclosure outside the agency."""
    staff = staff_of(request.user)
    if staff is None or staff.agency_id is not None or staff.payer_id is None:
        return None
    return staff


def part2_withheld(request: HttpRequest, person: Person, plans: list[Plan]) -> set[int]:
    """Ids of `plans` a payer's staff member may not see: plans under 42 CFR Part 2 without
    the person's consent to that payer for operations (drafts are never shown to them).
    With consent, the showing is added to the person's accounting of disclosures."""
    if not reads_from_outside(request.user):
        return set()
    held = {p.pk for p in plans if p.status == PlanStatus.DRAFT}
    protected = part2_plan_ids(person) & {p.pk for p in plans if p.pk not in held}
    records = [{"type": PLAN_RECORD, "id": pk} for pk in sorted(protected)]
    if part2_for_outside_reader(actor=request.user, person=person, records=records).shown:
        return held
    return held | protected


@dataclass
class Row:
    """One objective or intervention with who added it."""

    obj: Objective | Intervention
    trail: Trail


@dataclass
class GoalCard:
    number: int
    goal: Goal
    base: str
    trail: Trail
    form: forms.Form
    objective_form: forms.Form
    intervention_form: forms.Form
    objectives: list[Row] = field(default_factory=list)
    interventions: list[Row] = field(default_factory=list)


@dataclass(frozen=True)
class SignerSlot:
    role: str
    label: str
    signature: Any
    form: SignForm | None
    self_sign: bool  # the signed-in staff member signs for themselves


def _form(bound: dict[str, forms.Form], key: str, cls: type[forms.Form], **initial: Any) -> Any:
    return bound.get(key) or cls(prefix=key, initial=initial)


def _signer_slots(
    request: HttpRequest,
    person: Person,
    view: PlanView,
    rules: PlanRequirements,
    ready: bool,
    bound: dict[str, forms.Form],
) -> list[SignerSlot]:
    role = role_of(request.user)
    staff = staff_of(request.user)
    by_role = {s.role: s for s in view.signatures}
    if SignerRole.GUARDIAN in by_role:
        by_role[SignerRole.PERSON] = by_role[SignerRole.GUARDIAN]
    slots = []
    today = timezone.localdate()
    for signer in rules.signers:
        signature = by_role.get(signer)
        form = None
        allowed = services.STAFF_SIGNERS.get(signer)
        self_sign = allowed is not None
        may = (
            signature is None
            and ready
            and view.plan.status == PlanStatus.DRAFT
            and has(request.user, Cap.WRITE_PLAN)
            and (allowed is None or role in allowed)
        )
        if may:
            initial: dict[str, Any] = {"role": signer, "signed_on": today}
            if signer == SignerRole.PERSON:
                initial["name"] = f"{person.first_name} {person.last_name}"
            if self_sign and staff is not None:
                initial |= {"name": staff.full_name, "credential": staff.credential}
            form = _form(bound, f"sign_{signer}", SignForm, **initial)
        slots.append(SignerSlot(signer, rules.signer_label(signer), signature, form, self_sign))
    return slots


def _context(
    request: HttpRequest,
    person: Person,
    plan: Plan,
    bound: dict[str, forms.Form] | None = None,
) -> dict[str, Any]:
    bound = bound or {}
    view = plan_view(plan)
    rules = services.requirements_for(plan)
    writer = has(request.user, Cap.WRITE_PLAN)
    editable = writer and plan.status == PlanStatus.DRAFT and not view.signatures
    cards = []
    for number, goal in enumerate(view.goals, start=1):
        key = f"goal{goal.pk}"
        cards.append(
            GoalCard(
                number=number,
                goal=goal,
                trail=view.trail(GOAL, goal.pk),
                base=revision(goal),
                form=_form(
                    bound,
                    key,
                    GoalForm,
                    own_words=goal.own_words,
                    whole_health_factor=goal.whole_health_factor,
                    social_skill=goal.social_skill,
                    status=goal.status,
                ),
                objective_form=_form(bound, f"obj{goal.pk}", ObjectiveForm),
                intervention_form=_form(bound, f"int{goal.pk}", InterventionForm),
                objectives=[Row(o, view.trail(OBJECTIVE, o.pk)) for o in goal.objectives.all()],
                interventions=[
                    Row(i, view.trail(INTERVENTION, i.pk)) for i in goal.interventions.all()
                ],
            )
        )
    crisis = view.crisis
    problems = services.plan_problems(plan, rules) if plan.status == PlanStatus.DRAFT else {}
    missing = services.missing_signers(plan, rules) if plan.status == PlanStatus.DRAFT else []
    whole_health = [
        (label, [c for c in cards if c.goal.whole_health_factor == value])
        for value, label in WholeHealthFactor.choices
    ]
    return {
        "person": person,
        "plan": plan,
        "view": view,
        "rules": rules,
        "cards": cards,
        "whole_health": whole_health,
        "editable": editable,
        "writer": writer,
        "can_print": has(request.user, Cap.PRINT_PLAN),
        "problems": problems,
        "missing": [rules.signer_label(r) for r in missing],
        "signers": _signer_slots(request, person, view, rules, not problems, bound),
        "crisis": crisis,
        "crisis_trail": view.trail(CRISIS, crisis.pk) if crisis else Trail(),
        "details_base": revision(plan),
        "crisis_base": revision(crisis) if crisis and crisis.pk else "",
        "details_form": _form(
            bound,
            "details",
            DetailsForm,
            start=plan.start,
            review_due=plan.review_due,
            strengths=plan.strengths,
        ),
        "goal_form": _form(bound, "goal_new", GoalForm),
        "crisis_form": _form(
            bound,
            "crisis",
            CrisisForm,
            **{
                name: getattr(crisis, name, "")
                for name in CrisisForm.base_fields  # the form's fields are the model's names
            },
        ),
        "contact_form": _form(bound, "contact", ContactForm),
        "reopen_form": _form(bound, "reopen", ReopenForm),
        "signed_any": bool(view.signatures),
        "draft_exists": plan.status != PlanStatus.DRAFT
        and Plan.objects.filter(person=person, status=PlanStatus.DRAFT).exists(),
        "error_summary": _error_summary(bound),
        "today": timezone.localdate(),
    }


def _error_summary(bound: dict[str, forms.Form]) -> list[tuple[str, str, str]]:
    """(field id, label, message) for every error on the submitted forms, for the summary at
    the top of the page (some refusals concern a part the page no longer offers to edit)."""
    summary = []
    for form in bound.values():
        for name, errors in form.errors.items():
            bf = form[name] if name in form.fields else None
            for message in errors:
                summary.append(
                    (bf.id_for_label if bf else "", str(bf.label) if bf else "", str(message))
                )
    return summary


def _respond(
    request: HttpRequest,
    person: Person,
    plan: Plan,
    *,
    partial: str,
    anchor: str,
    bound: dict[str, forms.Form] | None = None,
    saved: str = "",
) -> HttpResponse:
    """htmx: the changed part of the page (and the sign-off checklist out of band).
    Otherwise: back to the builder after a save, or the whole page with the errors."""
    ok = not bound
    if request.htmx:  # type: ignore[attr-defined]
        context = _context(request, person, plan, bound)
        context["saved"] = saved if ok else ""
        return render(request, partial, context)
    if ok:
        if saved:
            messages.success(request, saved)
        url = reverse("plan-version", kwargs={"person_id": person.pk, "version": plan.version})
        return redirect(f"{url}#{anchor}")
    return render(request, "plans/builder.html", _context(request, person, plan, bound))


def _base(request: HttpRequest) -> str | None:
    """The revision the form was opened at (a hidden field), None when it did not say."""
    return request.POST.get("base") or None


def _stale(form: forms.Form, exc: StaleEditError, labels: dict[str, str]) -> None:
    """Refuse a stale save on the form: what happened, and the other person's version (the
    form keeps the user's own, and now carries the new revision, so saving again replaces
    theirs knowingly)."""
    form.add_error(None, exc.messages)
    theirs = "; ".join(
        f"{label}: {exc.current.get(name) or '(empty)'}" for name, label in labels.items()
    )
    form.add_error(None, f"The version saved by someone else. {theirs}")


def _pick(queryset: Any, raw: str | None, what: str) -> Any:
    try:
        return queryset.get(pk=int(raw or ""))
    except (ValueError, queryset.model.DoesNotExist):
        raise Http404(f"No such {what} on this plan.") from None


# ---- pages ------------------------------------------------------------------------------------


@declare(Cap.READ_PLAN, person_param="person_id")
def plan_home(request: HttpRequest, person_id: int) -> HttpResponse:
    """The person's plan versions: the one in force, the draft, the history."""
    person = _person(person_id)
    versions = list(plan_versions(person))
    held = part2_withheld(request, person, versions)
    shown = [p for p in versions if p.pk not in held]
    logged_person_read(request, person, PLAN_RECORD)
    draft = next((p for p in shown if p.status == PlanStatus.DRAFT), None)
    active = next((p for p in shown if p.status == PlanStatus.ACTIVE), None)
    return render(
        request,
        "plans/home.html",
        {
            "person": person,
            "versions": shown,
            "withheld": any(p.pk in held for p in versions if p.status != PlanStatus.DRAFT),
            "draft": draft,
            "active": active,
            "writer": has(request.user, Cap.WRITE_PLAN),
            "can_print": has(request.user, Cap.PRINT_PLAN),
            "start_form": StartForm(initial={"start": timezone.localdate()}),
        },
    )


@declare(Cap.WRITE_PLAN, person_param="person_id")
@require_POST
def plan_start_view(request: HttpRequest, person_id: int) -> HttpResponse:
    """Start a plan, or a review that copies the plan in force into a new draft."""
    person = _person(person_id)
    form = StartForm(request.POST)
    if form.is_valid():
        try:
            plan = services.plan_start(
                actor=request.user, person=person, start=form.cleaned_data["start"]
            )
        except ValidationError as exc:
            for message in exc.messages:
                messages.error(request, message)
        else:
            messages.success(
                request,
                f"Version {plan.version} started"
                + (f" from version {plan.previous.version}." if plan.previous else "."),
            )
            return redirect("plan-version", person_id=person.pk, version=plan.version)
    else:
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, str(error))
    return redirect("plan-home", person_id=person.pk)


@declare(Cap.READ_PLAN, person_param="person_id")
def plan_version(request: HttpRequest, person_id: int, version: int) -> HttpResponse:
    """One version of the plan: the builder while it is an unsigned draft, else read only."""
    person = _person(person_id)
    plan = _plan(person, version)
    if plan.pk in part2_withheld(request, person, [plan]):
        raise Http404("No such plan version.")
    logged_person_read(request, person, PLAN_RECORD, record_id=plan.pk)
    return render(request, "plans/builder.html", _context(request, person, plan))


def _writable(request: HttpRequest, person_id: int, version: int) -> tuple[Person, Plan]:
    person = _person(person_id)
    plan = _plan(person, version)
    logged_person_read(request, person, PLAN_RECORD, record_id=plan.pk)
    return person, plan


@declare(Cap.WRITE_PLAN, person_param="person_id")
@require_POST
def plan_details(request: HttpRequest, person_id: int, version: int) -> HttpResponse:
    person, plan = _writable(request, person_id, version)
    form = DetailsForm(request.POST, prefix="details")
    if form.is_valid():
        try:
            services.plan_update(
                actor=request.user, plan=plan, base=_base(request), **form.cleaned_data
            )
        except StaleEditError as exc:
            _stale(
                form,
                exc,
                {"start": "Starts on", "review_due": "Review by", "strengths": "Strengths"},
            )
        except ValidationError as exc:
            apply_errors(form, exc)
    plan.refresh_from_db()
    bound: dict[str, forms.Form] | None = {"details": form} if form.errors else None
    return _respond(
        request,
        person,
        plan,
        partial="plans/_details.html",
        anchor="details",
        bound=bound,
        saved="Dates and strengths saved.",
    )


def _failed(
    cls: type[forms.Form], prefix: str, exc: ValidationError, values: dict[str, Any] | None = None
) -> forms.Form:
    """A form showing a service's refusal, holding `values` (what the record still says)."""
    data = {f"{prefix}-{k}": v for k, v in (values or {}).items()}
    form = cls(data, prefix=prefix)
    form.is_valid()
    form.errors.clear()
    apply_errors(form, exc)
    return form


def _goal_values(goal: Goal) -> dict[str, Any]:
    return {
        "own_words": goal.own_words,
        "whole_health_factor": goal.whole_health_factor,
        "social_skill": goal.social_skill,
        "status": goal.status,
    }


@declare(Cap.WRITE_PLAN, person_param="person_id")
@require_POST
def plan_goals(request: HttpRequest, person_id: int, version: int) -> HttpResponse:
    """Add, change or remove a goal (`action` = add, update or remove)."""
    person, plan = _writable(request, person_id, version)
    action = request.POST.get("action", "")
    form: forms.Form
    saved = ""
    if action == "add":
        form = GoalForm(request.POST, prefix="goal_new")
        if form.is_valid():
            try:
                services.goal_add(actor=request.user, plan=plan, **_goal_fields(form))
                saved = "Goal added."
            except ValidationError as exc:
                apply_errors(form, exc)
    elif action == "update":
        goal = _pick(plan.goals.all(), request.POST.get("goal"), "goal")
        form = GoalForm(request.POST, prefix=f"goal{goal.pk}")
        if form.is_valid():
            try:
                services.goal_update(
                    actor=request.user,
                    goal=goal,
                    status=form.cleaned_data["status"] or "active",
                    base=_base(request),
                    **_goal_fields(form),
                )
                saved = "Goal saved."
            except StaleEditError as exc:
                _stale(form, exc, {"own_words": "The goal", "status": "Status"})
            except ValidationError as exc:
                apply_errors(form, exc)
    elif action == "remove":
        goal = _pick(plan.goals.all(), request.POST.get("goal"), "goal")
        form = GoalForm(prefix=f"goal{goal.pk}")
        try:
            services.goal_remove(actor=request.user, goal=goal)
            saved = "Goal removed."
        except ValidationError as exc:
            form = _failed(GoalForm, f"goal{goal.pk}", exc, _goal_values(goal))
    else:
        raise Http404("Unknown action.")
    return _respond(
        request,
        person,
        plan,
        partial="plans/_goals.html",
        anchor="goals",
        bound={form.prefix or "": form} if form.is_bound and form.errors else None,
        saved=saved,
    )


def _goal_fields(form: forms.Form) -> dict[str, Any]:
    return {
        "own_words": form.cleaned_data["own_words"],
        "whole_health_factor": form.cleaned_data["whole_health_factor"],
        "social_skill": bool(form.cleaned_data["social_skill"]),
    }


@declare(Cap.WRITE_PLAN, person_param="person_id")
@require_POST
def plan_goal_parts(request: HttpRequest, person_id: int, version: int) -> HttpResponse:
    """Add or remove a goal's measurable step or intervention (`action` = add_objective,
    remove_objective, add_intervention or remove_intervention)."""
    person, plan = _writable(request, person_id, version)
    action = request.POST.get("action", "")
    goal = _pick(plan.goals.all(), request.POST.get("goal"), "goal")
    kind, _, what = action.partition("_")
    if kind not in ("add", "remove") or what not in ("objective", "intervention"):
        raise Http404("Unknown action.")
    cls: type[forms.Form] = ObjectiveForm if what == "objective" else InterventionForm
    prefix = f"obj{goal.pk}" if what == "objective" else f"int{goal.pk}"
    form: forms.Form = cls(request.POST if kind == "add" else None, prefix=prefix)
    saved = ""
    try:
        if kind == "add" and form.is_valid():
            if what == "objective":
                services.objective_add(actor=request.user, goal=goal, **form.cleaned_data)
                saved = "Step added."
            else:
                services.intervention_add(actor=request.user, goal=goal, **form.cleaned_data)
                saved = "Intervention added."
        elif kind == "remove":
            item = request.POST.get("item")
            if what == "objective":
                objective = _pick(goal.objectives.all(), item, "step")
                services.objective_remove(actor=request.user, objective=objective)
                saved = "Step removed."
            else:
                intervention = _pick(goal.interventions.all(), item, "intervention")
                services.intervention_remove(actor=request.user, intervention=intervention)
                saved = "Intervention removed."
    except ValidationError as exc:
        if form.is_bound:
            apply_errors(form, exc)
        else:
            form = _failed(cls, prefix, exc)
    return _respond(
        request,
        person,
        plan,
        partial="plans/_goals.html",
        anchor=f"goal-{goal.pk}",
        bound={prefix: form} if form.is_bound and form.errors else None,
        saved=saved,
    )


@declare(Cap.WRITE_PLAN, person_param="person_id")
@require_POST
def plan_crisis(request: HttpRequest, person_id: int, version: int) -> HttpResponse:
    """Save the crisis plan's words (the contacts have their own rows)."""
    person, plan = _writable(request, person_id, version)
    form = CrisisForm(request.POST, prefix="crisis")
    if form.is_valid():
        old = plan.crisis_plan if hasattr(plan, "crisis_plan") else None
        data = services.CrisisPlanInput(
            contacts=list(old.contacts) if old else [], **form.cleaned_data
        )
        try:
            services.crisis_plan_save(
                actor=request.user,
                plan=plan,
                data=data,
                updated_on=timezone.localdate(),
                base=_base(request),
            )
        except StaleEditError as exc:
            _stale(form, exc, {name: str(f.label) for name, f in form.fields.items()})
        except ValidationError as exc:
            apply_errors(form, exc)
    return _respond(
        request,
        person,
        plan,
        partial="plans/_crisis.html",
        anchor="crisis",
        bound={"crisis": form} if form.errors else None,
        saved="Crisis plan saved.",
    )


@declare(Cap.WRITE_PLAN, person_param="person_id")
@require_POST
def plan_crisis_contacts(request: HttpRequest, person_id: int, version: int) -> HttpResponse:
    """Add a person or service to call, or take one off (`action` = add or remove)."""
    person, plan = _writable(request, person_id, version)
    today = timezone.localdate()
    action = request.POST.get("action", "")
    form: forms.Form = ContactForm(request.POST if action == "add" else None, prefix="contact")
    saved = ""
    try:
        if action == "add":
            if form.is_valid():
                services.crisis_contact_add(
                    actor=request.user, plan=plan, on=today, **form.cleaned_data
                )
                saved = "Contact added."
        elif action == "remove":
            try:
                index = int(request.POST.get("index", ""))
            except ValueError:
                raise Http404("No such contact.") from None
            services.crisis_contact_remove(actor=request.user, plan=plan, index=index, on=today)
            saved = "Contact removed."
        else:
            raise Http404("Unknown action.")
    except ValidationError as exc:
        if form.is_bound:
            apply_errors(form, exc)
        else:
            form = _failed(ContactForm, "contact", exc)
    return _respond(
        request,
        person,
        plan,
        partial="plans/_crisis.html",
        anchor="contacts",
        bound={"contact": form} if form.is_bound and form.errors else None,
        saved=saved,
    )


@declare(Cap.WRITE_PLAN, person_param="person_id")
@require_POST
def plan_sign_view(request: HttpRequest, person_id: int, version: int) -> HttpResponse:
    """Record one signature. The last one the policy asks for puts the plan in force."""
    person, plan = _writable(request, person_id, version)
    role = request.POST.get("role", "")
    key = f"sign_{role}"
    form = SignForm(request.POST, prefix=key)
    if form.is_valid():
        data = form.cleaned_data
        signer = data["role"]
        if signer == SignerRole.PERSON and data["guardian"]:
            signer = SignerRole.GUARDIAN
        try:
            services.plan_sign(
                actor=request.user,
                plan=plan,
                role=signer,
                name=data["name"],
                credential=data["credential"],
                signed_on=data["signed_on"],
            )
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            plan.refresh_from_db()
            if plan.status == PlanStatus.ACTIVE:
                messages.success(request, f"Signed. Version {plan.version} is now in force.")
            else:
                messages.success(request, "Signed. The plan is locked while the others sign.")
            return redirect(
                reverse("plan-version", kwargs={"person_id": person.pk, "version": plan.version})
                + "#signatures"
            )
    return render(request, "plans/builder.html", _context(request, person, plan, {key: form}))


@declare(Cap.WRITE_PLAN, person_param="person_id")
@require_POST
def plan_reopen_view(request: HttpRequest, person_id: int, version: int) -> HttpResponse:
    """Withdraw a draft's signatures so it can be changed, saying why."""
    person, plan = _writable(request, person_id, version)
    form = ReopenForm(request.POST, prefix="reopen")
    if form.is_valid():
        try:
            services.plan_reopen(actor=request.user, plan=plan, reason=form.cleaned_data["reason"])
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.info(request, "The draft is open again; everyone signs again when it is done.")
            return redirect("plan-version", person_id=person.pk, version=plan.version)
    return render(request, "plans/builder.html", _context(request, person, plan, {"reopen": form}))


# ---- the person's printable copies ------------------------------------------------------------


def _printed(request: HttpRequest, person: Person, plan: Plan, what: str) -> None:
    """A printed copy is a read of the person's record, logged as such. It is the person's
    own copy: it is never a disclosure to a payer (payer staff cannot print it)."""
    if _payer_staff(request) is not None:
        raise Http404("The printable plan is the person's own copy.")
    log_access(
        user=request.user,
        action="print",
        record_type=what,
        record_id=plan.pk,
        person_id=person.pk,
        reason="the person's own copy",
        request=request,
    )


def _pdf(body: bytes, filename: str) -> HttpResponse:
    response = HttpResponse(body, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["Cache-Control"] = "no-store"
    return response


@declare(Cap.PRINT_PLAN, person_param="person_id")
def plan_pdf_view(request: HttpRequest, person_id: int, version: int) -> HttpResponse:
    person = _person(person_id)
    plan = _plan(person, version)
    view = plan_view(plan)
    _printed(request, person, plan, PLAN_RECORD)
    body = plan_pdf(person, view, services.requirements_for(plan), printed=_now())
    return _pdf(body, f"my-plan-v{plan.version}.pdf")


@declare(Cap.PRINT_PLAN, person_param="person_id")
def crisis_plan_pdf_view(request: HttpRequest, person_id: int, version: int) -> HttpResponse:
    person = _person(person_id)
    plan = _plan(person, version)
    view = plan_view(plan)
    if view.crisis is None:
        raise Http404("This plan has no crisis plan yet.")
    _printed(request, person, plan, "plans.CrisisPlan")
    body = crisis_plan_pdf(person, view, printed=_now())
    return _pdf(body, f"my-crisis-plan-v{plan.version}.pdf")


def _now() -> dt.datetime:
    return timezone.localtime()
