/* Callers refused again and again from one address: after `limit` refusals
 * within `window` microseconds, callers from that address are refused at
 * once (no store lookup, no token spent) until the window has passed.
 * Thread-safe; times are the caller's (monotonic microseconds), so that
 * tests can drive them. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef struct _TgRefusals TgRefusals;

TgRefusals *tg_refusals_new (guint limit, gint64 window);
void tg_refusals_free (TgRefusals *refusals);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (TgRefusals, tg_refusals_free)

/* Whether callers from address are refused at once, at time now. */
gboolean tg_refusals_blocked (TgRefusals *refusals, const char *address,
                              gint64 now);
/* Counts one refusal of a caller from address, at time now. */
void tg_refusals_note (TgRefusals *refusals, const char *address, gint64 now);

G_END_DECLS
