/* Helpers shared by the element tests: a sqlite store in a temporary
 * directory, and an element driven by hand (with its own bus and pads)
 * for refusals, where GstHarness cannot be used because it asserts that
 * the element reaches PLAYING. */
#pragma once

#include <gst/gst.h>

#include "tollgate.h"

typedef struct
{
  char *dir;      /* a fresh temporary directory */
  char *uri;      /* sqlite:///<dir>/tollgate.db */
  TgStore *store; /* that store, opened by the test */
} TgTestStore;

TgTestStore *tg_test_store_new (void);
/* Closes the store and removes the directory and what is in it. */
void tg_test_store_free (TgTestStore *ts);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (TgTestStore, tg_test_store_free)

/* Mints a token valid for an hour; returns its id. */
char *tg_test_mint (TgStore *store, const char *app, const char *stream_id,
                    TgTokenType type);
/* Whether the token is (still) in the store. */
gboolean tg_test_has_token (TgStore *store, const char *app,
                            const char *stream_id, const char *token_id);

/* An element with its own bus, fed by `src` and drained into `sink` (each
 * linked only if the element has such a pad); counts buffers that arrive. */
typedef struct
{
  GstElement *element;
  GstBus *bus;
  GstPad *src;
  GstPad *sink;
  gint received; /* atomic */
} TgTestRig;

TgTestRig *tg_test_rig_new (GstElement *element);
void tg_test_rig_free (TgTestRig *rig);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (TgTestRig, tg_test_rig_free)

/* Asserts that the element refuses to start: the state change fails, a
 * pushed buffer does not arrive, and the bus holds a NOT_AUTHORIZED error
 * whose message ends in ": <reason>". */
void tg_test_rig_assert_refused (TgTestRig *rig, const char *reason);

/* Asserts that bus holds an error NOT_AUTHORIZED naming reason. */
void tg_test_assert_refusal_on_bus (GstBus *bus, const char *reason);
