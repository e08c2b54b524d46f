/* tokenbin: a bin around one element (a sink or a source that must not
 * even open its file or socket without a token) that consumes a one-time
 * token before its child leaves the NULL state. */
#pragma once

#include <gst/gst.h>

G_BEGIN_DECLS

#define TG_TYPE_TOKEN_BIN (tg_token_bin_get_type ())
G_DECLARE_FINAL_TYPE (TgTokenBin, tg_token_bin, TG, TOKEN_BIN, GstBin)

GST_ELEMENT_REGISTER_DECLARE (tokenbin);

G_END_DECLS
