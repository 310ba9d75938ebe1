"""Postcodes: normalising, the outcode fallback, loading both CSV layouts."""

import pytest

from app.extensions import db
from app.models import Postcode
from app.places import postcodes
from app.places.postcodes import InvalidPostcode, normalise_postcode


@pytest.mark.parametrize("raw, expected", [
    (" gu216xx ", "GU21 6XX"), ("GU21 6XX", "GU21 6XX"), ("kt227ab", "KT22 7AB"),
    ("sw1a1aa", "SW1A 1AA"), ("M1 1AE", "M1 1AE"), ("  cr0   2yh", "CR0 2YH"),
])
def test_postcodes_are_normalised(raw, expected):
    assert normalise_postcode(raw) == expected


@pytest.mark.parametrize("raw", ["", "GU21", "12345", "GU21 6XXX", "hello", "GU21-6XX!", "Q1 1AA"])
def test_invalid_postcodes_are_refused_with_a_clear_message(raw):
    with pytest.raises(InvalidPostcode, match="is not a valid UK postcode"):
        normalise_postcode(raw)


def test_a_known_postcode_gives_its_own_point_and_district(app):
    place = postcodes.lookup("gu21 6aa")
    assert place.precision == "postcode"
    assert place.lad_code == "E07000217"


def test_an_unknown_unit_falls_back_to_its_outcode_centroid(app):
    place = postcodes.lookup("GU21 9ZZ")
    assert place.precision == "outcode"
    assert place.latitude == pytest.approx(51.32, abs=0.05)


def test_an_outcode_alone_is_looked_up(app):
    assert postcodes.lookup("gu21").precision == "outcode"


def test_a_valid_postcode_nowhere_known_is_none(app):
    assert postcodes.lookup("ZE9 9ZZ") is None


def test_the_geocoder_is_off_by_default(app):
    assert app.config["GEOCODER"] == ""


def test_loads_the_ons_postcode_directory_layout(app, tmp_path):
    onspd = tmp_path / "onspd.csv"
    onspd.write_text(
        "pcd,pcd2,pcds,dointr,doterm,oslaua,lat,long\n"
        "GU216XA,GU21 6XA,GU21 6XA,199801,,E07000217,51.319,-0.560\n"
        "GU216XB,GU21 6XB,GU21 6XB,199801,200512,E07000217,51.318,-0.561\n"  # terminated
        "GU216XC,GU21 6XC,GU21 6XC,199801,,E07000217,99.999999,0.000000\n"  # no coordinates
        "BADCODE,BADCODE,BADCODE,199801,,E07000217,51.3,-0.5\n", encoding="utf-8")
    try:
        result = postcodes.load_file(onspd)
        assert (result.loaded, result.skipped) == (1, 2)
        assert db.session.get(Postcode, "GU21 6XA").lad_code == "E07000217"
        assert db.session.get(Postcode, "GU21 6XB") is None
    finally:
        postcodes.load_file(postcodes_path())


def test_a_csv_without_the_columns_is_refused(app, tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_text("name,value\na,b\n", encoding="utf-8")
    with pytest.raises(ValueError, match="postcode column"):
        postcodes.load_file(bad)


def postcodes_path():
    from tests.conftest import ROOT

    return ROOT / "data" / "postcodes-surrey.csv"


def test_postcodes_load_command(cli, tmp_path):
    small = tmp_path / "small.csv"
    small.write_text("postcode,latitude,longitude,lad_code,pqi\nGU21 6AA,51.3,-0.56,E07000217,10\n")
    try:
        result = cli.invoke(args=["postcodes", "load", str(small)])
        assert result.exit_code == 0, result.output
        assert "postcodes: 1 loaded, 0 skipped" in result.output
    finally:
        postcodes.load_file(postcodes_path())


class _FakeNominatim:
    """A local HTTP server answering like Nominatim, counting requests."""

    def __init__(self, delay: float = 0.0):
        import http.server
        import json
        import threading
        import time

        outer = self
        self.requests = 0

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):
                outer.requests += 1
                time.sleep(delay)
                body = json.dumps([{"lat": "60.15", "lon": "-1.15", "display_name": "Shetland"}])
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.end_headers()
                self.wfile.write(body.encode())

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.domain = f"127.0.0.1:{self.server.server_address[1]}"

    def close(self):
        self.server.shutdown()


def _configure_geocoder(app, monkeypatch, fake, timeout="2"):
    postcodes._geocoder.cache_clear()
    monkeypatch.setitem(app.config, "GEOCODER", "nominatim")
    monkeypatch.setitem(app.config, "GEOCODER_DOMAIN", fake.domain)
    monkeypatch.setitem(app.config, "GEOCODER_SCHEME", "http")
    monkeypatch.setitem(app.config, "GEOCODER_TIMEOUT", timeout)


def test_a_configured_geocoder_finds_what_the_table_lacks_and_caches_it(app, monkeypatch):
    fake = _FakeNominatim()
    try:
        _configure_geocoder(app, monkeypatch, fake)
        place = postcodes.lookup("ZE9 9ZZ")
        again = postcodes.lookup("ze99zz")
        assert place.precision == "geocoder"
        assert (place.latitude, place.longitude) == (60.15, -1.15)
        assert again == place
        assert fake.requests == 1  # the second lookup came from the cache
    finally:
        fake.close()
        postcodes._geocoder.cache_clear()


def test_a_slow_geocoder_is_given_up_on_after_the_timeout(app, monkeypatch):
    import time

    fake = _FakeNominatim(delay=3)
    try:
        _configure_geocoder(app, monkeypatch, fake, timeout="0.5")
        started = time.monotonic()
        with pytest.raises(postcodes.PlaceLookupUnavailable):
            postcodes.lookup("ZE9 9ZY")
        assert time.monotonic() - started < 2.5
    finally:
        fake.close()
        postcodes._geocoder.cache_clear()
