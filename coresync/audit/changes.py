"""The change history: which rows are audited, how a change becomes one ``ChangeRecord``, written in the change's transaction.

Every save or delete of an audited model is compared with the values the row had when
it was loaded (kept at ``post_init``, so no query is added to read them): only real
changes are recorded, a save that changes nothing records nothing. Queryset
``update()`` calls and bulk replacements send no signals: the services that make them
call ``record_change`` themselves (a bulk replacement gathers its rows with
``gathered()`` and records one summary). Personal fields (names, e-mails, phones,
notes) and free text are recorded by name only, never by value.

Audited models are named by label (``"payments.Payment"``) and found through the app
registry: the audit app sits on floor 1 and imports no app above it.
"""

from __future__ import annotations

import datetime
import decimal
import logging
import uuid
from contextlib import contextmanager
from dataclasses import dataclass

from django.apps import apps
from django.db import models
from django.db.models.signals import post_delete, post_init, post_save

from .context import current, request_id, reset_context, set_context, who
from .models import ChangeAction, ChangeRecord

logger = logging.getLogger("coresync.audit")
ALWAYS_LEFT_OUT = frozenset({"id", "created_at", "updated_at"})
PERSONAL = "personal"


@dataclass(frozen=True)
class Audited:
    """How one model is audited: ``fields`` (None: every concrete field), ``personal`` (recorded by name only), ``parent``."""

    fields: tuple[str, ...] | None = None
    exclude: tuple[str, ...] = ()
    personal: tuple[str, ...] = ()
    parent: tuple[str, ...] = ()  # FK names, first non-empty wins: the row whose history this change also belongs to
    settings: bool = False  # a settings row: a person's change also goes to the security log


AUDITED: dict[str, Audited] = {
    # payments
    "payments.Payment": Audited(exclude=("idempotency_key",), parent=("booking",)),
    "payments.Refund": Audited(exclude=("idempotency_key",), parent=("payment",)),
    "payments.SavedCard": Audited(fields=("user", "provider", "brand", "last4", "exp_month", "exp_year", "is_default")),
    "payments.MembershipSubscription": Audited(fields=("user", "tier", "membership", "provider", "status", "cancel_at_period_end",
                                                       "current_period_end")),
    # prices
    "catalog.Price": Audited(parent=("service", "addon")),
    "catalog.Service": Audited(exclude=("description", "short_description", "synonyms")),
    "catalog.AddOn": Audited(exclude=("description",)),
    "integrations.PriceVersion": Audited(fields=("source", "actor", "summary")),
    # schedules and work logs
    "catalog.OpeningHours": Audited(parent=("location",)),
    "technicians.WeeklyShift": Audited(parent=("technician",)),
    "technicians.ExtraShift": Audited(personal=("note",), parent=("technician",)),
    "technicians.TimeOff": Audited(personal=("reason", "review_reason"), parent=("technician",)),
    "technicians.WorkLog": Audited(exclude=("history",), personal=("note",), parent=("technician",)),
    "technicians.Technician": Audited(fields=("user", "location", "display_name", "hourly_rate", "active"), personal=("display_name",)),
    # memberships
    "memberships.Membership": Audited(fields=("user", "tier", "status", "started_on", "renews_on", "card_on_file")),
    # settings (a person's change is also a security event)
    "catalog.Location": Audited(settings=True),
    "memberships.MembershipTier": Audited(settings=True),
    "ai_agent.FaqEntry": Audited(settings=True),
    "web.LegalPage": Audited(settings=True),
    # connections and secrets (their own security events: connected/disconnected, token rotated; secrets by name only)
    "accounting.QuickBooksConnection": Audited(fields=("realm_id", "status", "disconnected_at")),
    "integrations.FeedToken": Audited(fields=("name", "token", "rotated_by"), personal=("token",)),
}


