"""The SPARQL 1.1 Protocol endpoint (read-only). https://www.w3.org/TR/sparql11-protocol/"""

from flask import Blueprint

blueprint = Blueprint("sparql", __name__)


@blueprint.route("/sparql", methods=["GET", "POST"])
def endpoint():
    return "not yet", 501
