"""The real server starts the way `make serve` starts it and answers on loopback."""

import urllib.request


def test_home_page_is_served_with_security_headers(gunicorn_server):
    with urllib.request.urlopen(gunicorn_server.url) as response:
        assert response.status == 200
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert "default-src 'none'" in response.headers["Content-Security-Policy"]


def test_server_picks_up_a_new_generation_without_restart(tmp_path):
    import json
    import shutil
    import time
    import urllib.parse

    from conftest import HOSTILE, SAMPLE, free_port, make_settings, start_gunicorn, stop, wait_until_serving
    from kg.pipeline import ingest

    port = free_port()
    settings = make_settings(tmp_path / "store", base_uri=f"http://127.0.0.1:{port}/")
    ingest(SAMPLE, settings)
    process = start_gunicorn(settings, port)
    query = urllib.parse.quote("SELECT (COUNT(DISTINCT ?p) AS ?n) WHERE { ?p a <https://schema.org/Person> }")

    def persons() -> int:
        request = urllib.request.Request(f"{settings.base_uri}sparql?query={query}",
                                         headers={"Accept": "application/sparql-results+json"})
        with urllib.request.urlopen(request, timeout=10) as response:
            return int(json.loads(response.read())["results"]["bindings"][0]["n"]["value"])

    try:
        wait_until_serving(settings.base_uri, process)
        assert persons() == 26
        ingest([HOSTILE], settings)
        deadline = time.monotonic() + 10
        while persons() != 27 and time.monotonic() < deadline:
            time.sleep(0.1)
        assert persons() == 27
        with urllib.request.urlopen(f"{settings.base_uri}author/mallory-o-hara.ttl", timeout=10) as response:
            assert b"Mallory" in response.read()
    finally:
        stop(process)
        shutil.rmtree(tmp_path / "store", ignore_errors=True)
