"""Notices beyond the portal: e-mail through the school's SMTP server, SMS through a gateway's HTTP interface, and
the office's morning and weekly notices to the staff's WeCom or DingTalk group through its robot's webhook.

notify() writes a Delivery per channel a reader gets, in the transaction of the notice. deliver_due() (the job
runner, every minute) claims each due delivery before sending it, so two runners never send one twice; a channel
that fails is tried again after 1, 5 and 30 minutes, then marked failed with its reason. A failure never touches
the notice in the portal, and never another channel. No SMS between 21:00 and 08:00: it waits for the morning.
Whether it is still wanted is asked when it goes: a closed account, a channel turned off since, or a reminder of a
registration cancelled or already started is skipped with the reason.
"""
from __future__ import annotations

import base64
import hashlib
import hmac
import json
import smtplib
import ssl
import urllib.parse
import urllib.request
from datetime import datetime, time, timedelta
from email.message import EmailMessage
from http.client import InvalidURL
from time import monotonic
from time import time as time_now

from flask import current_app, has_request_context, url_for
from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import func, select, update
from sqlalchemy.orm import joinedload

from ..core.clock import local_now
from ..core.errors import saving
from ..core.models import utcnow
from ..extensions import db
from ..people.models import School
from ..registrations.models import Registration
from .models import Delivery, Notice

RETRY_AFTER = (timedelta(minutes=1), timedelta(minutes=5), timedelta(minutes=30))
# A runner that dies while sending lets another try after this: at most once more, for that one delivery.
CLAIM_FOR = timedelta(minutes=10)
BATCH_SECONDS = 50
QUIET_FROM, QUIET_UNTIL = time(21, 0), time(8, 0)
BATCH = 200


def configured(school_id: int | None = None) -> dict[str, bool]:
    """The channels the deployment has (its environment): the settings page offers only those; with a school, whether
    its staff's group has a robot."""
    config = current_app.config
    return {"email": bool(config["SMTP_HOST"]), "sms": bool(config["SMS_URL"]),
            "group": school_id is not None and group_target(school_id) is not None}


def group_target(school_id: int) -> tuple[str, str] | None:
    """(webhook URL, DingTalk secret) of the school's staff group robot: its own, or GROUP_BOT_URL while the
    deployment holds one school only (several schools' figures never go to one group)."""
    config = current_app.config
    if school_id in config["GROUP_BOTS"]:
        return config["GROUP_BOTS"][school_id]
    if config["GROUP_BOT_URL"] and db.session.scalar(select(func.count()).select_from(School)) == 1:
        return config["GROUP_BOT_URL"], config["GROUP_BOT_SECRET"]
    return None


def group_service(url: str) -> str:
    """What the delivery log says a group post went to: the robot's service, never its URL (the URL is the key)."""
    host = urllib.parse.urlsplit(url).hostname or ""
    return "dingtalk" if "dingtalk" in host else "wecom" if "weixin" in host or "qq.com" in host else host[:120]


class Refused(OSError):
    """A robot answered with an errcode: its words are the reason in the log."""


def _reason(err: Exception) -> str:
    """The log's reason for a failure. An ill-formed URL's error would quote the URL, and with it the gateway's or
    robot's key: only its kind is kept."""
    if isinstance(err, (ValueError, InvalidURL)):
        return _("%(error)s: the configured address is not valid.", error=type(err).__name__)
    return f"{type(err).__name__}: {err}"[:300]


def channels_for(user) -> list[tuple[str, str]]:
    """(channel, address) for each channel configured for the school that the user gets notices on."""
    config = current_app.config
    out = []
    if config["SMTP_HOST"] and user.notices_by_email and user.email:
        out.append(("email", user.email))
    if config["SMS_URL"] and user.notices_by_sms and user.sms_mobile:
        out.append(("sms", user.sms_mobile))
    return out


def quiet_until(channel: str, now: datetime) -> datetime | None:
    """When an SMS due now may go, if now is in the quiet hours."""
    if channel != "sms" or QUIET_UNTIL <= now.time() < QUIET_FROM:
        return None
    morning = now.date() if now.time() < QUIET_UNTIL else now.date() + timedelta(days=1)
    return datetime.combine(morning, QUIET_UNTIL)


def deliver_due(now: datetime | None = None) -> dict[str, int]:
    """Send every delivery whose time has come; returns how many were sent, put off, given up and failed. A run
    stops claiming after BATCH_SECONDS, well within its claims, and leaves the rest to the next minute's run. The
    deliveries of a reader's digest go together as one message."""
    now = now or local_now()
    counts = {"sent": 0, "retry": 0, "failed": 0, "waiting": 0, "skipped": 0}
    ids = db.session.scalars(select(Delivery.id).where(Delivery.status == "pending", Delivery.next_try_at <= now)
                             .order_by(Delivery.next_try_at, Delivery.id).limit(BATCH)).all()
    started, done = monotonic(), set()
    for delivery_id in ids:
        if monotonic() - started > BATCH_SECONDS:
            break
        if delivery_id not in done:
            outcome, claimed = _deliver(delivery_id, now)
            done.update(claimed)
            counts[outcome] += 1
    return counts