class _Spec:
    def __init__(self, model, config: Audited):
        self.model, self.config = model, config
        chosen = [f for f in model._meta.concrete_fields if not f.primary_key and f.name not in ALWAYS_LEFT_OUT
                  and f.name not in config.exclude and (config.fields is None or f.name in config.fields)]  # fmt: skip
        self.fields = {f.attname: f for f in chosen}
        self.by_name = {f.name: f.attname for f in chosen}
        self.personal = {f.attname for f in chosen if f.name in config.personal or isinstance(f, (models.TextField, models.JSONField))}
        self.parents = [model._meta.get_field(name) for name in config.parent]

    def values(self, instance) -> dict:
        state = instance.__dict__
        return {attname: state[attname] for attname in self.fields if attname in state}

    def entry(self, attname: str, old, new) -> dict:
        if attname in self.personal:
            return {PERSONAL: True}
        return {"old": _plain(old), "new": _plain(new)}

    def parent_of(self, instance):
        for field in self.parents:
            value = instance.__dict__.get(field.attname)
            if value is not None:
                return field.related_model, value
        return None, None


SPECS: dict[type, _Spec] = {}


def _plain(value):
    if value is None or isinstance(value, (bool, int, str, float)):
        return value
    if isinstance(value, decimal.Decimal):
        return str(value)
    if isinstance(value, (datetime.datetime, datetime.date, datetime.time)):
        return value.isoformat()
    if isinstance(value, uuid.UUID):
        return str(value)
    return str(value)


def _snapshot(sender, instance, **kwargs):
    spec = SPECS.get(sender)
    if spec is not None:
        instance.__dict__["_audit_old"] = spec.values(instance)


def _name(spec: _Spec, attname: str) -> str:
    return spec.fields[attname].name


def _saved(sender, instance, created, raw=False, update_fields=None, using=None, **kwargs):
    spec = SPECS.get(sender)
    if spec is None or raw:
        return
    new = spec.values(instance)
    if created:
        changes = {_name(spec, a): spec.entry(a, None, v) for a, v in new.items() if v not in (None, "")}
        action = ChangeAction.CREATE
    else:
        old = instance.__dict__.get("_audit_old", {})
        names = set(update_fields) if update_fields is not None else None
        changes = {_name(spec, a): spec.entry(a, old[a], v) for a, v in new.items()
                   if a in old and old[a] != v and (names is None or spec.fields[a].name in names or a in names)}  # fmt: skip
        action = ChangeAction.UPDATE
    instance.__dict__["_audit_old"] = new
    if changes:
        _write(spec, instance, action, changes, using=using)


def _deleted(sender, instance, using=None, **kwargs):
    spec = SPECS.get(sender)
    if spec is None:
        return
    changes = {_name(spec, a): spec.entry(a, v, None) for a, v in spec.values(instance).items() if v not in (None, "")}
    _write(spec, instance, ChangeAction.DELETE, changes, using=using)


def _write(spec: _Spec, instance, action: str, changes: dict, *, using=None) -> None:
    gather = current().gather
    if gather is not None:
        gather.append((instance, action, changes))
        return
    parent_model, parent_id = spec.parent_of(instance)
    record_change(spec.model, instance.pk, action=action, changes=changes, parent=(parent_model, parent_id) if parent_model else None,
                  using=using, settings_row=spec.config.settings)  # fmt: skip


def record_change(model, object_id, *, action: str, changes: dict, parent: tuple | None = None, using=None,
                  settings_row: bool = False) -> ChangeRecord:
    """Append one change of ``model`` row ``object_id`` (a model class or instance) by whoever the audit context names."""
    from django.contrib.contenttypes.models import ContentType

    model = model if isinstance(model, type) else type(model)
    actor, label = who()
    ctx = current()
    parent_type = ContentType.objects.db_manager(using).get_for_model(parent[0], for_concrete_model=False) if parent else None
    record = ChangeRecord.objects.using(using).create(
        content_type=ContentType.objects.db_manager(using).get_for_model(model, for_concrete_model=False), object_id=str(object_id),
        parent_type=parent_type, parent_id=str(parent[1]) if parent else "", action=action, changes=changes,
        actor=actor, actor_label=label[:120], channel=ctx.channel[:40], request_id=request_id(),
    )
    if settings_row and (actor is not None or ctx.request is not None):
        from .models import SecurityKind
        from .services import security_event

        security_event(SecurityKind.SETTINGS_CHANGE, actor=actor, detail={
            "model": model._meta.label, "object_id": str(object_id), "action": action, "fields": sorted(changes)})
    return record


