from flask import has_request_context, request

from ..extensions import db
from .models import AuditEntry


def record(user, action: str, obj=None, detail: str = "") -> AuditEntry:
    """Add an audit row to the current transaction; the caller commits."""
    entry = AuditEntry(
        school_id=getattr(user, "school_id", None) or getattr(obj, "school_id", None),
        user_id=getattr(user, "id", None),
        action=action,
        object_type=type(obj).__name__ if obj is not None else "",
        object_id=getattr(obj, "id", None),
        detail=detail[:500],
        ip=(request.remote_addr or "")[:45] if has_request_context() else "",
    )
    db.session.add(entry)
    return entry
