"""家长学校: courses, their sessions, registration, check-in, feedback and completion."""
from flask import Blueprint

bp = Blueprint("parent_school", __name__, url_prefix="/parent-school")
