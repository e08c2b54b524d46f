#include "tg-sessions.h"

static const char *const DOOR_NAMES[TG_SESSION_DOORS]
    = { [TG_SESSION_RTMP] = "RTMP", [TG_SESSION_SRT] = "SRT",
        [TG_SESSION_RTSP] = "RTSP", [TG_SESSION_WEBRTC] = "WebRTC",
        [TG_SESSION_WHIP] = "WHIP", [TG_SESSION_WHEP] = "WHEP",
        [TG_SESSION_HLS] = "HLS",   [TG_SESSION_DASH] = "DASH" };

struct _TgSession
{
  char *id;
  char *app, *stream_id, *peer;
  char *tag; /* the credential's, or NULL */
  TgTokenType type;
  gint door;        /* atomic: TgSessionDoor */
  gint64 start;     /* unix ms */
  guint64 in, out;  /* atomic */
  TgSessionCut cut; /* NULL once asked */
  gpointer cut_data;
  TgSessionBytes read_in, read_out; /* tg_sessions_count_with, or NULL */
  gpointer read_data;
  gboolean was_cut;
  GQueue *queue; /* its stream's, in the registry */
  GList link;
};

struct _TgSessions
{
  GMutex lock;
  TgAudit *audit;
  GHashTable *streams; /* "app/stream_id" -> GQueue of TgSession */
  /* the closed sessions' bytes, by door */
  guint64 closed_in[TG_SESSION_DOORS], closed_out[TG_SESSION_DOORS];
};

const char *
tg_session_door_name (TgSessionDoor door)
{
  return door < TG_SESSION_DOORS ? DOOR_NAMES[door] : "?";
}

gint
tg_session_door_from_name (const char *name)
{
  for (guint d = 0; d < TG_SESSION_DOORS; d++)
    if (g_strcmp0 (DOOR_NAMES[d], name) == 0)
      return d;
  return -1;
}

/* The byte counts: 64 bits wherever the server runs. */
static guint64
load (guint64 *count)
{
  return __atomic_load_n (count, __ATOMIC_RELAXED);
}

static void
queue_free (gpointer queue)
{
  g_queue_free (queue);
}

TgSessions *
tg_sessions_new (TgAudit *audit)
{
  TgSessions *sessions = g_new0 (TgSessions, 1);

  g_mutex_init (&sessions->lock);
  sessions->audit = audit;
  sessions->streams
      = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, queue_free);
  return sessions;
}

void
tg_sessions_free (TgSessions *sessions)
{
  if (sessions == NULL)
    return;
  g_hash_table_unref (sessions->streams);
  g_mutex_clear (&sessions->lock);
  g_free (sessions);
}

static char *
key_of (const char *app, const char *stream_id)
{
  return g_strconcat (app, "/", stream_id, NULL);
}

/* Its bytes: its own count, and its door's. Locked. */
static guint64
bytes_in (TgSession *session)
{
  return load (&session->in)
         + (session->read_in ? session->read_in (session->read_data) : 0);
}

static guint64
bytes_out (TgSession *session)
{
  return load (&session->out)
         + (session->read_out ? session->read_out (session->read_data) : 0);
}

/* A line of the audit log: event "session-start", or "session-end" with
 * its bytes (read locked, given here). */
static void
audit (TgSessions *sessions, TgSession *session, const char *event, guint64 in,
       guint64 out)
{
  g_autoptr (JsonObject) line = NULL;
  TgSessionDoor door = g_atomic_int_get (&session->door);

  if (sessions->audit == NULL)
    return;
  line = json_object_new ();
  json_object_set_string_member (line, "event", event);
  json_object_set_string_member (line, "session", session->id);
  json_object_set_string_member (line, "app", session->app);
  json_object_set_string_member (line, "stream", session->stream_id);
  json_object_set_string_member (line, "door", tg_session_door_name (door));
  json_object_set_string_member (line, "type",
                                 tg_token_type_to_string (session->type));
  json_object_set_string_member (line, "client", session->peer);
  json_object_set_string_member (line, "credential", session->tag);
  if (g_str_equal (event, "session-end"))
    {
      json_object_set_string_member (
          line, "reason", session->was_cut ? "ended-by-operator" : "left");
      json_object_set_int_member (
          line, "seconds", (g_get_real_time () / 1000 - session->start) / 1000);
      json_object_set_int_member (line, "bytesIn", (gint64) in);
      json_object_set_int_member (line, "bytesOut", (gint64) out);
    }
  tg_audit_write (sessions->audit, line);
}

