/* redis://[:password@]host[:port][/db] and unix:///path/to/redis.sock[?db=N]:
 * a store that several processes on several machines share (hiredis; a
 * small pool of connections, so that the threads of one process, the HTTP
 * workers, wait on Redis side by side and not in turn).
 *
 * A token is a hash, "tg:token:" app US token_id (US: the byte 0x1f), that
 * Redis deletes an hour after the token expires (until then a consume says
 * "expired", as the other backends do; the purge deletes it at expiry). A
 * consume is one Lua script that reads the hash, judges it as
 * tg_token_judge does, and deletes it if it passes: Redis runs a script
 * alone, so of any number of consumers on any number of nodes exactly one
 * finds the token, and every other is told it is unknown (spent). A check
 * is the same script told to delete nothing. The other changes of several
 * keys (a mint and its indexes, a revoke, a purge, a record and its order)
 * are Lua scripts too. Scripts go by their SHA1 (EVALSHA), and in full
 * (EVAL, which makes Redis keep them) when Redis does not know them.
 *
 * A call that cannot reach Redis fails with TG_ERROR_STORE (a consume:
 * TG_VERDICT_STORE_ERROR) and drops the connection; the next call connects
 * again. TLS (rediss://) needs hiredis 1.0's hiredis_ssl, which this build
 * does not have: such a URI is refused when opened. */
#include "tgstore-private.h"

#include <hiredis/hiredis.h>
#include <stdlib.h>

#define DEFAULT_PORT 6379
#define TIMEOUT_S 2
/* Idle connections kept; more callers at once make more, closed after. */
#define POOL_KEPT 8
/* How long a token's key outlives the token. */
#define EXPIRED_KEPT_S 3600
#define US "\x1f"

#define SEQ "tg:seq"
#define EXPIRY "tg:expiry" /* zset: app US token_id, by expiry */

typedef struct
{
  char *where; /* for messages: host:port/db or the socket's path */
  char *host;  /* NULL: unix socket at path */
  char *path;
  int port;
  int db;
  char *password;
  GMutex lock; /* idle */
  GQueue idle; /* redisContext, connected and ready */
} RedisStore;

/* A Lua script and its SHA1, worked out once. */
typedef struct
{
  const char *text;
  gsize sha_set;
  char sha[41];
} Script;

/* --- the connections --- */

static gboolean
fail (RedisStore *self, const char *what, GError **error)
{
  g_set_error (error, TG_ERROR, TG_ERROR_STORE, "Redis at %s: %s", self->where,
               what);
  return FALSE;
}

/* A command on a connection being set up: FALSE, error set, if it failed. */
static gboolean
setup_command (RedisStore *self, redisContext *context, int argc,
               const char **argv, GError **error)
{
  redisReply *reply = redisCommandArgv (context, argc, argv, NULL);
  gboolean ok;

  if (reply == NULL)
    return fail (self, context->errstr, error);
  ok = reply->type != REDIS_REPLY_ERROR || fail (self, reply->str, error);
  freeReplyObject (reply);
  return ok;
}

/* A new connection, authenticated, on its database; NULL with error. */
static redisContext *
connect_new (RedisStore *self, GError **error)
{
  struct timeval timeout = { TIMEOUT_S, 0 };
  g_autofree char *db = g_strdup_printf ("%d", self->db);
  redisContext *context
      = self->host ? redisConnectWithTimeout (self->host, self->port, timeout)
                   : redisConnectUnixWithTimeout (self->path, timeout);

  if (context == NULL || context->err)
    {
      fail (self, context ? context->errstr : "out of memory", error);
      g_clear_pointer (&context, redisFree);
      return NULL;
    }
  redisSetTimeout (context, timeout);
  /* A refused AUTH or SELECT leaves a connection that must not serve. */
  if ((self->password
       && !setup_command (self, context, 2,
                          (const char *[]){ "AUTH", self->password }, error))
      || (self->db
          && !setup_command (self, context, 2, (const char *[]){ "SELECT", db },
                             error)))
    g_clear_pointer (&context, redisFree);
  return context;
}

