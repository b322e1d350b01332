from functools import cache

from flask import flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_user, logout_user
from sqlalchemy import bindparam, select, text
from sqlalchemy.orm import joinedload

from ..core.errors import DomainError
from ..core.htmx import hx_redirect, is_htmx
from ..core.users import acting_user
from ..extensions import db, login_manager
from ..notices import forms as notice_forms
from ..notices import kinds as notice_kinds
from ..notices import services as notice_services
from ..notices.channels import configured as channels_configured
from ..people.models import Family, Guardian, Student
from ..permissions import public, requires, sign_in_condition
from . import bp, services
from .forms import ChannelsForm, LoginForm, OwnPasswordForm, PasswordForm, PreferencesForm, ReauthForm
from .models import User

# People on their own phones, who would otherwise type a password every evening; staff share office computers.
REMEMBERED_ROLES = ("parent", "volunteer")

@cache
def _user_by_token():
    # Loaded with the user rather than one by one after: the school's name heads every page, and a parent's pages
    # start from the family and its children (selectin: staff, who have no guardian, pay nothing for it).
    # Built once: assembling the loader options cost more than running the statement, on every request.
    return select(User).where(User.session_token == bindparam("token"), sign_in_condition()).options(
        joinedload(User.school),
        joinedload(User.guardian).joinedload(Guardian.family).joinedload(Family.children)
        .joinedload(Student.school_class))


@login_manager.user_loader
def load_user(token: str):
    return db.session.execute(_user_by_token(), {"token": token}).unique().scalar_one_or_none()


@login_manager.unauthorized_handler
def unauthorized():
    target = url_for("auth.login")
    return hx_redirect(target, status=401) if is_htmx() else redirect(target)


def _safe_next(target):
    # Only same-site paths, never "//host" or a full URL. A browser drops tabs and newlines from a Location and reads
    # a backslash as a slash ("/\t/evil.example" is "//evil.example"), so any of those makes it the home page.
    if (target and target.startswith("/") and not target.startswith("//") and "\\" not in target
            and not any(ord(ch) < 32 or ch == "\x7f" for ch in target)):
        return target
    return url_for("home.index")


@bp.route("/login", methods=["GET", "POST"])
@public
def login():
    if current_user.is_authenticated:
        return redirect(url_for("home.index"))
    if request.method == "GET":
        db.session.execute(text("SELECT 1"))  # a database out of reach says so now, not after the password is typed
    form = LoginForm()
    if form.validate_on_submit():
        try:
            user = services.authenticate(form.username.data, form.password.data, request.remote_addr or "",
                                         known=services.known_accounts())
        except services.Throttled as exc:
            form.password.errors.append(
                _("Too many failed attempts. Please wait %(minutes)d minutes and try again.", minutes=exc.minutes))
        except services.PasswordExpired:
            form.password.errors.append(
                _("This password from the school has expired unused. Please ask the school to open your login again."))
        except services.AuthError:
            form.password.errors.append(_("Wrong username or password, or the account is disabled."))
        else:
            # A new session: the anonymous one's CSRF token may be known to whoever planted that cookie.
            session.pop("csrf_token", None)
            login_user(user, remember=form.remember.data and user.role in REMEMBERED_ROLES)
            services.mark_fresh()
            response = redirect(url_for("auth.own_password") if services.must_set_password(user)
                                else _safe_next(request.args.get("next")))
            services.remember_account(response, user)
            return response
    return render_template("auth/login.html", form=form)


@bp.route("/logout", methods=["POST"])
@requires("home.view")
def logout():
    services.end_session(acting_user())
    logout_user()
    flash(_("You have logged out."), "info")
    return redirect(url_for("auth.login"))


# What a user with a password from the office may open before setting their own.
_BEFORE_OWN_PASSWORD = {"auth.own_password", "auth.logout", "static", "home.favicon", "home.healthz",
                        "notices.bell"}  # the bell of the page asks every 8 s: it must not reload the page


