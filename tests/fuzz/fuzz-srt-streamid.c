/* libFuzzer target: the SRT streamid parser (tg-srt-streamid.h). The input
 * is a streamid; a NUL ends it, as it ends the C string SRT hands over. */
#include "tg-srt-streamid.h"
#include "tollgate.h"

#include "fuzz-common.h"

#include <stdint.h>
#include <string.h>

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

/* What tg_srt_streamid_parse() promises of an accepted streamid. */
static void
check_accepted (const char *input, const char *app, const char *stream_id,
                const char *token)
{
  g_assert_cmpuint (strlen (input), >, 0);
  g_assert_cmpuint (strlen (input), <=, 512);
  for (const char *p = input; *p; p++)
    g_assert_true ((guchar) *p >= 0x20 && *p != 0x7f);
  g_assert_nonnull (app);
  g_assert_nonnull (stream_id);
  g_assert_cmpuint (strlen (app), >, 0);
  g_assert_cmpuint (strlen (stream_id), >, 0);
  g_assert_null (strpbrk (app, "/,"));
  g_assert_null (strpbrk (stream_id, "/,"));
  if (token)
    {
      g_assert_cmpuint (strlen (token), >, 0);
      g_assert_null (strchr (token, ','));
      g_assert_nonnull (strstr (input, token));
    }
  g_assert_nonnull (strstr (input, app));
  g_assert_nonnull (strstr (input, stream_id));
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  g_autofree char *input = g_strndup ((const char *) data, size);
  g_autofree char *app = NULL, *stream_id = NULL, *token = NULL;
  g_autoptr (GError) error = NULL;
  TgTokenType type = (TgTokenType) -1;

  if (tg_srt_streamid_parse (input, &app, &stream_id, &token, &type, &error))
    {
      g_assert_no_error (error);
      g_assert_true (type == TG_TOKEN_TYPE_PUBLISH
                     || type == TG_TOKEN_TYPE_PLAY);
      check_accepted (input, app, stream_id, token);
    }
  else
    {
      g_assert_error (error, TG_ERROR, TG_ERROR_INVALID);
      g_assert_null (app);
      g_assert_null (stream_id);
      g_assert_null (token);
    }
  return 0;
}