static redisContext *
take_idle (RedisStore *self)
{
  G_GNUC_UNUSED g_autoptr (GMutexLocker) locker
      = g_mutex_locker_new (&self->lock);

  return g_queue_pop_head (&self->idle);
}

static void
give_back (RedisStore *self, redisContext *context)
{
  G_GNUC_UNUSED g_autoptr (GMutexLocker) locker
      = g_mutex_locker_new (&self->lock);

  if (self->idle.length < POOL_KEPT)
    g_queue_push_head (&self->idle, context);
  else
    redisFree (context);
}

/* Every idle connection closed: when one turns out closed by Redis (it
 * restarted), so are the others. */
static void
drop_idle (RedisStore *self)
{
  G_GNUC_UNUSED g_autoptr (GMutexLocker) locker
      = g_mutex_locker_new (&self->lock);
  redisContext *context;

  while ((context = g_queue_pop_head (&self->idle)))
    redisFree (context);
}

/* argv's reply, an error reply too; NULL, error set, when Redis could not
 * be reached. An idle connection that fails (Redis closed it since its
 * last use) is dropped, and the command tried once more on a new one (a
 * consume that Redis ran before the connection failed is then told
 * unknown: a token is still spent at most once). */
static redisReply *
roundtrip (RedisStore *self, int argc, const char **argv, GError **error)
{
  redisContext *context = take_idle (self);
  redisReply *reply = NULL;

  if (context)
    {
      reply = redisCommandArgv (context, argc, argv, NULL);
      if (reply == NULL)
        {
          g_clear_pointer (&context, redisFree);
          drop_idle (self);
        }
    }
  if (context == NULL)
    {
      context = connect_new (self, error);
      if (context == NULL)
        return NULL;
      reply = redisCommandArgv (context, argc, argv, NULL);
      if (reply == NULL)
        {
          fail (self, context->errstr, error);
          redisFree (context);
          return NULL;
        }
    }
  give_back (self, context);
  return reply;
}

/* A reply that is not an error, or NULL with error set. */
static redisReply *
checked (RedisStore *self, redisReply *reply, GError **error)
{
  if (reply == NULL || reply->type != REDIS_REPLY_ERROR)
    return reply;
  fail (self, reply->str, error);
  freeReplyObject (reply);
  return NULL;
}

/* A command's reply, or NULL with error set. */
static redisReply *
command (RedisStore *self, int argc, const char **argv, GError **error)
{
  return checked (self, roundtrip (self, argc, argv, error), error);
}

static const char *
script_sha (Script *script)
{
  if (g_once_init_enter (&script->sha_set))
    {
      g_autofree char *sha
          = g_compute_checksum_for_string (G_CHECKSUM_SHA1, script->text, -1);

      g_strlcpy (script->sha, sha, sizeof script->sha);
      g_once_init_leave (&script->sha_set, 1);
    }
  return script->sha;
}

/* The script run over keys then arguments (NULL-terminated lists): its
 * reply, or NULL with error set. */
static redisReply *
eval (RedisStore *self, Script *script, const char *const *keys,
      const char *const *args, GError **error)
{
  g_autoptr (GPtrArray) argv = g_ptr_array_new ();
  g_autofree char *count = NULL;
  redisReply *reply;
  guint n = 0;

  while (keys[n])
    n++;
  count = g_strdup_printf ("%u", n);
  g_ptr_array_add (argv, (gpointer) "EVALSHA");
  g_ptr_array_add (argv, (gpointer) script_sha (script));
  g_ptr_array_add (argv, count);
  for (guint i = 0; keys[i]; i++)
    g_ptr_array_add (argv, (gpointer) keys[i]);
  for (guint i = 0; args[i]; i++)
    g_ptr_array_add (argv, (gpointer) args[i]);
  reply = roundtrip (self, (int) argv->len, (const char **) argv->pdata, error);
  if (reply && reply->type == REDIS_REPLY_ERROR
      && g_str_has_prefix (reply->str, "NOSCRIPT"))
    {
      /* Not in Redis's cache (a restart, SCRIPT FLUSH): sent in full. */
      freeReplyObject (reply);
      argv->pdata[0] = (gpointer) "EVAL";
      argv->pdata[1] = (gpointer) script->text;
      reply = roundtrip (self, (int) argv->len, (const char **) argv->pdata,
                         error);
    }
  return checked (self, reply, error);
}

