/* Who publishes what over RTMP (PROTOCOL.md section 3), from the connect
 * command's app and tcUrl and the publish command's name:
 *
 *   app "LiveApp",    name "s1?token=T"   -> LiveApp, s1, T   (ffmpeg, OBS)
 *   app "LiveApp",    name "s1/T"         -> LiveApp, s1, T   (path form)
 *   app "LiveApp",    name "s1"           -> LiveApp, s1, NULL
 *   app "LiveApp/s1", name "?token=T"     -> LiveApp, s1, T   (ffmpeg, when
 *                                            the URL has more segments)
 *   app "LiveApp/s1", name "T"            -> LiveApp, s1, T
 *   app "LiveApp/s1", name "s1?token=T"   -> LiveApp, s1, T   (repeated id)
 *
 * The app loses its "?query"; an empty app is taken from tcUrl's path. The
 * token comes from the path form, else from a "token" query parameter of
 * the name, the app or tcUrl, in that order; an empty one counts as absent.
 * Refused: no app or stream id, more than two segments after the app, empty
 * segments, a token given both ways, bad query escapes, control characters. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* app, tc_url and publish_name may be NULL. On success sets *app_out and
 * *stream_id_out, and *token_out (NULL when there is none); else FALSE with
 * a TG_ERROR_INVALID error and the outputs untouched. */
gboolean tg_rtmp_name_parse (const char *app, const char *tc_url,
                             const char *publish_name, char **app_out,
                             char **stream_id_out, char **token_out,
                             GError **error);

G_END_DECLS
