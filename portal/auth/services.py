"""Logging in and out, passwords, and throttling failed logins."""
import time
from datetime import timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask import current_app, redirect, request, session, url_for
from itsdangerous import BadSignature, URLSafeSerializer
from sqlalchemy import delete, func, or_, select

from ..audit.services import record
from ..core.errors import saving
from ..core.models import utcnow
from ..core.phones import parse_mobile
from ..extensions import db
from ..people.models import Guardian, Volunteer
from ..permissions import may_sign_in
from .models import LoginFailure, User, new_session_token


def _hasher() -> PasswordHasher:
    """Argon2id with the library's recommended cost, unless ARGON2_PARAMS says otherwise (tests go cheap)."""
    ext = current_app.extensions
    if "argon2" not in ext:
        hasher = PasswordHasher(**current_app.config.get("ARGON2_PARAMS", {}))
        # Verified when the user does not exist, so timing does not reveal which usernames exist.
        ext["argon2"] = (hasher, hasher.hash("no-such-user"))
    return ext["argon2"][0]


def _dummy_hash() -> str:
    _hasher()
    return current_app.extensions["argon2"][1]


class AuthError(Exception):
    pass


# An address with many failed logins gets one attempt in this many seconds.
ADDRESS_PACE = 60


class PasswordExpired(AuthError):
    """The right password, but one the office gave out and nobody used in time."""


class Throttled(AuthError):
    def __init__(self, minutes: int):
        super().__init__(minutes)
        self.minutes = minutes


def hash_password(password: str) -> str:
    return _hasher().hash(password)


