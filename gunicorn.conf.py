"""gunicorn settings shared by `make serve` and the end-to-end tests (one way to start the server).

KG_BIND, KG_WEB_WORKERS, KG_WEB_THREADS and KG_ACCESS_LOG are rows of kg.config.SETTINGS: validated
(with every other KG_* setting, before a worker starts) and defaulted there, like the rest.
"""

import os
import sys
import threading

from kg.config import load_settings
from kg.errors import ConfigError
from kg.web.context import store_of

try:
    settings = load_settings(os.environ)
except ConfigError as exc:
    # gunicorn prints a traceback for any exception in its config file: say what is wrong in one line
    # instead, as `kg` does, with its exit code for a bad setting
    print(f"Error: {exc}", file=sys.stderr)
    sys.exit(2)

bind = settings.bind
workers = settings.web_workers
worker_class = "gthread"
threads = settings.web_threads
timeout = 60  # a hung worker is replaced; SPARQL queries have their own, shorter limit
graceful_timeout = 10
keepalive = 5
# Refuse oversized request lines and headers (431/400) before Flask sees them.
limit_request_line = 8190
limit_request_fields = 100
limit_request_field_size = 8190
accesslog = "-" if settings.access_log else None
# gunicorn 27's control socket lives at one path per user (~/.gunicorn/gunicorn.ctl), shared by every
# gunicorn on the machine; kg does not use it, and several kg servers (tests, benchmarks) must not collide.
control_socket_disable = True


def post_worker_init(worker):
    """Start the worker's query processes in the background, so the first queries find them ready."""
    store = store_of(worker.wsgi)
    threading.Thread(target=store.warm_up, name="kg-warm-up", daemon=True).start()
