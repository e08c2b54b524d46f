#include "tg-playback.h"

#include "tg-secret.h"

#include <math.h>
#include <openssl/crypto.h>
#include <openssl/rand.h>

#define KEY_CONTEXT "tollgate-playback-v1"
#define SESSION_ID_BYTES 12
#define MAX_SESSION_ID 64
#define MAC_CHARS 43 /* base64url of 32 bytes, unpadded */
#define SEGMENT_DIGITS 9
#define DEFAULT_LIST_SIZE 15

/* --- stream ids --- */

static gboolean
has_suffix_ci (const char *text, gsize length, const char *suffix)
{
  gsize n = strlen (suffix);

  return length >= n && g_ascii_strncasecmp (text + length - n, suffix, n) == 0;
}

/* Where the digits at the end of base begin. */
static gsize
digits_start (const char *base, gsize length)
{
  while (length > 0 && g_ascii_isdigit (base[length - 1]))
    length--;
  return length;
}

/* "_480p1000kbps" or "_480p" at the end: the length without it. */
static gsize
strip_rung (const char *base, gsize length)
{
  gsize end = length, start;

  if (has_suffix_ci (base, end, "kbps"))
    {
      end -= strlen ("kbps");
      start = digits_start (base, end);
      if (start == end)
        return length;
      end = start;
    }
  if (end == 0 || base[end - 1] != 'p')
    return length;
  end--;
  start = digits_start (base, end);
  if (start == end || start < 2 || base[start - 1] != '_')
    return length;
  return start - 1;
}

/* "_N" at the end (a recording index): the length without it. */
static gsize
strip_index (const char *base, gsize length)
{
  gsize start = digits_start (base, length);

  if (start == length || start < 2 || base[start - 1] != '_')
    return length;
  return start - 1;
}

char *
tg_playback_stream_id (const char *folder, const char *file)
{
  const char *dot = strrchr (file, '.');
  const char *extension = dot ? dot + 1 : "";
  gsize length = dot ? (gsize) (dot - file) : strlen (file);

  if (folder)
    return *folder ? g_strdup (folder) : NULL;
  if ((g_ascii_strcasecmp (extension, "ts") == 0
       || g_ascii_strcasecmp (extension, "m4s") == 0
       || g_ascii_strcasecmp (extension, "fmp4") == 0)
      && length > SEGMENT_DIGITS
      && length - digits_start (file, length) >= SEGMENT_DIGITS)
    length -= SEGMENT_DIGITS;
  if (has_suffix_ci (file, length, "_adaptive")
      && length > strlen ("_adaptive"))
    length -= strlen ("_adaptive");
  else
    {
      if (g_ascii_strcasecmp (extension, "mp4") == 0
          || g_ascii_strcasecmp (extension, "webm") == 0)
        length = strip_index (file, length);
      length = strip_rung (file, length);
    }
  return length ? g_strndup (file, length) : NULL;
}

gint64
tg_playback_idle_timeout (const TgSettings *settings)
{
  double seconds = g_ascii_strtod (settings->hls_time, NULL);
  guint64 count = 0;
  double idle;

  if (!isfinite (seconds) || seconds <= 0)
    seconds = 2;
  if (!g_ascii_string_to_unsigned (settings->hls_list_size, 10, 0, G_MAXUINT32,
                                   &count, NULL)
      || count == 0)
    count = DEFAULT_LIST_SIZE;
  idle = 3 * seconds * (double) count;
  return (gint64) CLAMP (ceil (idle), TG_PLAYBACK_MIN_IDLE_S,
                         TG_PLAYBACK_MAX_IDLE_S);
}

/* --- keys --- */

static gboolean
is_base64url (const char *text)
{
  for (const char *c = text; *c; c++)
    if (!g_ascii_isalnum (*c) && *c != '-' && *c != '_')
      return FALSE;
  return TRUE;
}

char *
tg_playback_session_id_new (GError **error)
{
  guchar bytes[SESSION_ID_BYTES];

  if (RAND_bytes (bytes, sizeof bytes) != 1)
    {
      g_set_error (error, TG_ERROR, TG_ERROR_FAILED,
                   "RAND_bytes failed: no session id can be made");
      return NULL;
    }
  return tg_secret_base64url (bytes, sizeof bytes);
}

