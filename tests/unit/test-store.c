/* The one-time rule and the rest of the store API, on every backend (Redis:
 * a real redis-server, started here). */
#include <glib/gstdio.h>

#include "test-redis.h"
#include "tollgate.h"

/* The redis-server of the redis cases; each case has a database of its
 * own (next_db), so that none sees another's keys. */
static TestRedis *redis;
static int next_db;

typedef struct
{
  char *dir;
  TgStore *store;
} Fixture;

static void
setup (Fixture *f, gconstpointer scheme)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *uri = NULL;

  f->dir = g_dir_make_tmp ("tg-store-XXXXXX", &error);
  g_assert_no_error (error);
  if (g_str_equal (scheme, "sqlite"))
    uri = g_strdup_printf ("sqlite://%s/t.db", f->dir);
  else if (g_str_equal (scheme, "redis"))
    uri = test_redis_unix_uri (redis, next_db++);
  else
    uri = g_strdup ("memory://");
  f->store = tg_store_open (uri, &error);
  g_assert_no_error (error);
  g_assert_nonnull (f->store);
}

static void
teardown (Fixture *f, gconstpointer scheme)
{
  g_autofree char *db = g_build_filename (f->dir, "t.db", NULL);
  g_autofree char *wal = g_strconcat (db, "-wal", NULL);
  g_autofree char *shm = g_strconcat (db, "-shm", NULL);

  tg_store_unref (f->store);
  g_remove (wal);
  g_remove (shm);
  g_remove (db);
  g_assert_cmpint (g_rmdir (f->dir), ==, 0);
  g_free (f->dir);
}

static gint64
now (void)
{
  return g_get_real_time () / G_USEC_PER_SEC;
}

static TgToken *
mint (Fixture *f, const char *stream, TgTokenType type, gint64 expire)
{
  g_autoptr (GError) error = NULL;
  TgToken *token
      = tg_store_mint (f->store, "LiveApp", stream, type, expire, NULL, &error);

  g_assert_no_error (error);
  g_assert_nonnull (token);
  return token;
}

static guint
count_tokens (Fixture *f, const char *stream)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GPtrArray) tokens
      = tg_store_list_tokens (f->store, "LiveApp", stream, 0, 1000, &error);

  g_assert_no_error (error);
  return tokens->len;
}

static TgVerdict
consume (Fixture *f, const char *app, const char *id, const char *stream,
         TgTokenType type)
{
  g_autoptr (GError) error = NULL;
  TgVerdict verdict
      = tg_store_consume (f->store, app, id, stream, type, NULL, &error);

  g_assert_no_error (error);
  return verdict;
}

static void
test_consume_once (Fixture *f, gconstpointer scheme)
{
  g_autoptr (TgToken) token = mint (f, "s1", TG_TOKEN_TYPE_PLAY, now () + 60);

  g_assert_cmpuint (count_tokens (f, "s1"), ==, 1);
  g_assert_cmpint (
      consume (f, "LiveApp", token->token_id, "s1", TG_TOKEN_TYPE_PLAY), ==,
      TG_VERDICT_OK);
  g_assert_cmpuint (count_tokens (f, "s1"), ==, 0);
  g_assert_cmpint (
      consume (f, "LiveApp", token->token_id, "s1", TG_TOKEN_TYPE_PLAY), ==,
      TG_VERDICT_UNKNOWN);
}

static void
test_refusals_leave_token (Fixture *f, gconstpointer scheme)
{
  g_autoptr (TgToken) token
      = mint (f, "s1", TG_TOKEN_TYPE_PUBLISH, now () + 60);
  const char *id = token->token_id;

  g_assert_cmpint (consume (f, "LiveApp", id, "s2", TG_TOKEN_TYPE_PUBLISH), ==,
                   TG_VERDICT_WRONG_STREAM);
  g_assert_cmpint (consume (f, "LiveApp", id, "s1", TG_TOKEN_TYPE_PLAY), ==,
                   TG_VERDICT_WRONG_TYPE);
  g_assert_cmpint (consume (f, "WebRTCAppEE", id, "s1", TG_TOKEN_TYPE_PUBLISH),
                   ==, TG_VERDICT_UNKNOWN);
  g_assert_cmpint (consume (f, "LiveApp", "", "s1", TG_TOKEN_TYPE_PUBLISH), ==,
                   TG_VERDICT_UNKNOWN);
  g_assert_cmpuint (count_tokens (f, "s1"), ==, 1);
  g_assert_cmpint (consume (f, "LiveApp", id, "s1", TG_TOKEN_TYPE_PUBLISH), ==,
                   TG_VERDICT_OK);
}

