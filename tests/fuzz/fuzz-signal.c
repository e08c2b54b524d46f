/* libFuzzer target: WebSocket signalling frames (tg-signal.h). The input is
 * one text frame. */
#include "tg-rest.h"
#include "tg-signal.h"
#include "tollgate.h"

#include "fuzz-common.h"

#include <stdint.h>

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (TgSignalRequest) request = NULL;
  TgSignalOutcome outcome;
  const char *definition;

  request = tg_signal_parse ((const char *) data, size, &outcome, &definition,
                             &error);
  if (request)
    {
      g_autoptr (JsonObject) reply
          = tg_signal_reply ("pong", request->stream_id);
      g_autofree char *text = tg_signal_to_text (reply);

      g_assert_no_error (error);
      g_assert_null (definition);
      g_assert_true (request->stream_id == NULL
                     || tg_stream_id_is_valid (request->stream_id));
      g_assert_true (request->token == NULL || *request->token != '\0');
      g_assert_true (request->command != TG_SIGNAL_TAKE_CONFIGURATION
                     || request->sdp != NULL);
      g_assert_true (request->command != TG_SIGNAL_TAKE_CANDIDATE
                     || request->candidate != NULL);
      g_assert_nonnull (text);
      return 0;
    }
  switch (outcome)
    {
    case TG_SIGNAL_CLOSE:
      g_assert_error (error, TG_ERROR, TG_ERROR_INVALID);
      break;
    case TG_SIGNAL_ANSWER:
      g_assert_no_error (error);
      g_assert_nonnull (definition);
      break;
    case TG_SIGNAL_IGNORED:
      g_assert_no_error (error);
      break;
    }
  return 0;
}