static char *
mac_of (GBytes *secret, const char *app, const char *stream,
        const char *session_id, gint64 expiry, gint64 epoch)
{
  g_autofree char *input = g_strdup_printf (
      KEY_CONTEXT "|%s|%s|%s|%" G_GINT64_FORMAT "|%" G_GINT64_FORMAT, app,
      stream, session_id, expiry, epoch);

  return tg_secret_mac (secret, input);
}

char *
tg_playback_key_issue (GBytes *secret, const char *app, const char *stream,
                       const char *session_id, gint64 expiry, gint64 epoch)
{
  g_autofree char *mac
      = mac_of (secret, app, stream, session_id, expiry, epoch);

  return g_strdup_printf ("%s.%" G_GINT64_FORMAT ".%s", session_id, expiry,
                          mac);
}

gboolean
tg_playback_key_verify (GBytes *secret, const char *app, const char *stream,
                        const char *key, gint64 now, gint64 epoch,
                        char **session_id)
{
  g_auto (GStrv) parts = NULL;
  g_autofree char *expected = NULL;
  gint64 expiry = 0;
  gsize sid_length;

  if (key == NULL)
    return FALSE;
  parts = g_strsplit (key, ".", 4);
  if (g_strv_length (parts) != 3)
    return FALSE;
  sid_length = strlen (parts[0]);
  if (sid_length == 0 || sid_length > MAX_SESSION_ID || !is_base64url (parts[0])
      || strlen (parts[1]) > 12 || !g_ascii_isdigit (parts[1][0])
      || !g_ascii_string_to_signed (parts[1], 10, 0, G_MAXINT64, &expiry, NULL)
      || strlen (parts[2]) != MAC_CHARS)
    return FALSE;
  expected = mac_of (secret, app, stream, parts[0], expiry, epoch);
  if (strlen (expected) != MAC_CHARS
      || CRYPTO_memcmp (expected, parts[2], MAC_CHARS) != 0 || now >= expiry)
    return FALSE;
  if (session_id)
    *session_id = g_strdup (parts[0]);
  return TRUE;
}

char *
tg_playback_cookie_session (GBytes *secret, const char *header, const char *app,
                            const char *stream, gint64 now, gint64 epoch)
{
  g_autofree char *name
      = g_strconcat (TG_PLAYBACK_COOKIE_PREFIX, stream, "=", NULL);
  g_auto (GStrv) cookies = NULL;
  char *session_id = NULL;

  /* Cookie values never hold ',' or ';' (RFC 6265), so either splits. */
  cookies = header ? g_strsplit_set (header, ";,", -1) : NULL;
  for (guint i = 0; cookies && cookies[i]; i++)
    {
      const char *cookie = g_strstrip (cookies[i]);

      if (g_str_has_prefix (cookie, name)
          && tg_playback_key_verify (secret, app, stream,
                                     cookie + strlen (name), now, epoch,
                                     &session_id))
        return session_id;
    }
  return NULL;
}

/* --- revocation epochs --- */

static char *
epoch_kind (const char *app)
{
  return g_strconcat ("epoch:", app, NULL);
}

gboolean
tg_playback_get_epoch (TgStore *store, const char *app, const char *stream,
                       gint64 *epoch, GError **error)
{
  g_autofree char *kind = epoch_kind (app);
  g_autoptr (GError) local = NULL;
  g_autofree char *value = tg_store_record_get (store, kind, stream, &local);

  *epoch = 0;
  if (value == NULL)
    {
      if (g_error_matches (local, TG_ERROR, TG_ERROR_NOT_FOUND))
        return TRUE;
      g_propagate_error (error, g_steal_pointer (&local));
      return FALSE;
    }
  if (!g_ascii_string_to_signed (value, 10, 0, G_MAXINT64, epoch, NULL))
    {
      g_set_error (error, TG_ERROR, TG_ERROR_STORE,
                   "Revocation epoch of %s/%s is corrupt", app, stream);
      return FALSE;
    }
  return TRUE;
}

/* Read, add one, write: two revocations racing may both write the same
 * number, which still ends every session issued before either. */
