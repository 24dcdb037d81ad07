"""The Django admin as a read path of people's information: logged, and for administrators only.

Every admin registration of a model that holds a person's information uses `PHIAdminMixin`:

- a change (or view, delete, history) page of one record writes exactly one access-log
  entry: "view" when the page is shown, "change" when a POST saved (or deleted) the record;
- a list page (including a search and the raw-id lookup popup) writes one "search" entry
  with reason "list": never the search terms, which may be names or Medicaid IDs;
- only superusers and staff whose role has `use_admin` may use these pages (other `is_staff`
  users get 403), and they see the records of their own agency (superusers: all);
- a record that does not exist, or is outside the user's agency, is a plain 404;
- an administrator assigns records only to their own agency (an `agency` choice lists it
  alone), so no one moves a person to another agency from here;
- every save, inline save and deletion writes the same change history as the services
  (`peerpath.audit.ChangeRecord`, action "admin.create" / "admin.update" / "admin.delete",
  with the fields that changed).

`person_field` names the lookup from the record to its person ("person", "episode__person",
"pk" for Person itself, None for a record about several people); `agency_field` the lookup
to the agency (by default the person's agency). Inlines on these pages use `PHIInlineMixin`
so that they follow the same rule.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from django.contrib import admin
from django.core.exceptions import FieldDoesNotExist
from django.db import models
from django.db.models import QuerySet
from django.forms import ModelChoiceField
from django.http import Http404, HttpRequest, HttpResponse
from django.utils import timezone
from django.utils.html import format_html, format_html_join

from peerpath.core.services import record_change, snapshot

from .capabilities import Cap, has
from .models import AccessAction
from .scope import employed_on, is_signed_in, staff_of
from .services import log_access, person_access_history

ACCESS_HISTORY_ROWS = 50
_SHOWN = "_peerpath_admin_shown"
_SAVED = "_peerpath_admin_saved"

if TYPE_CHECKING:
    _Base = admin.ModelAdmin[Any]
    _InlineBase = admin.options.InlineModelAdmin[Any, Any]
else:
    _Base = object
    _InlineBase = object


def may_use_phi_admin(request: HttpRequest) -> bool:
    """Superusers, and active staff users whose role has `use_admin` (the registry), still
    employed, of an agency."""
    user = getattr(request, "user", None)
    if not is_signed_in(user) or not getattr(user, "is_staff", False):
        return False
    if getattr(user, "is_superuser", False):
        return True
    staff = staff_of(user)
    return (
        staff is not None
        and has(user, Cap.USE_ADMIN)
        and staff.agency_id is not None
        and employed_on(staff, timezone.localdate())
    )


def _agency_id(request: HttpRequest) -> int | None:
    staff = staff_of(getattr(request, "user", None))
    return staff.agency_id if staff is not None else None


def _follow(obj: models.Model, lookup: str) -> Any:
    """The value of `lookup` ("person", "episode__person") on `obj`; a foreign key's id at the
    end, without loading the related record."""
    *path, last = lookup.split("__")
    target: Any = obj
    for name in path:
        target = getattr(target, name, None)
        if target is None:
            return None
    try:
        field = target._meta.get_field(last)
    except FieldDoesNotExist:
        return getattr(target, last, None)
    if isinstance(field, models.ForeignKey | models.OneToOneField):
        return getattr(target, field.attname, None)
    value = getattr(target, last, None)
    return value.pk if isinstance(value, models.Model) else value


def _scope_choices(
    site: admin.AdminSite,
    db_field: models.ForeignKey[Any, Any],
    request: HttpRequest,
    kwargs: dict[str, Any],
) -> None:
    """Choices (and accepted raw ids) of records about people: the user's agency only; and
    an agency or a staff member: the administrator's own agency (superusers: any)."""
    related = db_field.remote_field.model
    if "queryset" in kwargs:
        return
    if related._meta.label in ("organizations.Agency", "staff.StaffMember"):
        if not getattr(request.user, "is_superuser", False):
            mine = {
                "pk" if related._meta.label == "organizations.Agency" else "agency_id": (
                    _agency_id(request)
                )
            }
            kwargs["queryset"] = related._default_manager.filter(**mine)
        return
    related_admin = site._registry.get(related)
    if isinstance(related_admin, PHIAdminMixin):
        kwargs["queryset"] = related_admin.get_queryset(request)


