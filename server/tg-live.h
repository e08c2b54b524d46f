/* Which streams are being published, whatever the protocol: an app/stream
 * is claimed when its publish is accepted and released when its stream has
 * ended, so that a second publisher of it is refused (streamIdInUse) even
 * over another protocol. Thread-safe. */
#pragma once

#include <glib.h>

#include "tg-stream.h"

G_BEGIN_DECLS

typedef struct _TgLive TgLive;

TgLive *tg_live_new (void);
void tg_live_free (TgLive *live);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (TgLive, tg_live_free)

/* FALSE when app/stream_id is already claimed. */
gboolean tg_live_claim (TgLive *live, const char *app, const char *stream_id);
/* Whether app/stream_id is claimed now (a hint: claim to be sure). */
gboolean tg_live_is_claimed (TgLive *live, const char *app,
                             const char *stream_id);
void tg_live_release (TgLive *live, const char *app, const char *stream_id);

/* A stream a door asks about, for the admission's claim question
 * (TgAdmission.claim = tg_live_is_free, claim_data = a TgLiveWanted). */
typedef struct
{
  TgLive *live;
  const char *app, *stream_id;
} TgLiveWanted;

/* Whether the wanted stream is not claimed now; claims nothing. */
gboolean tg_live_is_free (gpointer wanted);

/* The claimed app/stream_id's stream, once it runs (for its viewers). */
void tg_live_set_stream (TgLive *live, const char *app, const char *stream_id,
                         TgStream *stream);
/* Calls func with the stream while holding the registry's lock, so that the
 * stream is not released meanwhile; FALSE (func not called) when there is
 * none. func must not call back into the registry. */
gboolean tg_live_with_stream (TgLive *live, const char *app,
                              const char *stream_id,
                              void (*func) (TgStream *stream, gpointer data),
                              gpointer data);

G_END_DECLS