/* A script whose reply is a number: it in *value (0 if none). FALSE, with
 * error, when Redis failed. */
static gboolean
eval_number (RedisStore *self, Script *script, const char *const *keys,
             const char *const *args, gint64 *value, GError **error)
{
  redisReply *reply = eval (self, script, keys, args, error);

  if (reply == NULL)
    return FALSE;
  *value = reply->type == REDIS_REPLY_INTEGER ? reply->integer : 0;
  freeReplyObject (reply);
  return TRUE;
}

/* --- keys --- */

static char *
token_key (const char *app, const char *token_id)
{
  return g_strconcat ("tg:token:", app, US, token_id, NULL);
}

static char *
stream_key (const char *app, const char *stream_id)
{
  return g_strconcat ("tg:tokens:", app, US, stream_id, NULL);
}

static char *
record_key (const char *kind)
{
  return g_strconcat ("tg:record:", kind, NULL);
}

static char *
order_key (const char *kind)
{
  return g_strconcat ("tg:record-order:", kind, NULL);
}

/* --- open and close --- */

static RedisStore *
store_new (void)
{
  RedisStore *self = g_new0 (RedisStore, 1);

  g_mutex_init (&self->lock);
  g_queue_init (&self->idle);
  return self;
}

static void
redis_close (gpointer data)
{
  RedisStore *self = data;

  drop_idle (self);
  g_free (self->where);
  g_free (self->host);
  g_free (self->path);
  g_free (self->password);
  g_mutex_clear (&self->lock);
  g_free (self);
}

static gboolean
parse_number (const char *text, int max, int *out)
{
  char *end = NULL;
  long value;

  if (text == NULL || !g_ascii_isdigit (text[0]))
    return FALSE;
  value = strtol (text, &end, 10);
  if (*end || value > max)
    return FALSE;
  *out = (int) value;
  return TRUE;
}

/* The store, its first connection made (Redis answers, AUTH and SELECT
 * pass) and kept; NULL with error, the store closed, if not. */
static gpointer
opened (RedisStore *self, GError **error)
{
  redisContext *context = connect_new (self, error);

  if (context == NULL)
    {
      redis_close (self);
      return NULL;
    }
  give_back (self, context);
  return self;
}

/* "[:password@]host[:port][/db]" */
static gpointer
redis_open (const char *rest, GError **error)
{
  RedisStore *self = store_new ();
  g_autofree char *copy = g_strdup (rest);
  char *at = strrchr (copy, '@'), *hostport = at ? at + 1 : copy;
  char *slash = strchr (hostport, '/'), *colon;

  if (at)
    {
      *at = '\0';
      self->password = g_strdup (copy[0] == ':' ? copy + 1 : copy);
    }
  if (slash)
    *slash = '\0';
  colon = strrchr (hostport, ':');
  if (colon)
    *colon = '\0';
  self->port = DEFAULT_PORT;
  if (hostport[0] == '\0'
      || (colon && !parse_number (colon + 1, 65535, &self->port))
      || (slash && slash[1] && !parse_number (slash + 1, 1 << 20, &self->db)))
    {
      /* (Not repeated: it may hold the password.) */
      g_set_error (error, TG_ERROR, TG_ERROR_INVALID,
                   "Store URI: want redis://[:password@]host[:port][/db]");
      redis_close (self);
      return NULL;
    }
  self->host = g_strdup (hostport);
  self->where = g_strdup_printf ("%s:%d/%d", self->host, self->port, self->db);
  return opened (self, error);
}

