"""Event photos as files under the instance folder, checked by their first bytes, not by their name."""
from __future__ import annotations

import os
import secrets
from pathlib import Path

from flask import current_app
from flask_babel import gettext as _

from ..audit.services import record
from ..core.errors import DomainError, saving
from ..extensions import db
from .models import Event, EventPhoto

# What a phone camera or a screenshot gives; the file's own signature decides, never its name.
SIGNATURES = ((b"\xff\xd8\xff", "image/jpeg", "jpg"), (b"\x89PNG\r\n\x1a\n", "image/png", "png"))
MAX_PHOTOS = 30


def max_bytes() -> int:
    return current_app.config["EVENT_PHOTO_MAX_BYTES"]


def folder() -> Path:
    path = Path(current_app.config["EVENT_PHOTO_DIR"])
    path.mkdir(parents=True, exist_ok=True)
    return path


def path_of(photo: EventPhoto) -> Path:
    return folder() / photo.stored_name


def add(actor, event: Event, filename: str, data: bytes) -> EventPhoto:
    if not data:
        raise DomainError(_("The file is empty."))
    if len(data) > max_bytes():
        raise DomainError(_("The photo is larger than %(n)d MB. Please send a smaller one.", n=max_bytes() // 2**20))
    kind = next(((mime, ext) for sig, mime, ext in SIGNATURES if data.startswith(sig)), None)
    if kind is None:
        raise DomainError(_("Only JPEG or PNG photos can be added."))
    if len(event.photos) >= MAX_PHOTOS:
        raise DomainError(_("An event keeps at most %(n)d photos.", n=MAX_PHOTOS))
    name = f"{event.id}-{secrets.token_hex(12)}.{kind[1]}"
    target = folder() / name
    partial = target.with_suffix(".part")
    partial.write_bytes(data)
    photo = EventPhoto(school_id=event.school_id, event_id=event.id, stored_name=name, content_type=kind[0],
                       original_name="".join(ch for ch in filename if ch.isprintable())[:200], size=len(data),
                       uploaded_by_id=actor.id)
    try:
        with saving():
            db.session.add(photo)
            db.session.flush()
            record(actor, "event.photo.add", event, name)
            os.replace(partial, target)
    except Exception:
        partial.unlink(missing_ok=True)
        target.unlink(missing_ok=True)
        raise
    return photo


def delete(actor, photo: EventPhoto) -> None:
    path = path_of(photo)
    with saving():
        record(actor, "event.photo.delete", photo.event, photo.stored_name)
        db.session.delete(photo)
    path.unlink(missing_ok=True)
