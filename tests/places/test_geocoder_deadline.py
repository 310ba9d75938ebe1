"""One total deadline for an online geocoder lookup, whatever the server does: geopy's
default retried three times at the timeout each, and a server trickling a byte at a time
reset the socket's timeout with every byte and held a worker for half a minute."""

import time

import pytest

from app.places import postcodes
from tests.places.slow_servers import MisbehavingServer

DEADLINE = 1.0
GENEROUS = DEADLINE + 2.5  # thread scheduling on a busy machine, never a retry or a trickle


@pytest.fixture(params=["hang", "trickle"])
def slow_geocoder(request, app, monkeypatch):
    server = MisbehavingServer(request.param)
    postcodes._geocoder.cache_clear()
    monkeypatch.setitem(app.config, "GEOCODER", "nominatim")
    monkeypatch.setitem(app.config, "GEOCODER_DOMAIN", server.address)
    monkeypatch.setitem(app.config, "GEOCODER_SCHEME", "http")
    monkeypatch.setitem(app.config, "GEOCODER_TIMEOUT", str(DEADLINE))
    yield server
    server.close()
    postcodes._geocoder.cache_clear()


def test_a_lookup_gives_up_at_the_deadline_and_tries_once(slow_geocoder):
    started = time.monotonic()
    with pytest.raises(postcodes.PlaceLookupUnavailable):
        postcodes.lookup("ZE9 9ZY")
    assert time.monotonic() - started < GENEROUS
    assert slow_geocoder.connections == 1
    # A failure is not remembered as "unknown": the next search asks again.
    with pytest.raises(postcodes.PlaceLookupUnavailable):
        postcodes.lookup("ZE9 9ZY")
    assert slow_geocoder.connections == 2


def test_the_search_page_answers_in_time_and_says_the_place_could_not_be_found(client, slow_geocoder):
    started = time.monotonic()
    response = client.get("/search?q=parenting&postcode=ze9+9zy")
    assert time.monotonic() - started < GENEROUS
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "We could not find where ZE9 9ZY is just now" in page
    assert "is outside" not in page  # not known to be outside: not known at all


def test_the_api_answers_503_with_a_reason(client, slow_geocoder):
    response = client.get("/api/v1/service_at_locations?postcode=ZE9+9ZY")
    assert response.status_code == 503
    assert "did not answer in time" in response.get_json()["detail"]