def diff(instance, old: dict, new: dict) -> dict:
    """``{"field": {"old", "new"}}`` for an explicit change of an audited model's row (personal fields by name only)."""
    spec = SPECS[type(instance)]
    out = {}
    for name, value in new.items():
        attname = spec.by_name.get(name, name)
        if attname in spec.fields and old.get(name) != value:
            out[name] = spec.entry(attname, old.get(name), value)
    return out


def record_update(instance, old: dict, new: dict) -> ChangeRecord | None:
    """Record a queryset ``update()`` of ``instance``'s row: ``old``/``new`` by field name; nothing when nothing changed."""
    spec = SPECS.get(type(instance))
    if spec is None:
        return None
    changes = diff(instance, old, new)
    if not changes:
        return None
    for name, value in new.items():  # the instance now matches the row: a later save() must not record this change again
        instance.__dict__["_audit_old"][spec.by_name.get(name, name)] = value
    parent_model, parent_id = spec.parent_of(instance)
    return record_change(spec.model, instance.pk, action=ChangeAction.UPDATE, changes=changes,
                         parent=(parent_model, parent_id) if parent_model else None)


@contextmanager
def gathered():
    """Inside, audited saves and deletes are collected (``(instance, action, changes)``) instead of written."""
    found: list = []
    token = set_context(gather=found)
    try:
        yield found
    finally:
        reset_context(token)


def connect() -> None:
    for label, config in AUDITED.items():
        try:
            model = apps.get_model(label)
        except LookupError:  # an app not installed in this deployment
            continue
        SPECS[model] = _Spec(model, config)
        post_init.connect(_snapshot, sender=model, dispatch_uid=f"audit-snapshot-{label}")
        post_save.connect(_saved, sender=model, dispatch_uid=f"audit-save-{label}")
        post_delete.connect(_deleted, sender=model, dispatch_uid=f"audit-delete-{label}")


@dataclass(frozen=True)
class HistoryLine:
    at: datetime.datetime
    action: str
    who: str
    channel: str
    what: list[str]


def describe(record: ChangeRecord) -> list[str]:
    """``["status: pending → approved", "note (personal: not recorded)"]`` for one record."""
    return [f"{field} (personal: not recorded)" if change.get(PERSONAL) else f"{field}: {change.get('old')} → {change.get('new')}"
            for field, change in sorted(record.changes.items())]  # fmt: skip


def history_attach(rows: list, *, attribute: str = "audit_history") -> list:
    """Sets ``row.<attribute>`` to the rows' change history, oldest first, in one query (plus the content type, cached)."""
    from django.contrib.contenttypes.models import ContentType

    if not rows:
        return rows
    content_type = ContentType.objects.get_for_model(type(rows[0]), for_concrete_model=False)
    found: dict[str, list[HistoryLine]] = {}
    for record in (ChangeRecord.objects.filter(content_type=content_type, object_id__in=[str(r.pk) for r in rows])
                   .select_related("actor").order_by("at", "id")):  # fmt: skip
        who_ = (record.actor.get_short_name() or f"user {record.actor_id}") if record.actor else record.actor_label
        found.setdefault(record.object_id, []).append(
            HistoryLine(at=record.at, action=record.get_action_display(), who=who_, channel=record.channel, what=describe(record)))
    for row in rows:
        setattr(row, attribute, found.get(str(row.pk), []))
    return rows
