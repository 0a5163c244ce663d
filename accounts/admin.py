from django.contrib import admin
from django.contrib.auth import admin as auth_admin
from django.contrib.auth.models import User
from django.http import HttpRequest

from todos import services


class UserAdmin(auth_admin.UserAdmin):
    """Django's user admin; an account added here starts with an Inbox, as one that signs up."""

    def save_model(self, request: HttpRequest, obj: User, form: object, change: bool) -> None:
        super().save_model(request, obj, form, change)
        if not change:
            services.create_inbox(owner=obj)


admin.site.unregister(User)
admin.site.register(User, UserAdmin)
