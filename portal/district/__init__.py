from flask import Blueprint

bp = Blueprint("district", __name__, url_prefix="/district")
# The school office's side of the tasks a unit sends down.
school_bp = Blueprint("tasks", __name__, url_prefix="/tasks")
