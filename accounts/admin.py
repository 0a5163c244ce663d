from django.contrib import admin, messages
from django.contrib.auth import admin as auth_admin
from django.contrib.auth.models import User
from django.db.models import QuerySet
from django.http import HttpRequest

from todos import services

from . import services as account_services
from .forms import AdminLoginForm, AdminPasswordChangeForm
from .models import AddressHit

admin.site.login_form = AdminLoginForm


class UserAdmin(auth_admin.UserAdmin):
    """Django's user admin; an account added here starts with an Inbox, as one that signs up."""

    actions = ["reset_two_factor"]
    change_password_form = AdminPasswordChangeForm

    @admin.action(description="Reset two-factor authentication")
    def reset_two_factor(self, request: HttpRequest, queryset: QuerySet[User]) -> None:
        for user in queryset:
            account_services.reset_two_factor(user=user)
        self.message_user(
            request,
            f"Two-factor authentication is off for {len(queryset)} account(s); "
            "they log in with their password only until they turn it on again.",
            messages.SUCCESS,
        )

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
