"""Django admin for the area tree."""

from django.contrib import admin

from territory.models import Area


@admin.register(Area)
class AreaAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "level", "parent", "area_m2")
    list_filter = ("level",)
    search_fields = ("code", "name")
    raw_id_fields = ("parent",)
    readonly_fields = (
        "centroid_lon",
        "centroid_lat",
        "area_m2",
        "min_lon",
        "min_lat",
        "max_lon",
        "max_lat",
        "updated_at",
    )
    list_per_page = 100
