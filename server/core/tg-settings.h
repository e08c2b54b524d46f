/* Per-application settings (PROTOCOL.md 2.4): the fields Tollgate honours,
 * their defaults, their JSON form and their validation. A TgSettings is
 * immutable once made: readers on any thread hold a reference while they
 * use it, and a change publishes a new one. */
#pragma once

#include <gio/gio.h>
#include <json-glib/json-glib.h>

#include "tollgate.h"

typedef struct
{
  gboolean publish_token_control;
  gboolean play_token_control;
  gboolean accept_only_streams_in_data_store;
  gboolean publish_jwt_control;
  gboolean play_jwt_control;
  char *jwt_stream_secret_key;
  gboolean hls_muxing;
  gboolean delete_hls_on_end;
  gboolean delete_dash_on_end;
  gboolean dash_muxing;
  gboolean mp4_muxing;
  char *hls_time;
  char *hls_list_size;
  JsonNode *encoder_settings; /* a validated array */
  gboolean webrtc_enabled;
  char *srt_passphrase; /* "" or 10 to 79 characters: SRT callers encrypt */
  char *remote_allowed_cidr;
  gboolean ip_filter_enabled;
  GPtrArray *allowed; /* GInetAddressMask, parsed remote_allowed_cidr */
  TgPolicy *policy;   /* what admission reads of the above (tollgate.h) */
} TgSettings;

TgSettings *tg_settings_new_default (void);
TgSettings *tg_settings_ref (TgSettings *settings);
void tg_settings_unref (TgSettings *settings);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (TgSettings, tg_settings_unref)

/* A copy of base with the members of object applied, or NULL with a
 * TG_ERROR_INVALID error naming the first bad field. */
TgSettings *tg_settings_apply (const TgSettings *base, JsonObject *object,
                               GError **error);

JsonNode *tg_settings_to_json (const TgSettings *settings);

/* Whether a REST client at this address may call the app's API. */
gboolean tg_settings_allows_address (const TgSettings *settings,
                                     GInetAddress *address);
