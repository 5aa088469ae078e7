"""Configuration of venues, zones, exits, sensors and responders in Django's admin.

Every save or delete of a venue's layout tells the live processes to rebuild their
estimators (crowd.services.mark_layout_changed). Readings, snapshots and alerts are
records, shown read-only."""

from django.contrib import admin

from crowd import services
from crowd.models import Alert, Dispatch, Exit, Responder, Sensor, Venue, Zone


class LayoutAdmin(admin.ModelAdmin):
    """Saving or deleting here changes a venue's layout."""

    @staticmethod
    def venue_id_of(obj) -> int:
        return obj.pk if isinstance(obj, Venue) else obj.venue_id

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        services.mark_layout_changed(venue_id=self.venue_id_of(obj))

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        services.mark_layout_changed(venue_id=self.venue_id_of(form.instance))

    def delete_model(self, request, obj):
        venue_id = self.venue_id_of(obj)
        super().delete_model(request, obj)
        services.mark_layout_changed(venue_id=venue_id)


class ExitInline(admin.TabularInline):
    model = Exit
    extra = 1


@admin.register(Venue)
class VenueAdmin(LayoutAdmin):
    list_display = ["code", "name", "area", "is_active", "layout_version"]
    search_fields = ["code", "name"]
    readonly_fields = ["layout_version"]
    raw_id_fields = ["area"]


@admin.register(Zone)
class ZoneAdmin(LayoutAdmin):
    list_display = [
        "code",
        "name",
        "venue",
        "kind",
        "usable_area_m2",
        "attention",
        "caution",
        "alert",
        "serious",
    ]
    list_filter = ["venue", "kind"]
    inlines = [ExitInline]


@admin.register(Sensor)
class SensorAdmin(LayoutAdmin):
    list_display = ["code", "venue", "kind", "zone", "from_zone", "silent_after_s", "is_active"]
    list_filter = ["venue", "kind", "is_active"]
    search_fields = ["code"]


@admin.register(Responder)
class ResponderAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "kind", "mobility", "status", "team_size", "area"]
    list_filter = ["kind", "status", "mobility"]
    search_fields = ["code", "name"]
    raw_id_fields = ["area", "unit"]


class RecordAdmin(admin.ModelAdmin):
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(Alert)
class AlertAdmin(RecordAdmin):
    list_display = [
        "raised_at",
        "venue",
        "zone",
        "kind",
        "level",
        "acknowledged_at",
        "cleared_at",
        "case",
    ]
    list_filter = ["venue", "kind", "level"]
    date_hierarchy = "raised_at"


@admin.register(Dispatch)
class DispatchAdmin(RecordAdmin):
    list_display = [
        "dispatched_at",
        "responder",
        "alert",
        "acknowledged_at",
        "on_scene_at",
        "cleared_at",
    ]
    list_filter = ["venue"]
