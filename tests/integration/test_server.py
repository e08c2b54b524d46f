"""The server process: ready line, healthz, signals, HTTPS, config, restart."""

import os
import signal
import socket
import ssl
import stat
import tempfile
import time
import unittest

from tollgate_fixture import (APP, APP2, TollgateServer,
                              TollgateTestCase, raw_connect, token_body,
                              unique_id)


def served_cert(port, host="127.0.0.1"):
    ctx = ssl.create_default_context()
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    with socket.create_connection((host, port), timeout=10) as sock:
        with ctx.wrap_socket(sock) as tls:
            return tls.getpeercert(binary_form=True)


class ServerTest(TollgateTestCase):
    PER_TEST = True

    def write_config(self, text):
        fd, path = tempfile.mkstemp(prefix="tollgate-it-", suffix=".conf")
        with os.fdopen(fd, "w") as f:
            f.write(text)
        self.addCleanup(os.unlink, path)
        return path

    def start_other(self, **kw):
        srv = TollgateServer(**kw)
        self.addCleanup(srv.cleanup)
        srv.start()
        return srv

    # -- basics ----------------------------------------------------------
    def test_ready_line_and_healthz(self):
        self.assertGreater(self.server.http_port, 0)
        self.assertGreater(self.server.https_port, 0)
        self.assertNotEqual(self.server.http_port, self.server.https_port)
        for kw in ({}, {"host": "::1"}, {"https": True}):
            with self.subTest(**kw):
                r = self.server.healthz(**kw)
                self.assertJson(r, 200)

    def test_unknown_routes(self):
        for path in ("/nothing", "/LiveApp/rest/v2/nothing",
                     "/LiveApp/rest/v2/broadcasts/s1/token/extra",
                     "/LiveApp/rest/v2/broadcasts/s1/tokens/list/0",
                     "/NoSuchApp/rest/v2/broadcasts/count",
                     "/NoSuchApp/rest/v2/broadcasts/s1/token?expireDate="
                     "4102444800&type=play",
                     "/rest/v2/applications/settings/NoSuchApp",
                     "/rest/v2/nothing"):
            with self.subTest(path=path):
                self.assertEqual(self.server.get(path).status, 404, path)

    def test_user_flow(self):
        s = unique_id("cam")
        tok = self.assertToken(self.server.mint(s, "play"), s, "play")
        self.assertValid(token_body(tok), expect=True)
        self.assertValid(token_body(tok), expect=False)

    # -- signals ---------------------------------------------------------
    def check_signal(self, sig, idle_client):
        sock = None
        if idle_client:
            # A client holding an idle keep-alive connection must not keep
            # the server from exiting.
            sock = raw_connect(self.server.http_port)
            sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
            sock.recv(65536)
        try:
            t0 = time.monotonic()
            self.server.stop(sig=sig, timeout=5)
            self.assertLess(time.monotonic() - t0, 5)
        finally:
            if sock:
                sock.close()

    def test_sigterm(self):
        self.check_signal(signal.SIGTERM, False)

    def test_sigint(self):
        self.check_signal(signal.SIGINT, False)

    def test_sigterm_with_idle_client(self):
        self.check_signal(signal.SIGTERM, True)

    def test_sigint_with_idle_client(self):
        self.check_signal(signal.SIGINT, True)

    # -- HTTPS -----------------------------------------------------------
    def test_https_rest(self):
        s = unique_id()
        r = self.server.mint(s, "play", https=True)
        tok = self.assertToken(r, s, "play")
        self.assertValid(token_body(tok), https=True, expect=True)
        self.assertValid(token_body(tok), expect=False)
        r = self.server.get("/%s/rest/v2/broadcasts/count" % APP, https=True,
                            host="::1")
        self.assertJson(r, 200)

    def test_self_signed_cert_kept_across_restart(self):
        tls = os.path.join(self.server.data_dir, "tls")
        cert = os.path.join(tls, "cert.pem")
        key = os.path.join(tls, "key.pem")
        self.assertTrue(os.path.isfile(cert))
        self.assertTrue(os.path.isfile(key))
        self.assertEqual(os.stat(key).st_mode & (stat.S_IRWXG | stat.S_IRWXO),
                         0, "private key readable by others")
        with open(cert) as f:
            pem = f.read()
        served = served_cert(self.server.https_port)
        self.assertEqual(ssl.DER_cert_to_PEM_cert(served).strip(), pem.strip())
        with open(key, "rb") as f:
            key_bytes = f.read()
        self.server.restart()
        with open(cert) as f:
            self.assertEqual(f.read(), pem)
        with open(key, "rb") as f:
            self.assertEqual(f.read(), key_bytes)
        self.assertEqual(served_cert(self.server.https_port), served)

    # -- restart ---------------------------------------------------------
    def test_state_survives_restart(self):
        s = unique_id()
        tok = self.assertToken(self.server.mint(s, "publish"), s, "publish")
        spent = self.assertToken(self.server.mint(s, "play"), s, "play")
        self.assertValid(token_body(spent), expect=True)
        r = self.server.post("/%s/rest/v2/broadcasts/create" % APP,
                             {"streamId": s, "name": "kept"})
        self.assertJson(r, 200)
        self.server.restart()
        got = self.assertJson(
            self.server.get("/%s/rest/v2/broadcasts/%s" % (APP, s)), 200)
        self.assertEqual(got["name"], "kept")
        self.assertEqual(got["status"], "created")
        self.assertValid(token_body(spent), expect=False)
        self.assertValid(token_body(tok), expect=True)

    # -- options and config file -----------------------------------------
    def test_store_option(self):
        self.server.stop()
        with tempfile.TemporaryDirectory() as d:
            db = os.path.join(d, "custom.db")
            srv = self.start_other(store="sqlite://" + db)
            tok = self.assertToken(srv.mint("s1", "play"), "s1", "play")
            self.assertTrue(os.path.exists(db), "sqlite store not at %s" % db)
            srv.restart()
            r = srv.validate(token_body(tok))
            self.assertResult(r, 200, success=True)
            srv.stop()

    def test_memory_store(self):
        self.server.stop()
        srv = self.start_other(store="memory://", http_threads=4)
        tok = self.assertToken(srv.mint("s1", "play"), "s1", "play")
        self.assertResult(srv.validate(token_body(tok)), 200, success=True)
        self.assertResult(srv.validate(token_body(tok)), 200, success=False)
        srv.stop()

    def test_bad_store_refused(self):
        srv = TollgateServer(store="bogus://nowhere")
        self.addCleanup(srv.cleanup)
        srv.spawn()
        rc = srv.wait_exit(10)
        self.assertIsNotNone(rc, "server did not exit on a bad --store")
        self.assertGreater(rc, 0, "killed by signal %d" % -rc)
        self.assertFalse([l for l in srv.stdout_lines()
                          if l.startswith(b"tollgate: ready")])
        self.assertTrue(srv.stderr().strip(), "no error message")

    def test_command_line_overrides_config(self):
        self.server.stop()
        path = self.write_config("[tollgate]\nstore=bogus://nowhere\n")
        srv = self.start_other(config=path, store="memory://", http_threads=2)
        tok = self.assertToken(srv.mint("s1", "play"), "s1", "play")
        self.assertResult(srv.validate(token_body(tok)), 200, success=True)
        srv.stop()

    def test_bad_config_refused(self):
        path = self.write_config("this is not a key file\n[[[\n")
        srv = TollgateServer(config=path)
        self.addCleanup(srv.cleanup)
        srv.spawn()
        rc = srv.wait_exit(10)
        self.assertIsNotNone(rc, "server did not exit on a bad config")
        self.assertGreater(rc, 0, "killed by signal %d" % -rc)
        self.assertTrue(srv.stderr().strip(), "no error message")

    def test_bad_webrtc_network_refused(self):
        for args, says in (
                (["--webrtc-udp-ports", "5000-4000"], "webrtc-udp-ports"),
                (["--webrtc-udp-ports", "x"], "webrtc-udp-ports"),
                (["--webrtc-public-ip", "example.com"], "webrtc-public-ip"),
                (["--webrtc-interfaces", "nosuch9"], "nosuch9")):
            with self.subTest(args=args):
                srv = TollgateServer(extra_args=args)
                self.addCleanup(srv.cleanup)
                srv.spawn()
                self.assertEqual(srv.wait_exit(10), 2)
                self.assertIn(says, srv.stderr())

    def test_cluster_settings_that_would_not_take_effect_refused(self):
        # A node address is only read in a cluster; a short secret would
        # let the links' keys be guessed.
        for args, says in (
                (["--node-address", "10.0.0.2"], "node-address needs"),
                (["--cluster-secret", "short"], "at least 16"),
                (["--cluster-secret", "a secret long enough",
                  "--node-address", ""], "must not be empty")):
            with self.subTest(args=args):
                srv = TollgateServer(extra_args=args)
                self.addCleanup(srv.cleanup)
                srv.spawn()
                self.assertEqual(srv.wait_exit(10), 2)
                self.assertIn(says, srv.stderr())

    def test_unknown_settings_refused(self):
        # Nothing listens for RTSP over TLS: a setting for it, on the
        # command line or in the key file, is refused rather than ignored,
        # as is a misspelt one.
        for text in ("[tollgate]\nrtsps-port=322\n",
                     "[tollgate]\nhttp-request-timeuot=5\n"):
            with self.subTest(text=text):
                srv = TollgateServer(config=self.write_config(text))
                self.addCleanup(srv.cleanup)
                srv.spawn()
                self.assertEqual(srv.wait_exit(10), 2)
                self.assertIn("unknown setting", srv.stderr())
        srv = TollgateServer(extra_args=["--rtsps-port", "322"])
        self.addCleanup(srv.cleanup)
        srv.spawn()
        self.assertEqual(srv.wait_exit(10), 2)
        self.assertIn("rtsps-port", srv.stderr())

    def test_config_apps_and_threads(self):
        self.server.stop()
        path = self.write_config("[tollgate]\napps=LiveApp;MyApp\n"
                                 "http-threads=3\n")
        srv = self.start_other(config=path)
        r = srv.get("/MyApp/rest/v2/broadcasts/count")
        self.assertEqual(self.assertJson(r, 200), {"number": 0})
        self.assertJson(srv.settings("MyApp"), 200)
        self.assertEqual(srv.get("/%s/rest/v2/broadcasts/count"
                                 % APP2).status, 404)
        tok = self.assertToken(srv.mint("s1", "play", app="MyApp"), "s1",
                               "play")
        self.assertResult(srv.validate(token_body(tok), app=APP), 200,
                          success=False)
        self.assertResult(srv.validate(token_body(tok), app="MyApp"), 200,
                          success=True)
        srv.stop()

    def test_config_data_dir_and_override(self):
        self.server.stop()
        with tempfile.TemporaryDirectory() as in_file, \
                tempfile.TemporaryDirectory() as on_cli:
            path = self.write_config("[tollgate]\ndata-dir=%s\n" % in_file)
            srv = self.start_other(config=path, pass_data_dir=False)
            self.assertTrue(os.path.isfile(
                os.path.join(in_file, "tls", "cert.pem")))
            srv.stop()
            srv = self.start_other(config=path, data_dir=on_cli)
            self.assertTrue(os.path.isfile(
                os.path.join(on_cli, "tls", "cert.pem")))
            srv.stop()

    def test_config_bind_address(self):
        self.server.stop()
        path = self.write_config("[tollgate]\nbind-address=127.0.0.1\n")
        srv = self.start_other(config=path)
        self.assertEqual(srv.healthz().status, 200)
        with self.assertRaises(OSError):
            srv.healthz(host="::1")
        srv.stop()

    def test_config_disables_https(self):
        self.server.stop()
        path = self.write_config("[tollgate]\nhttps-port=0\n")
        srv = self.start_other(config=path)
        self.assertEqual(srv.https_port, 0)
        self.assertEqual(srv.healthz().status, 200)
        srv.stop()

    def test_config_tls_files(self):
        # A configured certificate is used instead of a generated one.
        tls = os.path.join(self.server.data_dir, "tls")
        cert, key = os.path.join(tls, "cert.pem"), os.path.join(tls, "key.pem")
        served = served_cert(self.server.https_port)
        self.server.stop()
        with tempfile.TemporaryDirectory() as d:
            path = self.write_config(
                "[tollgate]\ntls-certificate=%s\ntls-private-key=%s\n"
                % (cert, key))
            srv = self.start_other(config=path, data_dir=d)
            self.assertEqual(served_cert(srv.https_port), served)
            self.assertFalse(os.path.exists(os.path.join(d, "tls",
                                                         "cert.pem")))
            srv.stop()


if __name__ == "__main__":
    unittest.main()
