#include "tg-http-streams.h"

#include "tg-cluster.h"
#include "tg-hls-viewers.h"
#include "tg-http.h"
#include "tg-live.h"
#include "tg-llhls.h"
#include "tg-resume.h"

#include "tg-playback.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

/* Playlists and manifests are read (never mapped) and may be rewritten;
 * none is larger than this. */
#define MAX_TEXT_FILE (16 * 1024 * 1024)
#define ALLOW "GET, HEAD, OPTIONS"
/* How long a playlist or manifest of a stream being pulled from another
 * node (tg-cluster.h) is waited for: the pull connects, and the first
 * segment is made here. */
#define PULL_HOLD_S 12

typedef enum
{
  KIND_MEDIA,
  KIND_M3U8,
  KIND_MPD,
} Kind;

static const struct
{
  const char *extension;
  const char *type;
  Kind kind;
} types[] = {
  { "m3u8", "application/vnd.apple.mpegurl", KIND_M3U8 },
  { "mpd", "application/dash+xml", KIND_MPD },
  { "ts", "video/mp2t", KIND_MEDIA },
  { "mp4", "video/mp4", KIND_MEDIA },
  { "m4s", "video/iso.segment", KIND_MEDIA },
  { "m4a", "audio/mp4", KIND_MEDIA },
  { "vtt", "text/vtt", KIND_MEDIA },
};

/* What a request was let through with. */
typedef struct
{
  const char *app;
  const TgPolicy *policy;
  char *stream;
  char *session_id; /* NULL when sessions are off */
  gint64 epoch;
  gint64 idle;
  gint64 now;
  TgViewerFile file; /* what was asked for, for the viewer counts */
} Pass;

static void
pass_clear (Pass *pass)
{
  g_free (pass->stream);
  g_free (pass->session_id);
}

static void
reply_text (SoupServerMessage *msg, guint status, const char *text)
{
  soup_server_message_set_status (msg, status, NULL);
  soup_server_message_set_response (msg, "text/plain", SOUP_MEMORY_COPY, text,
                                    strlen (text));
}

char *
tg_http_streams_dir (const TgServer *server, const char *app)
{
  return g_build_filename (server->config->data_dir, "streams", app, NULL);
}

gboolean
tg_http_streams_prepare (const TgServer *server, GError **error)
{
  for (char **app = server->config->apps; *app; app++)
    {
      g_autofree char *dir = tg_http_streams_dir (server, *app);

      if (g_mkdir_with_parents (dir, 0750) != 0)
        {
          int saved = errno;

          g_set_error (error, G_FILE_ERROR, g_file_error_from_errno (saved),
                       "Could not create %s: %s", dir, g_strerror (saved));
          return FALSE;
        }
    }
  return TRUE;
}

/* --- Range --- */

/* Digits only: no sign, no space. */
static gboolean
parse_offset (const char *text, guint64 *value)
{
  return g_ascii_isdigit (text[0])
         && g_ascii_string_to_unsigned (text, 10, 0, G_MAXINT64, value, NULL);
}

TgRange
tg_http_parse_range (const char *header, goffset size, goffset *start,
                     goffset *end)
{
  g_auto (GStrv) parts = NULL;
  const char *spec;
  guint64 first = 0, last = 0;

  if (header == NULL || g_ascii_strncasecmp (header, "bytes", 5) != 0)
    return TG_RANGE_NONE;
  spec = header + 5 + strspn (header + 5, " \t");
  if (*spec++ != '=' || strchr (spec, ',') != NULL)
    return TG_RANGE_NONE;
  parts = g_strsplit (spec, "-", 3);
  if (g_strv_length (parts) != 2)
    return TG_RANGE_NONE;
  g_strstrip (parts[0]);
  g_strstrip (parts[1]);
  if (parts[0][0] == '\0')
    {
      /* The last n bytes. */
      if (!parse_offset (parts[1], &last))
        return TG_RANGE_NONE;
      if (last == 0 || size == 0)
        return TG_RANGE_UNSATISFIABLE;
      *start = (guint64) size > last ? size - (goffset) last : 0;
      *end = size - 1;
      return TG_RANGE_OK;
    }
  if (!parse_offset (parts[0], &first)
      || (parts[1][0] != '\0' && !parse_offset (parts[1], &last)))
    return TG_RANGE_NONE;
  if (parts[1][0] == '\0')
    last = G_MAXINT64;
  if (last < first)
    return TG_RANGE_NONE;
  if (first >= (guint64) size)
    return TG_RANGE_UNSATISFIABLE;
  *start = (goffset) first;
  *end = (goffset) MIN (last, (guint64) size - 1);
  return TG_RANGE_OK;
}

