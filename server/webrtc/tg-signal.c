#include "tg-signal.h"

#include "tg-fields.h"
#include "tollgate.h"

/* Largest frame a client may send: an SDP offer with many candidates is a
 * few KiB; anything past this is not signalling. */
#define MAX_FRAME (64 * 1024)

typedef struct
{
  const char *name;
  TgSignalCommand command;
  gboolean needs_stream_id;
} Command;

static const Command commands[] = {
  { "ping", TG_SIGNAL_PING, FALSE },
  { "getIceServerConfig", TG_SIGNAL_GET_ICE_SERVER_CONFIG, FALSE },
  { "getStreamInfo", TG_SIGNAL_GET_STREAM_INFO, TRUE },
  { "publish", TG_SIGNAL_PUBLISH, TRUE },
  { "play", TG_SIGNAL_PLAY, TRUE },
  { "takeConfiguration", TG_SIGNAL_TAKE_CONFIGURATION, TRUE },
  { "takeCandidate", TG_SIGNAL_TAKE_CANDIDATE, TRUE },
  { "stop", TG_SIGNAL_STOP, TRUE },
  { "forceStreamQuality", TG_SIGNAL_FORCE_STREAM_QUALITY, TRUE },
};

/* Tallest video height a client may ask for. */
#define MAX_HEIGHT 8640

void
tg_signal_request_free (TgSignalRequest *request)
{
  if (request == NULL)
    return;
  g_free (request->stream_id);
  g_free (request->token);
  g_free (request->sdp);
  g_free (request->mid);
  g_free (request->candidate);
  g_free (request);
}

/* The member's value when it is of the given type; NULL when absent or
 * null; *bad when present with another type. */
static JsonNode *
member (JsonObject *object, const char *name, GType type, gboolean *bad)
{
  JsonNode *node = json_object_get_member (object, name);

  if (node == NULL || JSON_NODE_HOLDS_NULL (node))
    return NULL;
  if (!JSON_NODE_HOLDS_VALUE (node) || json_node_get_value_type (node) != type)
    {
      *bad = TRUE;
      return NULL;
    }
  return node;
}

static char *
string_member (JsonObject *object, const char *name, gboolean *bad)
{
  JsonNode *node = member (object, name, G_TYPE_STRING, bad);

  return node ? json_node_dup_string (node) : NULL;
}

static gboolean
bool_member (JsonObject *object, const char *name, gboolean *bad)
{
  JsonNode *node = member (object, name, G_TYPE_BOOLEAN, bad);

  return node ? json_node_get_boolean (node) : TRUE;
}

/* streamHeight: a whole number, or one written as a string (as a page's
 * <select> gives it), or "auto" (0); -1 when absent, *bad when neither. */
static gint
height_member (JsonObject *object, gboolean *bad)
{
  JsonNode *node = json_object_get_member (object, "streamHeight");
  const char *text;
  guint64 value;

  if (node == NULL || JSON_NODE_HOLDS_NULL (node))
    return -1;
  if (JSON_NODE_HOLDS_VALUE (node)
      && json_node_get_value_type (node) == G_TYPE_INT64)
    {
      gint64 number = json_node_get_int (node);

      if (number >= 0 && number <= MAX_HEIGHT)
        return (gint) number;
    }
  else if (JSON_NODE_HOLDS_VALUE (node)
           && json_node_get_value_type (node) == G_TYPE_STRING)
    {
      text = json_node_get_string (node);
      if (g_str_equal (text, "auto"))
        return 0;
      if (g_ascii_string_to_unsigned (text, 10, 0, MAX_HEIGHT, &value, NULL))
        return (gint) value;
    }
  *bad = TRUE;
  return -1;
}