def _history(request: HttpRequest, obj: models.Model, before: dict[str, Any] | None) -> None:
    """The change history a service would write for this admin save (`before`: the stored
    values, None for a new record)."""
    after = snapshot(obj)
    if before is None:
        action = "admin.create"
        diff: dict[str, Any] = {k: v for k, v in after.items() if v not in (None, "", [], {})}
    else:
        action = "admin.update"
        diff = {k: [before.get(k), v] for k, v in after.items() if before.get(k) != v}
        if not diff:
            return
    record_change(actor=request.user, obj=obj, action=action, changes=diff, reason="admin")


def _stored(obj: models.Model) -> dict[str, Any] | None:
    if obj.pk is None or obj._state.adding:
        return None
    old = type(obj)._default_manager.filter(pk=obj.pk).first()
    return snapshot(old) if old is not None else None


def save_with_history(request: HttpRequest, obj: models.Model, save: Callable[[], None]) -> None:
    before = _stored(obj)
    save()
    _history(request, obj, before)


def save_formset_with_history(request: HttpRequest, formset: Any) -> None:
    """Save an inline formset, writing history for each new, changed and deleted record."""
    befores = {id(f.instance): _stored(f.instance) for f in formset.forms if f.has_changed()}
    doomed = [
        (f.instance, snapshot(f.instance))
        for f in getattr(formset, "deleted_forms", [])
        if f.instance.pk is not None
    ]
    formset.save()
    for instance in [*formset.new_objects, *(o for o, _ in formset.changed_objects)]:
        _history(request, instance, befores.get(id(instance)))
    for instance, values in doomed:
        record_change(
            actor=request.user,
            obj=instance,
            action="admin.delete",
            changes={k: [v, None] for k, v in values.items()},
            reason="admin",
        )