static void
test_expired (Fixture *f, gconstpointer scheme)
{
  g_autoptr (TgToken) old = mint (f, "s1", TG_TOKEN_TYPE_PLAY, now () - 1);
  g_autoptr (TgToken) fresh = mint (f, "s1", TG_TOKEN_TYPE_PLAY, now () + 60);
  g_autoptr (GError) error = NULL;

  g_assert_cmpint (
      consume (f, "LiveApp", old->token_id, "s1", TG_TOKEN_TYPE_PLAY), ==,
      TG_VERDICT_EXPIRED);
  g_assert_cmpuint (count_tokens (f, "s1"), ==, 2);
  g_assert_cmpint (tg_store_purge_expired (f->store, now (), &error), ==, 1);
  g_assert_no_error (error);
  g_assert_cmpuint (count_tokens (f, "s1"), ==, 1);
  g_assert_cmpint (
      consume (f, "LiveApp", fresh->token_id, "s1", TG_TOKEN_TYPE_PLAY), ==,
      TG_VERDICT_OK);
}

/* A check judges like a consume and spends nothing. */
static void
test_check (Fixture *f, gconstpointer scheme)
{
  g_autoptr (TgToken) token
      = mint (f, "s1", TG_TOKEN_TYPE_PUBLISH, now () + 60);
  g_autoptr (TgToken) old = mint (f, "s1", TG_TOKEN_TYPE_PUBLISH, now () - 1);
  g_autoptr (GError) error = NULL;
  const char *id = token->token_id;

  g_assert_cmpint (tg_store_check (f->store, "LiveApp", id, "s2",
                                   TG_TOKEN_TYPE_PUBLISH, &error),
                   ==, TG_VERDICT_WRONG_STREAM);
  g_assert_cmpint (tg_store_check (f->store, "LiveApp", id, "s1",
                                   TG_TOKEN_TYPE_PLAY, &error),
                   ==, TG_VERDICT_WRONG_TYPE);
  g_assert_cmpint (tg_store_check (f->store, "LiveApp", old->token_id, "s1",
                                   TG_TOKEN_TYPE_PUBLISH, &error),
                   ==, TG_VERDICT_EXPIRED);
  g_assert_cmpint (tg_store_check (f->store, "LiveApp", "nope", "s1",
                                   TG_TOKEN_TYPE_PUBLISH, &error),
                   ==, TG_VERDICT_UNKNOWN);
  for (int i = 0; i < 2; i++)
    g_assert_cmpint (tg_store_check (f->store, "LiveApp", id, "s1",
                                     TG_TOKEN_TYPE_PUBLISH, &error),
                     ==, TG_VERDICT_OK);
  g_assert_no_error (error);
  g_assert_cmpuint (count_tokens (f, "s1"), ==, 2);
  g_assert_cmpint (consume (f, "LiveApp", id, "s1", TG_TOKEN_TYPE_PUBLISH), ==,
                   TG_VERDICT_OK);
  g_assert_cmpint (tg_store_check (f->store, "LiveApp", id, "s1",
                                   TG_TOKEN_TYPE_PUBLISH, &error),
                   ==, TG_VERDICT_UNKNOWN);
}

static void
test_room_token (Fixture *f, gconstpointer scheme)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (TgToken) token
      = tg_store_mint (f->store, "LiveApp", "room1", TG_TOKEN_TYPE_PLAY,
                       now () + 60, "room1", &error);
  TgVerdict verdict;

  g_assert_no_error (error);
  for (int i = 0; i < 3; i++)
    {
      verdict = tg_store_consume (f->store, "LiveApp", token->token_id, NULL,
                                  TG_TOKEN_TYPE_PLAY, "room1", &error);
      g_assert_cmpint (verdict, ==, TG_VERDICT_OK);
    }
  verdict = tg_store_consume (f->store, "LiveApp", token->token_id, NULL,
                              TG_TOKEN_TYPE_PLAY, "room2", &error);
  g_assert_cmpint (verdict, ==, TG_VERDICT_WRONG_ROOM);
  verdict = tg_store_consume (f->store, "LiveApp", token->token_id, NULL,
                              TG_TOKEN_TYPE_PUBLISH, "room1", &error);
  g_assert_cmpint (verdict, ==, TG_VERDICT_WRONG_TYPE);
  g_assert_no_error (error);
  g_assert_cmpuint (count_tokens (f, "room1"), ==, 1);
}