def _together(delivery: Delivery, now: datetime):
    """The deliveries that go in one message with this one: itself, or the reader's whole digest on its channel."""
    if not delivery.digest:
        return select(Delivery.id).where(Delivery.id == delivery.id)
    return select(Delivery.id).join(Notice).where(
        Notice.user_id == delivery.notice.user_id, Delivery.channel == delivery.channel,
        Delivery.digest.is_(True), Delivery.status == "pending", Delivery.next_try_at <= now)


def _deliver(delivery_id: int, now: datetime) -> tuple[str, list[int]]:
    # The claim, timed from this moment rather than the run's start: another runner finds the deliveries not due
    # until the claim runs out, and this one's outcome is written only while its claim still stands. Everything the
    # sending needs is read here, so that no transaction stays open while a server answers.
    held_until = max(now, local_now()) + CLAIM_FOR
    with saving():
        first = db.session.get(Delivery, delivery_id)
        claimed = [] if first is None else db.session.scalars(
            update(Delivery).where(Delivery.id.in_(_together(first, now)), Delivery.status == "pending",
                                   Delivery.next_try_at <= now)
            .values(next_try_at=held_until).returning(Delivery.id)
            .execution_options(synchronize_session=False)).all()
        going, unwanted, locale = [], {}, "zh_CN"
        for delivery in db.session.scalars(select(Delivery).where(Delivery.id.in_(claimed))
                                           .options(joinedload(Delivery.notice).joinedload(Notice.user))
                                           .order_by(Delivery.id)):
            reason = _unwanted(delivery, now)
            if reason:
                unwanted[delivery.id] = reason
            elif delivery.channel == "group":
                school = db.session.get(School, delivery.school_id).name
                going.append((delivery.id, "group", group_target(delivery.school_id),
                              f"【关爱桥·{school}】{delivery.text}", delivery.url))
            else:
                locale = delivery.notice.user.locale or locale
                going.append((delivery.id, delivery.channel, delivery.address, delivery.notice.text,
                              delivery.notice.url))
    if not claimed:
        return "waiting", []
    for skipped_id, reason in unwanted.items():
        _settle([skipped_id], held_until, status="skipped", last_error=reason)
    if not going:
        return "skipped", claimed
    ids = [row[0] for row in going]
    channel, address = going[0][1], going[0][2]
    later = quiet_until(channel, now)
    if later is not None:
        _settle(ids, held_until, next_try_at=later)
        return "waiting", claimed
    if len(going) == 1:
        text, url = going[0][3], going[0][4]
    else:
        with force_locale(locale):
            text, url = _digest_text([row[3] for row in going], channel)
    try:  # outside any transaction: a slow server holds no lock
        SEND[channel](address, text, url, ids[0])
    except Exception as err:  # noqa: BLE001 (any failure of the channel is its reason in the log)
        attempts = db.session.scalar(select(Delivery.attempts).where(Delivery.id == ids[0])) + 1
        failed = attempts > len(RETRY_AFTER)
        _settle(ids, held_until, attempts=attempts, last_error=_reason(err), status="failed" if failed else "pending",
                next_try_at=held_until if failed else now + RETRY_AFTER[attempts - 1])
        return ("failed" if failed else "retry"), claimed
    _settle(ids, held_until, status="sent", sent_at=utcnow(), attempts=Delivery.attempts + 1, last_error="")
    return "sent", claimed


def _digest_text(texts: list[str], channel: str) -> tuple[str, str]:
    """The day's notices in one message: by e-mail each of them; by SMS only how many (a gateway refuses a message
    of many hundred characters), with the way to read them."""
    if channel == "sms":
        return _("You have %(n)d new notices today: open Notices in CareBridge to read them.", n=len(texts)), \
            link("notices.index")
    lines = "\n".join(f"{n}. {text}" for n, text in enumerate(texts, 1))
    return _("Your notices of today (%(n)d):", n=len(texts)) + "\n" + lines, link("notices.index")


def _settle(delivery_ids: list[int], held_until: datetime, **values) -> None:
    with saving():
        db.session.execute(update(Delivery).where(Delivery.id.in_(delivery_ids), Delivery.status == "pending",
                                                  Delivery.next_try_at == held_until).values(**values)
                           .execution_options(synchronize_session=False))


