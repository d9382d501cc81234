"""The calendars in the admin: what is mirrored where, the busy time Google sent us, the feed links and their rotation."""

from __future__ import annotations

from django.contrib import admin, messages
from django.db.models import Count, OuterRef, Subquery
from django.utils import timezone
from django.utils.html import format_html

from coresync.catalog.models import Room
from coresync.core.transactions import delay_on_commit
from coresync.integrations.models import ExternalBusyBlock, FeedToken, MirroredCalendar
from coresync.technicians.models import Technician

from . import feeds, services, tasks


class ReadOnlyAdmin(admin.ModelAdmin):
    """Rows written by the sync, not by hand: looked at, never edited here."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(MirroredCalendar)
class MirroredCalendarAdmin(ReadOnlyAdmin):
    list_display = ("key", "calendar_id", "busy_blocks_count", "last_synced_at", "last_full_sync_at", "channel_state")
    search_fields = ("key", "calendar_id")
    # The channel token is a secret Google echoes back: it is not shown.
    fields = ("key", "calendar_id", "last_synced_at", "last_full_sync_at", "has_sync_token", "channel_id", "channel_resource_id",
              "channel_expires_at")
    readonly_fields = fields
    actions = ["sync_now", "full_resync"]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(busy_count=Count("busy_blocks"))

    @admin.display(description="busy blocks", ordering="busy_count")
    def busy_blocks_count(self, calendar: MirroredCalendar) -> int:
        return calendar.busy_count

    @admin.display(description="push channel")
    def channel_state(self, calendar: MirroredCalendar) -> str:
        if not calendar.channel_id or calendar.channel_expires_at is None:
            return "none (beat syncs every 10 minutes)"
        if calendar.channel_expires_at < timezone.now():
            return "expired"
        return f"until {timezone.localtime(calendar.channel_expires_at):%Y-%m-%d %H:%M}"

    @admin.display(description="sync token", boolean=True)
    def has_sync_token(self, calendar: MirroredCalendar) -> bool:
        return bool(calendar.sync_token)

    @admin.action(description="Sync now (what changed since the last sync)")
    def sync_now(self, request, queryset):
        for key in queryset.values_list("key", flat=True):
            delay_on_commit(tasks.calendar_sync, key)
        self.message_user(request, f"{queryset.count()} calendar(s) queued for a sync.", messages.SUCCESS)

    @admin.action(description="Full resync (forget the sync token, list everything again)")
    def full_resync(self, request, queryset):
        keys = list(queryset.values_list("key", flat=True))
        MirroredCalendar.objects.filter(key__in=keys).update(sync_token="")
        for key in keys:
            delay_on_commit(tasks.calendar_sync, key)
        self.message_user(request, f"{len(keys)} calendar(s) queued for a full resync.", messages.SUCCESS)


@admin.register(ExternalBusyBlock)
class ExternalBusyBlockAdmin(ReadOnlyAdmin):
    list_display = ("summary", "calendar", "start", "end", "blocks")
    list_filter = ("calendar", ("start", admin.DateFieldListFilter))
    search_fields = ("summary", "event_id")
    date_hierarchy = "start"
    list_select_related = ("calendar",)
    readonly_fields = ("calendar", "event_id", "summary", "start", "end", "blocks", "updated_at")
    fields = readonly_fields

    def get_queryset(self, request):
        # Names for the plain technician/room ids (this table sits below the catalog), in the page's one query.
        return super().get_queryset(request).annotate(
            technician_name=Subquery(Technician.objects.filter(pk=OuterRef("technician_id")).values("display_name")[:1]),
            room_name=Subquery(Room.objects.filter(pk=OuterRef("room_id")).values("name")[:1]),
        )

    @admin.display(description="blocks")
    def blocks(self, block: ExternalBusyBlock) -> str:
        if block.technician_id is not None:
            return f"technician {getattr(block, 'technician_name', None) or block.technician_id}"
        if block.room_id is not None:
            return f"room {getattr(block, 'room_name', None) or block.room_id}"
        return "the whole spa"


@admin.register(FeedToken)
class FeedTokenAdmin(ReadOnlyAdmin):
    list_display = ("name", "rotated_at", "rotated_by", "feed_link")
    search_fields = ("name",)
    readonly_fields = ("name", "rotated_at", "rotated_by", "feed_link")
    fields = readonly_fields
    actions = ["rotate"]

    def changelist_view(self, request, extra_context=None):
        # Every feed has its link here from the first visit (a token is made the first time a feed is named).
        for name, _title in feeds.feed_names():
            services.feed_token(name)
        return super().changelist_view(request, extra_context)

    @admin.display(description="subscribe link")
    def feed_link(self, token: FeedToken):
        from django.conf import settings

        url = f"{settings.SITE_URL}/calendars/{token.name}.ics?token={token.token}"
        return format_html('<a href="{}">{}.ics</a>', url, token.name)

    @admin.action(description="Rotate the token (old links stop working)")
    def rotate(self, request, queryset):
        names = list(queryset.values_list("name", flat=True))
        for name in names:
            services.feed_token_rotate(name=name, actor=request.user)
        self.message_user(request, f"New links for: {', '.join(names)}. Subscribers must add the new link.", messages.WARNING)
