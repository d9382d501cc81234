"""The committed OpenAPI schema (docs/openapi.yaml) is current, and the API keeps it (issue 16): Schemathesis.

Every operation of the committed file is fuzzed with Schemathesis, anonymously
and signed in with a token (the manager on manager paths, the technician on
technician paths, a Premium member elsewhere): no answer may be a 5xx,
and every answer must match the schema (status documented or not, its body must
validate against what the schema says for it). Derandomized and few examples per
operation, so it is repeatable and quick; the app is called in-process (WSGI).

When an API change makes ``test_the_committed_schema_is_the_generated_one`` fail,
regenerate the file with ``make schema`` and commit it with the change.
"""

from __future__ import annotations

from datetime import date, timedelta
from io import StringIO
from pathlib import Path

import pytest
import schemathesis
import yaml
from django.core.management import call_command
from django.test.client import ClientHandler
from hypothesis import HealthCheck, Phase
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from schemathesis.checks import not_a_server_error, response_schema_conformance

SCHEMA_FILE = Path(__file__).resolve().parent.parent / "docs" / "openapi.yaml"
schema = schemathesis.openapi.from_path(SCHEMA_FILE)
CHECKS = [not_a_server_error, response_schema_conformance]


class InProcessApp:
    """Django as a WSGI app for Schemathesis, through the test client's handler.

    Like ``django.test.Client`` it keeps the test's database connection open
    between requests (the test runs in one transaction) and skips CSRF checks.
    """

    def __init__(self):
        self.handler = ClientHandler(enforce_csrf_checks=False)

    def __call__(self, environ, start_response):
        response = self.handler(environ)
        headers = [*response.items(), *(("Set-Cookie", morsel.output(header="").strip()) for morsel in response.cookies.values())]
        start_response(f"{response.status_code} {response.reason_phrase}", headers)
        return response.streaming_content if response.streaming else [response.content]


APP = InProcessApp()
# Services and add-ons of the demo spa (``seed_demo``): without them nearly every generated question is a 400.
DEMO_SERVICES = ["swedish-massage", "deep-tissue-massage", "signature-facial", "classic-haircut", "no-such-service"]
DEMO_ADDONS = ["", "hot-stones", "hot-stones,aromatherapy-upgrade", "beard-oil-finish", "not-an-addon"]


@schema.hook
def flatmap_query(context, query):
    """Availability is also asked about the demo spa's own services over real date ranges (the rest stays fuzzed)."""
    if context.operation is None or context.operation.path != "/api/v1/availability/" or not isinstance(query, dict):
        return st.just(query)
    today = date.today()
    real = st.fixed_dictionaries({
        "service": st.sampled_from(DEMO_SERVICES),
        "date_from": st.sampled_from([today - timedelta(days=1), today, today + timedelta(days=2)]).map(date.isoformat),
        "date_to": st.sampled_from([today, today + timedelta(days=3), today + timedelta(days=95)]).map(date.isoformat),
        "addons": st.sampled_from(DEMO_ADDONS),
    })  # fmt: skip
    return st.one_of(st.just(query), real.map(lambda known: {**query, **known}))


@schema.hook
def flatmap_body(context, body):
    """A booking or waitlist body names a real service half the time, so validation is passed and the rules reached."""
    if context.operation is None or context.operation.path not in ("/api/v1/bookings/", "/api/v1/waitlist/") or not isinstance(body, dict):
        return st.just(body)
    return st.one_of(st.just(body), st.sampled_from(DEMO_SERVICES).map(lambda slug: {**body, "service": slug}))


def test_the_committed_schema_is_the_generated_one(db):
    out = StringIO()
    call_command("spectacular", "--format", "openapi", stdout=out)
    generated = yaml.safe_load(out.getvalue())
    committed = yaml.safe_load(SCHEMA_FILE.read_text(encoding="utf-8"))
    assert committed == generated, "docs/openapi.yaml is out of date: run `make schema` and commit it"


def test_the_schema_covers_every_api_operation():
    paths = yaml.safe_load(SCHEMA_FILE.read_text(encoding="utf-8"))["paths"]
    operations = sum(1 for methods in paths.values() for method in methods if method in {"get", "post", "put", "patch", "delete"})
    assert operations >= 30
    assert {"/api/v1/bookings/", "/api/v1/bookings/{reference}/pay/", "/api/v1/manager/dashboard/", "/api/v1/waitlist/"} <= set(paths)


@pytest.fixture
def tokens(demo_spa):
    from rest_framework.authtoken.models import Token

    return {who: Token.objects.get_or_create(user=demo_spa.users[who])[0].key for who in ("premium", "tech", "manager")}


def signed_in_as(path: str) -> str:
    """The demo account an operation is meant for: the manager's and technician's own paths, a member for the rest."""
    if path.startswith("/api/v1/manager/"):
        return "manager"
    if path.startswith("/api/v1/technicians/"):
        return "tech"
    return "premium"


FUZZ = hypothesis_settings(max_examples=10, deadline=None, derandomize=True, database=None, phases=[Phase.explicit, Phase.generate],
                           suppress_health_check=list(HealthCheck))  # fmt: skip


@pytest.mark.slow
@pytest.mark.parametrize("caller", ["anonymous", "signed-in"])
@schema.parametrize()
@FUZZ
def test_every_operation_answers_without_5xx_and_as_documented(case, caller, tokens, settings):
    settings.BOOKING_PAYMENT_MODE = "on_site"
    # Limits high enough that the fuzzer reaches the logic behind them (the 429s are tested in test_rate_limits.py).
    rates = settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]
    if rates.get("bookings") != "100000/hour":
        settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": dict.fromkeys(rates, "100000/hour")}
    headers = {"Authorization": f"Token {tokens[signed_in_as(case.path)]}"} if caller == "signed-in" else {}
    case.call_and_validate(app=APP, headers=headers, checks=CHECKS)