/* "/path/to/redis.sock[?db=N]" */
static gpointer
unix_open (const char *rest, GError **error)
{
  RedisStore *self = store_new ();
  const char *query = strchr (rest, '?');

  self->path = query ? g_strndup (rest, query - rest) : g_strdup (rest);
  if (!g_path_is_absolute (self->path)
      || (query
          && !(g_str_has_prefix (query, "?db=")
               && parse_number (query + 4, 1 << 20, &self->db))))
    {
      g_set_error (error, TG_ERROR, TG_ERROR_INVALID,
                   "Store URI unix://%s: want unix:///path/to/redis.sock"
                   "[?db=N]",
                   rest);
      redis_close (self);
      return NULL;
    }
  self->where = g_strdup_printf ("%s?db=%d", self->path, self->db);
  return opened (self, error);
}

static gpointer
rediss_open (const char *rest, GError **error)
{
  g_set_error (error, TG_ERROR, TG_ERROR_INVALID,
               "Store URI rediss://%s: TLS to Redis needs hiredis 1.0 "
               "(hiredis_ssl), which this build does not have",
               rest);
  return NULL;
}

/* --- tokens --- */

static char *
text_of (gint64 value)
{
  return g_strdup_printf ("%" G_GINT64_FORMAT, value);
}

static Script insert_script = {
  "redis.call('DEL', KEYS[1]) "
  "local seq = redis.call('INCR', KEYS[4]) "
  "redis.call('HSET', KEYS[1], 'stream', ARGV[1], 'type', ARGV[2], "
  "  'expire', ARGV[3], 'seq', seq) "
  "if ARGV[4] ~= '' then redis.call('HSET', KEYS[1], 'room', ARGV[4]) end "
  "redis.call('EXPIREAT', KEYS[1], ARGV[5]) "
  "redis.call('ZADD', KEYS[2], seq, ARGV[6]) "
  "redis.call('ZADD', KEYS[3], ARGV[3], ARGV[7]) "
  "return seq"
};

static gboolean
redis_insert (gpointer data, const TgToken *token, GError **error)
{
  g_autofree char *key = token_key (token->app, token->token_id);
  g_autofree char *stream = stream_key (token->app, token->stream_id);
  g_autofree char *expire = text_of (token->expire_date);
  g_autofree char *gone = text_of (token->expire_date + EXPIRED_KEPT_S);
  g_autofree char *member = g_strconcat (token->app, US, token->token_id, NULL);
  gint64 seq;

  return eval_number (
      data, &insert_script, (const char *[]){ key, stream, EXPIRY, SEQ, NULL },
      (const char *[]){ token->stream_id, tg_token_type_to_string (token->type),
                        expire, token->room_id ? token->room_id : "", gone,
                        token->token_id, member, NULL },
      &seq, error);
}

/* The token stored under app and token_id: NULL with no error when there is
 * none, NULL with error when Redis failed. */
static TgToken *
lookup (RedisStore *self, const char *app, const char *token_id, GError **error)
{
  g_autofree char *key = token_key (app, token_id);
  redisReply *reply
      = command (self, 2, (const char *[]){ "HGETALL", key }, error);
  const char *stream = NULL, *type = NULL, *expire = NULL, *room = NULL;
  TgTokenType token_type;
  TgToken *token = NULL;

  if (reply == NULL)
    return NULL;
  for (size_t i = 0;
       reply->type == REDIS_REPLY_ARRAY && i + 1 < reply->elements; i += 2)
    {
      const char *field = reply->element[i]->str;
      const char *value = reply->element[i + 1]->str;

      if (g_strcmp0 (field, "stream") == 0)
        stream = value;
      else if (g_strcmp0 (field, "type") == 0)
        type = value;
      else if (g_strcmp0 (field, "expire") == 0)
        expire = value;
      else if (g_strcmp0 (field, "room") == 0)
        room = value;
    }
  if (stream && type && expire && tg_token_type_from_string (type, &token_type))
    token = tg_token_new (app, token_id, stream,
                          g_ascii_strtoll (expire, NULL, 10), token_type, room);
  freeReplyObject (reply);
  return token;
}

