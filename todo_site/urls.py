from django.contrib import admin
from django.urls import include, path

handler500 = "todo_site.errors.server_error"

urlpatterns = [
    path("admin/", admin.site.urls),
    path("accounts/", include("accounts.urls")),
    path("", include("todos.urls")),
]
