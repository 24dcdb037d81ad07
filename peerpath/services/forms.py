"""The note form: starts from the person's plan, asks in plain words."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.db.models import QuerySet

from peerpath.core.fields import Activity, Modality, Setting
from peerpath.people.models import Person
from peerpath.plans.models import Intervention
from peerpath.staff.models import StaffMember

from .selectors import PlanChoice

NARRATIVE = ("intervention_text", "purpose", "response", "next_steps")


def _narrative(label: str, *, rows: int) -> forms.CharField:
    """A free-text part of a note, optional on the form (up to 4,000 characters)."""
    return forms.CharField(
        label=label,
        required=False,
        max_length=4000,
        widget=forms.Textarea(attrs={"class": "usa-textarea pp-textarea", "rows": rows}),
    )


class NoteForm(forms.Form):
    intervention = forms.TypedChoiceField(
        label="Which goal, and what you did for it",
        coerce=int,
        widget=forms.RadioSelect,
        error_messages={
            "required": "Choose the goal from the plan that this note is about.",
            "invalid_choice": "Choose one of the goals in the person's current plan.",
        },
    )
    date = forms.DateField(
        label="Date",
        widget=forms.DateInput(attrs={"type": "date", "class": "usa-input"}),
        error_messages={"required": "Say when you met.", "invalid": "Not a date."},
    )
    start_time = forms.TimeField(
        label="Start time",
        widget=forms.TimeInput(attrs={"type": "time", "class": "usa-input"}, format="%H:%M"),
        error_messages={
            "required": "Say when you started.",
            "invalid": "Not a time (e.g. 10:00).",
        },
    )
    end_time = forms.TimeField(
        label="End time",
        widget=forms.TimeInput(attrs={"type": "time", "class": "usa-input"}, format="%H:%M"),
        error_messages={
            "required": "Say when you finished.",
            "invalid": "Not a time (e.g. 10:45).",
        },
    )
    modality = forms.ChoiceField(
        label="How you met",
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
    intervention_text = _narrative("What did you do together?", rows=3)
    purpose = _narrative("How does it help their goal?", rows=2)
    response = _narrative("How did they respond, in their words?", rows=3)
    next_steps = _narrative("Next steps", rows=2)

    def __init__(
        self,
        *args: Any,
        choices: list[PlanChoice],
        extra: Intervention | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.interventions: dict[int, Intervention] = {
            i.pk: i for c in choices for i in c.interventions
        }
        if extra is not None:
            self.interventions.setdefault(extra.pk, extra)
        field = self.fields["intervention"]
        assert isinstance(field, forms.TypedChoiceField)
        field.choices = [(pk, str(i)) for pk, i in self.interventions.items()]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        start, end = data.get("start_time"), data.get("end_time")
        if isinstance(start, dt.time) and isinstance(end, dt.time) and end <= start:
            self.add_error("end_time", "The end time must be after the start time.")
        return data

    @property
    def chosen(self) -> Intervention | None:
        pk = self.cleaned_data.get("intervention") if hasattr(self, "cleaned_data") else None
        return self.interventions.get(pk) if isinstance(pk, int) else None

    def note_fields(self) -> dict[str, Any]:
        """The cleaned form as keyword arguments for note_create / note_update_draft."""
        chosen = self.chosen
        assert chosen is not None
        data = self.cleaned_data
        return {
            "date": data["date"],
            "start_time": data["start_time"],
            "end_time": data["end_time"],
            "modality": data["modality"],
            "setting": data["setting"],
            "activity": chosen.activity,
            "goal": chosen.goal,
            "intervention": chosen,
            **{name: data.get(name, "") for name in NARRATIVE},
        }


class AmendForm(forms.Form):
    reason = forms.CharField(
        label="Why does this note need correcting?",
        min_length=10,
        max_length=2000,
        widget=forms.Textarea(attrs={"class": "usa-textarea", "rows": 3}),
        error_messages={
            "required": "Say why the note is being amended.",
            "min_length": "Say a little more (at least 10 characters).",
        },
    )


def apply_errors(form: forms.Form, exc: ValidationError) -> None:
    """Put a service's ValidationError on the form: on the field it names when the form has
    it, otherwise as an error about the whole note."""
    names = {"goal": "intervention", "signed_at": "date", "signer": None, "status": None}
    if not hasattr(exc, "error_dict"):
        form.add_error(None, exc.messages)
        return
    for key, errors in exc.message_dict.items():
        target = names.get(key, key)
        if target is not None and target in form.fields:
            form.add_error(target, errors)
        else:
            form.add_error(None, errors)


# ---- group sessions -------------------------------------------------------------------------

_TIME_ATTRS = {"type": "time", "class": "usa-input"}


class _StaffChoices(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return str(obj.full_name)


class _PeopleChoices(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return str(obj.display_name)


class GroupSessionForm(forms.Form):
    """Starting a group: what it is about, when and how it meets, and who leads it."""

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
    date = NoteForm.base_fields["date"]
    start_time = forms.TimeField(
        label="Start time",
        widget=forms.TimeInput(attrs=_TIME_ATTRS, format="%H:%M"),
        error_messages={"required": "Say when the group started.", "invalid": "Not a time."},
    )
    end_time = forms.TimeField(
        label="End time",
        widget=forms.TimeInput(attrs=_TIME_ATTRS, format="%H:%M"),
        error_messages={"required": "Say when the group ended.", "invalid": "Not a time."},
    )
    modality = forms.ChoiceField(
        label="How the group met",
        choices=Modality.choices,
        initial=Modality.IN_PERSON,
        widget=forms.RadioSelect,
    )
    setting = NoteForm.base_fields["setting"]
    facilitators = _StaffChoices(
        label="Facilitators",
        queryset=StaffMember.objects.none(),
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": "A group needs at least one facilitator."},
    )

    def __init__(self, *args: Any, colleagues: QuerySet[StaffMember], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["facilitators"]
        assert isinstance(field, forms.ModelMultipleChoiceField)
        field.queryset = colleagues

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        start, end = data.get("start_time"), data.get("end_time")
        if isinstance(start, dt.time) and isinstance(end, dt.time) and end <= start:
            self.add_error("end_time", "The end time must be after the start time.")
        return data


class CheckInForm(forms.Form):
    people = _PeopleChoices(
        label="Who is here?",
        queryset=Person.objects.none(),
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": "Choose who is here to check them in."},
    )

    def __init__(self, *args: Any, candidates: QuerySet[Person], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["people"]
        assert isinstance(field, forms.ModelMultipleChoiceField)
        field.queryset = candidates


class SharedPartForm(forms.Form):
    shared_narrative = _narrative("What did the group do together?", rows=4)


class AttendeePartForm(forms.Form):
    """One attendee's own part of the group note; its prefix is "p<person id>", the same
    naming the group service uses for its errors."""

    intervention = forms.TypedChoiceField(
        label="Goal",
        coerce=int,
        required=False,
        widget=forms.RadioSelect,
        error_messages={"invalid_choice": "Choose one of the goals in the person's plan."},
    )
    response = _narrative("How did they respond, in their words?", rows=2)
    next_steps = _narrative("Next steps", rows=2)

    def __init__(
        self, *args: Any, person: Person, choices: list[PlanChoice], **kwargs: Any
    ) -> None:
        kwargs.setdefault("prefix", f"p{person.pk}")
        super().__init__(*args, **kwargs)
        self.person = person
        self.choices = choices
        self.interventions: dict[int, Intervention] = {
            i.pk: i for c in choices for i in c.interventions
        }
        name = person.display_name
        self.fields["intervention"].label = f"Which of {name}'s goals did the group serve?"
        self.fields["response"].label = f"How did {name} respond, in their words?"
        self.fields["next_steps"].label = f"Next steps for {name}"
        field = self.fields["intervention"]
        assert isinstance(field, forms.TypedChoiceField)
        field.choices = [(pk, str(i)) for pk, i in self.interventions.items()]

    @property
    def chosen(self) -> Intervention | None:
        pk = self.cleaned_data.get("intervention") if hasattr(self, "cleaned_data") else None
        return self.interventions.get(pk) if isinstance(pk, int) else None
