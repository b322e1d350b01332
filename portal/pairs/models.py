"""结对: volunteers ↔ beneficiaries (through their needs), and the visits (帮扶记录) that follow them."""
from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from flask_babel import lazy_gettext as _l
from sqlalchemy import CheckConstraint, Numeric, String, UniqueConstraint, or_, select
from sqlalchemy.orm import Mapped, aliased, mapped_column, relationship

from ..core.models import SchoolScoped, Timestamped, utcnow
from ..extensions import db

PAIR_KINDS = {"one_to_one": _l("One to one"), "many_to_one": _l("Several volunteers, one beneficiary"),
              "one_to_many": _l("One volunteer, a small group")}
PAIR_STATUS = {"pending": _l("To be confirmed"), "active": _l("In progress"), "paused": _l("Paused"),
               "ended": _l("Ended")}
END_REASONS = {"goal": _l("Goal reached"), "graduated": _l("Student graduated"), "transferred": _l("Transferred"),
               "volunteer": _l("Volunteer’s reasons"), "other": _l("Other")}
VISIT_MODES = {"talk": _l("Talk in person"), "phone": _l("Phone call"), "home": _l("Home visit"),
               "online": _l("Online")}


class Pair(SchoolScoped, Timestamped, db.Model):
    __table_args__ = (
        CheckConstraint("kind IN ('one_to_one', 'many_to_one', 'one_to_many')", name="kind_known"),
        CheckConstraint("status IN ('pending', 'active', 'paused', 'ended')", name="status_known"),
        CheckConstraint("status <> 'ended' OR end_reason IS NOT NULL", name="ended_has_reason"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(12))
    status: Mapped[str] = mapped_column(String(10), default="pending", index=True)
    term_id: Mapped[int] = mapped_column(db.ForeignKey("term.id"), index=True)
    started_on: Mapped[date]
    # Kept with each visit, so follow-up lists are one indexed comparison.
    last_visit_on: Mapped[date | None] = mapped_column(index=True)
    ended_on: Mapped[date | None]
    end_reason: Mapped[str | None] = mapped_column(String(12))
    end_note: Mapped[str] = mapped_column(String(200), default="")
    no_rematch: Mapped[bool] = mapped_column(default=False)
    created_by_id: Mapped[int] = mapped_column(db.ForeignKey("user.id"))
    submit_token: Mapped[str | None] = mapped_column(String(40), unique=True)

    term = relationship("Term")
    members: Mapped[list[PairVolunteer]] = relationship(back_populates="pair", order_by="PairVolunteer.id")
    pair_needs: Mapped[list[PairNeed]] = relationship(back_populates="pair", order_by="PairNeed.id")

    @property
    def kind_label(self):
        return PAIR_KINDS[self.kind]

    @property
    def status_label(self):
        return PAIR_STATUS[self.status]

    @property
    def end_reason_label(self):
        return END_REASONS.get(self.end_reason or "", "")

    @property
    def current_members(self) -> list[PairVolunteer]:
        return [m for m in self.members if m.left_at is None]

    @property
    def needs(self):
        return [pn.need for pn in self.pair_needs]


class PairVolunteer(db.Model):
    """A volunteer in a pair, holding `places` places of one offer until they leave or the pair ends."""

    __tablename__ = "pair_volunteer"
    id: Mapped[int] = mapped_column(primary_key=True)
    pair_id: Mapped[int] = mapped_column(db.ForeignKey("pair.id"), index=True)
    volunteer_id: Mapped[int] = mapped_column(db.ForeignKey("volunteer.id"), index=True)
    offer_id: Mapped[int] = mapped_column(db.ForeignKey("offer.id"), index=True)
    places: Mapped[int] = mapped_column(default=1)
    joined_at: Mapped[datetime] = mapped_column(default=utcnow)
    left_at: Mapped[datetime | None]

    pair: Mapped[Pair] = relationship(back_populates="members")
    volunteer = relationship("Volunteer")
    offer = relationship("Offer")


def stayed_to_the_end():
    """A member still in the pair, or one who left when it ended rather than being replaced: nobody joined the pair
    after they left. 不再重新配对 applies to these, not to a volunteer replaced earlier."""
    later = aliased(PairVolunteer)
    return or_(PairVolunteer.left_at.is_(None),
               ~select(later.id).where(later.pair_id == PairVolunteer.pair_id, later.id != PairVolunteer.id,
                                       later.joined_at >= PairVolunteer.left_at).exists())


class PairNeed(db.Model):
    __tablename__ = "pair_need"
    __table_args__ = (UniqueConstraint("pair_id", "need_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    pair_id: Mapped[int] = mapped_column(db.ForeignKey("pair.id"), index=True)
    need_id: Mapped[int] = mapped_column(db.ForeignKey("need.id"), index=True)

    pair: Mapped[Pair] = relationship(back_populates="pair_needs")
    need = relationship("Need")


class Visit(SchoolScoped, db.Model):
    """帮扶记录. Append-only: it carries an hours claim, and follow-up counts from it."""

    __table_args__ = (
        CheckConstraint("mode IN ('talk', 'phone', 'home', 'online')", name="mode_known"),
        CheckConstraint("hours > 0 AND hours <= 12", name="hours_range"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    pair_id: Mapped[int] = mapped_column(db.ForeignKey("pair.id"), index=True)
    volunteer_id: Mapped[int] = mapped_column(db.ForeignKey("volunteer.id"), index=True)
    visited_on: Mapped[date]
    mode: Mapped[str] = mapped_column(String(10))
    hours: Mapped[Decimal] = mapped_column(Numeric(4, 1))
    content: Mapped[str] = mapped_column(db.Text)
    follow_up: Mapped[str] = mapped_column(db.Text, default="")
    recorded_by_id: Mapped[int] = mapped_column(db.ForeignKey("user.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    submit_token: Mapped[str | None] = mapped_column(String(40), unique=True)

    pair = relationship("Pair")
    volunteer = relationship("Volunteer")

    @property
    def mode_label(self):
        return VISIT_MODES[self.mode]