class PHIAdminMixin(_Base):
    """Put before `admin.ModelAdmin`: `class PersonAdmin(PHIAdminMixin, admin.ModelAdmin)`."""

    person_field: str | None = "person"
    agency_field: str | None = None

    # -- who may, and which records

    def agency_lookup(self) -> str:
        if self.agency_field:
            return self.agency_field
        if self.person_field in (None, "pk"):
            return "agency"
        return f"{self.person_field}__agency"

    def get_queryset(self, request: HttpRequest) -> QuerySet[Any]:
        queryset = super().get_queryset(request)
        if not may_use_phi_admin(request):
            return queryset.none()
        if getattr(request.user, "is_superuser", False):
            return queryset
        agency_id = _agency_id(request)
        if agency_id is None:
            return queryset.none()
        return queryset.filter(**{self.agency_lookup(): agency_id})

    def has_module_permission(self, request: HttpRequest) -> bool:
        return may_use_phi_admin(request)

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return may_use_phi_admin(request)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return may_use_phi_admin(request)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return may_use_phi_admin(request)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        # Records are kept (HIPAA: six years): deleting needs the Django permission as well,
        # which superusers have and administrators only when it is granted to them.
        return may_use_phi_admin(request) and super().has_delete_permission(request, obj)

    def formfield_for_foreignkey(
        self, db_field: models.ForeignKey[Any, Any], request: HttpRequest, **kwargs: Any
    ) -> ModelChoiceField[Any] | None:
        _scope_choices(self.admin_site, db_field, request, kwargs)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    # -- what the access log says

    def person_id_of(self, obj: models.Model) -> int | None:
        if self.person_field is None:
            return None
        if self.person_field == "pk":
            return int(obj.pk) if obj.pk is not None else None
        value = _follow(obj, self.person_field)
        return int(value) if value is not None else None

    def _target(self, obj: models.Model) -> tuple[str, str, int | None]:
        return (self.model._meta.label, str(obj.pk), self.person_id_of(obj))

    def _log(
        self, request: HttpRequest, action: str, target: tuple[str, str, int | None], reason: str
    ) -> None:
        record_type, record_id, person_id = target
        log_access(
            user=request.user,
            action=action,
            record_type=record_type,
            record_id=record_id,
            person_id=person_id,
            reason=reason,
            request=request,
        )

    def _log_record_request(self, request: HttpRequest) -> None:
        """One entry for this request of a record's page: "change" if it saved, else "view"
        if a record was shown."""
        saved = request.__dict__.pop(_SAVED, None)
        shown = request.__dict__.pop(_SHOWN, None)
        if saved is not None:
            self._log(request, AccessAction.CHANGE, saved, "admin")
        elif shown is not None:
            self._log(request, AccessAction.VIEW, shown, "admin")

    def get_object(
        self, request: HttpRequest, object_id: str, from_field: str | None = None
    ) -> Any:
        obj = super().get_object(request, object_id, from_field)
        if obj is None:
            # Missing, or another agency's: the same plain 404 either way (no id echoed).
            raise Http404("No such record.")
        request.__dict__[_SHOWN] = self._target(obj)
        return obj

    def response_change(self, request: HttpRequest, obj: Any) -> HttpResponse:
        request.__dict__[_SAVED] = self._target(obj)
        return super().response_change(request, obj)

    def response_add(
        self, request: HttpRequest, obj: Any, post_url_continue: str | None = None
    ) -> HttpResponse:
        request.__dict__[_SAVED] = self._target(obj)
        return super().response_add(request, obj, post_url_continue)

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        save_with_history(
            request, obj, lambda: super(PHIAdminMixin, self).save_model(request, obj, form, change)
        )

    def save_formset(self, request: HttpRequest, form: Any, formset: Any, change: bool) -> None:
        save_formset_with_history(request, formset)

    def delete_model(self, request: HttpRequest, obj: Any) -> None:
        target = self._target(obj)  # before deleting: a deleted record has no pk
        values = snapshot(obj)
        record_change(
            actor=request.user,
            obj=obj,
            action="admin.delete",
            changes={k: [v, None] for k, v in values.items()},
            reason="admin",
        )
        super().delete_model(request, obj)
        request.__dict__[_SAVED] = target

    def changeform_view(
        self,
        request: HttpRequest,
        object_id: str | None = None,
        form_url: str = "",
        extra_context: dict[str, Any] | None = None,
    ) -> HttpResponse:
        try:
            return super().changeform_view(request, object_id, form_url, extra_context)
        finally:
            self._log_record_request(request)

    def delete_view(
        self, request: HttpRequest, object_id: str, extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        try:
            return super().delete_view(request, object_id, extra_context)
        finally:
            self._log_record_request(request)

    def history_view(
        self, request: HttpRequest, object_id: str, extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        try:
            return super().history_view(request, object_id, extra_context)
        finally:
            self._log_record_request(request)

    def changelist_view(
        self, request: HttpRequest, extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        response = super().changelist_view(request, extra_context)
        # Reached only with permission. The search terms are never logged: they may be names.
        self._log(request, AccessAction.SEARCH, (self.model._meta.label, "", None), "list")
        return response


class PHIInlineMixin(_InlineBase):
    """Inlines on PHI pages follow the same rule as the page: administrators only."""

    def formfield_for_foreignkey(
        self, db_field: models.ForeignKey[Any, Any], request: HttpRequest, **kwargs: Any
    ) -> ModelChoiceField[Any] | None:
        _scope_choices(self.admin_site, db_field, request, kwargs)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return may_use_phi_admin(request)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return may_use_phi_admin(request)

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return may_use_phi_admin(request)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return may_use_phi_admin(request) and super().has_delete_permission(request, obj)


def access_history_table(person_id: int | None) -> str:
    """The last entries of who accessed this person's information, as a small HTML table
    (every value escaped)."""
    if person_id is None:
        return "—"
    entries = list(person_access_history(person_id)[:ACCESS_HISTORY_ROWS])
    if not entries:
        return "No one has accessed this record yet."
    rows = format_html_join(
        "",
        "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
        (
            (
                timezone.localtime(e.at).strftime("%Y-%m-%d %H:%M"),
                e.username or "(not signed in)",
                e.role,
                e.get_action_display(),
                f"{e.record_type} #{e.record_id}" if e.record_id else e.record_type,
                e.reason,
            )
            for e in entries
        ),
    )
    return format_html(
        "<table><caption>The last {} accesses, newest first</caption><thead><tr>"
        "<th>When</th><th>Who</th><th>Role</th><th>What</th><th>Record</th><th>Reason</th>"
        "</tr></thead><tbody>{}</tbody></table>",
        len(entries),
        rows,
    )
