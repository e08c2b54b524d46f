/* Who publishes or plays what over SRT (PROTOCOL.md section 3), from the
 * streamid the caller sends in its handshake:
 *
 *   "LiveApp/s1,token=T"                  -> LiveApp, s1, T, publish
 *   "LiveApp/s1"                          -> LiveApp, s1, NULL, publish
 *   "LiveApp/s1,x=1,token="               -> LiveApp, s1, NULL, publish
 *   "#!::r=LiveApp/s1,m=publish,t=T"      -> LiveApp, s1, T, publish (SRT
 *                                            access control syntax)
 *   "#!::u=me,r=LiveApp/s1,t=T"           -> LiveApp, s1, T, publish (no m)
 *   "#!::r=LiveApp/s1,m=request,t=T"      -> LiveApp, s1, T, play
 *
 * Playing needs the access control form (Ant Media's plain form has no
 * mode); m=bidirectional and other modes are refused.
 *
 * After the resource (plain form) or "#!::" (access control form) come
 * comma-separated key=value items; only token (plain), r, m and t (access
 * control) count, the others are ignored, none may be given twice. An empty
 * token counts as absent. The resource is exactly {app}/{streamId}, both
 * non-empty. Refused too: an empty streamid, one longer than SRT's 512
 * bytes, control characters, an item without "=", the nested "#!:{...}"
 * form. Nothing is percent-decoded, and the stream id's characters are the
 * caller's to check (tg_stream_id_is_valid). */
#pragma once

#include "tollgate.h"

G_BEGIN_DECLS

/* streamid may be NULL (none sent). On success sets *app_out,
 * *stream_id_out, *token_out (NULL when there is none) and *type_out
 * (publish, or play for m=request); else FALSE with a TG_ERROR_INVALID
 * error and the outputs untouched. */
gboolean tg_srt_streamid_parse (const char *streamid, char **app_out,
                                char **stream_id_out, char **token_out,
                                TgTokenType *type_out, GError **error);

G_END_DECLS