static void
test_revoke_and_list (Fixture *f, gconstpointer scheme)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GPtrArray) page = NULL;
  g_autoptr (GPtrArray) minted
      = g_ptr_array_new_with_free_func ((GDestroyNotify) tg_token_free);

  for (int i = 0; i < 5; i++)
    g_ptr_array_add (minted, mint (f, "s1", TG_TOKEN_TYPE_PLAY, now () + 60));
  g_ptr_array_add (minted, mint (f, "s2", TG_TOKEN_TYPE_PLAY, now () + 60));
  page = tg_store_list_tokens (f->store, "LiveApp", "s1", 1, 3, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (page->len, ==, 3);
  for (guint i = 0; i < 3; i++)
    g_assert_cmpstr (((TgToken *) page->pdata[i])->token_id, ==,
                     ((TgToken *) minted->pdata[i + 1])->token_id);
  g_assert_cmpint (tg_store_revoke_stream (f->store, "LiveApp", "s1", &error),
                   ==, 5);
  g_assert_cmpuint (count_tokens (f, "s1"), ==, 0);
  g_assert_cmpuint (count_tokens (f, "s2"), ==, 1);
}

static void
test_records (Fixture *f, gconstpointer scheme)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GPtrArray) values = NULL;
  g_autofree char *value = NULL;

  g_assert_true (tg_store_record_put (f->store, "k", "a", "1", TRUE, &error));
  g_assert_true (tg_store_record_put (f->store, "k", "b", "2", TRUE, &error));
  g_assert_true (
      tg_store_record_put (f->store, "other", "a", "x", TRUE, &error));
  g_assert_false (tg_store_record_put (f->store, "k", "a", "3", TRUE, &error));
  g_assert_error (error, TG_ERROR, TG_ERROR_EXISTS);
  g_clear_error (&error);
  g_assert_true (tg_store_record_put (f->store, "k", "a", "4", FALSE, &error));
  value = tg_store_record_get (f->store, "k", "a", &error);
  g_assert_cmpstr (value, ==, "4");
  g_assert_cmpint (tg_store_record_count (f->store, "k", &error), ==, 2);
  values = tg_store_record_list (f->store, "k", 0, 10, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (values->len, ==, 2);
  g_assert_cmpstr (values->pdata[0], ==, "4");
  g_assert_cmpstr (values->pdata[1], ==, "2");
  g_assert_true (tg_store_record_delete (f->store, "k", "a", &error));
  g_assert_false (tg_store_record_delete (f->store, "k", "a", &error));
  g_assert_error (error, TG_ERROR, TG_ERROR_NOT_FOUND);
  g_clear_error (&error);
  g_assert_null (tg_store_record_get (f->store, "k", "a", &error));
  g_assert_error (error, TG_ERROR, TG_ERROR_NOT_FOUND);
}

static void
test_token_ids (void)
{
  g_autoptr (GHashTable) seen
      = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);

  for (int i = 0; i < 10000; i++)
    {
      g_autoptr (GError) error = NULL;
      char *id = tg_token_id_new (&error);
      g_autofree char *tag = tg_token_hash (id);

      g_assert_no_error (error);
      g_assert_cmpuint (strlen (id), >=, 22); /* 22 x 5.95 bits >= 128 */
      for (const char *c = id; *c; c++)
        g_assert_true (g_ascii_isalnum (*c));
      g_assert_null (strstr (id, tag + 1));
      g_assert_true (g_hash_table_add (seen, id));
    }
}

/* The redis cases: a store on a database of its own, and a play token of
 * LiveApp/s1 minted, spent or checked in it (the error as the store sets
 * it). */
static TgStore *
redis_store (void)
{
  g_autofree char *uri = test_redis_unix_uri (redis, next_db++);
  g_autoptr (GError) error = NULL;
  TgStore *store = tg_store_open (uri, &error);

  g_assert_no_error (error);
  return store;
}

