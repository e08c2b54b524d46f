/* sqlite:///abs/path.db: the embedded default. One file in WAL mode that
 * several processes may share. Reads borrow a connection of their own from
 * a small pool, so readers on different threads never wait on one lock.
 * Writes in this process take turns on one connection: sqlite lets one
 * writer at a time anyway, and a writer that is the only one keeps its page
 * cache, where writers on several connections made each other's caches
 * stale (every commit read its b-tree path again) and slept in each other's
 * locks. sqlite's own file locks order the writers of several processes.
 * Consuming a token is a single DELETE ... RETURNING, so of any number of
 * concurrent consumers, in any number of processes, exactly one sees the
 * row. */
#include "tgstore-private.h"

#include <sqlite3.h>

#define BUSY_TIMEOUT_US (5 * G_USEC_PER_SEC)

/* Tokens are keyed by (app, token_id) in a table without rowid, so a mint
 * or a consume touches one b-tree and the stream index; expiry is swept by
 * a rare full scan. Small pages keep each commit's WAL writes small. */
static const char schema[]
    = "CREATE TABLE IF NOT EXISTS tokens ("
      "  app TEXT NOT NULL, token_id TEXT NOT NULL, stream_id TEXT NOT NULL,"
      "  expire_date INTEGER NOT NULL, type TEXT NOT NULL, room_id TEXT,"
      "  seq INTEGER NOT NULL," /* minting time, for listing order */
      "  PRIMARY KEY (app, token_id)) WITHOUT ROWID;"
      "CREATE INDEX IF NOT EXISTS tokens_stream ON tokens (app, stream_id);"
      "CREATE TABLE IF NOT EXISTS records ("
      "  seq INTEGER PRIMARY KEY,"
      "  kind TEXT NOT NULL, key TEXT NOT NULL, value TEXT NOT NULL,"
      "  UNIQUE (kind, key));";

typedef enum
{
  SQL_INSERT,
  SQL_CONSUME,
  SQL_LOOKUP,
  SQL_REVOKE,
  SQL_LIST,
  SQL_PURGE,
  SQL_PUT_NEW,
  SQL_PUT,
  SQL_GET,
  SQL_DELETE,
  SQL_RECORDS,
  SQL_COUNT,
  N_SQL
} Sql;

static const char *const sql_text[N_SQL] = {
  [SQL_INSERT] = "INSERT INTO tokens (app, token_id, stream_id, expire_date,"
                 " type, room_id, seq) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
  [SQL_CONSUME] = "DELETE FROM tokens WHERE app = ?1 AND token_id = ?2"
                  " AND stream_id = ?3 AND type = ?4 AND expire_date > ?5"
                  " RETURNING expire_date",
  [SQL_LOOKUP] = "SELECT app, token_id, stream_id, expire_date, type, room_id"
                 " FROM tokens WHERE app = ?1 AND token_id = ?2",
  [SQL_REVOKE] = "DELETE FROM tokens WHERE app = ?1 AND stream_id = ?2",
  [SQL_LIST] = "SELECT app, token_id, stream_id, expire_date, type, room_id"
               " FROM tokens WHERE app = ?1 AND stream_id = ?2"
               " ORDER BY seq LIMIT ?4 OFFSET ?3",
  [SQL_PURGE] = "DELETE FROM tokens WHERE expire_date <= ?1",
  [SQL_PUT_NEW] = "INSERT INTO records (kind, key, value) VALUES (?1, ?2, ?3)"
                  " ON CONFLICT (kind, key) DO NOTHING",
  [SQL_PUT] = "INSERT INTO records (kind, key, value) VALUES (?1, ?2, ?3)"
              " ON CONFLICT (kind, key) DO UPDATE SET value = excluded.value",
  [SQL_GET] = "SELECT value FROM records WHERE kind = ?1 AND key = ?2",
  [SQL_DELETE] = "DELETE FROM records WHERE kind = ?1 AND key = ?2",
  [SQL_RECORDS] = "SELECT value FROM records WHERE kind = ?1"
                  " ORDER BY seq LIMIT ?3 OFFSET ?2",
  [SQL_COUNT] = "SELECT count(*) FROM records WHERE kind = ?1",
};

