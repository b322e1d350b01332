"""The dependency audit CI runs (tools/audit_deps.py) fails on what it should, from PyPI's own JSON shape."""
import runpy
from datetime import UTC, datetime, timedelta
from pathlib import Path

tool = runpy.run_path(str(Path(__file__).resolve().parents[2] / "tools/audit_deps.py"))
audit, behind = tool["audit"], tool["behind"]
NOW = datetime(2026, 11, 24, tzinfo=UTC)


def project(latest, releases, vulnerabilities=()):
    files = {v: [{"upload_time_iso_8601": (NOW - timedelta(days=age)).isoformat().replace("+00:00", "Z"), "yanked": False}]
             for v, age in releases.items()}
    return {"info": {"version": latest}, "releases": files, "vulnerabilities": list(vulnerabilities)}


def vulnerability(vid, withdrawn=None):
    return {"id": vid, "aliases": ["CVE-2026-1"], "fixed_in": ["2.0.1"], "link": "https://osv.dev/x", "withdrawn": withdrawn}


def test_a_known_vulnerability_in_the_installed_newest_release_fails():
    records = [vulnerability("PYSEC-1"), vulnerability("PYSEC-2", withdrawn="2026-11-01")]
    data = project("2.0.0", {"1.0": 400, "2.0.0": 5}, records)
    problems = audit("lib", "2.0.0", data)
    assert len(problems) == 1 and "PYSEC-1" in problems[0] and "CVE-2026-1" in problems[0]


def test_the_newest_release_without_records_passes():
    data = project("2.0.0", {"1.0": 400, "2.0.0": 5})
    assert audit("lib", "2.0.0", data) == [] and behind("lib", "2.0.0", data) is None


def test_an_old_pin_is_a_warning_with_the_date_it_fell_behind_never_a_failure():
    """A correct change must not be refused because a date passed (before: a failure 30 days after a release)."""
    data = project("1.2", {"1.0": 400, "1.1": 45, "1.2": 3}, [vulnerability("PYSEC-9")])
    assert audit("lib", "1.0", data) == []
    warning = behind("lib", "1.0", data)
    assert warning.startswith("warning: lib 1.0 is behind 1.2 since 2026-10-10") and "upgrade" in warning


def test_prereleases_do_not_count_as_newer():
    data = project("1.1", {"1.0": 400, "1.1": 10, "2.0rc1": 90})
    assert behind("lib", "1.1", data) is None and behind("lib", "1.0", data).startswith("warning: lib 1.0 is behind 1.1")
