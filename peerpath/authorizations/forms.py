"""The reviewer's decision on a prior-authorization or continued-stay request."""

from __future__ import annotations

from typing import Any

from django import forms

from .models import Authorization, AuthStatus

DECISIONS = [
    (AuthStatus.APPROVED.value, "Approve"),
    (AuthStatus.PARTIAL.value, "Partly approve (fewer units)"),
    (AuthStatus.DENIED.value, "Deny"),
]
# Errors from authorization_decide, by model field, shown on the form's field of that name.
FIELD_FOR = {
    "status": "decision",
    "units_approved": "units_approved",
    "number": "number",
    "reason": "reason",
}


class DecisionForm(forms.Form):
    decision = forms.ChoiceField(
        label="Decision",
        choices=DECISIONS,
        widget=forms.RadioSelect(attrs={"class": "usa-radio__input"}),
    )
    units_approved = forms.IntegerField(
        label="Units approved",
        min_value=1,
        required=False,
        help_text="For approval, the units requested unless you change them.",
    )
    number = forms.CharField(
        label="Authorization number",
        max_length=30,
        required=False,
        help_text="The payer's prior-authorization number; needed to approve.",
    )
    reason = forms.CharField(
        label="Reason",
        max_length=4000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text=(
            "Required to deny or partly approve: say specifically which criterion is not met "
            "and what is missing. The criteria not met are filled in as a starting point."
        ),
    )

    def __init__(self, *args: Any, authorization: Authorization, suggestion: str = "", **kw: Any):
        self.authorization = authorization
        self.suggestion = suggestion
        kw.setdefault(
            "initial",
            {"units_approved": authorization.units_requested, "reason": suggestion},
        )
        super().__init__(*args, **kw)
        for name, field in self.fields.items():
            if name == "decision":
                continue
            css = "usa-textarea" if name == "reason" else "usa-input"
            field.widget.attrs["class"] = css
            if name == "units_approved":
                field.widget.attrs["class"] = "usa-input usa-input--small"

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data
        decision = data.get("decision")
        requested = self.authorization.units_requested
        units = data.get("units_approved")
        reason = (data.get("reason") or "").strip()
        if decision == AuthStatus.APPROVED:
            if units is None:
                units = requested
            if units < requested:
                self.add_error(
                    "units_approved",
                    f"Fewer units than the {requested} requested is a partial approval: "
                    "choose Partly approve and give the reason.",
                )
            elif units > requested:
                self.add_error(
                    "units_approved", f"Approve at most the {requested} units requested."
                )
            if reason == self.suggestion.strip():
                reason = ""  # the denial starting point was not used for this approval
        elif decision == AuthStatus.PARTIAL:
            if units is None:
                self.add_error("units_approved", "Give the units approved.")
            elif units >= requested:
                self.add_error(
                    "units_approved",
                    f"A partial approval gives fewer than the {requested} units requested.",
                )
        if decision in (AuthStatus.APPROVED, AuthStatus.PARTIAL) and not data.get("number"):
            self.add_error("number", "An approval needs the payer's authorization number.")
        if decision in (AuthStatus.PARTIAL, AuthStatus.DENIED) and not reason:
            which = "denial" if decision == AuthStatus.DENIED else "partial approval"
            self.add_error("reason", f"Give the specific reason for the {which}.")
        data["units_approved"] = None if decision == AuthStatus.DENIED else units
        data["reason"] = reason
        return data


class RequestForm(forms.Form):
    """A provider's request to the payer, sent from the person's chart."""

    kind = forms.ChoiceField(
        label="What are you asking for?",
        choices=[
            ("initial", "A first authorization"),
            ("concurrent", "To continue (continued stay)"),
        ],
        widget=forms.RadioSelect(attrs={"class": "usa-radio__input"}),
    )
    urgency = forms.ChoiceField(
        label="How soon is a decision needed?",
        choices=[
            ("standard", "Standard"),
            ("expedited", "Expedited: waiting could harm the person's health or recovery"),
        ],
        widget=forms.RadioSelect(attrs={"class": "usa-radio__input"}),
    )
    start = forms.DateField(
        label="First day", widget=forms.DateInput(attrs={"type": "date", "class": "usa-input"})
    )
    end = forms.DateField(
        label="Last day", widget=forms.DateInput(attrs={"type": "date", "class": "usa-input"})
    )
    units_requested = forms.IntegerField(
        label="Units asked for",
        min_value=1,
        max_value=100_000,
        help_text="Units of 15 minutes over the whole period.",
        widget=forms.NumberInput(attrs={"class": "usa-input"}),
    )
    provider_note = forms.CharField(
        label="Note for the reviewer",
        max_length=4000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 4, "class": "usa-textarea"}),
        help_text="Required for an expedited request: say why waiting could cause harm.",
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        start, end = data.get("start"), data.get("end")
        if start and end and end < start:
            self.add_error("end", "The last day comes on or after the first day.")
        return data