TgSession *
tg_sessions_open (TgSessions *sessions, TgSessionDoor door, TgTokenType type,
                  const char *app, const char *stream_id, const char *peer,
                  const char *tag, TgSessionCut cut, gpointer cut_data)
{
  TgSession *session = g_new0 (TgSession, 1);
  g_autofree char *key = key_of (app, stream_id);
  GQueue *queue;

  session->id = g_uuid_string_random ();
  session->app = g_strdup (app);
  session->stream_id = g_strdup (stream_id);
  session->peer = g_strdup (peer);
  session->tag = g_strdup (tag);
  session->type = type;
  session->door = door;
  session->start = g_get_real_time () / 1000;
  session->cut = cut;
  session->cut_data = cut_data;
  session->link.data = session;
  g_mutex_lock (&sessions->lock);
  queue = g_hash_table_lookup (sessions->streams, key);
  if (queue == NULL)
    {
      queue = g_queue_new ();
      g_hash_table_insert (sessions->streams, g_steal_pointer (&key), queue);
    }
  g_queue_push_tail_link (queue, &session->link);
  session->queue = queue;
  g_mutex_unlock (&sessions->lock);
  audit (sessions, session, "session-start", 0, 0);
  return session;
}

char *
tg_session_tag (const char *credential)
{
  return credential && *credential ? tg_token_hash (credential) : NULL;
}

void
tg_sessions_close (TgSessions *sessions, TgSession *session)
{
  TgSessionDoor door;
  guint64 in, out;

  if (session == NULL)
    return;
  g_mutex_lock (&sessions->lock);
  g_queue_unlink (session->queue, &session->link);
  if (g_queue_is_empty (session->queue))
    {
      g_autofree char *key = key_of (session->app, session->stream_id);

      g_hash_table_remove (sessions->streams, key);
    }
  door = g_atomic_int_get (&session->door);
  in = bytes_in (session);
  out = bytes_out (session);
  sessions->closed_in[door] += in;
  sessions->closed_out[door] += out;
  /* The door's counts are not read past its close. */
  session->read_in = session->read_out = NULL;
  g_mutex_unlock (&sessions->lock);
  audit (sessions, session, "session-end", in, out);
  g_free (session->id);
  g_free (session->app);
  g_free (session->stream_id);
  g_free (session->peer);
  g_free (session->tag);
  g_free (session);
}

void
tg_session_add_bytes (TgSession *session, guint64 in, guint64 out)
{
  if (session == NULL)
    return;
  if (in)
    __atomic_fetch_add (&session->in, in, __ATOMIC_RELAXED);
  if (out)
    __atomic_fetch_add (&session->out, out, __ATOMIC_RELAXED);
}

void
tg_sessions_count_with (TgSessions *sessions, TgSession *session,
                        TgSessionBytes in, TgSessionBytes out, gpointer data)
{
  g_mutex_lock (&sessions->lock);
  session->read_in = in;
  session->read_out = out;
  session->read_data = data;
  g_mutex_unlock (&sessions->lock);
}

void
tg_session_set_door (TgSession *session, TgSessionDoor door)
{
  g_atomic_int_set (&session->door, door);
}

gboolean
tg_session_is_cut (TgSession *session)
{
  return g_atomic_int_get (&session->was_cut);
}

static GQueue *
queue_of (TgSessions *sessions, const char *app, const char *stream_id)
{
  g_autofree char *key = key_of (app, stream_id);

  return g_hash_table_lookup (sessions->streams, key);
}

