from django.contrib import admin
from django.contrib.auth import admin as auth_admin
from django.contrib.auth.models import User
from django.http import HttpRequest

from todos import services

from .models import AddressHit


class UserAdmin(auth_admin.UserAdmin):
    """Django's user admin; an account added here starts with an Inbox, as one that signs up."""

    def save_model(self, request: HttpRequest, obj: User, form: object, change: bool) -> None:
        super().save_model(request, obj, form, change)
        if not change:
            services.create_inbox(owner=obj)


admin.site.unregister(User)
admin.site.register(User, UserAdmin)


@admin.register(AddressHit)
class AddressHitAdmin(admin.ModelAdmin):
    """The per-address counters, read-only: deleting an address's hits lifts its limit early."""

    list_display = ["created", "scope", "address"]
    list_filter = ["scope"]
    search_fields = ["address"]
    date_hierarchy = "created"

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: AddressHit | None = None) -> bool:
        return False