typedef struct
{
  sqlite3 *db;
  sqlite3_stmt *stmt[N_SQL];
  gint64 busy_deadline; /* of the statement that is waiting */
} Conn;

typedef struct
{
  char *path;
  GAsyncQueue *idle; /* Conn *: reading connections no thread is using */
  Conn *writer;      /* under write_lock */
  GMutex write_lock;
  /* Checkpoints run on a thread of their own, not in the commit that
   * happens to cross the threshold: a checkpoint syncs the disk. */
  GThread *checkpointer;
  GMutex lock;
  GCond wake;
  gboolean checkpoint_wanted, stopping;
} SqliteStore;

/* WAL pages (of 1 KiB) after which a checkpoint is asked for: the more
 * commits one checkpoint covers, the more page writes it folds together. */
#define CHECKPOINT_PAGES 16384
/* Bytes the WAL file is cut back to when it starts over. */
#define WAL_LIMIT 16777216 /* 16 MiB */

/* sqlite's own busy timeout sleeps a whole millisecond and more between
 * tries; under contention that costs more than the statements. Retry sooner,
 * backing off to 1 ms, until the deadline. */
static int
busy_handler (void *data, int attempt)
{
  gint64 *deadline = data;
  gint64 now = g_get_monotonic_time ();

  if (attempt == 0)
    *deadline = now + BUSY_TIMEOUT_US;
  if (now >= *deadline)
    return 0;
  g_usleep (MIN (20 << MIN (attempt, 6), 1000));
  return 1;
}

static gboolean
fail (sqlite3 *db, const char *what, GError **error)
{
  g_set_error (error, TG_ERROR, TG_ERROR_STORE, "Token store: %s: %s", what,
               db ? sqlite3_errmsg (db) : "out of memory");
  return FALSE;
}

static void
conn_free (Conn *conn)
{
  for (guint i = 0; i < N_SQL; i++)
    sqlite3_finalize (conn->stmt[i]);
  sqlite3_close (conn->db);
  g_free (conn);
}

static int
wal_grew (void *data, sqlite3 *db, const char *name, int pages)
{
  SqliteStore *self = data;

  if (pages >= CHECKPOINT_PAGES)
    {
      g_mutex_lock (&self->lock);
      self->checkpoint_wanted = TRUE;
      g_cond_signal (&self->wake);
      g_mutex_unlock (&self->lock);
    }
  return SQLITE_OK;
}

static Conn *
conn_open (SqliteStore *self, GError **error)
{
  const char *path = self->path;
  Conn *conn = g_new0 (Conn, 1);
  int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX;

  if (sqlite3_open_v2 (path, &conn->db, flags, NULL) != SQLITE_OK)
    goto failed;
  sqlite3_busy_handler (conn->db, busy_handler, &conn->busy_deadline);
  /* Replaces sqlite's automatic checkpoints with the checkpointer's. */
  sqlite3_wal_hook (conn->db, wal_grew, self);
  /* The page size first: a new file takes it when it turns to WAL, and
   * keeps it. */
  if (sqlite3_exec (conn->db,
                    "PRAGMA page_size = 1024; PRAGMA journal_mode = WAL;"
                    " PRAGMA synchronous = NORMAL;"
                    " PRAGMA journal_size_limit = " G_STRINGIFY (WAL_LIMIT) ";",
                    NULL, NULL, NULL)
          != SQLITE_OK
      || sqlite3_exec (conn->db, schema, NULL, NULL, NULL) != SQLITE_OK)
    goto failed;
  for (guint i = 0; i < N_SQL; i++)
    if (sqlite3_prepare_v3 (conn->db, sql_text[i], -1,
                            SQLITE_PREPARE_PERSISTENT, &conn->stmt[i], NULL)
        != SQLITE_OK)
      goto failed;
  return conn;

failed:
  fail (conn->db, path, error);
  conn_free (conn);
  return NULL;
}

