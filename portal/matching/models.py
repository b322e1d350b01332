"""对接 keeps no table of its own beyond a staged plan and its proposals."""
from __future__ import annotations

from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import JSON, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..core.models import SchoolScoped, utcnow
from ..extensions import db

PROPOSAL_STATUS = {"staged": _l("Proposed"), "accepted": _l("Accepted"), "rejected": _l("Not taken"),
                   "failed": _l("Could not be paired"), "stale": _l("Replaced by a newer plan")}


class MatchPlan(SchoolScoped, db.Model):
    __tablename__ = "match_plan"
    id: Mapped[int] = mapped_column(primary_key=True)
    created_by_id: Mapped[int] = mapped_column(db.ForeignKey("user.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    total: Mapped[int] = mapped_column(default=0)
    greedy_total: Mapped[int] = mapped_column(default=0)
    greedy_pairs: Mapped[int] = mapped_column(default=0)
    needs_considered: Mapped[int] = mapped_column(default=0)
    places_considered: Mapped[int] = mapped_column(default=0)
    millis: Mapped[int] = mapped_column(default=0)

    created_by = relationship("User")
    proposals: Mapped[list[Proposal]] = relationship(back_populates="plan", order_by="Proposal.id")


class Proposal(SchoolScoped, db.Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(db.ForeignKey("match_plan.id"), index=True)
    need_id: Mapped[int] = mapped_column(db.ForeignKey("need.id"), index=True)
    offer_id: Mapped[int] = mapped_column(db.ForeignKey("offer.id"), index=True)
    score: Mapped[int]
    # The scorer's reasons as [code, params] pairs, turned into words when shown.
    reasons: Mapped[list] = mapped_column(JSON, default=list)
    status: Mapped[str] = mapped_column(String(10), default="staged", index=True)
    message: Mapped[str] = mapped_column(String(200), default="")
    pair_id: Mapped[int | None] = mapped_column(db.ForeignKey("pair.id"))
    decided_by_id: Mapped[int | None] = mapped_column(db.ForeignKey("user.id"))
    decided_at: Mapped[datetime | None]

    plan: Mapped[MatchPlan] = relationship(back_populates="proposals")
    need = relationship("Need")
    offer = relationship("Offer")

    @property
    def status_label(self):
        return PROPOSAL_STATUS[self.status]
