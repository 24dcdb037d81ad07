"""Forms for the schedule, in plain words."""

from __future__ import annotations

from typing import Any

from django import forms
from django.db.models import QuerySet

from peerpath.core.fields import Activity, Modality, Setting
from peerpath.people.models import Person

from .models import AppointmentStatus
from .services import MAX_SERIES_WEEKS

_DATE = {"type": "date", "class": "usa-input"}
_TIME = {"type": "time", "class": "usa-input"}


def _time(label: str, required: str) -> forms.TimeField:
    return forms.TimeField(
        label=label,
        widget=forms.TimeInput(attrs=_TIME, format="%H:%M"),
        error_messages={"required": required, "invalid": "Not a time (e.g. 10:00)."},
    )


class AppointmentForm(forms.Form):
    person = forms.ModelChoiceField(
        label="With",
        queryset=Person.objects.none(),
        widget=forms.Select(attrs={"class": "usa-select"}),
        error_messages={
            "required": "Choose the person the appointment is with.",
            "invalid_choice": "Choose someone on the caseload.",
        },
    )
    date = forms.DateField(
        label="Date",
        widget=forms.DateInput(attrs=_DATE),
        error_messages={"required": "Say which day.", "invalid": "Not a date."},
    )
    start_time = _time("Start time", "Say when it starts.")
    end_time = _time("End time", "Say when it ends.")
    modality = forms.ChoiceField(
        label="How you will meet",
        choices=Modality.choices,
        initial=Modality.IN_PERSON,
        widget=forms.RadioSelect,
    )
    setting = forms.ChoiceField(
        label="Where",
        choices=Setting.choices,
        initial=Setting.COMMUNITY,
        widget=forms.Select(attrs={"class": "usa-select"}),
    )

    def __init__(self, *args: Any, people: QuerySet[Person], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["person"]
        assert isinstance(field, forms.ModelChoiceField)
        field.queryset = people
        field.label_from_instance = lambda p: f"{p.display_name} ({p.medicaid_id})"  # type: ignore[method-assign,assignment]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        start, end = data.get("start_time"), data.get("end_time")
        if start and end and end <= start:
            self.add_error("end_time", "The appointment ends before it starts.")
        return data


class GroupSeriesForm(forms.Form):
    topic = forms.CharField(
        label="Topic",
        max_length=200,
        widget=forms.TextInput(attrs={"class": "usa-input"}),
        error_messages={"required": "Name the group's topic (e.g. Building my support network)."},
    )
    activity = forms.ChoiceField(
        label="What kind of group",
        choices=Activity.choices,
        initial=Activity.SKILLS_GROUP,
        widget=forms.Select(attrs={"class": "usa-select"}),
    )
    first_date = forms.DateField(
        label="First meeting",
        widget=forms.DateInput(attrs=_DATE),
        help_text="The group meets on this weekday.",
        error_messages={"required": "Say when the group first meets.", "invalid": "Not a date."},
    )
    weeks = forms.IntegerField(
        label="Number of meetings",
        min_value=1,
        max_value=MAX_SERIES_WEEKS,
        initial=12,
        widget=forms.NumberInput(attrs={"class": "usa-input usa-input--small"}),
    )
    every_weeks = forms.TypedChoiceField(
        label="Meets",
        coerce=int,
        choices=[(1, "Every week"), (2, "Every other week")],
        initial=1,
        widget=forms.Select(attrs={"class": "usa-select"}),
    )
    start_time = _time("Start time", "Say when the group starts.")
    end_time = _time("End time", "Say when the group ends.")
    modality = AppointmentForm.base_fields["modality"]
    setting = AppointmentForm.base_fields["setting"]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        start, end = data.get("start_time"), data.get("end_time")
        if start and end and end <= start:
            self.add_error("end_time", "The group ends before it starts.")
        return data


class RecordForm(forms.Form):
    status = forms.ChoiceField(
        choices=[
            (AppointmentStatus.NO_SHOW, "No-show"),
            (AppointmentStatus.CANCELLED, "Cancelled"),
        ]
    )
    reason = forms.CharField(
        label="What happened",
        required=False,
        max_length=500,
        widget=forms.TextInput(attrs={"class": "usa-input"}),
    )