static JsonObject *
describe (TgSession *session)
{
  JsonObject *object = json_object_new ();
  TgSessionDoor door = g_atomic_int_get (&session->door);

  json_object_set_string_member (object, "sessionId", session->id);
  json_object_set_string_member (object, "streamId", session->stream_id);
  json_object_set_string_member (object, "door", tg_session_door_name (door));
  json_object_set_string_member (object, "type",
                                 tg_token_type_to_string (session->type));
  json_object_set_string_member (object, "remoteIp", session->peer);
  json_object_set_int_member (object, "startTime", session->start);
  json_object_set_int_member (object, "bytesIn", (gint64) bytes_in (session));
  json_object_set_int_member (object, "bytesOut", (gint64) bytes_out (session));
  json_object_set_string_member (object, "credential", session->tag);
  return object;
}

JsonArray *
tg_sessions_list (TgSessions *sessions, const char *app, const char *stream_id)
{
  JsonArray *list = json_array_new ();
  GQueue *queue;

  g_mutex_lock (&sessions->lock);
  queue = queue_of (sessions, app, stream_id);
  for (GList *l = queue ? queue->head : NULL; l; l = l->next)
    json_array_add_object_element (list, describe (l->data));
  g_mutex_unlock (&sessions->lock);
  return list;
}

/* Called locked. */
static void
cut (TgSession *session)
{
  TgSessionCut func = session->cut;

  g_atomic_int_set (&session->was_cut, TRUE);
  session->cut = NULL;
  if (func)
    func (session->cut_data);
}

gboolean
tg_sessions_cut (TgSessions *sessions, const char *app, const char *stream_id,
                 const char *id)
{
  gboolean found = FALSE;
  GQueue *queue;

  g_mutex_lock (&sessions->lock);
  queue = queue_of (sessions, app, stream_id);
  for (GList *l = queue ? queue->head : NULL; l && !found; l = l->next)
    {
      TgSession *session = l->data;

      if (g_str_equal (session->id, id))
        {
          cut (session);
          found = TRUE;
        }
    }
  g_mutex_unlock (&sessions->lock);
  return found;
}

guint
tg_sessions_cut_all (TgSessions *sessions, const char *app,
                     const char *stream_id, gint type)
{
  guint count = 0;
  GQueue *queue;

  g_mutex_lock (&sessions->lock);
  queue = queue_of (sessions, app, stream_id);
  for (GList *l = queue ? queue->head : NULL; l; l = l->next)
    {
      TgSession *session = l->data;

      if (type >= 0 && session->type != (TgTokenType) type)
        continue;
      cut (session);
      count++;
    }
  g_mutex_unlock (&sessions->lock);
  return count;
}

void
tg_sessions_count_viewers (TgSessions *sessions, const char *app,
                           const char *stream_id, guint *counts)
{
  GQueue *queue;

  memset (counts, 0, TG_SESSION_DOORS * sizeof *counts);
  g_mutex_lock (&sessions->lock);
  queue = queue_of (sessions, app, stream_id);
  for (GList *l = queue ? queue->head : NULL; l; l = l->next)
    {
      TgSession *session = l->data;

      if (session->type == TG_TOKEN_TYPE_PLAY)
        counts[g_atomic_int_get (&session->door)]++;
    }
  g_mutex_unlock (&sessions->lock);
}

void
tg_sessions_totals (TgSessions *sessions, guint64 *in, guint64 *out,
                    guint *viewers)
{
  GHashTableIter iter;
  gpointer queue;

  g_mutex_lock (&sessions->lock);
  memcpy (in, sessions->closed_in, sizeof sessions->closed_in);
  memcpy (out, sessions->closed_out, sizeof sessions->closed_out);
  memset (viewers, 0, TG_SESSION_DOORS * sizeof *viewers);
  g_hash_table_iter_init (&iter, sessions->streams);
  while (g_hash_table_iter_next (&iter, NULL, &queue))
    for (GList *l = ((GQueue *) queue)->head; l; l = l->next)
      {
        TgSession *session = l->data;
        TgSessionDoor door = g_atomic_int_get (&session->door);

        in[door] += bytes_in (session);
        out[door] += bytes_out (session);
        if (session->type == TG_TOKEN_TYPE_PLAY)
          viewers[door]++;
      }
  g_mutex_unlock (&sessions->lock);
}
