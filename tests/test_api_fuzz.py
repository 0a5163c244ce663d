"""schemathesis against the API under gunicorn: every operation, with generated valid and
invalid input, answers without a 5xx and as its schema says (status codes, content types,
bodies, invalid input refused). Bounded: a fixed number of examples per operation."""

from __future__ import annotations

from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis import GenerationMode
from schemathesis.checks import positive_data_acceptance
from schemathesis.core.result import Ok

from api import services
from api.models import Scope
from tests.conftest import create_user
from tests.support.db import db_url
from tests.support.live import app_serving
from todos import services as todo_services
from todos.models import Membership, Task, TaskList

EXAMPLES_PER_OPERATION = 40
STATEFUL_SCENARIOS = 30


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_every_operation_answers_as_its_schema_says_and_never_5xx(django_db_setup):
    owner = create_user("olivia", "owner-password-123")
    create_user("erin", "editor-password-123")
    todo_services.create_list(owner=owner, name="Work")
    secret = services.create_token(user=owner, name="fuzz", scope=Scope.READ_WRITE).secret
    headers = {"Authorization": f"Bearer {secret}"}
    with app_serving(db_url(), env={"DJANGO_API_RATE_LIMIT": "0"}) as server:
        schema = schemathesis.openapi.from_url(f"{server.url}/api/v1/openapi.json")
        operations = []
        for result in schema.get_all_operations():
            assert isinstance(result, Ok), result.err()
            operations.append(result.ok())
        assert len(operations) >= 19
        for operation in operations:
            strategy = operation.as_strategy(generation_mode=GenerationMode.POSITIVE) | (
                operation.as_strategy(generation_mode=GenerationMode.NEGATIVE)
            )

            @given(case=strategy)
            @settings(
                max_examples=EXAMPLES_PER_OPERATION,
                deadline=None,
                suppress_health_check=list(HealthCheck),
                database=None,
            )
            def call(case: Any) -> None:
                # Not positive_data_acceptance: a title of zero-width spaces is a string the
                # schema allows and the pages' forms refuse (a 422 with the reason).
                case.call_and_validate(
                    base_url=server.url, headers=headers, excluded_checks=[positive_data_acceptance]
                )

            call()
        assert "Traceback" not in server.output


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_sequences_of_calls_along_the_schema_s_links_never_break_it(django_db_setup):
    """schemathesis's stateful run: create a list or a task, then follow the OpenAPI links to
    read, change, complete and delete what was made, checking every answer against the schema."""
    owner = create_user("olivia", "owner-password-123")
    inbox = TaskList.objects.get(owner=owner)
    secret = services.create_token(user=owner, name="fuzz", scope=Scope.READ_WRITE).secret
    headers = {"Authorization": f"Bearer {secret}"}
    with app_serving(db_url(), env={"DJANGO_API_RATE_LIMIT": "0"}) as server:
        schema = schemathesis.openapi.from_url(f"{server.url}/api/v1/openapi.json")
        machine = schema.as_state_machine()
        # The links of POST /lists and POST /lists/{list_id}/tasks (api.views._links).
        assert schema.statistic.transitions.total >= 14

        class Calls(machine):  # type: ignore[misc,valid-type]
            def setup(self) -> None:
                """Every scenario starts from the same data: hypothesis replays scenarios to
                shrink a failure, and a name taken by an earlier one would answer otherwise."""
                TaskList.objects.exclude(pk=inbox.pk).delete()
                Task.objects.all().delete()
                Membership.objects.all().delete()

            def get_call_kwargs(self, case: Any) -> dict[str, Any]:
                return {"base_url": server.url, "headers": headers}

            def validate_response(self, response: Any, case: Any, **kwargs: Any) -> None:
                case.validate_response(response, excluded_checks=[positive_data_acceptance])

        Calls.run(
            settings=settings(
                max_examples=STATEFUL_SCENARIOS,
                stateful_step_count=6,
                deadline=None,
                suppress_health_check=list(HealthCheck),
                database=None,
            )
        )
        assert "Traceback" not in server.output
