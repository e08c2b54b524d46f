/* libFuzzer target: the request head checks (tg-http-head.h) against
 * libsoup's own parser. A head the checks accept must be one libsoup
 * parses without error (its error paths are where 3.2.3 leaks) and reads
 * the same body framing from; every prefix of the input is also given to
 * the partial check. */
#include "tg-http-head.h"

#include "fuzz-common.h"

#include <libsoup/soup.h>
#include <stdint.h>

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

static void
agree_with_libsoup (const guint8 *head, gsize length, const TgHttpHead *ours)
{
  SoupMessageHeaders *headers
      = soup_message_headers_new (SOUP_MESSAGE_HEADERS_REQUEST);
  g_autofree char *text = g_strndup ((const char *) head, length);
  char *method = NULL, *path = NULL;
  SoupHTTPVersion version;
  guint status;
  SoupEncoding encoding;

  /* A NUL inside is refused by the checks (a control character). */
  g_assert_cmpuint (strlen (text), ==, length);
  status = soup_headers_parse_request (text, (int) length, headers, &method,
                                       &path, &version);
  if (status == SOUP_STATUS_EXPECTATION_FAILED)
    goto out; /* an Expect libsoup does not know: it answers 417 itself */
  g_assert_cmpuint (status, ==, SOUP_STATUS_OK);
  encoding = soup_message_headers_get_encoding (headers);
  if (ours->body == TG_HTTP_BODY_CHUNKED)
    g_assert_cmpint (encoding, ==, SOUP_ENCODING_CHUNKED);
  else if (ours->body == TG_HTTP_BODY_LENGTH)
    {
      g_assert_cmpint (encoding, ==, SOUP_ENCODING_CONTENT_LENGTH);
      g_assert_cmpint (soup_message_headers_get_content_length (headers), ==,
                       (goffset) ours->length);
    }
  else
    g_assert_true (encoding == SOUP_ENCODING_NONE
                   || encoding == SOUP_ENCODING_CONTENT_LENGTH
                   || encoding == SOUP_ENCODING_EOF);
out:
  g_free (method);
  g_free (path);
  soup_message_headers_unref (headers);
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  gsize length = tg_http_head_length (data, size);
  TgHttpHead head;

  for (gsize n = 0; n <= size; n += 1 + n / 8)
    {
      tg_http_head_check_partial (data, n, &head);
      g_assert_true (head.status == 0 || head.reason != NULL);
    }
  if (length == 0)
    return 0;
  g_assert_cmpuint (length, <=, size);
  tg_http_head_check (data, length, &head);
  if (head.status == 0)
    agree_with_libsoup (data, length, &head);
  else
    g_assert_nonnull (head.reason);
  return 0;
}