static TgToken *
mint_in (TgStore *store, GError **error)
{
  return tg_store_mint (store, "LiveApp", "s1", TG_TOKEN_TYPE_PLAY, now () + 60,
                        NULL, error);
}

static TgVerdict
spend_in (TgStore *store, const TgToken *token, GError **error)
{
  return tg_store_consume (store, "LiveApp", token->token_id, "s1",
                           TG_TOKEN_TYPE_PLAY, NULL, error);
}

static TgVerdict
check_in (TgStore *store, const TgToken *token, GError **error)
{
  return tg_store_check (store, "LiveApp", token->token_id, "s1",
                         TG_TOKEN_TYPE_PLAY, error);
}

/* Redis over TCP: the same store as over its socket. */
static void
test_redis_tcp (void)
{
  g_autoptr (TgStore) local = redis_store ();
  g_autofree char *tcp_uri = test_redis_tcp_uri (redis, next_db - 1);
  g_autoptr (GError) error = NULL;
  g_autoptr (TgStore) tcp = tg_store_open (tcp_uri, &error);
  g_autoptr (TgToken) token = NULL;

  g_assert_no_error (error);
  token = mint_in (tcp, &error);
  g_assert_no_error (error);
  g_assert_cmpint (spend_in (local, token, &error), ==, TG_VERDICT_OK);
  g_assert_cmpint (spend_in (tcp, token, &error), ==, TG_VERDICT_UNKNOWN);
  g_assert_no_error (error);
}

/* Redis stopped, and started again empty. While it is gone ("outage"),
 * every call fails with a store error (a consume says so, it does not say
 * unknown). Once it is back, the same store works again: with no call in
 * between ("restart"), its idle connection is found closed and the call
 * made again on a new one, and the scripts Redis no longer knows are sent
 * in full. */
static void
test_redis_down (gconstpointer outage)
{
  g_autoptr (TgStore) store = redis_store ();
  g_autoptr (GError) error = NULL;
  g_autoptr (TgToken) before = mint_in (store, &error);
  g_autoptr (TgToken) after = NULL;

  g_assert_no_error (error);
  test_redis_halt (redis);
  if (GPOINTER_TO_INT (outage))
    {
      g_assert_cmpint (spend_in (store, before, &error), ==,
                       TG_VERDICT_STORE_ERROR);
      g_assert_error (error, TG_ERROR, TG_ERROR_STORE);
      g_clear_error (&error);
      g_assert_cmpint (check_in (store, before, &error), ==,
                       TG_VERDICT_STORE_ERROR);
      g_assert_error (error, TG_ERROR, TG_ERROR_STORE);
      g_clear_error (&error);
      g_assert_null (mint_in (store, &error));
      g_assert_error (error, TG_ERROR, TG_ERROR_STORE);
      g_clear_error (&error);
    }
  test_redis_relaunch (redis);
  after = mint_in (store, &error);
  g_assert_no_error (error);
  g_assert_nonnull (after);
  g_assert_cmpint (check_in (store, after, &error), ==, TG_VERDICT_OK);
  g_assert_cmpint (spend_in (store, after, &error), ==, TG_VERDICT_OK);
  /* The empty Redis lost the first. */
  g_assert_cmpint (spend_in (store, before, &error), ==, TG_VERDICT_UNKNOWN);
  g_assert_no_error (error);
}

/* Scripts flushed from Redis's cache (SCRIPT FLUSH) on a live connection:
 * a check and a consume still judge, and the consume still spends once. */
static void
test_redis_scripts_flushed (void)
{
  g_autoptr (TgStore) store = redis_store ();
  g_autoptr (GError) error = NULL;
  g_autoptr (TgToken) token = mint_in (store, &error);
  g_autofree char *flushed = NULL;
  g_autofree char *again = NULL;

  g_assert_no_error (error);
  flushed = test_redis_ask (redis, "SCRIPT FLUSH");
  g_assert_cmpstr (flushed, ==, "+OK");
  g_assert_cmpint (check_in (store, token, &error), ==, TG_VERDICT_OK);
  again = test_redis_ask (redis, "SCRIPT FLUSH");
  g_assert_cmpstr (again, ==, "+OK");
  g_assert_cmpint (spend_in (store, token, &error), ==, TG_VERDICT_OK);
  g_assert_cmpint (spend_in (store, token, &error), ==, TG_VERDICT_UNKNOWN);
  g_assert_no_error (error);
}