/* The one-time rule in one step, run by Redis alone: the token's fields,
 * judged as tg_token_judge judges them, and, for a consume (spend "1"),
 * the key deleted if it passes (a room token is never deleted); a check
 * (spend "0") deletes nothing. KEYS: the token, the stream's index, the
 * expiry index; ARGV: stream_id, type, room_id ("" for none), now, the
 * token's id, its member of the expiry index, spend. The answer: an index
 * of script_verdicts. */
static Script judge_script
    = { "local t = redis.call('HMGET', KEYS[1], 'stream', 'type', 'expire', "
        "                      'room') "
        "if not t[1] or not t[2] or not t[3] then return 1 end "
        "if t[2] ~= ARGV[2] then return 3 end "
        "if tonumber(ARGV[4]) >= tonumber(t[3]) then return 2 end "
        "if ARGV[3] ~= '' then "
        "  if t[4] == ARGV[3] then return 0 end "
        "  return 5 "
        "end "
        "if t[1] ~= ARGV[1] then return 4 end "
        "if ARGV[7] == '1' then "
        "  redis.call('DEL', KEYS[1]) "
        "  redis.call('ZREM', KEYS[2], ARGV[5]) "
        "  redis.call('ZREM', KEYS[3], ARGV[6]) "
        "end "
        "return 0" };

static const TgVerdict script_verdicts[] = {
  TG_VERDICT_OK,         TG_VERDICT_UNKNOWN,      TG_VERDICT_EXPIRED,
  TG_VERDICT_WRONG_TYPE, TG_VERDICT_WRONG_STREAM, TG_VERDICT_WRONG_ROOM,
};

/* A consume (spend) or a check: judge_script's verdict. */
static TgVerdict
judge (RedisStore *self, const char *app, const char *token_id,
       const char *stream_id, TgTokenType type, const char *room_id, gint64 now,
       gboolean spend, GError **error)
{
  g_autofree char *key = token_key (app, token_id);
  /* A room token is asked for with no stream. */
  const char *wanted = stream_id ? stream_id : "";
  g_autofree char *stream = stream_key (app, wanted);
  g_autofree char *at = text_of (now);
  g_autofree char *member = g_strconcat (app, US, token_id, NULL);
  gint64 answer;

  if (!eval_number (self, &judge_script,
                    (const char *[]){ key, stream, EXPIRY, NULL },
                    (const char *[]){ wanted, tg_token_type_to_string (type),
                                      room_id ? room_id : "", at, token_id,
                                      member, spend ? "1" : "0", NULL },
                    &answer, error))
    return TG_VERDICT_STORE_ERROR;
  if (answer < 0 || answer >= (gint64) G_N_ELEMENTS (script_verdicts))
    {
      fail (self, "the judge script gave no verdict", error);
      return TG_VERDICT_STORE_ERROR;
    }
  return script_verdicts[answer];
}

static TgVerdict
redis_consume (gpointer data, const char *app, const char *token_id,
               const char *stream_id, TgTokenType type, const char *room_id,
               gint64 now, GError **error)
{
  return judge (data, app, token_id, stream_id, type, room_id, now, TRUE,
                error);
}

static TgVerdict
redis_check (gpointer data, const char *app, const char *token_id,
             const char *stream_id, TgTokenType type, gint64 now,
             GError **error)
{
  return judge (data, app, token_id, stream_id, type, NULL, now, FALSE, error);
}

static Script revoke_script
    = { "local n = 0 "
        "for _, id in ipairs(redis.call('ZRANGE', KEYS[1], 0, -1)) do "
        "  n = n + redis.call('DEL', ARGV[1] .. id) "
        "  redis.call('ZREM', KEYS[2], ARGV[2] .. id) "
        "end "
        "redis.call('DEL', KEYS[1]) "
        "return n" };

