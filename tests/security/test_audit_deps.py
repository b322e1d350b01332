"""The dependency audit CI runs (tools/audit_deps.py) fails on what it should, from PyPI's own JSON shape."""
import runpy
from datetime import UTC, datetime, timedelta
from pathlib import Path

audit = runpy.run_path(str(Path(__file__).resolve().parents[2] / "tools/audit_deps.py"))["audit"]
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
    problems = audit("lib", "2.0.0", data, NOW)
    assert len(problems) == 1 and "PYSEC-1" in problems[0] and "CVE-2026-1" in problems[0]


def test_the_newest_release_without_records_passes():
    assert audit("lib", "2.0.0", project("2.0.0", {"1.0": 400, "2.0.0": 5}), NOW) == []


def test_an_old_pin_fails_once_a_newer_release_is_a_month_old():
    data = project("1.2", {"1.0": 400, "1.1": 45, "1.2": 3})
    problems = audit("lib", "1.0", data, NOW)
    assert len(problems) == 1 and "lib 1.0" in problems[0] and "upgrade" in problems[0]


def test_an_old_pin_gets_a_grace_month_and_prereleases_do_not_count():
    data = project("1.1", {"1.0": 400, "1.1": 10, "2.0rc1": 90})
    assert audit("lib", "1.0", data, NOW) == []
