import pytest
from rest_framework.test import APIClient


@pytest.fixture
def client_for():
    """``client_for(user)`` → an APIClient signed in as ``user`` (None: anonymous)."""

    def make(user=None):
        client = APIClient()
        if user is not None:
            client.force_authenticate(user)
        return client

    return make