/* A password in a URI is never said: not by a refusal. */
static void
test_redis_password_not_said (void)
{
  g_autofree char *tcp_uri = test_redis_tcp_uri (redis, 0);
  g_autofree char *with_password
      = g_strdup_printf ("redis://:s3cr3t@%s", tcp_uri + strlen ("redis://"));
  g_autoptr (GError) error = NULL;

  /* This Redis has no password: AUTH is refused. */
  g_assert_null (tg_store_open (with_password, &error));
  g_assert_error (error, TG_ERROR, TG_ERROR_STORE);
  g_assert_null (strstr (error->message, "s3cr3t"));
  g_clear_error (&error);
  g_assert_null (tg_store_open ("redis://:s3cr3t@127.0.0.1:port/0", &error));
  g_assert_error (error, TG_ERROR, TG_ERROR_INVALID);
  g_assert_null (strstr (error->message, "s3cr3t"));
}

/* tg_store_batch: the writes func makes are kept; in sqlite they are one
 * transaction, which another store on the file sees only once committed. */
typedef struct
{
  const char *token_id; /* minted before the batch, consumed in it */
  TgStore *other;       /* sqlite: a second store on the same file */
  TgToken *minted;
  TgVerdict first, second, seen_outside;
} BatchRun;

static void
batch_writes (TgStore *store, gpointer data)
{
  BatchRun *run = data;
  gint64 expire = g_get_real_time () / G_USEC_PER_SEC + 600;

  run->minted = tg_store_mint (store, "LiveApp", "s", TG_TOKEN_TYPE_PLAY,
                               expire, NULL, NULL);
  run->first = tg_store_consume (store, "LiveApp", run->token_id, "s",
                                 TG_TOKEN_TYPE_PLAY, NULL, NULL);
  run->second = tg_store_consume (store, "LiveApp", run->token_id, "s",
                                  TG_TOKEN_TYPE_PLAY, NULL, NULL);
  if (run->other)
    run->seen_outside
        = tg_store_check (run->other, "LiveApp", run->minted->token_id, "s",
                          TG_TOKEN_TYPE_PLAY, NULL);
}

static void
test_batch (Fixture *f, gconstpointer scheme)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (TgToken) before
      = tg_store_mint (f->store, "LiveApp", "s", TG_TOKEN_TYPE_PLAY,
                       g_get_real_time () / G_USEC_PER_SEC + 600, NULL, &error);
  g_autoptr (TgStore) other = NULL;
  BatchRun run = { before->token_id, NULL, NULL, 0, 0, TG_VERDICT_OK };

  if (g_str_equal (scheme, "sqlite"))
    {
      g_autofree char *uri = g_strdup_printf ("sqlite://%s/t.db", f->dir);

      other = run.other = tg_store_open (uri, &error);
      g_assert_no_error (error);
    }
  g_assert_true (tg_store_batch (f->store, batch_writes, &run, &error));
  g_assert_no_error (error);
  g_assert_nonnull (run.minted);
  g_assert_cmpint (run.first, ==, TG_VERDICT_OK);
  g_assert_cmpint (run.second, ==, TG_VERDICT_UNKNOWN);
  if (other)
    g_assert_cmpint (run.seen_outside, ==, TG_VERDICT_UNKNOWN);
  /* Committed: the new token is there, the consumed one is not. */
  g_assert_cmpint (tg_store_consume (f->store, "LiveApp", run.minted->token_id,
                                     "s", TG_TOKEN_TYPE_PLAY, NULL, NULL),
                   ==, TG_VERDICT_OK);
  g_assert_cmpint (tg_store_consume (f->store, "LiveApp", before->token_id, "s",
                                     TG_TOKEN_TYPE_PLAY, NULL, NULL),
                   ==, TG_VERDICT_UNKNOWN);
  tg_token_free (run.minted);
}

/* sqlite: steady mints from two threads keep the WAL file bounded (it grew
 * without end while writes never paused: 680 MB in 12 s of REST mints),
 * and a new file has the small pages the schema wants. */
#define WAL_MINTS 30000

typedef struct
{
  TgStore *store;
  const char *wal;
  gint64 largest; /* bytes of the WAL seen, under no lock: one writer each */
} WalRun;

