from django.urls import include, path

from . import views

# Not namespaced: django.contrib.auth's views and LOGIN_URL refer to "login", "logout", ...
urlpatterns = [
    path("signup/", views.signup, name="signup"),
    path("", include("django.contrib.auth.urls")),
]