/* --- the gate --- */

/* 403, in Ant Media's words for the app's scheme. */
static void
refuse (SoupServerMessage *msg, const Pass *pass)
{
  g_autofree char *text = NULL;

  if (tg_policy_scheme (pass->policy, TG_TOKEN_TYPE_PLAY) == TG_SCHEME_JWT)
    text = g_strdup ("Invalid JWT Token");
  else
    text = g_strconcat (
        "Invalid Token for streamId:", pass->stream ? pass->stream : "", NULL);
  reply_text (msg, SOUP_STATUS_FORBIDDEN, text);
}

/* The session a request presents for pass->stream (its "session" parameter
 * or one of its cookies), or NULL. */
static char *
presented_session (GBytes *secret, SoupServerMessage *msg, GHashTable *query,
                   const Pass *pass)
{
  const char *param = g_hash_table_lookup (query, TG_PLAYBACK_PARAM);
  const char *header = soup_message_headers_get_one (
      soup_server_message_get_request_headers (msg), "Cookie");
  char *session_id = NULL;

  if (tg_playback_key_verify (secret, pass->app, pass->stream, param, pass->now,
                              pass->epoch, &session_id))
    return session_id;
  return tg_playback_cookie_session (secret, header, pass->app, pass->stream,
                                     pass->now, pass->epoch);
}

static gboolean
one_time (const Pass *pass)
{
  return tg_policy_scheme (pass->policy, TG_TOKEN_TYPE_PLAY)
         == TG_SCHEME_ONE_TIME;
}

/* The request of a playback session: it is a session of the server
 * (tg-hls-viewers.h). */
static void
seen (TgServer *server, const Pass *pass, const char *client, const char *tag)
{
  TgHlsViewerSeen seen = { .sessions = server->sessions,
                           .app = pass->app,
                           .stream_id = pass->stream,
                           .session_id = pass->session_id,
                           .file = pass->file,
                           .peer = client,
                           .tag = tag,
                           .idle_s = pass->idle };

  tg_hls_viewer_seen (&seen);
}

/* Lets the request through with a session (a presented one, a new one
 * opened by spending its token, or the one its spent token opened for
 * the same client: tg-resume.h) or replies 403 / 500 and returns FALSE. */
