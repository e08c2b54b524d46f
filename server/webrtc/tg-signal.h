/* WebSocket signalling messages (PROTOCOL.md 5): a client's text frame
 * parsed and checked against a table of commands and their fields, and the
 * server's replies built. Pure functions: no connection, no state. */
#pragma once

#include <json-glib/json-glib.h>

G_BEGIN_DECLS

typedef enum
{
  TG_SIGNAL_PING,
  TG_SIGNAL_GET_ICE_SERVER_CONFIG,
  TG_SIGNAL_GET_STREAM_INFO,
  TG_SIGNAL_PUBLISH,
  TG_SIGNAL_PLAY,
  TG_SIGNAL_TAKE_CONFIGURATION,
  TG_SIGNAL_TAKE_CANDIDATE,
  TG_SIGNAL_STOP,
  TG_SIGNAL_FORCE_STREAM_QUALITY,
} TgSignalCommand;

typedef struct
{
  TgSignalCommand command;
  char *stream_id;   /* every command but ping and getIceServerConfig */
  char *token;       /* publish, play: NULL when absent or empty */
  gboolean video;    /* publish: TRUE unless "video": false */
  gboolean audio;    /* publish: TRUE unless "audio": false */
  gboolean is_offer; /* takeConfiguration: type "offer" (else "answer") */
  char *sdp;         /* takeConfiguration */
  guint label;       /* takeCandidate: sdpMLineIndex */
  char *mid;         /* takeCandidate: "id", may be NULL */
  char *candidate;   /* takeCandidate */
  /* forceStreamQuality (0: "auto"), play: the video height asked for; -1
   * when absent */
  gint height;
} TgSignalRequest;

void tg_signal_request_free (TgSignalRequest *request);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (TgSignalRequest, tg_signal_request_free)

/* What became of a frame that gave no request. */
typedef enum
{
  TG_SIGNAL_IGNORED, /* an unknown command: nothing to answer */
  TG_SIGNAL_ANSWER,  /* answer with the error *definition */
  TG_SIGNAL_CLOSE,   /* not a JSON object with a command: close */
} TgSignalOutcome;

/* Parses one frame. NULL when it gives no request: then *outcome says what
 * to do, with *definition (ANSWER) or error (CLOSE) saying why. Unknown
 * fields are ignored; a known one of the wrong type is an error. */
TgSignalRequest *tg_signal_parse (const char *text, gsize length,
                                  TgSignalOutcome *outcome,
                                  const char **definition, GError **error);

/* {"command": command, "streamId": stream_id} (stream_id may be NULL), for
 * the caller to add to. */
JsonObject *tg_signal_reply (const char *command, const char *stream_id);

/* {"command":"error"|"notification","definition":..,"streamId":..}. */
JsonObject *tg_signal_error (const char *definition, const char *stream_id);
JsonObject *tg_signal_notification (const char *definition,
                                    const char *stream_id);

/* One line of JSON text. */
char *tg_signal_to_text (JsonObject *object);

G_END_DECLS