@bp.before_app_request
def _own_password_first():
    """A password the office gave out opens one page only: the one that sets the user's own."""
    if (current_user.is_authenticated and services.must_set_password(current_user)
            and request.endpoint not in _BEFORE_OWN_PASSWORD):
        target = url_for("auth.own_password")
        return hx_redirect(target) if is_htmx() else redirect(target)
    return None


@bp.route("/my-password", methods=["GET", "POST"])
@requires("account.edit")
def own_password():
    """The first login with a password the office gave out: set one's own, then go on."""
    user = acting_user()
    if not services.must_set_password(user):
        return redirect(url_for("home.index"))
    form = OwnPasswordForm()
    if form.validate_on_submit():
        try:
            services.set_own_password(user, form.new.data)
        except services.AuthError:
            form.new.errors.append(_("Please choose a password of your own, not the one the school gave you."))
        else:
            login_user(user, remember=user.role in REMEMBERED_ROLES)
            flash(_("Your password is set. From now on, log in with it."), "success")
            return redirect(url_for("home.index"))
    return render_template("auth/own_password.html", form=form)


@bp.route("/settings", methods=["GET", "POST"])
@requires("account.edit")
def settings():
    user = acting_user()
    prefs = PreferencesForm(obj=user, prefix="prefs")
    pw = PasswordForm(prefix="pw")
    reach = ChannelsForm(obj=user, prefix="ch")
    offered = channels_configured()
    per_kind = notice_forms.choices_form(user, digest=offered["email"] or offered["sms"])
    if request.method == "POST":
        if "kinds-submit" in request.form and per_kind.validate_on_submit():
            try:
                notice_services.save_choices(user, notice_forms.chosen(per_kind, user))
            except DomainError as err:
                flash(err.message, "error")
            else:
                flash(_("Settings saved."), "success")
            return redirect(url_for("auth.settings"))
        if "ch-submit" in request.form and reach.validate_on_submit():
            # A switch the page did not show is left as it is.
            services.update_channels(user, email=reach.email.data if offered["email"] else None,
                                     by_email=reach.notices_by_email.data if offered["email"] else None,
                                     by_sms=reach.notices_by_sms.data if offered["sms"] and user.sms_mobile
                                     else None)
            flash(_("Settings saved."), "success")
            return redirect(url_for("auth.settings"))
        if "prefs-submit" in request.form and prefs.validate_on_submit():
            services.update_preferences(user, prefs.locale.data, prefs.large_text.data)
            flash(_("Settings saved."), "success")
            return redirect(url_for("auth.settings"))
        if "pw-submit" in request.form and pw.validate_on_submit():
            try:
                services.change_password(user, pw.current.data, pw.new.data)
            except services.AuthError:
                pw.current.errors.append(_("The current password is wrong."))
            else:
                # The old cookies died with the old token; keep this device in, as long as before.
                login_user(user, remember=user.role in REMEMBERED_ROLES and bool(request.cookies.get("remember_token")))
                flash(_("Password changed. Other devices have been logged out."), "success")
                return redirect(url_for("auth.settings"))
    return render_template("auth/settings.html", prefs=prefs, pw=pw, reach=reach, channels=offered,
                           per_kind=per_kind, always=[k for k in notice_kinds.kinds_for(user) if k.must_reach])


@bp.route("/settings/text-size", methods=["POST"])
@requires("account.edit")
def text_size():
    """The 大字模式 switch every page carries: turn large text on or off and stay on the same page."""
    user = acting_user()
    services.update_preferences(user, user.locale, not user.large_text)
    return redirect(_safe_next(request.form.get("next")))


@bp.route("/confirm-password", methods=["GET", "POST"])
@requires("account.edit")
def reauth():
    """Exports of personal data need a password typed in the last minutes, not just an old session."""
    form = ReauthForm()
    if form.validate_on_submit():
        try:
            services.confirm_password(acting_user(), form.password.data, request.remote_addr or "")
        except services.Throttled as exc:
            form.password.errors.append(
                _("Too many failed attempts. Please wait %(minutes)d minutes and try again.", minutes=exc.minutes))
        except services.AuthError:
            form.password.errors.append(_("The password is wrong."))
        else:
            return redirect(_safe_next(request.args.get("next")))
    return render_template("auth/reauth.html", form=form)
