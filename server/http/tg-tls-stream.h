/* Server-side TLS with OpenSSL over an accepted socket, non-blocking: the
 * handshake is stepped by the caller from its main context (no thread per
 * handshake; the caller enforces the deadline), then the stream is a
 * GIOStream whose input and output streams are pollable, for
 * soup_server_accept_iostream(). */
#pragma once

#include <gio/gio.h>
#include <openssl/ssl.h>

G_BEGIN_DECLS

/* The server's TLS settings from @certificate (as tg_tls_load_or_create()
 * returns it): its "certificate-pem", its "private-key-pem", its issuers as
 * the chain. TLS 1.2 and 1.3 (1.2 with ECDHE and AEAD ciphers only),
 * renegotiation off, ALPN "http/1.1" only (a client offering only h2 gets no
 * ALPN), session tickets on, a peer closing without close_notify is an end
 * of stream. Shared read-only by every connection and thread; free with
 * SSL_CTX_free(). A certificate without a private key, or one OpenSSL cannot
 * read, is a G_TLS_ERROR_BAD_CERTIFICATE error. */
SSL_CTX *tg_tls_context_new (GTlsCertificate *certificate, GError **error);

#define TG_TYPE_TLS_STREAM (tg_tls_stream_get_type ())
G_DECLARE_FINAL_TYPE (TgTlsStream, tg_tls_stream, TG, TLS_STREAM, GIOStream)

/* A server-side TLS connection over @socket, a connected TCP socket (made
 * non-blocking and TCP_NODELAY here). The stream takes a reference on it
 * and owns it from then on: closing the stream (or dropping the last
 * reference) closes the socket, after a best-effort non-blocking
 * close_notify; close_async does the same at once, in no thread. Its
 * input and output streams are pollable; their sources go on the context
 * they are attached to. It is meant for one thread (its worker's main
 * context), but a lock serializes its OpenSSL calls, because libsoup 3.2.3
 * writes the end of a chunked body from a GIO worker thread.
 *
 * Reads return 0 at the end of the stream: the peer's close_notify, or its
 * TCP close without one. Other failures are G_IO_ERROR errors with a
 * message (a reset: G_IO_ERROR_CONNECTION_CLOSED; writing to a gone peer:
 * G_IO_ERROR_BROKEN_PIPE, never SIGPIPE).
 *
 * After a write fails with G_IO_ERROR_WOULD_BLOCK, the next write must offer
 * the same bytes again (at least as many as before, up to 16 KiB): OpenSSL
 * has sealed a record of them already. libsoup (its HTTP/1 writes and its
 * WebSocket frames), g_output_stream_write_all and splice do so. */
TgTlsStream *tg_tls_stream_new (SSL_CTX *context, GSocket *socket);

/* One non-blocking step of the handshake: TRUE once it is done. Else FALSE
 * with G_IO_ERROR_WOULD_BLOCK and *wait set to G_IO_IN or G_IO_OUT (wait for
 * that on the socket, then call again), or FALSE with another G_IO_ERROR
 * (the handshake failed; the message says why, for a debug log). */
gboolean tg_tls_stream_handshake (TgTlsStream *tls, GIOCondition *wait,
                                  GError **error);

GSocket *tg_tls_stream_get_socket (TgTlsStream *tls);

G_END_DECLS
