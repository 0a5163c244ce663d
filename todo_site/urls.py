from django.contrib import admin
from django.urls import include, path

from todos import views_accounts, views_health

handler500 = "todos.views_errors.server_error"

urlpatterns = [
    path("healthz", views_health.healthz, name="healthz"),
    path("readyz", views_health.readyz, name="readyz"),
    path("admin/", admin.site.urls),
    path("accounts/signup/", views_accounts.signup, name="signup"),
    path("accounts/", include("django.contrib.auth.urls")),
    path("", include("todos.urls")),
]