gboolean
tg_playback_revoke (TgServer *server, const char *app, const char *stream,
                    GError **error)
{
  g_autofree char *kind = epoch_kind (app);
  g_autofree char *value = NULL;
  gint64 epoch = 0;

  if (!tg_playback_get_epoch (server->store, app, stream, &epoch, error))
    return FALSE;
  value = g_strdup_printf ("%" G_GINT64_FORMAT, epoch + 1);
  if (!tg_store_record_put (server->store, kind, stream, value, FALSE, error))
    return FALSE;
  g_info ("Ended the playback sessions of %s/%s", app, stream);
  return TRUE;
}

/* --- rewriting --- */

/* uri with the key added; amp is how '&' is written (XML needs "&amp;"). */
static char *
add_key (const char *uri, gsize length, const char *key, const char *amp)
{
  g_autofree char *copy = g_strndup (uri, length);
  const char *fragment;
  gsize before;

  if (length == 0 || g_uri_peek_scheme (copy) != NULL
      || g_str_has_prefix (copy, "//"))
    return NULL;
  fragment = strchr (copy, '#');
  before = fragment ? (gsize) (fragment - copy) : length;
  return g_strdup_printf ("%.*s%s" TG_PLAYBACK_PARAM "=%s%s", (int) before,
                          copy, memchr (copy, '?', before) ? amp : "?", key,
                          fragment ? fragment : "");
}

char *
tg_playback_add_key (const char *uri, const char *key)
{
  return add_key (uri, strlen (uri), key, "&");
}

/* Appends uri (length bytes), with the key it should carry if any. */
static void
append_uri (GString *out, const char *uri, gsize length, const char *key,
            const char *nested_key, const char *amp)
{
  gsize path_length = strcspn (uri, "?#");
  g_autofree char *rewritten = NULL;

  if (path_length > length)
    path_length = length;
  if (nested_key && has_suffix_ci (uri, path_length, ".m3u8"))
    key = nested_key;
  rewritten = add_key (uri, length, key, amp);
  if (rewritten)
    g_string_append (out, rewritten);
  else
    g_string_append_len (out, uri, length);
}

/* A tag line: URI="..." attributes, found outside quoted values. */
static void
rewrite_tag (GString *out, const char *line, const char *key,
             const char *nested_key)
{
  const char *p = strchr (line, ':');
  gboolean quoted = FALSE;

  if (p == NULL)
    {
      g_string_append (out, line);
      return;
    }
  p++;
  g_string_append_len (out, line, p - line);
  while (*p)
    {
      if (!quoted && (p[-1] == ':' || p[-1] == ',')
          && g_str_has_prefix (p, "URI=\""))
        {
          const char *value = p + strlen ("URI=\"");
          const char *close = strchr (value, '"');

          if (close == NULL)
            break;
          g_string_append (out, "URI=\"");
          append_uri (out, value, close - value, key, nested_key, "&");
          g_string_append_c (out, '"');
          p = close + 1;
          continue;
        }
      if (*p == '"')
        quoted = !quoted;
      g_string_append_c (out, *p++);
    }
  g_string_append (out, p);
}

char *
tg_playback_rewrite_m3u8 (const char *text, const char *key,
                          const char *nested_key)
{
  GString *out = g_string_sized_new (strlen (text) + 1024);
  const char *line = text;

  while (*line)
    {
      gsize length = strcspn (line, "\n");
      gsize content = length;
      g_autofree char *copy = NULL;
      const char *start;

      if (content > 0 && line[content - 1] == '\r')
        content--;
      copy = g_strndup (line, content);
      start = copy + strspn (copy, " \t");
      if (*start == '#')
        rewrite_tag (out, copy, key, nested_key);
      else if (*start == '\0')
        g_string_append (out, copy);
      else
        {
          g_string_append_len (out, copy, start - copy);
          append_uri (out, start, strcspn (start, " \t"), key, nested_key, "&");
          g_string_append (out, start + strcspn (start, " \t"));
        }
      g_string_append_len (out, line + content, length - content);
      line += length;
      if (*line == '\n')
        g_string_append_c (out, *line++);
    }
  return g_string_free (out, FALSE);
}

/* Whether p starts the attribute name="..." (or '...') in an element. */
static gboolean
at_attribute (const char *text, const char *p, const char *name)
{
  gsize n = strlen (name);

  return p > text && g_ascii_isspace (p[-1]) && strncmp (p, name, n) == 0
         && p[n] == '=' && (p[n + 1] == '"' || p[n + 1] == '\'');
}

