"""schemathesis against the read API's own OpenAPI description, served by the app itself
(``/api/v2/openapi.json``, through the WSGI application, no server or other host):
every operation, with generated values valid and not, answers without a 5xx and as
the description says (status codes, content type, bodies matching their schemas)."""

import datetime
import re

import hypothesis
import pytest
import schemathesis
from hypothesis import strategies as st
from rest_framework.authtoken.models import Token
from schemathesis import GenerationMode
from schemathesis.specs.openapi.checks import positive_data_acceptance

from django.contrib.auth.models import AnonymousUser
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections

from wagtail.models import Page

from cms.api import SEARCH_PARAMETERS
from cms.api_schema import LARGEST
from docs_library import access
from home import roles
from home.models import organisation_page_models
from search.service import MAX_RESULTS_WINDOW
from tests.factories import (
    AnnouncementFactory,
    AnnouncementIndexFactory,
    DocumentPageFactory,
    LibraryFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def published(tree):
    """Something of each kind for the API to return: organisations, a library, records, news."""
    library = LibraryFactory(parent=tree["region"], title="Облыс құжаттары")
    for number, kind in enumerate(["decision", "minutes", "order"]):
        DocumentPageFactory(
            parent=library,
            title=f"Шешім {number}",
            document_type=kind,
            registration_number=f"02-Ш/{number}",
            document_date=datetime.date(2025, 3, number + 1),
        )
    DocumentPageFactory(parent=library, title="Шектеулі", access_level="restricted")
    DocumentPageFactory(parent=library, title="Ұйымға", access_level="organisation")
    index = AnnouncementIndexFactory(parent=tree["district"], title="Жаңалықтар")
    AnnouncementFactory(parent=index, title="Жиналыс өтті")
    return tree


@pytest.fixture
def member_token(published):
    """A Reader of the region, calling as another system does: with a token."""
    member = UserFactory(username="api.member")
    roles.grant(roles.READER, member, published["region"])
    return Token.objects.create(user=member).key


#: Query parameters that name a page by id: the API answers 400 when none the caller may
#: see has that id, which a schema cannot say; generated ids are swapped for real ones.
REFERENCES = ("child_of", "descendant_of", "ancestor_of", "translation_of", "organisation")


def name_real_pages(schema):
    pages = list(
        access.visible_pages(
            AnonymousUser(), Page.objects.live().public().filter(depth__gt=1)
        ).values_list("pk", flat=True)
    )
    organisations = list(
        Page.objects.live().type(*organisation_page_models()).values_list("pk", flat=True)
    )

    @schema.hook
    def flatmap_query(context, query):
        if not query:
            return st.just(query)
        swapped = {}
        for name in REFERENCES:
            value = query.get(name)
            ids = organisations if name == "organisation" else pages
            # Only values the description allows: a negative case stays negative.
            if isinstance(value, int) and not isinstance(value, bool) and 1 <= value <= LARGEST:
                swapped[name] = st.sampled_from(ids)
            elif isinstance(value, str) and re.fullmatch("[1-9][0-9]{0,8}", value):
                swapped[name] = st.sampled_from([str(pk) for pk in ids])  # child_of, …
        if not swapped:
            return st.just(query)
        return st.fixed_dictionaries({**{k: st.just(v) for k, v in query.items()}, **swapped})


def breaks_a_rule_between_parameters(query) -> bool:
    """The API's rules that tie one parameter to another, which OpenAPI cannot state (the
    description says them in words): ``random`` order takes no offset; ``child_of`` and
    ``descendant_of`` do not go together; a search combines
    only with the four filters and pages by whole pages below the results window."""
    query = query or {}
    offset = query.get("offset") or 0
    if query.get("order") == "random" and offset:
        return True
    if "child_of" in query and "descendant_of" in query:
        return True
    if "search" in query:
        if set(query) - SEARCH_PARAMETERS:
            return True
        limit = query.get("limit", 20)
        return bool(limit and offset % limit) or offset >= MAX_RESULTS_WINDOW
    return False


@schemathesis.check
def accepts_valid_requests(ctx, response, case):
    """schemathesis' own ``positive_data_acceptance``, less the requests that break a rule
    between parameters: generated from the description, valid, yet answered 4xx."""
    if case.meta is None or not case.meta.generation.mode.is_positive:
        return None
    if response.status_code in (400, 422) and not breaks_a_rule_between_parameters(case.query):
        raise AssertionError(
            f"A valid request was refused ({response.status_code}): {response.text[:300]}"
        )
    return None


def run_operation(operation, app, mode, headers):
    """Up to ``max_examples`` generated calls of one operation, each validated."""

    @hypothesis.given(case=operation.as_strategy(generation_mode=mode))
    @hypothesis.settings(
        max_examples=30,
        deadline=None,
        derandomize=True,  # the same cases on every run: CI is reproducible
        database=None,
        suppress_health_check=list(hypothesis.HealthCheck),
        phases=[hypothesis.Phase.explicit, hypothesis.Phase.generate],
    )
    def call(case):
        case.call_and_validate(
            app=app,
            headers=headers,
            excluded_checks=[positive_data_acceptance],
            additional_checks=[accepts_valid_requests],
        )

    call()


@pytest.fixture
def app():
    """Django's WSGI application, keeping the test's database connection open between
    requests, as Django's own test client does."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield get_wsgi_application()
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


def test_the_api_answers_as_its_description_says(published, member_token, app):
    schema = schemathesis.openapi.from_wsgi("/api/v2/openapi.json", app)
    name_real_pages(schema)
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) == 6  # pages and documents: list, detail, find
    callers = [
        ("anonymous, valid values", GenerationMode.POSITIVE, {}),
        ("anonymous, invalid values", GenerationMode.NEGATIVE, {}),
        ("a member's token", GenerationMode.POSITIVE, {"Authorization": f"Token {member_token}"}),
    ]
    failures = []
    for operation in operations:
        for caller, mode, headers in callers:
            try:
                run_operation(operation, app, mode, headers)
            except (Exception, BaseExceptionGroup) as error:  # every operation's failure
                failures.append(f"{operation.label} ({caller}): {error}")
    assert not failures, "\n\n".join(failures)
