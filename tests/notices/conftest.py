"""What the notice tests share: a real SMTP server (aiosmtpd) and a real HTTP receiver standing for an SMS gateway,
both started on free local ports, and a held clock."""
import socket
import threading
import urllib.parse
from email import message_from_bytes
from email.policy import default as email_policy
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from aiosmtpd.controller import Controller

from portal.core import clock


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class _Inbox:
    def __init__(self):
        self.messages = []

    async def handle_DATA(self, _server, _session, envelope):
        self.messages.append((envelope.rcpt_tos, message_from_bytes(envelope.content, policy=email_policy)))
        return "250 OK"


@pytest.fixture
def smtp_server(app):
    inbox = _Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    app.config.update(SMTP_HOST="127.0.0.1", SMTP_PORT=controller.port, SMTP_FROM="guanai@school.local",
                      PORTAL_URL="http://guanai.school.local/")
    yield inbox
    controller.stop()
    app.config.update(SMTP_HOST="", PORTAL_URL="")


@pytest.fixture
def sms_gateway(app):
    """An HTTP receiver standing for the carrier's gateway; `answer` is the status it gives."""
    received, state = [], {"answer": 200}

    class Gateway(BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802 (http.server's name)
            received.append(urllib.parse.parse_qs(urllib.parse.urlsplit(self.path).query))
            self.send_response(state["answer"])
            self.end_headers()

        def log_message(self, *_args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Gateway)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    app.config["SMS_URL"] = f"http://127.0.0.1:{server.server_port}/send?user=school&to={{mobile}}&msg={{text}}"
    yield received, state
    server.shutdown()
    app.config["SMS_URL"] = ""


def at(monkeypatch, moment):
    monkeypatch.setattr(clock, "_wall", lambda: moment)
    return moment


@pytest.fixture
def group_robot(app):
    """An HTTP receiver standing for a WeCom or DingTalk group robot: it keeps each post's query and JSON body and
    answers with `answer` (errcode 0 is posted)."""
    import json

    posts, state = [], {"answer": {"errcode": 0, "errmsg": "ok"}}

    class Robot(BaseHTTPRequestHandler):
        def do_POST(self):  # noqa: N802 (http.server's name)
            body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            posts.append((urllib.parse.parse_qs(urllib.parse.urlsplit(self.path).query), body))
            answer = json.dumps(state["answer"]).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(answer)))
            self.end_headers()
            self.wfile.write(answer)

        def log_message(self, *_args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Robot)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    state["url"] = f"http://127.0.0.1:{server.server_port}/robot/send?access_token=abc"
    yield posts, state
    server.shutdown()
    app.config.update(GROUP_BOT_URL="", GROUP_BOT_SECRET="", GROUP_BOTS={})