static gpointer
mint_steadily (gpointer data)
{
  WalRun *run = data;
  gint64 expire = g_get_real_time () / G_USEC_PER_SEC + 600;

  for (int i = 0; i < WAL_MINTS; i++)
    {
      g_autoptr (GError) error = NULL;
      g_autoptr (TgToken) token = tg_store_mint (
          run->store, "LiveApp", "s", TG_TOKEN_TYPE_PLAY, expire, NULL, &error);
      GStatBuf st;

      g_assert_no_error (error);
      g_assert_nonnull (token);
      if (i % 500 == 0 && g_stat (run->wal, &st) == 0)
        run->largest = MAX (run->largest, (gint64) st.st_size);
    }
  return NULL;
}

static void
test_sqlite_wal_bounded (Fixture *f, gconstpointer scheme)
{
  g_autofree char *wal = g_build_filename (f->dir, "t.db-wal", NULL);
  g_autofree char *db = g_build_filename (f->dir, "t.db", NULL);
  g_autofree char *head = NULL;
  WalRun runs[2] = { { f->store, wal, 0 }, { f->store, wal, 0 } };
  GThread *threads[2];
  gsize length = 0;

  for (guint i = 0; i < 2; i++)
    threads[i] = g_thread_new ("mint", mint_steadily, &runs[i]);
  for (guint i = 0; i < 2; i++)
    g_thread_join (threads[i]);
  g_assert_cmpint (MAX (runs[0].largest, runs[1].largest), >, 0);
  g_assert_cmpint (MAX (runs[0].largest, runs[1].largest), <, 48 * 1024 * 1024);
  /* The page size, bytes 16-17 of the header, big-endian. */
  g_assert_true (g_file_get_contents (db, &head, &length, NULL));
  g_assert_cmpuint (length, >, 100);
  g_assert_cmpuint ((guint8) head[16] << 8 | (guint8) head[17], ==, 1024);
}

static void
test_bad_uris (void)
{
  const char *bad[] = { "",
                        "nothing",
                        "sqlite://relative.db",
                        "sqlite:///no/such/dir/x.db",
                        "redis-ish://x",
                        "redis://",
                        "redis://127.0.0.1:notaport/0",
                        "redis://127.0.0.1:6379/db",
                        "redis://127.0.0.1:1/0",
                        "unix://relative.sock",
                        "unix:///no/such/redis.sock",
                        "unix:///tmp/redis.sock?database=1",
                        "rediss://127.0.0.1:6380/0" };

  for (guint i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      g_autoptr (GError) error = NULL;

      g_assert_null (tg_store_open (bad[i], &error));
      g_assert_nonnull (error);
    }
}

int
main (int argc, char **argv)
{
  const char *schemes[] = { "memory", "sqlite", "redis" };
  int status;

  g_test_init (&argc, &argv, NULL);
  redis = test_redis_start ();
  for (guint i = 0; i < G_N_ELEMENTS (schemes); i++)
    {
#define ADD(name, func)                                                        \
  do                                                                           \
    {                                                                          \
      g_autofree char *path = g_strdup_printf ("/store/%s/" name, schemes[i]); \
      g_test_add (path, Fixture, schemes[i], setup, func, teardown);           \
    }                                                                          \
  while (0)
      ADD ("consume-once", test_consume_once);
      ADD ("refusals-leave-token", test_refusals_leave_token);
      ADD ("expired", test_expired);
      ADD ("check", test_check);
      ADD ("room-token", test_room_token);
      ADD ("revoke-and-list", test_revoke_and_list);
      ADD ("records", test_records);
      ADD ("batch", test_batch);
#undef ADD
    }
  g_test_add ("/store/sqlite/wal-bounded", Fixture, "sqlite", setup,
              test_sqlite_wal_bounded, teardown);
  g_test_add_func ("/store/token-ids", test_token_ids);
  g_test_add_func ("/store/bad-uris", test_bad_uris);
  g_test_add_func ("/store/redis/tcp", test_redis_tcp);
  g_test_add_data_func ("/store/redis/outage", GINT_TO_POINTER (TRUE),
                        test_redis_down);
  g_test_add_data_func ("/store/redis/restart", GINT_TO_POINTER (FALSE),
                        test_redis_down);
  g_test_add_func ("/store/redis/scripts-flushed", test_redis_scripts_flushed);
  g_test_add_func ("/store/redis/password-not-said",
                   test_redis_password_not_said);
  status = g_test_run ();
  test_redis_stop (redis);
  return status;
}
