"""Django admin for units, people, memberships and logins: every save goes through
org.services, so each change of who may see what leaves an audit row (decision 005)."""

from django.contrib import admin
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.db import transaction

from org import services
from org.models import Membership, Person, Unit


def _changes(obj, form, allowed):
    return {name: getattr(obj, name) for name in form.changed_data if name in allowed}


@admin.register(Unit)
class UnitAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "kind", "area", "is_active")
    list_filter = ("kind", "is_active")
    search_fields = ("code", "name", "area__name", "area__code")
    raw_id_fields = ("area", "parent")

    def save_model(self, request, obj, form, change):
        if change:
            services.update_unit(
                actor=request.user, unit=obj, **_changes(obj, form, services.UNIT_FIELDS)
            )
        else:
            services.create_unit(actor=request.user, unit=obj)

    def delete_model(self, request, obj):
        services.delete_unit(actor=request.user, unit=obj)

    def delete_queryset(self, request, queryset):
        with transaction.atomic():
            for unit in queryset:
                services.delete_unit(actor=request.user, unit=unit)


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

    def save_model(self, request, obj, form, change):
        if change:
            services.update_person(
                actor=request.user, person=obj, **_changes(obj, form, services.PERSON_FIELDS)
            )
        else:
            services.create_person(actor=request.user, person=obj)

    def save_formset(self, request, form, formset, change):
        if formset.model is not Membership:
            return super().save_formset(request, form, formset, change)
        # commit=False fills new_objects / changed_objects / deleted_objects without saving;
        # the services save them, each with its audit row.
        formset.save(commit=False)
        for m in formset.deleted_objects:
            services.revoke_membership(actor=request.user, membership=m, delete=True)
        for m, changed in formset.changed_objects:
            services.change_membership(
                actor=request.user,
                membership=m,
                **{n: getattr(m, n) for n in changed if n in services.MEMBERSHIP_FIELDS},
            )
        for m in formset.new_objects:
            services.grant_membership(actor=request.user, membership=m)

    def delete_model(self, request, obj):
        services.delete_person(actor=request.user, person=obj)

    def delete_queryset(self, request, queryset):
        with transaction.atomic():
            for person in queryset:
                services.delete_person(actor=request.user, person=person)


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    list_display = ("person", "role", "unit", "scope", "is_active")
    list_filter = ("role", "is_active")
    search_fields = ("person__name", "unit__name", "scope__code")
    raw_id_fields = ("person", "unit", "scope")

    def save_model(self, request, obj, form, change):
        if change:
            services.change_membership(
                actor=request.user,
                membership=obj,
                **_changes(obj, form, services.MEMBERSHIP_FIELDS),
            )
        else:
            services.grant_membership(actor=request.user, membership=obj)

    def delete_model(self, request, obj):
        services.revoke_membership(actor=request.user, membership=obj, delete=True)

    def delete_queryset(self, request, queryset):
        with transaction.atomic():
            for m in queryset:
                services.revoke_membership(actor=request.user, membership=m, delete=True)


User = get_user_model()
admin.site.unregister(User)


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    """Django's own user pages (they hash passwords); the rights they set are audited."""

    def save_model(self, request, obj, form, change):
        request.pingan_user_before = services.lock_user_state(obj.pk if change else None)
        super().save_model(request, obj, form, change)

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)  # groups and permissions
        services.record_user_change(
            actor=request.user,
            user=form.instance,
            before=getattr(request, "pingan_user_before", {}),
        )

    def delete_model(self, request, obj):
        services.delete_user(actor=request.user, user=obj)

    def delete_queryset(self, request, queryset):
        with transaction.atomic():
            for user in queryset:
                services.delete_user(actor=request.user, user=user)
