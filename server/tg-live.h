/* Which streams are being published, whatever the protocol: an app/stream
 * is claimed when its publish is accepted and released when its stream has
 * ended, so that a second publisher of it is refused (streamIdInUse) even
 * over another protocol. Thread-safe. */
#pragma once

#include <glib.h>

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

G_END_DECLS
