from django.contrib import admin, messages
from django.contrib.auth import admin as auth_admin
from django.contrib.auth.models import User
from django.db.models import QuerySet
from django.http import HttpRequest

from . import services as account_services
from .forms import AdminLoginForm, AdminPasswordChangeForm
from .models import AddressHit, OutgoingMail

admin.site.login_form = AdminLoginForm


class UserAdmin(auth_admin.UserAdmin):
    """Django's user admin; an account added here is stored as one that signs up
    (accounts.services.create_account: with its Inbox), and one deleted here goes as on its
    account page (accounts.services.delete_account)."""

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
        if change:
            super().save_model(request, obj, form, change)
        else:
            account_services.create_account(user=obj)

    def delete_model(self, request: HttpRequest, obj: User) -> None:
        account_services.delete_account(user=obj)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[User]) -> None:
        for user in queryset:
            account_services.delete_account(user=user)


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


@admin.register(OutgoingMail)
class OutgoingMailAdmin(admin.ModelAdmin):
    """Mail the relay did not take, read-only: ``manage.py send_queued_mail`` sends it again;
    deleting a message gives it up."""

    list_display = ["created", "__str__", "attempts", "last_error"]
    date_hierarchy = "created"
    # The body holds working links (a password reset's): the admin shows who it is for, not it.
    exclude = ["message"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: OutgoingMail | None = None) -> bool:
        return False