static gint64
redis_revoke_stream (gpointer data, const char *app, const char *stream_id,
                     GError **error)
{
  g_autofree char *stream = stream_key (app, stream_id);
  g_autofree char *prefix = token_key (app, "");
  g_autofree char *member = g_strconcat (app, US, NULL);
  gint64 revoked;

  if (!eval_number (data, &revoke_script,
                    (const char *[]){ stream, EXPIRY, NULL },
                    (const char *[]){ prefix, member, NULL }, &revoked, error))
    return -1;
  return revoked;
}

static GPtrArray *
redis_list_tokens (gpointer data, const char *app, const char *stream_id,
                   guint offset, guint size, GError **error)
{
  g_autofree char *stream = stream_key (app, stream_id);
  redisReply *ids = command (
      data, 4, (const char *[]){ "ZRANGE", stream, "0", "-1" }, error);
  g_autoptr (GPtrArray) tokens
      = g_ptr_array_new_with_free_func ((GDestroyNotify) tg_token_free);
  guint skipped = 0;

  if (ids == NULL)
    return NULL;
  /* Keys Redis let expire may still be in the index: skipped. */
  for (size_t i = 0; ids->type == REDIS_REPLY_ARRAY && i < ids->elements
                     && tokens->len < size;
       i++)
    {
      GError *failure = NULL;
      TgToken *token = lookup (data, app, ids->element[i]->str, &failure);

      if (failure)
        {
          g_propagate_error (error, failure);
          freeReplyObject (ids);
          return NULL;
        }
      if (token && skipped++ >= offset)
        g_ptr_array_add (tokens, token);
      else
        g_clear_pointer (&token, tg_token_free);
    }
  freeReplyObject (ids);
  return g_steal_pointer (&tokens);
}

static Script purge_script = {
  "local n = 0 "
  "for _, m in ipairs(redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', "
  "                               ARGV[1])) do "
  "  local sep = string.find(m, '\\31', 1, true) "
  "  local key = 'tg:token:' .. m "
  "  local stream = redis.call('HGET', key, 'stream') "
  "  n = n + redis.call('DEL', key) "
  "  if stream then "
  "    redis.call('ZREM', 'tg:tokens:' .. string.sub(m, 1, sep) .. stream, "
  "               string.sub(m, sep + 1)) "
  "  end "
  "  redis.call('ZREM', KEYS[1], m) "
  "end "
  "return n"
};

static gint64
redis_purge_expired (gpointer data, gint64 now, GError **error)
{
  g_autofree char *until = text_of (now);
  gint64 purged;

  if (!eval_number (data, &purge_script, (const char *[]){ EXPIRY, NULL },
                    (const char *[]){ until, NULL }, &purged, error))
    return -1;
  return purged;
}

/* --- records: a hash per kind, and their order of first insertion --- */

static Script put_script
    = { "local exists = redis.call('HEXISTS', KEYS[1], ARGV[1]) "
        "if exists == 1 and ARGV[3] == '1' then return 0 end "
        "if exists == 0 then "
        "  redis.call('ZADD', KEYS[2], redis.call('INCR', KEYS[3]), ARGV[1]) "
        "end "
        "redis.call('HSET', KEYS[1], ARGV[1], ARGV[2]) "
        "return 1" };

/* FALSE, error set: a record that exists (code TG_ERROR_EXISTS) or is not
 * found (TG_ERROR_NOT_FOUND). */
static gboolean
refuse_record (int code, const char *kind, const char *key, GError **error)
{
  g_set_error (error, TG_ERROR, code, "%s %s %s", kind, key,
               code == TG_ERROR_EXISTS ? "exists" : "not found");
  return FALSE;
}

static gboolean
redis_record_put (gpointer data, const char *kind, const char *key,
                  const char *value, gboolean only_if_absent, GError **error)
{
  g_autofree char *records = record_key (kind);
  g_autofree char *order = order_key (kind);
  gint64 put;

  return eval_number (
             data, &put_script, (const char *[]){ records, order, SEQ, NULL },
             (const char *[]){ key, value, only_if_absent ? "1" : "0", NULL },
             &put, error)
         && (put == 1 || refuse_record (TG_ERROR_EXISTS, kind, key, error));
}

