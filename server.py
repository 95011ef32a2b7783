"""WSGI entry point: ``gunicorn server:app``. Settings from the environment (``KG_*``), nothing else."""

import os

from kg.config import load_settings
from kg.web import create_app

app = create_app(load_settings(os.environ))