static gpointer
checkpoint_loop (gpointer data)
{
  SqliteStore *self = data;
  Conn *conn = conn_open (self, NULL);

  g_mutex_lock (&self->lock);
  while (!self->stopping)
    {
      gint64 until = g_get_monotonic_time () + 5 * G_USEC_PER_SEC;

      while (!self->checkpoint_wanted && !self->stopping
             && g_cond_wait_until (&self->wake, &self->lock, until))
        ;
      self->checkpoint_wanted = FALSE;
      g_mutex_unlock (&self->lock);
      /* Passive first: it never waits for readers or writers. Under
       * steady writes it never catches up with the end of the WAL either,
       * and a WAL starts over only once all of it is copied: so then a
       * restart copies the little that came meanwhile, holding writers
       * back that long, and the WAL starts over (the file grew past 600 MB
       * in 12 s of mints before). */
      if (conn)
        {
          sqlite3_wal_checkpoint_v2 (conn->db, NULL, SQLITE_CHECKPOINT_PASSIVE,
                                     NULL, NULL);
          sqlite3_wal_checkpoint_v2 (conn->db, NULL, SQLITE_CHECKPOINT_RESTART,
                                     NULL, NULL);
        }
      g_mutex_lock (&self->lock);
    }
  g_mutex_unlock (&self->lock);
  if (conn)
    conn_free (conn);
  return NULL;
}

static void
sqlite_close (gpointer data)
{
  SqliteStore *self = data;

  if (self->checkpointer)
    {
      g_mutex_lock (&self->lock);
      self->stopping = TRUE;
      g_cond_signal (&self->wake);
      g_mutex_unlock (&self->lock);
      g_thread_join (self->checkpointer);
    }
  g_async_queue_unref (self->idle);
  if (self->writer)
    conn_free (self->writer);
  g_mutex_clear (&self->write_lock);
  g_mutex_clear (&self->lock);
  g_cond_clear (&self->wake);
  g_free (self->path);
  g_free (self);
}

static gpointer
sqlite_open (const char *rest, GError **error)
{
  SqliteStore *self;
  Conn *first;

  if (!g_path_is_absolute (rest))
    {
      g_set_error (error, TG_ERROR, TG_ERROR_INVALID,
                   "sqlite store needs an absolute path: sqlite:///abs/x.db");
      return NULL;
    }
  self = g_new0 (SqliteStore, 1);
  self->path = g_strdup (rest);
  self->idle = g_async_queue_new_full ((GDestroyNotify) conn_free);
  g_mutex_init (&self->lock);
  g_mutex_init (&self->write_lock);
  g_cond_init (&self->wake);
  first = conn_open (self, error);
  self->writer = first ? conn_open (self, error) : NULL;
  if (self->writer == NULL
      || sqlite3_exec (self->writer->db, "PRAGMA cache_size = -8192;", NULL,
                       NULL, NULL)
             != SQLITE_OK)
    {
      if (first)
        conn_free (first);
      sqlite_close (self);
      return NULL;
    }
  g_async_queue_push (self->idle, first);
  self->checkpointer = g_thread_new ("tg-checkpoint", checkpoint_loop, self);
  return self;
}

/* The store whose batch this thread is in: its writes go on the writing
 * connection it holds. */
static GPrivate in_batch;

/* A connection to read with: an idle one, or a new one when every pooled
 * connection is busy on another thread. */
static Conn *
borrow (SqliteStore *self, GError **error)
{
  Conn *conn = g_async_queue_try_pop (self->idle);

  return conn ? conn : conn_open (self, error);
}

/* The connection to write with, once no other thread of this process
 * writes. In a batch whose transaction sqlite has rolled back already
 * (after a full disk, an I/O error): NULL, so that no later write of the
 * batch commits on its own while the batch as a whole fails. */
static Conn *
borrow_writer (SqliteStore *self, GError **error)
{
  if (g_private_get (&in_batch) != self)
    g_mutex_lock (&self->write_lock);
  else if (sqlite3_get_autocommit (self->writer->db))
    {
      g_set_error (error, TG_ERROR, TG_ERROR_STORE,
                   "Token store: %s: the batch's transaction was rolled back",
                   self->path);
      return NULL;
    }
  return self->writer;
}

