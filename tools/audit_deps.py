"""Audit every installed package against PyPI's vulnerability records: python tools/audit_deps.py

pip-audit cannot run on this network: PyPI's per-version JSON answers 404 and OSV is out of reach.
PyPI's project JSON is reachable and carries the same records pip-audit reads, but only for the
newest release. So an installed version that is the newest is audited for real: a known vulnerability
fails the build. One that is older cannot be audited here: that is printed as a warning with the date
the first newer release came out, so that the pin is upgraded (and thereby audited), but a build is
never refused because a date passed.
"""
import json
import sys
import urllib.request
from datetime import datetime
from importlib.metadata import distributions

from packaging.utils import canonicalize_name
from packaging.version import Version

SKIP = {"pip", "setuptools", "wheel"}
# Packages whose newest release cannot be installed here, so that neither way audits them; each says why.
UNAUDITABLE = {
    "numpy": "its newest releases need Python 3.12; the portal runs on 3.11 (Dockerfile, Debian 12)",
    "scipy": "its newest releases need Python 3.12; the portal runs on 3.11 (Dockerfile, Debian 12)",
}


def project(name):
    with urllib.request.urlopen(f"https://pypi.org/pypi/{name}/json", timeout=30) as response:
        return json.load(response)


def first_newer(data, installed):
    """When the first final release newer than the installed one came out."""
    times = [f["upload_time_iso_8601"] for version, files in data["releases"].items()
             if not Version(version).is_prerelease and Version(version) > Version(installed)
             for f in files if not f.get("yanked")]
    return datetime.fromisoformat(min(times).replace("Z", "+00:00")) if times else None


def audit(name, installed, data):
    """Known vulnerabilities of the installed release, as lines for the report; empty when it passes (or is not
    the newest, which `behind` reports)."""
    if Version(installed) != Version(data["info"]["version"]):
        return []
    return [
        f"{name} {installed}: {v['id']} {' '.join(v.get('aliases') or [])} "
        f"fixed in {', '.join(v.get('fixed_in') or ['?'])}: {v.get('link', '')}"
        for v in data.get("vulnerabilities", [])
        if not v.get("withdrawn")
    ]


def behind(name, installed, data):
    """A warning when newer final releases exist (so the installed one cannot be audited here), else None."""
    if Version(installed) == Version(data["info"]["version"]):
        return None
    out = first_newer(data, installed)
    if out is None:
        return None
    return (f"warning: {name} {installed} is behind {data['info']['version']} since {out:%Y-%m-%d}; "
            "an older release cannot be audited on this network: upgrade the pin")


def main():
    installed = {canonicalize_name(d.metadata["Name"]): d.version for d in distributions()}
    problems, audited = [], 0
    for name, version in sorted(installed.items()):
        if name in SKIP:
            continue
        if name in UNAUDITABLE:
            print(f"not audited: {name} {version}: {UNAUDITABLE[name]}")
            continue
        try:
            data = project(name)
        except OSError as error:
            problems.append(f"{name} {version}: PyPI did not answer ({error})")
            continue
        problems += audit(name, version, data)
        warning = behind(name, version, data)
        if warning:
            print(warning)
        audited += 1
    print(f"audited {audited} packages against PyPI's vulnerability records: {len(problems)} problems", *problems, sep="\n")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
