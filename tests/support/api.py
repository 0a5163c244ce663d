"""The API as a script calls it: a token's JSON client, and what a problem answer must hold."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import urlencode

from django.contrib.auth.models import User
from django.test import Client

from api import services as token_services
from api.models import Scope

ROOT = "/api/v1"
PROBLEM = "application/problem+json"


class Api:
    """A token's client that sends and reads JSON."""

    def __init__(self, user: User, scope: Scope = Scope.READ_WRITE) -> None:
        secret = token_services.create_token(user=user, name="tests", scope=scope).secret
        self.client = Client(headers={"Authorization": f"Bearer {secret}"})

    def __call__(self, method: str, path: str, body: Any = None, **query: Any) -> Any:
        if query:
            return self.client.generic(method, ROOT + path, QUERY_STRING=urlencode(query))
        data = json.dumps(body) if body is not None else ""
        return self.client.generic(method, ROOT + path, data=data, content_type="application/json")


def problem_type(response: Any) -> str:
    assert response["Content-Type"] == PROBLEM
    body = response.json()
    assert body["status"] == response.status_code and body["title"]
    return str(body["type"]).removeprefix("urn:todo:problem:")