/* The command's own fields; FALSE with *definition for a bad one. */
static gboolean
read_fields (JsonObject *object, TgSignalRequest *request,
             const char **definition)
{
  gboolean bad = FALSE;
  g_autofree char *type = NULL;
  JsonNode *label;

  switch (request->command)
    {
    case TG_SIGNAL_PUBLISH:
    case TG_SIGNAL_PLAY:
      request->token = string_member (object, "token", &bad);
      if (request->token && *request->token == '\0')
        g_clear_pointer (&request->token, g_free);
      *definition = "unauthorized_access";
      if (bad)
        return FALSE;
      /* Flags of the wrong type are taken as their default, and so is a
       * height that is no height. */
      request->video = bool_member (object, "video", &bad);
      request->audio = bool_member (object, "audio", &bad);
      request->height = height_member (object, &bad);
      return TRUE;
    case TG_SIGNAL_FORCE_STREAM_QUALITY:
      request->height = height_member (object, &bad);
      *definition = "invalidStreamHeight";
      return !bad && request->height >= 0;
    case TG_SIGNAL_TAKE_CONFIGURATION:
      type = string_member (object, "type", &bad);
      request->sdp = string_member (object, "sdp", &bad);
      request->is_offer = g_strcmp0 (type, "offer") == 0;
      *definition = "notSetRemoteDescription";
      return !bad && request->sdp
             && (request->is_offer || g_strcmp0 (type, "answer") == 0);
    case TG_SIGNAL_TAKE_CANDIDATE:
      label = member (object, "label", G_TYPE_INT64, &bad);
      request->mid = string_member (object, "id", &bad);
      request->candidate = string_member (object, "candidate", &bad);
      *definition = "invalidCandidate";
      if (bad || label == NULL || request->candidate == NULL
          || json_node_get_int (label) < 0 || json_node_get_int (label) > 255)
        return FALSE;
      request->label = (guint) json_node_get_int (label);
      return TRUE;
    default:
      return TRUE;
    }
}

TgSignalRequest *
tg_signal_parse (const char *text, gsize length, TgSignalOutcome *outcome,
                 const char **definition, GError **error)
{
  g_autoptr (JsonObject) object = NULL;
  g_autoptr (TgSignalRequest) request = NULL;
  g_autofree char *name = NULL;
  const Command *command = NULL;
  gboolean bad = FALSE;

  *outcome = TG_SIGNAL_CLOSE;
  *definition = NULL;
  if (length > MAX_FRAME)
    {
      g_set_error (error, TG_ERROR, TG_ERROR_INVALID,
                   "message larger than %d bytes", MAX_FRAME);
      return NULL;
    }
  object = tg_fields_parse_object (text, length, error);
  if (object == NULL)
    return NULL;
  name = string_member (object, "command", &bad);
  if (name == NULL)
    {
      g_set_error (error, TG_ERROR, TG_ERROR_INVALID,
                   "message has no command string");
      return NULL;
    }
  for (guint i = 0; i < G_N_ELEMENTS (commands) && command == NULL; i++)
    if (g_str_equal (commands[i].name, name))
      command = &commands[i];
  *outcome = TG_SIGNAL_IGNORED;
  if (command == NULL)
    return NULL;
  *outcome = TG_SIGNAL_ANSWER;
  request = g_new0 (TgSignalRequest, 1);
  request->command = command->command;
  request->height = -1;
  if (command->needs_stream_id)
    {
      request->stream_id = string_member (object, "streamId", &bad);
      *definition = "invalidStreamName";
      if (bad)
        return NULL;
      *definition = "noStreamNameSpecified";
      if (request->stream_id == NULL || *request->stream_id == '\0')
        return NULL;
      *definition = "invalidStreamName";
      if (!tg_stream_id_is_valid (request->stream_id))
        return NULL;
    }
  if (!read_fields (object, request, definition))
    return NULL;
  *definition = NULL;
  return g_steal_pointer (&request);
}

JsonObject *
tg_signal_reply (const char *command, const char *stream_id)
{
  JsonObject *object = json_object_new ();

  json_object_set_string_member (object, "command", command);
  if (stream_id)
    json_object_set_string_member (object, "streamId", stream_id);
  return object;
}

static JsonObject *
with_definition (const char *command, const char *definition,
                 const char *stream_id)
{
  JsonObject *object = tg_signal_reply (command, stream_id);

  json_object_set_string_member (object, "definition", definition);
  return object;
}

JsonObject *
tg_signal_error (const char *definition, const char *stream_id)
{
  return with_definition ("error", definition, stream_id);
}

JsonObject *
tg_signal_notification (const char *definition, const char *stream_id)
{
  return with_definition ("notification", definition, stream_id);
}

char *
tg_signal_to_text (JsonObject *object)
{
  g_autoptr (JsonNode) node = json_node_new (JSON_NODE_OBJECT);

  json_node_set_object (node, object);
  return json_to_string (node, FALSE);
}
