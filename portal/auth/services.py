"""Logging in and out, passwords, and throttling failed logins."""
import time
from datetime import timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask import current_app, redirect, request, session, url_for
from sqlalchemy import delete, func, or_, select

from ..audit.services import record
from ..extensions import db
from ..models_base import utcnow
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
    ident = identifier.strip()
    return db.session.scalar(select(User).where(or_(User.username == ident, User.mobile == ident)))


class DatabaseThrottle:
    """Failed logins counted in the database, so every gunicorn worker sees the same count."""

    def failures(self, key: str, window: int) -> int:
        since = utcnow() - timedelta(seconds=window)
        return db.session.scalar(
            select(func.count()).select_from(LoginFailure).where(LoginFailure.key == key, LoginFailure.at > since)
        )

    def add(self, key: str, window: int) -> None:
        db.session.add(LoginFailure(key=key))
        db.session.execute(delete(LoginFailure).where(LoginFailure.at < utcnow() - timedelta(seconds=window)))
        db.session.commit()

    def clear(self, key: str) -> None:
        db.session.execute(delete(LoginFailure).where(LoginFailure.key == key))
        db.session.commit()


class RedisThrottle:
    def __init__(self, url: str):
        import redis

        self.redis = redis.Redis.from_url(url)

    def failures(self, key: str, window: int) -> int:
        return int(self.redis.get(f"login-fail:{key}") or 0)

    def add(self, key: str, window: int) -> None:
        name = f"login-fail:{key}"
        pipe = self.redis.pipeline()
        pipe.incr(name)
        pipe.expire(name, window, nx=True)
        pipe.execute()

    def clear(self, key: str) -> None:
        self.redis.delete(f"login-fail:{key}")


def throttle():
    url = current_app.config.get("REDIS_URL")
    return RedisThrottle(url) if url else DatabaseThrottle()


def _keys(identifier: str, ip: str) -> list[str]:
    # Per account, and per address so one machine cannot sweep many accounts.
    return [f"user:{identifier.strip().lower()}", f"ip:{ip}"]


def authenticate(identifier: str, password: str, ip: str):
    """Return the user or raise AuthError / Throttled. Throttled before any password check."""
    cfg = current_app.config
    limit, window = cfg["LOGIN_MAX_FAILURES"], cfg["LOGIN_WINDOW_SECONDS"]
    store = throttle()
    user_key, ip_key = _keys(identifier, ip)
    if store.failures(user_key, window) >= limit or store.failures(ip_key, window) >= limit * 4:
        raise Throttled(max(1, window // 60))
    user = find_login(identifier)
    if user is None:
        _burn_time(password)
    ok = user is not None and verify_password(user, password)
    if not ok or not may_sign_in(user):
        store.add(user_key, window)
        store.add(ip_key, window)
        raise AuthError()
    store.clear(user_key)
    if _hasher().check_needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    user.last_login_at = utcnow()
    record(user, "auth.login")
    db.session.commit()
    return user


def end_session(user) -> None:
    """Invalidate every cookie issued to this user so far."""
    user.session_token = new_session_token()
    record(user, "auth.logout")
    db.session.commit()


def change_password(user, current: str, new: str) -> None:
    if not verify_password(user, current):
        raise AuthError()
    user.password_hash = hash_password(new)
    user.session_token = new_session_token()
    record(user, "auth.password_changed", user)
    db.session.commit()


def update_preferences(user, locale: str, large_text: bool) -> None:
    user.locale = locale
    user.large_text = large_text
    db.session.commit()


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
    authenticate(user.username, password, ip)
    mark_fresh()
