"""服务时长: the hours ledger, its review queue, totals, recognition and service records."""
from flask import Blueprint

bp = Blueprint("hours", __name__, url_prefix="/hours")
