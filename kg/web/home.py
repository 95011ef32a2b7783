"""The home page: what the dataset is, counts, search by name or title, links to everything."""

from flask import Blueprint, render_template

blueprint = Blueprint("home", __name__)


@blueprint.get("/")
def home():
    return render_template("home.html")
