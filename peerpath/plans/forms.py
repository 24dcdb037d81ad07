"""The plan builder's forms: plain words, one small form per part of the plan."""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.exceptions import ValidationError

from peerpath.core.fields import Activity

from .models import SignerRole, WholeHealthFactor
from .services import PLAN_ACTIVITIES

TEXTAREA = "usa-textarea pp-textarea"
DATE = forms.DateInput(attrs={"type": "date", "class": "usa-input"}, format="%Y-%m-%d")


def _area(rows: int = 2) -> forms.Textarea:
    return forms.Textarea(attrs={"class": TEXTAREA, "rows": rows})


class StartForm(forms.Form):
    start = forms.DateField(
        label="The plan starts on",
        widget=DATE,
        error_messages={"required": "Say when the plan starts.", "invalid": "Not a date."},
    )


class DetailsForm(forms.Form):
    start = forms.DateField(
        label="Starts on",
        widget=DATE,
        error_messages={"required": "Say when the plan starts.", "invalid": "Not a date."},
    )
    review_due = forms.DateField(
        label="Review by",
        required=False,
        widget=DATE,
        help_text="Leave empty for the latest date the policy allows.",
        error_messages={"invalid": "Not a date."},
    )
    strengths = forms.CharField(
        label="What the person is good at and cares about",
        required=False,
        max_length=4000,
        widget=_area(3),
    )


class GoalForm(forms.Form):
    own_words = forms.CharField(
        label="The goal, in the person's own words",
        max_length=2000,
        widget=_area(2),
        error_messages={"required": "Write the goal as the person says it."},
    )
    whole_health_factor = forms.ChoiceField(
        label="Whole-health area (optional)",
        required=False,
        choices=[("", "None"), *WholeHealthFactor.choices],
        widget=forms.Select(attrs={"class": "usa-select"}),
    )
    social_skill = forms.BooleanField(
        label="Builds social skills or a support network",
        required=False,
        help_text="For example meeting new people, joining a group or keeping in touch with "
        "friends. Some policies cover time in a recreational activity only when it serves a "
        "goal like this.",
        widget=forms.CheckboxInput(attrs={"class": "usa-checkbox__input"}),
    )
    status = forms.ChoiceField(
        label="Where it stands",
        required=False,
        choices=[("active", "Working on it"), ("achieved", "Achieved"), ("changed", "Changed")],
        widget=forms.Select(attrs={"class": "usa-select"}),
    )


class ObjectiveForm(forms.Form):
    description = forms.CharField(
        label="A step that can be measured",
        max_length=2000,
        help_text="What, how much or how often, e.g. “Walk 20 minutes, 3 days a week”.",
        widget=forms.TextInput(attrs={"class": "usa-input"}),
        error_messages={"required": "Say the step: what, how much or how often."},
    )
    target_date = forms.DateField(
        label="By when",
        required=False,
        widget=DATE,
        error_messages={"invalid": "Not a date."},
    )


class InterventionForm(forms.Form):
    activity = forms.ChoiceField(
        label="Peer support activity",
        choices=[(a.value, a.label) for a in PLAN_ACTIVITIES],
        initial=Activity.PEER_MENTORING,
        widget=forms.Select(attrs={"class": "usa-select"}),
        error_messages={"invalid_choice": "Choose one of the peer support activities."},
    )
    description = forms.CharField(
        label="What the peer specialist will do",
        max_length=2000,
        widget=forms.TextInput(attrs={"class": "usa-input"}),
        error_messages={"required": "Say what the peer specialist will do."},
    )
    frequency = forms.CharField(
        label="How often (optional)",
        required=False,
        max_length=60,
        widget=forms.TextInput(attrs={"class": "usa-input"}),
    )


class CrisisForm(forms.Form):
    triggers = forms.CharField(label="What can set off a crisis", required=False, widget=_area())
    early_signs = forms.CharField(
        label="Warning signs the person and others may notice", required=False, widget=_area()
    )
    coping_strategies = forms.CharField(
        label="What the person can do on their own", required=False, widget=_area()
    )
    what_helps = forms.CharField(label="What helps", required=False, widget=_area())
    what_does_not_help = forms.CharField(label="What does not help", required=False, widget=_area())
    preferences = forms.CharField(
        label="Crisis services the person prefers (and any to avoid)",
        required=False,
        widget=_area(),
    )


class ContactForm(forms.Form):
    name = forms.CharField(
        label="Name",
        max_length=120,
        widget=forms.TextInput(attrs={"class": "usa-input"}),
        error_messages={"required": "Give the name of the person or service."},
    )
    relationship = forms.CharField(
        label="Who they are",
        required=False,
        max_length=60,
        widget=forms.TextInput(attrs={"class": "usa-input"}),
    )
    phone = forms.CharField(
        label="Phone",
        max_length=40,
        widget=forms.TextInput(attrs={"class": "usa-input", "type": "tel"}),
        error_messages={"required": "Give a phone number to call."},
    )


class SignForm(forms.Form):
    role = forms.ChoiceField(choices=SignerRole.choices, widget=forms.HiddenInput)
    name = forms.CharField(
        label="Name of the person signing",
        required=False,
        max_length=120,
        widget=forms.TextInput(attrs={"class": "usa-input"}),
    )
    credential = forms.CharField(
        label="Credential",
        required=False,
        max_length=40,
        widget=forms.TextInput(attrs={"class": "usa-input"}),
    )
    guardian = forms.BooleanField(label="A legal guardian signs for the person", required=False)
    signed_on = forms.DateField(
        label="Signed on",
        widget=DATE,
        error_messages={"required": "Say when it was signed.", "invalid": "Not a date."},
    )


class ReopenForm(forms.Form):
    reason = forms.CharField(
        label="Why does the draft need changing?",
        min_length=10,
        max_length=2000,
        widget=_area(2),
        error_messages={
            "required": "Say why the draft is being reopened.",
            "min_length": "Say a little more (at least 10 characters).",
        },
    )


def apply_errors(form: forms.Form, exc: ValidationError, *, to: str | None = None) -> None:
    """Put a service's ValidationError on the form: on the field it names when the form has
    one, otherwise on the form as a whole (or on `to`)."""
    if not hasattr(exc, "error_dict"):
        form.add_error(to, exc.messages)
        return
    for key, errors in exc.message_dict.items():
        target: Any = key if key in form.fields else to
        form.add_error(target, errors)
