/* The framing rules of request heads (tg-http-head.h): what libsoup would
 * misread, or leak on, is refused with its status; what clients really
 * send passes with the body it announces. */
#include "tg-http-head.h"

#include <string.h>

static TgHttpHead
check (const char *text)
{
  TgHttpHead head;
  gsize length = tg_http_head_length ((const guint8 *) text, strlen (text));

  g_assert_cmpuint (length, ==, strlen (text));
  tg_http_head_check ((const guint8 *) text, length, &head);
  return head;
}

static void
assert_refused (const char *text, guint status, const char *reason)
{
  TgHttpHead head = check (text);

  g_assert_cmpuint (head.status, ==, status);
  g_assert_cmpstr (head.reason, ==, reason);
}

static void
test_real_clients (void)
{
  /* curl, a browser's WebSocket handshake, ffmpeg's HLS fetch, HTTP/1.0 */
  const char *heads[] = {
    "GET /healthz HTTP/1.1\r\nHost: 127.0.0.1:5080\r\nUser-Agent: "
    "curl/7.88.1\r\nAccept: */*\r\n\r\n",
    "GET /LiveApp/websocket HTTP/1.1\r\nHost: h:5080\r\nConnection: "
    "Upgrade\r\nPragma: no-cache\r\nUpgrade: websocket\r\nOrigin: "
    "http://h:5080\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: "
    "dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Extensions: "
    "permessage-deflate; client_max_window_bits\r\n\r\n",
    "GET /LiveApp/streams/s1.m3u8?token=abc HTTP/1.1\r\nUser-Agent: "
    "Lavf/59.27.100\r\nAccept: */*\r\nRange: bytes=0-\r\nConnection: "
    "close\r\nHost: h:5080\r\nIcy-MetaData: 1\r\n\r\n",
    "GET / HTTP/1.0\r\n\r\n",
    "OPTIONS * HTTP/1.1\r\nHost: h\r\n\r\n",
    "GET http://h/healthz HTTP/1.1\r\nHost: h\r\n\r\n",
    "\r\nGET / HTTP/1.1\r\nHost: h\r\nX-Tab:\tvalue\t\r\nX-Utf8: "
    "\xc3\xa9\r\n\r\n",
  };

  for (guint i = 0; i < G_N_ELEMENTS (heads); i++)
    {
      TgHttpHead head = check (heads[i]);

      g_assert_cmpuint (head.status, ==, 0);
      g_assert_cmpint (head.body, ==, TG_HTTP_BODY_NONE);
      g_assert_true (head.upgrade == (i == 1));
    }
}

static void
test_bodies (void)
{
  TgHttpHead head
      = check ("POST /x HTTP/1.1\r\nHost: h\r\nContent-Length: 42\r\n\r\n");

  g_assert_cmpuint (head.status, ==, 0);
  g_assert_cmpint (head.body, ==, TG_HTTP_BODY_LENGTH);
  g_assert_cmpuint (head.length, ==, 42);
  head = check ("POST /x HTTP/1.1\r\nHost: h\r\nContent-Length: 0\r\n\r\n");
  g_assert_cmpint (head.body, ==, TG_HTTP_BODY_NONE);
  head = check (
      "POST /x HTTP/1.1\r\nHost: h\r\nTransfer-Encoding:  Chunked \r\n\r\n");
  g_assert_cmpuint (head.status, ==, 0);
  g_assert_cmpint (head.body, ==, TG_HTTP_BODY_CHUNKED);
}