static void
give_back (SqliteStore *self, Conn *conn)
{
  if (conn != self->writer)
    g_async_queue_push (self->idle, conn);
  else if (g_private_get (&in_batch) != self)
    g_mutex_unlock (&self->write_lock);
}

static gboolean
sqlite_batch (gpointer data, TgStore *store, TgStoreBatchFunc func,
              gpointer func_data, GError **error)
{
  SqliteStore *self = data;
  Conn *conn = borrow_writer (self, error);
  gboolean ok;

  ok = sqlite3_exec (conn->db, "BEGIN IMMEDIATE", NULL, NULL, NULL)
       == SQLITE_OK;
  if (!ok)
    fail (conn->db, "begin", error);
  else
    {
      g_private_set (&in_batch, self);
      func (store, func_data);
      g_private_set (&in_batch, NULL);
      ok = sqlite3_exec (conn->db, "COMMIT", NULL, NULL, NULL) == SQLITE_OK;
      if (!ok)
        {
          fail (conn->db, "commit", error);
          /* (After some errors sqlite has rolled back already.) */
          sqlite3_exec (conn->db, "ROLLBACK", NULL, NULL, NULL);
        }
    }
  give_back (self, conn);
  return ok;
}

/* Binds parameters in order: "t" text (NULL binds NULL), "i" gint64. */
static sqlite3_stmt *
bind_valist (Conn *conn, Sql sql, const char *types, va_list args)
{
  sqlite3_stmt *stmt = conn->stmt[sql];

  sqlite3_reset (stmt);
  sqlite3_clear_bindings (stmt);
  for (int i = 0; types[i]; i++)
    {
      if (types[i] == 't')
        {
          const char *text = va_arg (args, const char *);

          if (text == NULL)
            sqlite3_bind_null (stmt, i + 1);
          else
            sqlite3_bind_text (stmt, i + 1, text, -1, SQLITE_STATIC);
        }
      else
        sqlite3_bind_int64 (stmt, i + 1, va_arg (args, gint64));
    }
  return stmt;
}

static sqlite3_stmt *
bind (Conn *conn, Sql sql, const char *types, ...)
{
  sqlite3_stmt *stmt;
  va_list args;

  va_start (args, types);
  stmt = bind_valist (conn, sql, types, args);
  va_end (args);
  return stmt;
}

/* Runs a statement that returns no rows we need; -1 on failure. */
static gint64
run (Conn *conn, sqlite3_stmt *stmt, GError **error)
{
  int rc;

  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    ;
  sqlite3_reset (stmt);
  if (rc != SQLITE_DONE)
    {
      fail (conn->db, "write", error);
      return -1;
    }
  return sqlite3_changes (conn->db);
}

/* One statement that changes rows, on the writing connection: bind (as
 * bind ()), run, give back. Rows changed, or -1. */
static gint64
execute (SqliteStore *self, Sql sql, GError **error, const char *types, ...)
{
  Conn *conn = borrow_writer (self, error);
  gint64 changed;
  va_list args;

  if (conn == NULL)
    return -1;
  va_start (args, types);
  changed = run (conn, bind_valist (conn, sql, types, args), error);
  va_end (args);
  give_back (self, conn);
  return changed;
}

static TgToken *
row_to_token (sqlite3_stmt *stmt)
{
  TgTokenType type = TG_TOKEN_TYPE_PLAY;

  tg_token_type_from_string ((const char *) sqlite3_column_text (stmt, 4),
                             &type);
  return tg_token_new ((const char *) sqlite3_column_text (stmt, 0),
                       (const char *) sqlite3_column_text (stmt, 1),
                       (const char *) sqlite3_column_text (stmt, 2),
                       sqlite3_column_int64 (stmt, 3), type,
                       (const char *) sqlite3_column_text (stmt, 5));
}

/* Minting time in microseconds, strictly increasing within this process, so
 * that tokens list in the order they were minted. */
