"""The audit log (README "Audit log"): a JSON line per token decision in
DATA-DIR/audit.log, with the client's address and the credential's tag,
never the token; --audit-log moves it or turns it off."""

import json
import os
import socket
import tempfile
import unittest

from test_rtmp import RtmpTestCase, wait_for
from tollgate_fixture import APP, TollgateServer, unique_id


def read_lines(path):
    with open(path, encoding="utf-8") as f:
        text = f.read()
    # Whole lines only: each ends with a newline.
    assert text == "" or text.endswith("\n"), text[-200:]
    return [json.loads(line) for line in text.splitlines()]


class AuditTest(RtmpTestCase):
    def audit_path(self):
        return os.path.join(self.server.data_dir, "audit.log")

    def lines_of(self, stream):
        """Its decisions (its sessions' lines are test_sessions')."""
        return [line for line in read_lines(self.audit_path())
                if line.get("stream") == stream
                and line["event"] == "decision"]

    def test_every_decision_a_line(self):
        self.server.set_settings({"publishTokenControlEnabled": True})
        try:
            s = unique_id()
            token = self.mint_ok(s, "publish")["tokenId"]
            self.assertNotEqual(self.ffmpeg(self.url(s), seconds=1).returncode,
                                0)
            r = self.ffmpeg(self.url(s, token), seconds=1)
            self.assertEqual(r.returncode, 0, r.stderr)
            # The refusal, the door's check, the pipeline's spend.
            self.assertTrue(wait_for(lambda: len(self.lines_of(s)) == 3),
                            self.lines_of(s))
        finally:
            self.server.set_settings({"publishTokenControlEnabled": False})
        refused, checked, spent = self.lines_of(s)
        self.assertEqual(list(refused), [
            "time", "event", "app", "stream", "door", "type", "stage",
            "client", "scheme", "result", "reason", "credential"])
        self.assertEqual(
            {k: refused[k] for k in list(refused)[1:]},
            {"event": "decision", "app": APP, "stream": s, "door": "RTMP",
             "type": "publish", "stage": "check", "client": "127.0.0.1",
             "scheme": "token", "result": "refused", "reason": "no-token",
             "credential": None})
        self.assertTrue(refused["time"].endswith("Z"), refused)
        self.assertEqual((checked["result"], checked["stage"],
                          checked["door"], checked["client"]),
                         ("admitted", "check", "RTMP", "127.0.0.1"))
        self.assertEqual((spent["result"], spent["stage"], spent["door"]),
                         ("admitted", "spend", "tokencheck"))
        # The token by its tag only, the same tag at both.
        self.assertRegex(checked["credential"], r"^#[0-9a-f]{8}$")
        self.assertEqual(spent["credential"], checked["credential"])
        with open(self.audit_path(), encoding="utf-8") as f:
            self.assertNotIn(token, f.read())

    def test_names_a_client_sent_only_once_known(self):
        # An app that does not exist and an id that is not valid are the
        # client's words: null in the log.
        r = self.ffmpeg("rtmp://127.0.0.1:%d/NoSuchApp/%s"
                        % (self.server.rtmp_port, unique_id()), seconds=1)
        self.assertNotEqual(r.returncode, 0)
        self.assertTrue(wait_for(lambda: any(
            line.get("reason") == "unknown-app"
            for line in read_lines(self.audit_path()))))
        line = [line for line in read_lines(self.audit_path())
                if line.get("reason") == "unknown-app"][-1]
        self.assertEqual((line["app"], line["scheme"], line["result"]),
                         (None, None, "refused"))
        with open(self.audit_path(), encoding="utf-8") as f:
            self.assertNotIn("NoSuchApp", f.read())


class AuditPathTest(unittest.TestCase):
    def start(self, *args):
        srv = TollgateServer(extra_args=list(args))
        self.addCleanup(srv.cleanup)
        srv.start()
        self.addCleanup(srv.stop)
        return srv

    def test_moved_or_off(self):
        with tempfile.TemporaryDirectory() as elsewhere:
            path = os.path.join(elsewhere, "decisions.jsonl")
            srv = self.start("--audit-log", path)
            self.assertEqual(srv.mint(unique_id(), "play").status, 200)
            srv.stop()
            self.assertTrue(os.path.exists(path))
            self.assertFalse(os.path.exists(
                os.path.join(srv.data_dir, "audit.log")))
        srv = self.start("--audit-log", "off")
        self.assertEqual(srv.mint(unique_id(), "play").status, 200)
        self.assertFalse(os.path.exists(
            os.path.join(srv.data_dir, "audit.log")))

    def test_to_the_journal(self):
        """--audit-log journal:SOCKET: each line an entry of the journal's
        native protocol, to a socket standing for journald's."""
        with tempfile.TemporaryDirectory() as d:
            path = os.path.join(d, "socket")
            journal = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
            self.addCleanup(journal.close)
            journal.bind(path)
            journal.settimeout(15)
            srv = self.start("--audit-log", "journal:" + path)
            s = unique_id()
            srv.set_settings({"playTokenControlEnabled": True})
            try:
                token = srv.mint(s, "play").json()["tokenId"]
                r = srv.get("/%s/streams/%s.m3u8?token=%s" % (APP, s, token))
                self.assertEqual(r.status, 404, r)
            finally:
                srv.set_settings({"playTokenControlEnabled": False})
            fields = dict(line.split("=", 1) for line in journal.recv(
                65536).decode().splitlines())
            self.assertEqual((fields["SYSLOG_IDENTIFIER"],
                              fields["TOLLGATE_AUDIT"]), ("tollgate", "1"))
            entry = json.loads(fields["MESSAGE"])
            self.assertEqual((entry["event"], entry["stream"], entry["door"],
                              entry["result"]),
                             ("decision", s, "HTTP", "admitted"))
            self.assertFalse(os.path.exists(
                os.path.join(srv.data_dir, "audit.log")))
        # No journal there: the server does not start.
        srv = TollgateServer(extra_args=["--audit-log",
                                         "journal:/nonexistent/socket"])
        self.addCleanup(srv.cleanup)
        srv.spawn()
        self.assertGreater(srv.wait_exit(10), 0)
        self.assertIn("Audit log to the journal at /nonexistent/socket",
                      srv.stderr())

    def test_unwritable_refused_at_start(self):
        srv = TollgateServer(extra_args=["--audit-log",
                                         "/nonexistent/dir/audit.log"])
        self.addCleanup(srv.cleanup)
        srv.spawn()
        rc = srv.wait_exit(10)
        self.assertIsNotNone(rc)
        self.assertGreater(rc, 0)
        self.assertIn("Audit log /nonexistent/dir/audit.log", srv.stderr())


if __name__ == "__main__":
    unittest.main()
