/* tokencheck: a passthrough element that consumes a one-time token when it
 * goes from NULL to READY and lets nothing through without one. */
#pragma once

#include <gst/base/gstbasetransform.h>

G_BEGIN_DECLS

#define TG_TYPE_TOKEN_CHECK (tg_token_check_get_type ())
G_DECLARE_FINAL_TYPE (TgTokenCheck, tg_token_check, TG, TOKEN_CHECK,
                      GstBaseTransform)

GST_ELEMENT_REGISTER_DECLARE (tokencheck);

G_END_DECLS
