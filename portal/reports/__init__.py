"""The committee's dashboard at /reports: figures per term or year with charts and tables, each report as .xlsx,
and the 年度工作台账 for the district."""
from flask import Blueprint

bp = Blueprint("reports", __name__, url_prefix="/reports")
