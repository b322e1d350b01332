from flask import Blueprint

bp = Blueprint("offers", __name__, url_prefix="/offers")