static gboolean
open_session (TgServer *server, SoupServerMessage *msg, GHashTable *query,
              Pass *pass)
{
  const char *client = soup_server_message_get_remote_host (msg);
  TgAdmission request = { .app = pass->app,
                          .stream_id = pass->stream,
                          .type = TG_TOKEN_TYPE_PLAY,
                          .credential = g_hash_table_lookup (query, "token"),
                          .door = "HTTP",
                          .peer = client,
                          .spend = TRUE };
  g_autoptr (GError) error = NULL;
  g_autofree char *tag = NULL;
  TgAdmit outcome;

  if (client == NULL)
    client = "";
  if (pass->stream == NULL || !tg_stream_id_is_valid (pass->stream))
    {
      refuse (msg, pass);
      return FALSE;
    }
  if (!tg_playback_get_epoch (server->store, pass->app, pass->stream,
                              &pass->epoch, &error))
    {
      g_message ("Playback of %s/%s: %s", pass->app, pass->stream,
                 error->message);
      reply_text (msg, SOUP_STATUS_INTERNAL_SERVER_ERROR,
                  "Internal server error");
      return FALSE;
    }
  pass->session_id = presented_session (server->secret, msg, query, pass);
  /* One an operator ended is not presented: only a new token opens one. */
  if (pass->session_id && tg_hls_session_is_ended (pass->session_id))
    g_clear_pointer (&pass->session_id, g_free);
  if (pass->session_id)
    {
      seen (server, pass, client, NULL);
      return TRUE;
    }
  /* No session: the token (spent) or JWT (checked) opens one; a one-time
   * token its client spent already resumes the session it opened. */
  outcome = tg_admit (server->store, pass->policy, &request, NULL, &error);
  if (outcome == TG_ADMIT_OK)
    {
      pass->session_id = tg_playback_session_id_new (&error);
      if (pass->session_id && one_time (pass) && request.credential)
        tg_resume_remember (request.credential, client, pass->app, pass->stream,
                            pass->epoch, pass->session_id,
                            pass->now + pass->idle);
    }
  else if (outcome != TG_ADMIT_STORE_ERROR)
    {
      pass->session_id
          = one_time (pass) && request.credential
                ? tg_resume_find (request.credential, client, pass->app,
                                  pass->stream, pass->epoch, pass->now,
                                  pass->now + pass->idle)
                : NULL;
      if (pass->session_id == NULL)
        {
          refuse (msg, pass);
          return FALSE;
        }
      if (tg_hls_session_is_ended (pass->session_id))
        {
          g_info ("Playback of %s/%s by %s: its spent token's session was "
                  "ended",
                  pass->app, pass->stream, client);
          g_clear_pointer (&pass->session_id, g_free);
          refuse (msg, pass);
          return FALSE;
        }
      g_info ("Playback of %s/%s by %s: its spent token resumes its session",
              pass->app, pass->stream, client);
    }
  if (pass->session_id == NULL)
    {
      g_message ("Playback of %s/%s: %s", pass->app, pass->stream,
                 error ? error->message : "store error");
      reply_text (msg, SOUP_STATUS_INTERNAL_SERVER_ERROR,
                  "Internal server error");
      return FALSE;
    }
  tag = outcome == TG_ADMIT_OK ? tg_session_tag (request.credential) : NULL;
  seen (server, pass, client, tag);
  return TRUE;
}

static char *
issue (TgServer *server, const Pass *pass, gint64 lifetime)
{
  return tg_playback_key_issue (server->secret, pass->app, pass->stream,
                                pass->session_id, pass->now + lifetime,
                                pass->epoch);
}

/* The session cookie, refreshed on every response of a session. */
static void
set_cookie (TgServer *server, SoupServerMessage *msg, const Pass *pass)
{
  g_autofree char *key = issue (server, pass, pass->idle);
  g_autofree char *cookie = g_strdup_printf (
      TG_PLAYBACK_COOKIE_PREFIX "%s=%s; Path=/%s/streams/; HttpOnly; "
                                "SameSite=Lax%s",
      pass->stream, key, pass->app, tg_http_is_tls (msg) ? "; Secure" : "");

  soup_message_headers_append (soup_server_message_get_response_headers (msg),
                               "Set-Cookie", cookie);
}

/* --- files --- */

/* Whether segments name a file the route may serve: "file",
 * "folder/file" or "ll-hls/folder/file", no empty, hidden, "." or ".."
 * names. Symlinks are refused when opening. */
static gboolean
path_is_allowed (char **segments)
{
  guint n = g_strv_length (segments);

  if (n == 0 || n > 3 || (n == 3 && !g_str_equal (segments[0], "ll-hls")))
    return FALSE;
  for (guint i = 0; i < n; i++)
    if (segments[i][0] == '\0' || segments[i][0] == '.'
        || strchr (segments[i], '/') != NULL)
      return FALSE;
  return TRUE;
}