/* The smuggling shapes and what made libsoup 3.2.3 leak. */
static void
test_framing_refused (void)
{
  assert_refused ("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 3\r\n"
                  "Transfer-Encoding: chunked\r\n\r\n",
                  400, "both Content-Length and Transfer-Encoding");
  assert_refused ("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 2\r\n"
                  "Content-Length: 2\r\n\r\n",
                  400, "more than one Content-Length");
  for (guint i = 0; i < 6; i++)
    {
      const char *values[]
          = { "+2", "-1", "2, 40", "", "0x10", "1234567890123456789" };
      g_autofree char *text = g_strdup_printf (
          "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: %s\r\n\r\n",
          values[i]);

      assert_refused (text, 400, "Content-Length is not a number");
    }
  assert_refused ("POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding : "
                  "chunked\r\n\r\n",
                  400, "malformed header name");
  assert_refused ("POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: "
                  "chunked, identity\r\n\r\n",
                  501, "Transfer-Encoding other than chunked");
  assert_refused ("POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: "
                  "chunked\r\nTransfer-Encoding: chunked\r\n\r\n",
                  400, "more than one Transfer-Encoding");
  assert_refused ("POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n", 400,
                  "Transfer-Encoding in HTTP/1.0");
  assert_refused ("GET / HTTP/1.1\r\nHost: h\r\nX: a\r\n b\r\n\r\n", 400,
                  "obsolete line folding");
  assert_refused ("GET / HTTP/1.1\r\nHost: h\r\nX: a\rb\r\n\r\n", 400,
                  "line not ended by CRLF");
  assert_refused ("GET / HTTP/1.1\r\nHost: h\r\nX: a\x01\r\n\r\n", 400,
                  "control character in a header");
  assert_refused ("GET / HTTP/1.1\r\nHost: h\r\nHost: i\r\n\r\n", 400,
                  "more than one Host");
  assert_refused ("GET / HTTP/1.1\r\nX: y\r\n\r\n", 400, "no Host");
  assert_refused ("GET / HTTP/1.1\r\nHost: a/b\r\n\r\n", 400, "malformed Host");
  assert_refused ("GET /x HTTP/1.1\r\nHost: h\r\nUpgrade: websocket\r\n"
                  "Content-Length: 5\r\n\r\n",
                  400, "an upgrade with a body");
}

static void
test_request_line_refused (void)
{
  assert_refused ("GET  / HTTP/1.1\r\nHost: h\r\n\r\n", 400,
                  "malformed request line (target)");
  assert_refused ("G@T / HTTP/1.1\r\nHost: h\r\n\r\n", 400,
                  "malformed request line (method)");
  assert_refused ("GET x HTTP/1.1\r\nHost: h\r\n\r\n", 400,
                  "request target is not a path");
  assert_refused ("GET / HTTP/1.1 \r\nHost: h\r\n\r\n", 400,
                  "malformed request line (version)");
  assert_refused ("GET / HTTP/2.0\r\nHost: h\r\n\r\n", 505,
                  "HTTP version not supported");
  assert_refused ("GET /\xc3\xa9 HTTP/1.1\r\nHost: h\r\n\r\n", 400,
                  "malformed request line (target)");
}

static void
test_limits (void)
{
  GString *text = g_string_new ("GET /");
  TgHttpHead head;

  g_string_append_printf (text, "%0*d HTTP/1.1\r\nHost: h\r\n\r\n",
                          TG_HTTP_MAX_REQUEST_LINE, 0);
  assert_refused (text->str, 414, "request line too long");
  /* Seen early, before the head is complete. */
  tg_http_head_check_partial ((const guint8 *) text->str,
                              TG_HTTP_MAX_REQUEST_LINE + 10, &head);
  g_assert_cmpuint (head.status, ==, 414);
  g_string_assign (text, "GET / HTTP/1.1\r\nHost: h\r\n");
  for (guint i = 0; i <= TG_HTTP_MAX_HEADERS; i++)
    g_string_append_printf (text, "X-%u: y\r\n", i);
  g_string_append (text, "\r\n");
  assert_refused (text->str, 431, "too many headers");
  g_string_free (text, TRUE);
}

static void
test_partial (void)
{
  const char *tls = "\x16\x03\x01\x02\x00\x01";
  const char *half = "GET / HTTP/1.1\r\nHost: h\r\nX-Slow: ";
  TgHttpHead head;

  g_assert_cmpuint (tg_http_head_length ((const guint8 *) half, strlen (half)),
                    ==, 0);
  tg_http_head_check_partial ((const guint8 *) half, strlen (half), &head);
  g_assert_cmpuint (head.status, ==, 0);
  /* A TLS ClientHello on the plain port is refused at once. */
  tg_http_head_check_partial ((const guint8 *) tls, 6, &head);
  g_assert_cmpuint (head.status, ==, 400);
  /* The length stops at the blank line: a body or the next head follow. */
  g_assert_cmpuint (tg_http_head_length ((const guint8 *) "GET / HTTP/1.0\r\n"
                                                          "\r\nbody",
                                         22),
                    ==, 18);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/http-head/real-clients", test_real_clients);
  g_test_add_func ("/http-head/bodies", test_bodies);
  g_test_add_func ("/http-head/framing-refused", test_framing_refused);
  g_test_add_func ("/http-head/request-line-refused",
                   test_request_line_refused);
  g_test_add_func ("/http-head/limits", test_limits);
  g_test_add_func ("/http-head/partial", test_partial);
  return g_test_run ();
}
