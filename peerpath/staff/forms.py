"""Forms on the supervisor's board: moving a person to another peer specialist, and
recording the supervisor's contact or an evaluation straight from an overdue item."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms
from django.core.exceptions import ValidationError

from .models import ContactKind, StaffMember

DATE_WIDGET = {"type": "date", "class": "usa-input"}


class ReassignForm(forms.Form):
    staff = forms.TypedChoiceField(
        label="New peer specialist",
        coerce=int,
        widget=forms.Select(attrs={"class": "usa-select"}),
        error_messages={
            "required": "Choose the peer specialist who will support the person.",
            "invalid_choice": "Choose a peer specialist on this team.",
        },
    )
    start = forms.DateField(
        label="Start date",
        widget=forms.DateInput(attrs=DATE_WIDGET, format="%Y-%m-%d"),
        error_messages={
            "required": "Say from which day the new peer specialist supports the person.",
            "invalid": "Not a date (e.g. 2026-11-23).",
        },
    )
    reason = forms.CharField(
        label="Reason (optional)",
        required=False,
        max_length=500,
        widget=forms.Textarea(attrs={"class": "usa-textarea pp-textarea-short", "rows": 2}),
    )
    # "Reassign anyway" sends the id of the peer specialist it was warned about: the
    # warning is confirmed for that choice only.
    confirm = forms.IntegerField(required=False, widget=forms.HiddenInput)

    def __init__(
        self, *args: Any, choices: list[StaffMember], today: dt.date, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.today = today
        self.members = {s.pk: s for s in choices}
        field = self.fields["staff"]
        assert isinstance(field, forms.TypedChoiceField)
        field.choices = [("", "Choose a peer specialist")] + [(s.pk, s.full_name) for s in choices]

    def clean_start(self) -> dt.date:
        start: dt.date = self.cleaned_data["start"]
        if start > self.today + dt.timedelta(days=366):
            raise ValidationError("Choose a start date within the next year.")
        return start

    @property
    def confirmed(self) -> bool:
        chosen = self.chosen
        return chosen is not None and self.cleaned_data.get("confirm") == chosen.pk

    @property
    def chosen(self) -> StaffMember | None:
        pk = self.cleaned_data.get("staff") if hasattr(self, "cleaned_data") else None
        return self.members.get(pk) if isinstance(pk, int) else None


class _Dated(forms.Form):
    """A record of something that has happened: not dated in the future."""

    def __init__(self, *args: Any, today: dt.date, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.today = today

    def clean_date(self) -> dt.date:
        day: dt.date = self.cleaned_data["date"]
        if day > self.today:
            raise ValidationError("The date cannot be in the future.")
        return day


class ContactForm(_Dated):
    date = forms.DateField(
        label="Date of contact",
        widget=forms.DateInput(attrs={**DATE_WIDGET, "autofocus": True}, format="%Y-%m-%d"),
        error_messages={
            "required": "Say when you met.",
            "invalid": "Not a date (e.g. 2026-11-23).",
        },
    )
    kind = forms.ChoiceField(
        label="How you met",
        choices=ContactKind.choices,
        initial=ContactKind.FACE_TO_FACE,
        widget=forms.RadioSelect,
        error_messages={
            "required": "Say how you met.",
            "invalid_choice": "Choose face to face, phone or video.",
        },
    )
    summary = forms.CharField(
        label="Summary",
        max_length=4000,
        widget=forms.Textarea(attrs={"class": "usa-textarea pp-textarea-short", "rows": 3}),
        error_messages={"required": "Say in a sentence or two what you talked about."},
    )


class EvaluationForm(_Dated):
    date = forms.DateField(
        label="Date of evaluation",
        widget=forms.DateInput(attrs={**DATE_WIDGET, "autofocus": True}, format="%Y-%m-%d"),
        error_messages={
            "required": "Say when the evaluation was done.",
            "invalid": "Not a date (e.g. 2026-11-23).",
        },
    )
    summary = forms.CharField(
        label="Summary",
        max_length=4000,
        widget=forms.Textarea(attrs={"class": "usa-textarea pp-textarea-short", "rows": 3}),
        error_messages={"required": "Say in a sentence or two what the evaluation found."},
    )


def apply_errors(form: forms.Form, exc: ValidationError) -> None:
    """A service's ValidationError onto the form: on the field it names when the form has
    it, otherwise about the whole form."""
    if not hasattr(exc, "error_dict"):
        form.add_error(None, exc.messages)
        return
    for key, errors in exc.message_dict.items():
        target = {"evaluator": None, "supervisor": None, "person": None}.get(key, key)
        form.add_error(target if target in form.fields else None, errors)
