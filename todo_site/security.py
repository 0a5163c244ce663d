from django.conf import settings
from django.http import HttpRequest


def client_ip(request: HttpRequest) -> str:
    """The client's address: behind our proxy (BEHIND_PROXY) the right-most X-Forwarded-For
    entry, which that proxy appended; otherwise the socket's peer, since a client can forge the
    header when nothing in front of us overwrites it."""
    if settings.BEHIND_PROXY:
        forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
        if hops := [hop.strip() for hop in forwarded.split(",") if hop.strip()]:
            return hops[-1]
    return str(request.META.get("REMOTE_ADDR", ""))


def axes_username(request: HttpRequest, credentials: dict[str, object] | None = None) -> str:
    username = (credentials or {}).get("username") or request.POST.get("username", "")
    return str(username)[:150]
