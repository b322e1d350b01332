from flask import Blueprint

bp = Blueprint("pairs", __name__, url_prefix="/pairs")
