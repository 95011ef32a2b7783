"""Dereferenceable URIs: /author, /paper, /venue, /source with content negotiation."""

from flask import Blueprint

blueprint = Blueprint("resources", __name__)
