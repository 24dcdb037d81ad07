"""Which records of the demo agency were made wrong on purpose, and how.

The demo generator writes one row here for every defect it plants, so a rule, a report or
an auditor's screen can be checked against a known answer: every planted defect should be
found, and nothing else should be.
"""

from __future__ import annotations

from django.db import models


class DefectKind(models.TextChoices):
    NOTE_OUTSIDE_AUTHORIZATION = (
        "note_outside_authorization",
        "Signed note dated after the person's authorizations ended",
    )
    UNITS_OVER_AUTHORIZATION = (
        "units_over_authorization",
        "Notes use more units than the authorization approved",
    )
    CERTIFICATION_EXPIRED = (
        "certification_expired",
        "Peer specialist kept writing notes after the certification expired",
    )
    MISSED_SUPERVISOR_CONTACT = (
        "missed_supervisor_contact",
        "Supervisor face-to-face contacts more than 60 days apart",
    )
    GROUP_OVER_SIZE = "group_over_size", "Group session larger than the allowed size"
    NOTE_WITHOUT_GOAL = "note_without_goal", "Signed note not tied to a plan goal"
    OVERLAP_OTHER_SERVICE = (
        "overlap_other_service",
        "Signed note at the same time as another service",
    )
    EXCLUDED_PROGRAM = (
        "excluded_program",
        "Peer support while in ACTT, CST or Innovations, outside the transition window",
    )
    CCA_AFTER_FIRST_SERVICE = (
        "cca_after_first_service",
        "Comprehensive Clinical Assessment dated after the first service",
    )
    SERVICE_ORDER_LATE = "service_order_late", "Service order signed after the first service"
    NO_CRISIS_PLAN = "no_crisis_plan", "Active plan without a crisis plan"
    TRAINING_MISSED = "training_missed", "Peer specialist missing a required training"
    CASELOAD_OVER_RATIO = "caseload_over_ratio", "Peer specialist caseload over the ratio"
    NOT_COVERED_ACTIVITY = "not_covered_activity", "Signed note for an activity that is not covered"
    FAMILY_MEMBER_DELIVERS = (
        "family_member_delivers",
        "Note written by a staff member who is family of the person",
    )
    UNDER_AGE = "under_age", "Person younger than the program's minimum age on a service date"
    TOO_FEW_NEEDS_AREAS = "too_few_needs_areas", "Assessment documents too few needs areas"
    PLAN_EXPIRED = "plan_expired", "Signed note after the plan's review date, with no newer plan"
    OUTCOME_MEASURE_OVERDUE = (
        "outcome_measure_overdue",
        "Outcome measure follow-up not done by its due date",
    )


class PlantedDefect(models.Model):
    kind = models.CharField(max_length=40, choices=DefectKind.choices, db_index=True)
    record_type = models.CharField(
        max_length=80, help_text='The record that carries the defect, e.g. "services.ServiceNote".'
    )
    record_id = models.PositiveBigIntegerField()
    person = models.ForeignKey(
        "people.Person", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    staff = models.ForeignKey(
        "staff.StaffMember", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    date = models.DateField(null=True, blank=True, help_text="The first day the defect shows.")
    description = models.TextField()

    class Meta:
        ordering = ["kind", "id"]
        indexes = [models.Index(fields=["record_type", "record_id"])]

    def __str__(self) -> str:
        return f"{self.kind}: {self.record_type} #{self.record_id}"
