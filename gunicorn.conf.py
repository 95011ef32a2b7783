"""gunicorn settings shared by `make serve` and the end-to-end tests (one way to start the server)."""

import os
import threading

bind = os.environ.get("KG_BIND", "127.0.0.1:5000")
workers = int(os.environ.get("KG_WEB_WORKERS", "2"))
worker_class = "gthread"
threads = int(os.environ.get("KG_WEB_THREADS", "4"))
timeout = 60  # a hung worker is replaced; SPARQL queries have their own, shorter limit
graceful_timeout = 10
keepalive = 5
# Refuse oversized request lines and headers (431/400) before Flask sees them.
limit_request_line = 8190
limit_request_fields = 100
limit_request_field_size = 8190
accesslog = "-" if os.environ.get("KG_ACCESS_LOG") else None
# gunicorn 27's control socket lives at one path per user (~/.gunicorn/gunicorn.ctl), shared by every
# gunicorn on the machine; kg does not use it, and several kg servers (tests, benchmarks) must not collide.
control_socket_disable = True


def post_worker_init(worker):
    """Start the worker's query processes in the background, so the first queries find them ready."""
    store = worker.wsgi.extensions["kg_store"]
    threading.Thread(target=store.warm_up, name="kg-warm-up", daemon=True).start()
