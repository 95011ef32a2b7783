"""Dumps, VoID and DCAT descriptions, and the validation report of the current build."""

from flask import Blueprint

blueprint = Blueprint("dumps", __name__)


@blueprint.get("/dumps/")
def index():
    return "not yet", 501


@blueprint.get("/void")
@blueprint.get("/.well-known/void")
def void():
    return "not yet", 501


@blueprint.get("/validation")
def validation():
    return "not yet", 501