static gint64
next_seq (void)
{
  static gint64 last;
  gint64 seen, next;

  do
    {
      seen = __atomic_load_n (&last, __ATOMIC_RELAXED);
      next = MAX (g_get_real_time (), seen + 1);
    }
  while (!__atomic_compare_exchange_n (&last, &seen, next, FALSE,
                                       __ATOMIC_RELAXED, __ATOMIC_RELAXED));
  return next;
}

static gboolean
sqlite_insert (gpointer data, const TgToken *token, GError **error)
{
  return execute (data, SQL_INSERT, error, "tttitti", token->app,
                  token->token_id, token->stream_id, token->expire_date,
                  tg_token_type_to_string (token->type), token->room_id,
                  next_seq ())
         >= 0;
}

/* Why a token that was not consumed was refused; read only. */
static TgVerdict
judge (Conn *conn, const char *app, const char *token_id, const char *stream_id,
       TgTokenType type, const char *room_id, gint64 now, GError **error)
{
  sqlite3_stmt *stmt = bind (conn, SQL_LOOKUP, "tt", app, token_id);
  g_autoptr (TgToken) stored = NULL;
  int rc = sqlite3_step (stmt);

  if (rc == SQLITE_ROW)
    stored = row_to_token (stmt);
  sqlite3_reset (stmt);
  if (rc != SQLITE_ROW && rc != SQLITE_DONE)
    {
      fail (conn->db, "lookup", error);
      return TG_VERDICT_STORE_ERROR;
    }
  if (stored == NULL)
    return TG_VERDICT_UNKNOWN;
  return tg_token_judge (stored, stream_id, type, room_id, now);
}

static TgVerdict
sqlite_consume (gpointer data, const char *app, const char *token_id,
                const char *stream_id, TgTokenType type, const char *room_id,
                gint64 now, GError **error)
{
  SqliteStore *self = data;
  Conn *conn = room_id ? borrow (self, error) : borrow_writer (self, error);
  TgVerdict verdict;
  sqlite3_stmt *stmt;
  int rc;

  if (conn == NULL)
    return TG_VERDICT_STORE_ERROR;
  if (room_id != NULL)
    {
      /* Room tokens are checked, never deleted. */
      verdict
          = judge (conn, app, token_id, stream_id, type, room_id, now, error);
      give_back (self, conn);
      return verdict;
    }
  stmt = bind (conn, SQL_CONSUME, "tttti", app, token_id, stream_id,
               tg_token_type_to_string (type), now);
  rc = sqlite3_step (stmt);
  sqlite3_reset (stmt);
  if (rc == SQLITE_ROW)
    verdict = TG_VERDICT_OK;
  else if (rc == SQLITE_DONE)
    verdict = judge (conn, app, token_id, stream_id, type, NULL, now, error);
  else
    {
      fail (conn->db, "consume", error);
      verdict = TG_VERDICT_STORE_ERROR;
    }
  give_back (self, conn);
  return verdict;
}

static TgVerdict
sqlite_check (gpointer data, const char *app, const char *token_id,
              const char *stream_id, TgTokenType type, gint64 now,
              GError **error)
{
  SqliteStore *self = data;
  Conn *conn = borrow (self, error);
  TgVerdict verdict;

  if (conn == NULL)
    return TG_VERDICT_STORE_ERROR;
  verdict = judge (conn, app, token_id, stream_id, type, NULL, now, error);
  give_back (self, conn);
  return verdict;
}

static gint64
sqlite_revoke_stream (gpointer data, const char *app, const char *stream_id,
                      GError **error)
{
  return execute (data, SQL_REVOKE, error, "tt", app, stream_id);
}

static GPtrArray *
sqlite_list_tokens (gpointer data, const char *app, const char *stream_id,
                    guint offset, guint size, GError **error)
{
  SqliteStore *self = data;
  Conn *conn = borrow (self, error);
  g_autoptr (GPtrArray) tokens = NULL;
  sqlite3_stmt *stmt;
  int rc;

  if (conn == NULL)
    return NULL;
  tokens = g_ptr_array_new_with_free_func ((GDestroyNotify) tg_token_free);
  stmt = bind (conn, SQL_LIST, "ttii", app, stream_id, (gint64) offset,
               (gint64) size);
  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    g_ptr_array_add (tokens, row_to_token (stmt));
  sqlite3_reset (stmt);
  if (rc != SQLITE_DONE)
    {
      g_clear_pointer (&tokens, g_ptr_array_unref);
      fail (conn->db, "list", error);
    }
  give_back (self, conn);
  return g_steal_pointer (&tokens);
}

