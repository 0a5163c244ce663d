from django.contrib import admin
from django.urls import include, path

from api.views import api, unknown

handler400 = "todo_site.errors.bad_request"
handler403 = "todo_site.errors.permission_denied"
handler404 = "todo_site.errors.page_not_found"
handler500 = "todo_site.errors.server_error"
# Not Django's: allauth answers its rate limits with it.
handler429 = "todo_site.errors.rate_limited"

urlpatterns = [
    path("admin/", admin.site.urls),
    path("accounts/", include("accounts.urls")),
    path("api/v1/", api.urls),
    path("api/<path:rest>", unknown),
    path("calendar/", include("calendars.urls")),
    path("", include("todos.urls")),
]
