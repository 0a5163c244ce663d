from django.urls import path

from . import views

app_name = "calendars"
urlpatterns = [
    path("<str:token>.ics", views.feed, name="feed"),
]
