/* LL-HLS requests that wait (blocking playlist reloads, preload hints):
 * what a playlist holds, and holding a request, paused, without tying up
 * its HTTP thread, until what it asks for exists. */
#pragma once

#include <libsoup/soup.h>

/* A blocking reload's _HLS_msn and _HLS_part (-1: none): 0 when the
 * query asks for none, 1 when it does, -1 when they are malformed (400). */
int tg_llhls_wanted (GHashTable *query, gint64 *msn, gint64 *part);

/* Whether a media playlist's text holds segment msn complete, or of
 * segment msn the part numbered part (from 0) or a later one; TRUE also
 * when the playlist has ended, or asks for what it can never have. */
gboolean tg_llhls_has (const char *playlist, gint64 msn, gint64 part);

/* Longest hold: three target durations of the longest segment time a
 * player meets, as the LL-HLS spec allows before 503. */
#define TG_LLHLS_HOLD_S 6

typedef gboolean (*TgLlhlsReady) (gpointer data);
/* ready: whether what was asked for exists (it did, or the hold timed
 * out); called once, with msg unpaused just after. Not called if the
 * client went away. */
typedef void (*TgLlhlsDone) (SoupServerMessage *msg, gboolean ready,
                             gpointer data);

/* Pauses msg and polls ready on the calling thread's main context until it
 * says TRUE or seconds pass (TG_LLHLS_HOLD_S for LL-HLS), then calls done;
 * data is freed with free_data in every case. */
void tg_llhls_hold (SoupServerMessage *msg, guint seconds, TgLlhlsReady ready,
                    TgLlhlsDone done, gpointer data, GDestroyNotify free_data);