def verify_password(user, password: str) -> bool:
    try:
        return _hasher().verify(user.password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def _burn_time(password: str) -> None:
    try:
        _hasher().verify(_dummy_hash(), password)
    except VerificationError:
        pass


def find_login(identifier: str):
    """The account a login names: its username or mobile as typed; else a mobile as people type it (spaces, dashes,
    +86, full-width digits) as an account's username or mobile, then as the mobile on the guardian's or volunteer's
    record (changed since the login was opened). A number on two people's records names neither."""
    ident = identifier.strip()
    user = db.session.scalar(select(User).where(or_(User.username == ident, User.mobile == ident)))
    mobile = parse_mobile(ident)
    if user is not None or mobile is None:
        return user
    user = db.session.scalar(select(User).where(or_(User.username == mobile, User.mobile == mobile))
                             .order_by((User.username == mobile).desc()).limit(1))
    if user is not None:
        return user
    on_record = db.session.scalars(
        select(User).outerjoin(Guardian, Guardian.id == User.guardian_id)
        .outerjoin(Volunteer, Volunteer.id == User.volunteer_id)
        .where(or_(Guardian.mobile == mobile, Volunteer.phone == mobile)).limit(2)).all()
    return on_record[0] if len(on_record) == 1 else None


class DatabaseThrottle:
    """Failed logins counted in the database, so every gunicorn worker sees the same count."""

    def failures(self, key: str, window: int) -> int:
        since = utcnow() - timedelta(seconds=window)
        return db.session.scalar(
            select(func.count()).select_from(LoginFailure).where(LoginFailure.key == key, LoginFailure.at > since)
        )

    def hit(self, key: str, window: int) -> int:
        """Count one more and return the count with it, as one step: the row is written and committed before it
        is counted, so of many attempts at once each sees those before it."""
        with saving():
            db.session.add(LoginFailure(key=key))
            longest = max(window, current_app.config["LOGIN_WINDOW_SECONDS"])
            db.session.execute(delete(LoginFailure).where(LoginFailure.at < utcnow() - timedelta(seconds=longest)))
        return self.failures(key, window)

    def take_back(self, key: str) -> None:
        newest = db.session.scalar(select(func.max(LoginFailure.id)).where(LoginFailure.key == key))
        with saving():
            db.session.execute(delete(LoginFailure).where(LoginFailure.id == newest))

    def clear(self, key: str) -> None:
        with saving():
            db.session.execute(delete(LoginFailure).where(LoginFailure.key == key))


class RedisThrottle:
    def __init__(self, url: str):
        import redis

        self.redis = redis.Redis.from_url(url)

    def failures(self, key: str, window: int) -> int:
        return int(self.redis.get(f"login-fail:{key}") or 0)

    def hit(self, key: str, window: int) -> int:
        name = f"login-fail:{key}"
        pipe = self.redis.pipeline()
        pipe.incr(name)
        pipe.expire(name, window, nx=True)
        return pipe.execute()[0]

    def take_back(self, key: str) -> None:
        self.redis.decr(f"login-fail:{key}")

    def clear(self, key: str) -> None:
        self.redis.delete(f"login-fail:{key}")


def throttle():
    url = current_app.config.get("REDIS_URL")
    return RedisThrottle(url) if url else DatabaseThrottle()


def authenticate(identifier: str, password: str, ip: str, known: frozenset[int] = frozenset()):
    """Return the user or raise AuthError / Throttled.

    Failures are counted per account, whichever of its names (username, mobile) was typed, and the attempt is
    counted before its password is checked: of thirty sent at once, only the first LOGIN_MAX_FAILURES are checked.
    A right password takes its count back and clears the account's. An address with many failures (someone
    trying names) is slowed to one attempt a minute rather than locked out, and a browser this account has logged
    in from before is not slowed at all: one person behind a school's shared address cannot
    lock its staff out. `known` holds the accounts the browser has logged in to (`known_accounts`)."""
    cfg = current_app.config
    limit, window = cfg["LOGIN_MAX_FAILURES"], cfg["LOGIN_WINDOW_SECONDS"]
    store = throttle()
    user = find_login(identifier)
    account = f"user:{user.id}" if user is not None else f"name:{identifier.strip().lower()}"
    address = f"ip:{ip}"
    if store.hit(account, window) > limit:
        store.take_back(account)  # a refused attempt does not push the end of the wait further away
        raise Throttled(max(1, window // 60))
    if (user is None or user.id not in known) and store.failures(address, window) >= limit * 4:
        if store.hit(f"slow:{ip}", ADDRESS_PACE) > 1:
            store.take_back(account)
            raise Throttled(max(1, ADDRESS_PACE // 60))
    if user is None:
        _burn_time(password)
    if user is None or not verify_password(user, password) or not may_sign_in(user):
        store.hit(address, window)
        raise AuthError()
    store.clear(account)
    if user.temporary_password_until is not None and utcnow() > user.temporary_password_until:
        raise PasswordExpired()
    with saving():
        if _hasher().check_needs_rehash(user.password_hash):
            user.password_hash = hash_password(password)
        user.last_login_at = utcnow()
        record(user, "auth.login")
    return user


# A signed cookie naming the accounts (at most five) that logged in from this browser: attempts for them are not
# slowed when their school's shared address is. It proves nothing but a past login from this browser.
KNOWN_COOKIE = "known"
KNOWN_DAYS = 365


def _known_signer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.secret_key, salt="known-accounts")


def known_accounts() -> frozenset[int]:
    """The accounts this browser has logged in to."""
    try:
        ids = _known_signer().loads(request.cookies.get(KNOWN_COOKIE, ""))
    except BadSignature:
        return frozenset()
    return frozenset(i for i in ids if isinstance(i, int)) if isinstance(ids, list) else frozenset()


def remember_account(response, user) -> None:
    ids = [user.id, *sorted(known_accounts() - {user.id})][:5]
    response.set_cookie(KNOWN_COOKIE, _known_signer().dumps(ids), max_age=KNOWN_DAYS * 86400, httponly=True,
                        samesite="Lax", secure=current_app.config["SESSION_COOKIE_SECURE"])


def end_session(user) -> None:
    """Invalidate every cookie issued to this user so far."""
    with saving():
        user.session_token = new_session_token()
        record(user, "auth.logout")


def give_temporary_password(user, password: str) -> None:
    """A password the office gives out: it works TEMPORARY_PASSWORD_DAYS, and its first use sets one's own."""
    user.password_hash = hash_password(password)
    user.temporary_password_until = utcnow() + timedelta(days=current_app.config["TEMPORARY_PASSWORD_DAYS"])
    user.session_token = new_session_token()


def must_set_password(user) -> bool:
    return user.temporary_password_until is not None


def set_own_password(user, new: str) -> None:
    """The first login with a password the office gave out: the user's own replaces it."""
    if verify_password(user, new):
        raise AuthError()
    with saving():
        user.password_hash = hash_password(new)
        user.temporary_password_until = None
        user.session_token = new_session_token()
        record(user, "auth.password_set", user)


def change_password(user, current: str, new: str) -> None:
    if not verify_password(user, current):
        raise AuthError()
    with saving():
        user.password_hash = hash_password(new)
        user.session_token = new_session_token()
        record(user, "auth.password_changed", user)


def update_preferences(user, locale: str, large_text: bool) -> None:
    with saving():
        user.locale = locale
        user.large_text = large_text


def update_channels(user, email: str | None, by_email: bool | None, by_sms: bool | None) -> None:
    """Where notices also go; None leaves a setting as it is."""
    with saving():
        for key, value in (("email", email), ("notices_by_email", by_email), ("notices_by_sms", by_sms)):
            if value is not None:
                setattr(user, key, value)


def mark_fresh() -> None:
    session["auth_at"] = int(time.time())


def is_fresh() -> bool:
    """Whether the password was typed in this session within FRESH_LOGIN_SECONDS."""
    return int(time.time()) - session.get("auth_at", 0) <= current_app.config["FRESH_LOGIN_SECONDS"]


def ask_password_again(about: str = "people"):
    """The way to the password prompt and back to this page; `about` says what it guards: "children" (an export with
    children's data), "people" (other personal data) or "calendar" (a new calendar address)."""
    return redirect(url_for("auth.reauth", about=about, next=request.full_path))


def confirm_password(user, password: str, ip: str) -> None:
    """Re-check the password of a logged-in user, throttled like a login."""
    authenticate(user.username, password, ip, known=frozenset({user.id}))
    mark_fresh()