static const char *const mpd_attributes[]
    = { "media", "initialization", "sourceURL", NULL };

char *
tg_playback_rewrite_mpd (const char *text, const char *key)
{
  GString *out = g_string_sized_new (strlen (text) + 1024);
  const char *p = text;

  while (*p)
    {
      const char *name = NULL;

      for (guint i = 0; mpd_attributes[i] && name == NULL; i++)
        if (at_attribute (text, p, mpd_attributes[i]))
          name = mpd_attributes[i];
      if (name)
        {
          gsize head = strlen (name) + 2; /* name=" */
          const char *value = p + head;
          const char *close = strchr (value, p[head - 1]);

          if (close == NULL)
            break;
          g_string_append_len (out, p, head);
          append_uri (out, value, close - value, key, NULL, "&amp;");
          p = close;
        }
      else if (g_str_has_prefix (p, "<BaseURL")
               && (p[8] == '>' || g_ascii_isspace (p[8])))
        {
          const char *value = strchr (p, '>');
          gsize length, lead;

          if (value == NULL)
            break;
          value++;
          g_string_append_len (out, p, value - p);
          length = strcspn (value, "<");
          lead = strspn (value, " \t\r\n");
          if (lead > length)
            lead = length;
          g_string_append_len (out, value, lead);
          value += lead;
          length -= lead;
          while (length > 0 && g_ascii_isspace (value[length - 1]))
            length--;
          append_uri (out, value, length, key, NULL, "&amp;");
          p = value + length;
        }
      else
        g_string_append_c (out, *p++);
    }
  g_string_append (out, p);
  return g_string_free (out, FALSE);
}

/* --- VoD durations --- */

static gint64
whole_seconds (double seconds)
{
  if (!isfinite (seconds) || seconds <= 0)
    return 0;
  return (gint64) MIN (ceil (seconds), (double) TG_PLAYBACK_MAX_VOD_S);
}

gint64
tg_playback_m3u8_vod_duration (const char *text)
{
  double total = 0;

  if (strstr (text, "#EXT-X-ENDLIST") == NULL)
    return 0;
  for (const char *p = strstr (text, "#EXTINF:"); p;
       p = strstr (p + 1, "#EXTINF:"))
    {
      double seconds = g_ascii_strtod (p + strlen ("#EXTINF:"), NULL);

      if (isfinite (seconds) && seconds > 0)
        total += MIN (seconds, (double) TG_PLAYBACK_MAX_VOD_S);
    }
  return whole_seconds (total);
}

/* An ISO 8601 duration ("PT1H2M3.5S", "P1DT2H") in seconds; 0 if bad. */
static double
iso_duration (const char *p)
{
  gboolean time = FALSE;
  double total = 0;

  if (*p++ != 'P')
    return 0;
  while (*p && *p != '"' && *p != '\'')
    {
      char *end = NULL;
      double value;

      if (*p == 'T')
        {
          time = TRUE;
          p++;
          continue;
        }
      value = g_ascii_strtod (p, &end);
      if (end == p || !isfinite (value) || value < 0)
        return 0;
      switch (*end)
        {
        case 'Y':
          total += value * 365 * 86400;
          break;
        case 'W':
          total += value * 7 * 86400;
          break;
        case 'D':
          total += value * 86400;
          break;
        case 'H':
          total += value * 3600;
          break;
        case 'M':
          total += value * (time ? 60 : 30 * 86400);
          break;
        case 'S':
          total += value;
          break;
        default:
          return 0;
        }
      p = end + 1;
    }
  return total;
}

gint64
tg_playback_mpd_vod_duration (const char *text)
{
  const char *duration = strstr (text, "mediaPresentationDuration=");

  if (duration == NULL
      || (strstr (text, "type=\"static\"") == NULL
          && strstr (text, "type='static'") == NULL))
    return 0;
  duration += strlen ("mediaPresentationDuration=");
  /* Past its opening quote (none at the text's end: no duration). */
  if (*duration != '"' && *duration != '\'')
    return 0;
  return whole_seconds (iso_duration (duration + 1));
}
