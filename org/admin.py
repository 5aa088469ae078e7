"""Django admin for units, people and memberships."""

from django.contrib import admin

from org.models import Membership, Person, Unit


@admin.register(Unit)
class UnitAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "kind", "area", "is_active")
    list_filter = ("kind", "is_active")
    search_fields = ("code", "name", "area__name", "area__code")
    raw_id_fields = ("area", "parent")


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0
    raw_id_fields = ("unit", "scope")


@admin.register(Person)
class PersonAdmin(admin.ModelAdmin):
    list_display = ("name", "user", "is_active")
    search_fields = ("name", "user__username")
    raw_id_fields = ("user",)
    inlines = [MembershipInline]


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    list_display = ("person", "role", "unit", "scope", "is_active")
    list_filter = ("role", "is_active")
    search_fields = ("person__name", "unit__name", "scope__code")
    raw_id_fields = ("person", "unit", "scope")