def _unwanted(delivery: Delivery, now: datetime) -> str:
    """Why a delivery written earlier is no longer to be sent (checked when it goes, not when it was written)."""
    if delivery.channel == "group":
        return "" if group_target(delivery.school_id) else _("The group robot is no longer configured.")
    user = delivery.notice.user
    if not user.active:
        return _("The account has been closed.")
    if not (user.notices_by_sms if delivery.channel == "sms" else user.notices_by_email):
        return _("The user has turned this channel off.")
    kind, subject = delivery.notice.kind, delivery.notice.subject
    if kind.startswith("reminder.") and subject.startswith("registration:"):
        reg = db.session.get(Registration, int(subject.split(":", 1)[1]))
        if reg is None or reg.status != "confirmed" or reg.holder.status == "cancelled" or reg.holder.starts_at <= now:
            return _("The registration was cancelled, or it has started: the reminder is no longer needed.")
    return ""


def link(endpoint: str, **values) -> str:
    """The path of what a notice is about; a job outside any request builds it the same way."""
    if has_request_context():
        return url_for(endpoint, **values)
    with current_app.test_request_context():
        return url_for(endpoint, **values)


def _link(url: str) -> str:
    base = current_app.config.get("PORTAL_URL", "").rstrip("/")
    return f"{base}{url}" if base and url else ""


def send_email(address: str, text: str, url: str, delivery_id: int) -> None:
    config = current_app.config
    message = EmailMessage()
    message["Subject"] = _("CareBridge: %(text)s", text=text.splitlines()[0][:60])  # a digest: its first line
    message["From"] = config["SMTP_FROM"] or f"carebridge@{config['SMTP_HOST']}"
    message["To"] = address
    # The same delivery sent again after a crash carries the same id: mail clients show it once.
    message["Message-ID"] = f"<delivery-{delivery_id}@{config['SMTP_HOST']}>"
    link = _link(url)
    message.set_content(text + (f"\n\n{link}" if link else ""))
    with smtplib.SMTP(config["SMTP_HOST"], config["SMTP_PORT"], timeout=config["CHANNEL_TIMEOUT_SECONDS"]) as smtp:
        if config["SMTP_STARTTLS"]:
            smtp.starttls(context=ssl.create_default_context())
        if config["SMTP_USER"]:
            smtp.login(config["SMTP_USER"], config["SMTP_PASSWORD"])
        smtp.send_message(message)


def send_sms(mobile: str, text: str, url: str, delivery_id: int) -> None:
    """The gateway's URL with the mobile and the text filled in (and {id}, the delivery's number, for a gateway that
    drops a message it has seen); with SMS_BODY, a POST of that body filled in the same way. Any answer but 2xx is a
    failure."""
    config = current_app.config
    content = f"【关爱桥】{text}" + (f" {_link(url)}" if _link(url) else "")

    def fill(template: str) -> str:
        return (template.replace("{mobile}", urllib.parse.quote(mobile)).replace("{text}", urllib.parse.quote(content))
                .replace("{id}", str(delivery_id)))

    body = fill(config["SMS_BODY"]).encode() if config["SMS_BODY"] else None
    request = urllib.request.Request(fill(config["SMS_URL"]), data=body, method="POST" if body else "GET")
    if body:
        request.add_header("Content-Type", "application/x-www-form-urlencoded")
    with urllib.request.urlopen(request, timeout=config["CHANNEL_TIMEOUT_SECONDS"]) as answer:
        if not 200 <= answer.status < 300:
            raise OSError(f"HTTP {answer.status}")


def send_group(target: tuple[str, str], text: str, url: str, delivery_id: int) -> None:
    """A text message to the staff's group through its robot's webhook: WeCom and DingTalk take the same JSON and
    answer errcode 0 when it was posted. DingTalk's 加签 adds the time and its HMAC-SHA256 to the URL."""
    webhook, secret = target
    content = text + (f" {_link(url)}" if _link(url) else "")
    if secret:
        stamp = str(int(time_now() * 1000))
        digest = hmac.new(secret.encode(), f"{stamp}\n{secret}".encode(), hashlib.sha256).digest()
        webhook += ("&" if "?" in webhook else "?") + urllib.parse.urlencode(
            {"timestamp": stamp, "sign": base64.b64encode(digest).decode()})
    request = urllib.request.Request(webhook, data=json.dumps(
        {"msgtype": "text", "text": {"content": content}}, ensure_ascii=False).encode(), method="POST")
    request.add_header("Content-Type", "application/json; charset=utf-8")
    with urllib.request.urlopen(request, timeout=current_app.config["CHANNEL_TIMEOUT_SECONDS"]) as answer:
        said = json.loads(answer.read() or b"{}")
    if said.get("errcode", 0) != 0:
        raise Refused(f"errcode {said.get('errcode')}: {str(said.get('errmsg', ''))[:200]}")


SEND = {"email": send_email, "sms": send_sms, "group": send_group}


def deliveries_of(school_id: int):
    """The delivery log the office reads: the latest first, with each notice and its reader."""
    return (select(Delivery).where(Delivery.school_id == school_id).order_by(Delivery.id.desc())
            .options(joinedload(Delivery.notice).joinedload(Notice.user)))
