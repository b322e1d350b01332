"""The school's clock: every "now" and "today" in the portal is Shanghai's wall clock, whatever the server's zone.

Tests hold the clock by replacing `_wall`."""
from datetime import date, datetime
from zoneinfo import ZoneInfo

SHANGHAI = ZoneInfo("Asia/Shanghai")


def _wall() -> datetime:
    return datetime.now(SHANGHAI).replace(tzinfo=None)


def local_now() -> datetime:
    """The school's wall-clock time (Shanghai), naive, comparable with session and event times."""
    return _wall()


def local_today() -> date:
    """The school's date: every "today", due date and "not in the future" in the portal is this one."""
    return _wall().date()