static gint64
sqlite_purge_expired (gpointer data, gint64 now, GError **error)
{
  return execute (data, SQL_PURGE, error, "i", now);
}

static gboolean
sqlite_record_put (gpointer data, const char *kind, const char *key,
                   const char *value, gboolean only_if_absent, GError **error)
{
  gint64 changed = execute (data, only_if_absent ? SQL_PUT_NEW : SQL_PUT, error,
                            "ttt", kind, key, value);

  if (changed == 0)
    g_set_error (error, TG_ERROR, TG_ERROR_EXISTS, "%s %s exists", kind, key);
  return changed > 0;
}

/* Runs a query whose rows are single text values. */
static GPtrArray *
texts (SqliteStore *self, sqlite3_stmt *stmt, Conn *conn, GError **error)
{
  GPtrArray *values = g_ptr_array_new_with_free_func (g_free);
  int rc;

  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    g_ptr_array_add (values,
                     g_strdup ((const char *) sqlite3_column_text (stmt, 0)));
  sqlite3_reset (stmt);
  if (rc != SQLITE_DONE)
    {
      g_ptr_array_unref (values);
      values = NULL;
      fail (conn->db, "read", error);
    }
  give_back (self, conn);
  return values;
}

static char *
sqlite_record_get (gpointer data, const char *kind, const char *key,
                   GError **error)
{
  SqliteStore *self = data;
  Conn *conn = borrow (self, error);
  g_autoptr (GPtrArray) values = NULL;

  if (conn == NULL)
    return NULL;
  values = texts (self, bind (conn, SQL_GET, "tt", kind, key), conn, error);
  if (values == NULL)
    return NULL;
  if (values->len == 0)
    {
      g_set_error (error, TG_ERROR, TG_ERROR_NOT_FOUND, "%s %s not found", kind,
                   key);
      return NULL;
    }
  return g_strdup (values->pdata[0]);
}

static gboolean
sqlite_record_delete (gpointer data, const char *kind, const char *key,
                      GError **error)
{
  gint64 changed = execute (data, SQL_DELETE, error, "tt", kind, key);

  if (changed == 0)
    g_set_error (error, TG_ERROR, TG_ERROR_NOT_FOUND, "%s %s not found", kind,
                 key);
  return changed > 0;
}

static GPtrArray *
sqlite_record_list (gpointer data, const char *kind, guint offset, guint size,
                    GError **error)
{
  SqliteStore *self = data;
  Conn *conn = borrow (self, error);

  if (conn == NULL)
    return NULL;
  return texts (
      self,
      bind (conn, SQL_RECORDS, "tii", kind, (gint64) offset, (gint64) size),
      conn, error);
}

static gint64
sqlite_record_count (gpointer data, const char *kind, GError **error)
{
  SqliteStore *self = data;
  Conn *conn = borrow (self, error);
  g_autoptr (GPtrArray) values = NULL;

  if (conn == NULL)
    return -1;
  values = texts (self, bind (conn, SQL_COUNT, "t", kind), conn, error);
  return values ? g_ascii_strtoll (values->pdata[0], NULL, 10) : -1;
}

const TgStoreBackend tg_store_backend_sqlite = {
  .scheme = "sqlite",
  .open = sqlite_open,
  .close = sqlite_close,
  .insert = sqlite_insert,
  .consume = sqlite_consume,
  .check = sqlite_check,
  .revoke_stream = sqlite_revoke_stream,
  .list_tokens = sqlite_list_tokens,
  .purge_expired = sqlite_purge_expired,
  .record_put = sqlite_record_put,
  .record_get = sqlite_record_get,
  .record_delete = sqlite_record_delete,
  .record_list = sqlite_record_list,
  .record_count = sqlite_record_count,
  .batch = sqlite_batch,
};
