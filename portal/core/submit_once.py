"""Submit once: a creating form sent again with the same content is answered with what the first send saved.

Back, then Save again, sends a form the browser has filled in again; the page it re-fetched carries a fresh submit
token, so a token alone cannot tell a resend from a new form. The content can. Before a guarded POST runs, its
fingerprint (the address, the user and every field but the tokens) is claimed in a row of its own, committed first
and unique per user:

- a twin sent while the first is still working (a double tap, a resend after a slow answer) finds the claim and waits
  for the first's answer, then goes where it led;
- one sent later (Back and Save, the next morning's retry) finds where the first led and goes there;
- a first send that saved nothing (a message beside a field, a refusal flashed as an error) gives its claim up, so
  correcting the form and sending it again works.

A claim is kept `WINDOW` long, time enough for Back and Save or a resend after a dropped answer: the same content
sent after that is taken as meant. Within it, the answer says how to save a second identical copy on purpose (change
any one field). Only creating forms are guarded; an edit or a status change sent twice is harmless, and one sent back
and forth (A, B, A) must act each time; so is a creating form whose service already refuses a second copy.
"""
import hashlib
import json
import time
from datetime import datetime, timedelta
from functools import wraps

from flask import flash, redirect, request, session
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import UniqueConstraint, delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db
from .back import page_before
from .htmx import hx_redirect
from .models import utcnow

WINDOW = timedelta(hours=2)
# A twin waits this long for the first send's answer; a claim older than STALE with no answer was left by a worker
# that died, and is taken over.
WAIT_S = 10.0
POLL_S = 0.2
STALE = timedelta(seconds=60)
IGNORED_FIELDS = frozenset({"csrf_token", "submit_token"})
REDIRECTS = frozenset({301, 302, 303, 307, 308})


class FormSubmission(db.Model):
    """A creating form's send, by fingerprint; `location` is where it led, empty while it runs."""

    __tablename__ = "form_submission"
    __table_args__ = (UniqueConstraint("user_id", "fingerprint"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(db.ForeignKey("user.id"))
    fingerprint: Mapped[str] = mapped_column(db.String(64))
    location: Mapped[str | None] = mapped_column(db.String(2000))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


def fingerprint() -> str:
    """What this request sends: address, query and fields, files by their content; the tokens left out."""
    files = sorted((key, f.filename or "", _digest(f)) for key, f in request.files.items(multi=True))
    sent = [request.endpoint, sorted((request.view_args or {}).items()), sorted(request.args.items(multi=True)),
            sorted((k, v) for k, v in request.form.items(multi=True) if k not in IGNORED_FIELDS), files]
    return hashlib.sha256(json.dumps(sent, ensure_ascii=False, default=str).encode("utf-8", "surrogatepass")).hexdigest()


def _digest(storage) -> str:
    data = storage.stream.read()
    storage.stream.seek(0)
    return hashlib.sha256(data).hexdigest()


def submit_once(editing: str | None = None, message=None, when=None):
    """Guard a view's creating POST. `editing` names the view argument that, when given, makes it an edit;
    `message` says in the domain's words that the send was not saved twice; `when()`, if given, says whether this
    POST creates something (a page whose form also saves or submits what exists, which may rightly be sent again)."""

    def decorate(view):
        @wraps(view)
        def guarded(*args, **kwargs):
            if (request.method != "POST" or not current_user.is_authenticated or (editing and kwargs.get(editing))
                    or (when is not None and not when())):
                return view(*args, **kwargs)
            user_id = current_user.id
            claim_id, earlier = _claim(user_id, fingerprint())
            if claim_id is None:
                return _answer_twin(earlier, message)
            flashes = len(session.get("_flashes", ()))
            try:
                response = view(*args, **kwargs)
            except BaseException:
                db.session.rollback()
                _give_up(claim_id)
                raise
            location = _led_to(response, session.get("_flashes", ())[flashes:])
            if location:
                _settle(claim_id, location)
            else:
                _give_up(claim_id)
            return response

        guarded.submit_once = True
        return guarded

    return decorate


def _claim(user_id: int, print_: str) -> tuple[int | None, str | None]:
    """(the new claim's id, None), or (None, where an earlier send of the same led) once that send has answered."""
    deadline = time.monotonic() + WAIT_S
    while True:
        now = utcnow()
        db.session.execute(delete(FormSubmission).where(FormSubmission.user_id == user_id,
                                                        FormSubmission.created_at < now - WINDOW))
        db.session.execute(delete(FormSubmission).where(FormSubmission.user_id == user_id,
                                                        FormSubmission.fingerprint == print_,
                                                        FormSubmission.location.is_(None),
                                                        FormSubmission.created_at < now - STALE))
        claim = FormSubmission(user_id=user_id, fingerprint=print_, created_at=now)
        db.session.add(claim)
        try:
            db.session.commit()
            return claim.id, None
        except IntegrityError:
            db.session.rollback()
        location = db.session.scalar(select(FormSubmission.location).where(
            FormSubmission.user_id == user_id, FormSubmission.fingerprint == print_))
        db.session.rollback()  # end the read, so the next look sees the first send's answer
        if location:
            return None, location
        if time.monotonic() > deadline:
            return None, None
        time.sleep(POLL_S)


def _answer_twin(location: str | None, message):
    if location is None:
        flash(_("The same form is still being saved. Please look again in a moment."), "error")
        return _go(page_before("/"))  # the page the form was sent from: this address may take POSTs only
    flash(str(message) if message else _("This was saved already; it was not saved twice."), "warning")
    flash(_("To save a second copy on purpose, change any one field and save again."), "info")
    return _go(location)




def _go(location: str):
    if request.headers.get("HX-Request") == "true":
        return hx_redirect(location)
    return redirect(location)


def _led_to(response, new_flashes) -> str | None:
    """Where a send that saved led: a redirect (or htmx's) with no error said on the way."""
    if any(category == "error" for category, _message in new_flashes):
        return None
    headers = getattr(response, "headers", None)
    if headers is None:
        return None
    if getattr(response, "status_code", 200) in REDIRECTS:
        return headers.get("Location")
    return headers.get("HX-Redirect")


def _settle(claim_id: int, location: str) -> None:
    db.session.rollback()
    claim = db.session.get(FormSubmission, claim_id)
    if claim is not None:
        claim.location = location[:2000]
        db.session.commit()


def _give_up(claim_id: int) -> None:
    db.session.rollback()
    db.session.execute(delete(FormSubmission).where(FormSubmission.id == claim_id))
    db.session.commit()
