"""Configuration of venues, zones, exits, sensors and responders in Django's admin.

Every save or delete of a venue's layout tells the live processes to rebuild their
estimators (crowd.services.mark_layout_changed). Readings, zone states, alerts and
dispatches are records of events (an alert may open a case): they are not in the admin
(decision 005) and are read on the crowd board."""

from django.contrib import admin

from crowd import services
from crowd.models import Exit, Responder, Sensor, Venue, Zone


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
