"""gunicorn settings for the registration storm test (passed with -c): Argon2 at the tests' low cost, so 200 logins
before the storm take seconds, not minutes. Nothing else differs from production."""


def post_worker_init(worker):
    from portal.config import TestConfig

    worker.wsgi.config["ARGON2_PARAMS"] = TestConfig.ARGON2_PARAMS
