"""kill -9 in the middle of a write burst, first of one gunicorn worker, then of the master and everything with it:
every write the portal acknowledged is in the database exactly once, nothing is half saved or damaged, and the
portal serves again (same sessions) once gunicorn is started anew."""
import time

from tests.reliability.harness import (
    Browser,
    Burst,
    Gunicorn,
    half_saved,
    integrity_problems,
    saved_notes,
    seed_office,
)


def test_acknowledged_writes_survive_kill_9_of_a_worker_and_of_the_master(new_db_url, tmp_path):
    started = time.monotonic()
    url = new_db_url("kill9")
    office = seed_office(url)
    with Gunicorn(url, tmp_path) as portal:
        portal.start()
        witness = Browser(portal.url)
        witness.login(office.username)
        with Burst(portal.url, office) as burst:
            burst.wait_acked(20)
            portal.kill_worker()  # gunicorn starts another in its place
            burst.wait_acked(20)
            portal.kill_everything()
            time.sleep(0.5)  # the writers meet a closed port meanwhile
            portal.start()
            burst.wait_acked(20)
        assert witness.open("/healthz")[0] == 200
        status, _, html = witness.open("/hours/queue")  # a session from before the crash still works
        assert status == 200 and "志愿者0" in html, (status, html[-500:])

    assert not burst.crashed and not burst.rejected, (burst.crashed, burst.rejected[:3])
    assert not burst.lost_sessions, burst.lost_sessions[:3]
    saved = saved_notes(url)
    assert [n for n in burst.acked if saved.get(n) != 1] == [], "acknowledged writes missing or doubled"
    assert {n: c for n, c in saved.items() if c != 1} == {}, "a write saved twice"
    assert set(saved) <= burst.attempted, "rows nobody wrote"
    assert integrity_problems(url) == []
    assert half_saved(url) == []
    elapsed = time.monotonic() - started
    print(f"\nkill -9: {len(burst.acked)} acknowledged, {len(burst.unknown)} unanswered "
          f"({len([n for n, _ in burst.unknown if n in saved])} of them saved), {elapsed:.1f} s")
