"""The school's directory of partners (合作单位) that events are held with."""
from __future__ import annotations

from flask_babel import gettext as _
from sqlalchemy import select

from ..audit.services import record
from ..core.errors import DomainError, saving
from ..extensions import db
from .models import PARTNER_KINDS, Partner


def partners(school_id: int, active_only: bool = True) -> list[Partner]:
    stmt = select(Partner).where(Partner.school_id == school_id)
    if active_only:
        stmt = stmt.where(Partner.active.is_(True))
    return db.session.scalars(stmt.order_by(Partner.kind, Partner.name)).all()


def save_partner(actor, partner: Partner | None, data: dict) -> Partner:
    if data.get("kind") not in PARTNER_KINDS:
        raise DomainError(_("Please choose the kind of partner."), "kind")
    name = data["name"]
    clash = db.session.scalar(select(Partner).where(Partner.school_id == actor.school_id, Partner.name == name))
    if clash is not None and clash is not partner:
        raise DomainError(_("A partner with this name is already in the list."), "name")
    if partner is None:
        partner = Partner(school_id=actor.school_id)
        db.session.add(partner)
    partner.name, partner.kind = name, data["kind"]
    partner.contact, partner.phone = data.get("contact") or "", data.get("phone") or ""
    partner.active = bool(data.get("active", True))
    with saving(_("A partner with this name is already in the list."), "name"):
        db.session.flush()
        record(actor, "partner.save", partner, partner.name)
    return partner