/* The file's name, and the folder it is in (NULL: none). */
static const char *
file_of (char **segments)
{
  return segments[g_strv_length (segments) - 1];
}

static const char *
folder_of (char **segments)
{
  guint n = g_strv_length (segments);

  return n > 1 ? segments[n - 2] : NULL;
}

/* Opens a regular file under dir, following no symlink on the way; -1
 * with errno set otherwise. */
static int
open_file (const char *dir, char **segments, struct stat *st)
{
  int dir_fd = open (dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  int fd, saved;

  while (dir_fd >= 0 && segments[1])
    {
      int sub_fd = openat (dir_fd, segments[0],
                           O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);

      saved = errno;
      close (dir_fd);
      errno = saved;
      dir_fd = sub_fd;
      segments++;
    }
  if (dir_fd < 0)
    return -1;
  /* O_NONBLOCK: opening a FIFO must not hang the worker. */
  fd = openat (dir_fd, segments[0],
               O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
  saved = errno;
  close (dir_fd);
  errno = saved;
  if (fd < 0)
    return -1;
  if (fstat (fd, st) != 0 || !S_ISREG (st->st_mode))
    {
      close (fd);
      errno = ENOENT;
      return -1;
    }
  return fd;
}

/* A playlist's text; NULL if it cannot be read or is not text. */
static char *
read_text (int fd, GError **error)
{
  g_autoptr (GString) text = g_string_new (NULL);
  char buffer[65536];
  gssize n;

  while ((n = read (fd, buffer, sizeof buffer)) != 0)
    {
      if (n < 0 && errno == EINTR)
        continue;
      if (n < 0 || text->len + n > MAX_TEXT_FILE)
        {
          g_set_error (error, G_FILE_ERROR, G_FILE_ERROR_FAILED, "%s",
                       n < 0 ? g_strerror (errno) : "too large");
          return NULL;
        }
      g_string_append_len (text, buffer, n);
    }
  if (memchr (text->str, '\0', text->len) != NULL)
    {
      g_set_error (error, G_FILE_ERROR, G_FILE_ERROR_FAILED, "not text");
      return NULL;
    }
  return g_string_free (g_steal_pointer (&text), FALSE);
}

/* A playlist or manifest as served in this session: every URI carries a
 * fresh key, long enough to play it all if it is a finished one. */
static char *
rewrite (TgServer *server, const Pass *pass, Kind kind, const char *text)
{
  gint64 vod = kind == KIND_M3U8 ? tg_playback_m3u8_vod_duration (text)
                                 : tg_playback_mpd_vod_duration (text);
  g_autofree char *key = issue (server, pass, pass->idle + vod);
  g_autofree char *nested_key = NULL;

  if (kind == KIND_MPD)
    return tg_playback_rewrite_mpd (text, key);
  nested_key = issue (server, pass, TG_PLAYBACK_NESTED_LIFETIME_S);
  return tg_playback_rewrite_m3u8 (text, key, nested_key);
}

/* The body of the file: playlists read (and rewritten in a session), all
 * else mapped, never copied. Mapped files must not be truncated in place
 * while served (SIGBUS); the pipelines write new files or append. */
static GBytes *
body_of (TgServer *server, const Pass *pass, Kind kind, int fd, GError **error)
{
  g_autoptr (GMappedFile) mapped = NULL;
  g_autofree char *text = NULL;
  char *served;

  if (kind == KIND_MEDIA)
    {
      mapped = g_mapped_file_new_from_fd (fd, FALSE, error);
      return mapped ? g_mapped_file_get_bytes (mapped) : NULL;
    }
  text = read_text (fd, error);
  if (text == NULL)
    return NULL;
  served = pass->session_id ? rewrite (server, pass, kind, text)
                            : g_steal_pointer (&text);
  return g_bytes_new_take (served, strlen (served));
}

static char *
last_modified (const struct stat *st)
{
  g_autoptr (GDateTime) time = g_date_time_new_from_unix_utc (st->st_mtime);

  return time ? soup_date_time_to_string (time, SOUP_DATE_HTTP) : NULL;
}

/* Sets the body, whole or the range asked for. libsoup 3.2.3's own
 * partial-GET handling copies the whole body and mishandles ranges past
 * its end, so Range is answered here and removed from the request.
 * validator is the response's Last-Modified (may be NULL), the only
 * If-Range that keeps a Range in force. */
static void
set_body (SoupServerMessage *msg, GBytes *body, const char *validator)
{
  SoupMessageHeaders *request = soup_server_message_get_request_headers (msg);
  SoupMessageHeaders *response = soup_server_message_get_response_headers (msg);
  SoupMessageBody *out = soup_server_message_get_response_body (msg);
  g_autofree char *range
      = g_strdup (soup_message_headers_get_one (request, "Range"));
  const char *if_range = soup_message_headers_get_one (request, "If-Range");
  goffset size = g_bytes_get_size (body), start = 0, end = 0;
  g_autoptr (GBytes) part = NULL;
  g_autofree char *unsatisfied = NULL;
  TgRange verdict = TG_RANGE_NONE;

  soup_message_headers_remove (request, "Range");
  soup_message_headers_replace (response, "Accept-Ranges", "bytes");
  if (range && (if_range == NULL || g_strcmp0 (if_range, validator) == 0))
    verdict = tg_http_parse_range (range, size, &start, &end);
  switch (verdict)
    {
    case TG_RANGE_NONE:
      soup_server_message_set_status (msg, SOUP_STATUS_OK, NULL);
      if (size > 0)
        soup_message_body_append_bytes (out, body);
      break;
    case TG_RANGE_OK:
      soup_server_message_set_status (msg, SOUP_STATUS_PARTIAL_CONTENT, NULL);
      soup_message_headers_set_content_range (response, start, end, size);
      part = g_bytes_new_from_bytes (body, start, end - start + 1);
      soup_message_body_append_bytes (out, part);
      break;
    case TG_RANGE_UNSATISFIABLE:
      soup_server_message_set_status (
          msg, SOUP_STATUS_REQUESTED_RANGE_NOT_SATISFIABLE, NULL);
      unsatisfied = g_strdup_printf ("bytes */%" G_GOFFSET_FORMAT, size);
      soup_message_headers_replace (response, "Content-Range", unsatisfied);
      break;
    }
}

static Kind
kind_of (const char *file, const char **type)
{
  const char *dot = strrchr (file, '.');

  *type = "application/octet-stream";
  for (guint i = 0; dot && i < G_N_ELEMENTS (types); i++)
    if (g_ascii_strcasecmp (dot + 1, types[i].extension) == 0)
      {
        *type = types[i].type;
        return types[i].kind;
      }
  return KIND_MEDIA;
}

static void
serve (TgServer *server, SoupServerMessage *msg, char **segments,
       const Pass *pass)
{
  SoupMessageHeaders *headers = soup_server_message_get_response_headers (msg);
  g_autofree char *dir = tg_http_streams_dir (server, pass->app);
  g_autoptr (GError) error = NULL;
  g_autoptr (GBytes) body = NULL;
  g_autofree char *validator = NULL;
  const char *type = NULL;
  Kind kind = kind_of (file_of (segments), &type);
  struct stat st;
  int fd = open_file (dir, segments, &st);

  if (fd < 0)
    {
      if (errno != ENOENT && errno != ENOTDIR && errno != ELOOP
          && errno != EISDIR && errno != ENAMETOOLONG)
        g_message ("Cannot open a file under %s: %s", dir, g_strerror (errno));
      reply_text (msg, SOUP_STATUS_NOT_FOUND, "Not found");
      return;
    }
  body = body_of (server, pass, kind, fd, &error);
  close (fd);
  if (body == NULL)
    {
      g_message ("Cannot serve a file under %s: %s", dir, error->message);
      reply_text (msg, SOUP_STATUS_INTERNAL_SERVER_ERROR,
                  "Internal server error");
      return;
    }
  soup_message_headers_set_content_type (headers, type, NULL);
  soup_message_headers_replace (headers, "X-Content-Type-Options", "nosniff");
  if (kind != KIND_MEDIA)
    soup_message_headers_replace (headers, "Cache-Control", "no-cache");
  else if (pass->session_id)
    soup_message_headers_replace (headers, "Cache-Control", "private");
  /* A rewritten playlist differs at each request: it has no validator. */
  if (kind == KIND_MEDIA || pass->session_id == NULL)
    validator = last_modified (&st);
  if (validator)
    soup_message_headers_replace (headers, "Last-Modified", validator);
  set_body (msg, body, validator);
  if (pass->session_id)
    tg_hls_viewer_sent (pass->app, pass->stream, pass->session_id,
                        g_bytes_get_size (body));
}

/* What a file is for the viewer counts. */
static TgViewerFile
viewer_file (const char *name)
{
  if (g_str_has_suffix (name, ".mpd"))
    return TG_VIEWER_DASH;
  return g_str_has_suffix (name, ".m3u8") ? TG_VIEWER_HLS : TG_VIEWER_MEDIA;
}

/* --- LL-HLS: requests held until what they ask for exists --- */

typedef struct
{
  TgServer *server;
  char **segments;
  char *app;
  TgSettings *settings; /* the pass's policy */
  Pass pass;
  gint64 msn, part; /* a blocking reload's; msn -1: a preload hint's part */
} Held;

static void
held_free (gpointer data)
{
  Held *held = data;

  g_strfreev (held->segments);
  g_free (held->app);
  tg_settings_unref (held->settings);
  pass_clear (&held->pass);
  g_free (held);
}

static gboolean
held_ready (gpointer data)
{
  Held *held = data;
  g_autofree char *dir = tg_http_streams_dir (held->server, held->app);
  g_autofree char *text = NULL;
  struct stat st;
  int fd = open_file (dir, held->segments, &st);

  if (fd < 0 || held->msn < 0)
    {
      if (fd >= 0)
        close (fd);
      return fd >= 0;
    }
  text = read_text (fd, NULL);
  close (fd);
  return text == NULL || tg_llhls_has (text, held->msn, held->part);
}

static void
held_done (SoupServerMessage *msg, gboolean ready, gpointer data)
{
  Held *held = data;

  /* not ready in time: what there is (the playlist as it stands, or 404) */
  serve (held->server, msg, held->segments, &held->pass);
}

/* A playlist or manifest not here, of a stream live on another node of
 * the cluster: it is pulled from there, and the request held until the
 * file is made here. */
static gboolean
comes_from_origin (TgServer *server, char **segments, const Pass *pass,
                   const TgSettings *settings)
{
  const char *file = file_of (segments);
  /* LL-HLS (ll-hls/) is made with DASH, from the same CMAF */
  gboolean cmaf
      = g_str_has_suffix (file, ".mpd") || g_str_equal (segments[0], "ll-hls");
  g_autofree char *dir = NULL;
  struct stat st;
  int fd;

  if (server->cluster == NULL || pass->stream == NULL
      || !(g_str_has_suffix (file, ".m3u8") || g_str_has_suffix (file, ".mpd"))
      || !(cmaf ? settings->dash_muxing : settings->hls_muxing))
    return FALSE;
  dir = tg_http_streams_dir (server, pass->app);
  fd = open_file (dir, segments, &st);
  if (fd >= 0)
    {
      close (fd);
      return FALSE;
    }
  return tg_cluster_pull (server, pass->app, pass->stream);
}

/* A blocking reload (_HLS_msn) of a playlist, or a part not written yet
 * (a preload hint's): held until it is there. */
static void
serve_or_hold (TgServer *server, SoupServerMessage *msg, char **segments,
               GHashTable *query, Pass *pass, TgSettings *settings)
{
  const char *file = file_of (segments);
  gint64 msn = -1, part = -1;
  int wanted = g_str_has_suffix (file, ".m3u8")
                   ? tg_llhls_wanted (query, &msn, &part)
                   : 0;
  gboolean part_hint
      = g_str_has_prefix (file, "part-") && g_str_has_suffix (file, ".m4s");
  gboolean pulled = FALSE;
  Held *held;

  if (wanted < 0)
    {
      reply_text (msg, SOUP_STATUS_BAD_REQUEST,
                  "_HLS_msn and _HLS_part must be whole numbers");
      return;
    }
  if (wanted == 0 && !part_hint
      && !(pulled = comes_from_origin (server, segments, pass, settings)))
    {
      serve (server, msg, segments, pass);
      return;
    }
  held = g_new0 (Held, 1);
  held->server = server;
  held->segments = g_strdupv (segments);
  held->app = g_strdup (pass->app);
  held->settings = tg_settings_ref (settings);
  held->pass = *pass;
  held->pass.app = held->app;
  held->pass.policy = settings->policy;
  held->pass.stream = g_strdup (pass->stream);
  held->pass.session_id = g_strdup (pass->session_id);
  held->msn = msn;
  held->part = part;
  if (held_ready (held))
    {
      serve (server, msg, segments, pass);
      held_free (held);
      return;
    }
  tg_llhls_hold (msg, pulled ? PULL_HOLD_S : TG_LLHLS_HOLD_S, held_ready,
                 held_done, held, held_free);
}

void
tg_http_streams_handle (TgServer *server, SoupServerMessage *msg,
                        const char *app, char **segments, GHashTable *query)
{
  g_autoptr (TgSettings) settings = tg_apps_get_settings (server->apps, app);
  const char *method = soup_server_message_get_method (msg);
  Pass pass = { .app = app, .now = g_get_real_time () / G_USEC_PER_SEC };

  if (settings == NULL)
    {
      reply_text (msg, SOUP_STATUS_NOT_FOUND, "Application not found");
      return;
    }
  if (g_str_equal (method, SOUP_METHOD_OPTIONS))
    {
      soup_server_message_set_status (msg, SOUP_STATUS_NO_CONTENT, NULL);
      soup_message_headers_replace (
          soup_server_message_get_response_headers (msg), "Allow", ALLOW);
      return;
    }
  if (!g_str_equal (method, SOUP_METHOD_GET)
      && !g_str_equal (method, SOUP_METHOD_HEAD))
    {
      soup_message_headers_replace (
          soup_server_message_get_response_headers (msg), "Allow", ALLOW);
      reply_text (msg, SOUP_STATUS_FORBIDDEN,
                  "Only GET, HEAD and OPTIONS are allowed");
      return;
    }
  if (!path_is_allowed (segments))
    {
      reply_text (msg, SOUP_STATUS_NOT_FOUND, "Not found");
      return;
    }
  pass.policy = settings->policy;
  pass.file = viewer_file (file_of (segments));
  pass.stream
      = tg_playback_stream_id (folder_of (segments), file_of (segments));
  if (pass.stream && tg_live_is_claimed (server->live, app, pass.stream))
    tg_hls_stream_requested (app, pass.stream);
  if (tg_policy_scheme (settings->policy, TG_TOKEN_TYPE_PLAY) != TG_SCHEME_NONE)
    {
      pass.idle = tg_playback_idle_timeout (settings);
      if (open_session (server, msg, query, &pass))
        {
          set_cookie (server, msg, &pass);
          serve_or_hold (server, msg, segments, query, &pass, settings);
        }
    }
  else
    serve_or_hold (server, msg, segments, query, &pass, settings);
  pass_clear (&pass);
}
