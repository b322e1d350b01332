from flask import Blueprint

bp = Blueprint("announcements", __name__, url_prefix="/announcements")