static char *
redis_record_get (gpointer data, const char *kind, const char *key,
                  GError **error)
{
  g_autofree char *records = record_key (kind);
  redisReply *reply
      = command (data, 3, (const char *[]){ "HGET", records, key }, error);
  char *value = NULL;

  if (reply == NULL)
    return NULL;
  if (reply->type == REDIS_REPLY_STRING)
    value = g_strndup (reply->str, reply->len);
  else
    refuse_record (TG_ERROR_NOT_FOUND, kind, key, error);
  freeReplyObject (reply);
  return value;
}

static Script delete_script
    = { "local n = redis.call('HDEL', KEYS[1], ARGV[1]) "
        "redis.call('ZREM', KEYS[2], ARGV[1]) "
        "return n" };

static gboolean
redis_record_delete (gpointer data, const char *kind, const char *key,
                     GError **error)
{
  g_autofree char *records = record_key (kind);
  g_autofree char *order = order_key (kind);
  gint64 deleted;

  return eval_number (data, &delete_script,
                      (const char *[]){ records, order, NULL },
                      (const char *[]){ key, NULL }, &deleted, error)
         && (deleted == 1
             || refuse_record (TG_ERROR_NOT_FOUND, kind, key, error));
}

static Script list_script
    = { "local keys = redis.call('ZRANGE', KEYS[2], ARGV[1], ARGV[2]) "
        "if #keys == 0 then return {} end "
        "return redis.call('HMGET', KEYS[1], unpack(keys))" };

static GPtrArray *
redis_record_list (gpointer data, const char *kind, guint offset, guint size,
                   GError **error)
{
  g_autofree char *records = record_key (kind);
  g_autofree char *order = order_key (kind);
  g_autofree char *first = text_of (offset);
  g_autofree char *last = text_of ((gint64) offset + size - 1);
  redisReply *reply;
  GPtrArray *values;

  if (size == 0)
    return g_ptr_array_new_with_free_func (g_free);
  reply = eval (data, &list_script, (const char *[]){ records, order, NULL },
                (const char *[]){ first, last, NULL }, error);
  if (reply == NULL)
    return NULL;
  values = g_ptr_array_new_with_free_func (g_free);
  for (size_t i = 0; reply->type == REDIS_REPLY_ARRAY && i < reply->elements;
       i++)
    if (reply->element[i]->type == REDIS_REPLY_STRING)
      g_ptr_array_add (
          values, g_strndup (reply->element[i]->str, reply->element[i]->len));
  freeReplyObject (reply);
  return values;
}

static gint64
redis_record_count (gpointer data, const char *kind, GError **error)
{
  g_autofree char *records = record_key (kind);
  redisReply *reply
      = command (data, 2, (const char *[]){ "HLEN", records }, error);
  gint64 count;

  if (reply == NULL)
    return -1;
  count = reply->type == REDIS_REPLY_INTEGER ? reply->integer : 0;
  freeReplyObject (reply);
  return count;
}

#define REDIS_BACKEND(name, opener)                                            \
  {                                                                            \
    .scheme = name, .open = opener, .close = redis_close,                      \
    .insert = redis_insert, .consume = redis_consume, .check = redis_check,    \
    .revoke_stream = redis_revoke_stream, .list_tokens = redis_list_tokens,    \
    .purge_expired = redis_purge_expired, .record_put = redis_record_put,      \
    .record_get = redis_record_get, .record_delete = redis_record_delete,      \
    .record_list = redis_record_list, .record_count = redis_record_count,      \
  }

const TgStoreBackend tg_store_backend_redis
    = REDIS_BACKEND ("redis", redis_open);
const TgStoreBackend tg_store_backend_redis_unix
    = REDIS_BACKEND ("unix", unix_open);
const TgStoreBackend tg_store_backend_rediss
    = REDIS_BACKEND ("rediss", rediss_open);
