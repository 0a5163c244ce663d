from django.contrib import admin
from django.urls import include, path

from todos import views_accounts

handler500 = "todos.views_errors.server_error"

urlpatterns = [
    path("admin/", admin.site.urls),
    path("accounts/signup/", views_accounts.signup, name="signup"),
    path("accounts/", include("django.contrib.auth.urls")),
    path("", include("todos.urls")),
]
