"""The real server starts the way `make serve` starts it and answers on loopback."""

import urllib.request


def test_home_page_is_served_with_security_headers(gunicorn_server):
    with urllib.request.urlopen(gunicorn_server.url) as response:
        assert response.status == 200
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert "default-src 'none'" in response.headers["Content-Security-Policy"]
