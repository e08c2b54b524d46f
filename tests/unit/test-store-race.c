/* Several processes race to consume the same tokens in one store, a sqlite
 * file and a real redis-server: every token must be consumed exactly once,
 * whatever the interleaving. */
#include <glib/gstdio.h>
#include <sys/wait.h>
#include <unistd.h>

#include "test-redis.h"
#include "tollgate.h"

#define N_TOKENS 1000
#define N_PROCS 6

/* The child's part: wait for the start, consume every token (starting at a
 * different place than the others), report one byte per token. */
static void
child (const char *uri, char **ids, int start_fd, int result_fd, int index)
{
  g_autoptr (TgStore) store = NULL;
  guint8 won[N_TOKENS] = { 0 };
  char byte;

  if (read (start_fd, &byte, 1) != 0) /* EOF: the parent let go */
    _exit (3);
  store = tg_store_open (uri, NULL);
  if (store == NULL)
    _exit (4);
  for (int k = 0; k < N_TOKENS; k++)
    {
      int i = (k + index * (N_TOKENS / N_PROCS)) % N_TOKENS;
      TgVerdict verdict = tg_store_consume (store, "LiveApp", ids[i], "s",
                                            TG_TOKEN_TYPE_PLAY, NULL, NULL);

      if (verdict == TG_VERDICT_OK)
        won[i] = 1;
      else if (verdict != TG_VERDICT_UNKNOWN)
        _exit (5); /* a store error or a wrong refusal */
    }
  if (write (result_fd, won, sizeof won) != sizeof won)
    _exit (6);
  _exit (0);
}

static void
race (const char *uri)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (TgStore) store = tg_store_open (uri, &error);
  g_autoptr (GPtrArray) tokens = NULL;
  char *ids[N_TOKENS];
  int wins[N_TOKENS] = { 0 };
  int start[2], results[N_PROCS][2];
  pid_t pids[N_PROCS];
  int total = 0;

  g_assert_no_error (error);
  for (int i = 0; i < N_TOKENS; i++)
    {
      TgToken *token = tg_store_mint (store, "LiveApp", "s", TG_TOKEN_TYPE_PLAY,
                                      g_get_real_time () / G_USEC_PER_SEC + 600,
                                      NULL, &error);

      g_assert_no_error (error);
      ids[i] = g_strdup (token->token_id);
      tg_token_free (token);
    }
  /* A store has threads: close it before fork() (see tollgate.h). */
  g_clear_pointer (&store, tg_store_unref);
  g_assert_cmpint (pipe (start), ==, 0);
  for (int p = 0; p < N_PROCS; p++)
    {
      g_assert_cmpint (pipe (results[p]), ==, 0);
      pids[p] = fork ();
      g_assert_cmpint (pids[p], >=, 0);
      if (pids[p] == 0)
        {
          close (start[1]);
          close (results[p][0]);
          child (uri, ids, start[0], results[p][1], p);
        }
      close (results[p][1]);
    }
  close (start[0]);
  close (start[1]); /* every child starts at once */
  for (int p = 0; p < N_PROCS; p++)
    {
      guint8 won[N_TOKENS];
      gsize got = 0;
      int status;

      while (got < sizeof won)
        {
          gssize n = read (results[p][0], won + got, sizeof won - got);

          if (n <= 0)
            break;
          got += n;
        }
      g_assert_cmpint (waitpid (pids[p], &status, 0), ==, pids[p]);
      g_assert_true (WIFEXITED (status));
      g_assert_cmpint (WEXITSTATUS (status), ==, 0);
      g_assert_cmpuint (got, ==, sizeof won);
      close (results[p][0]);
      for (int i = 0; i < N_TOKENS; i++)
        wins[i] += won[i];
    }
  for (int i = 0; i < N_TOKENS; i++)
    {
      g_assert_cmpint (wins[i], ==, 1);
      total += wins[i];
      g_free (ids[i]);
    }
  g_assert_cmpint (total, ==, N_TOKENS);
  store = tg_store_open (uri, &error);
  g_assert_no_error (error);
  tokens = tg_store_list_tokens (store, "LiveApp", "s", 0, 10, &error);
  g_assert_cmpuint (tokens->len, ==, 0);
  g_test_message ("%s: %d processes made %d attempts on %d tokens: %d won", uri,
                  N_PROCS, N_PROCS * N_TOKENS, N_TOKENS, total);
}

static void
test_race_sqlite (void)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *dir = g_dir_make_tmp ("tg-race-XXXXXX", &error);
  g_autofree char *uri = g_strdup_printf ("sqlite://%s/race.db", dir);

  g_assert_no_error (error);
  race (uri);
  for (guint i = 0; i < 3; i++)
    {
      const char *suffixes[] = { "", "-wal", "-shm" };
      g_autofree char *path
          = g_strdup_printf ("%s/race.db%s", dir, suffixes[i]);

      g_remove (path);
    }
  g_assert_cmpint (g_rmdir (dir), ==, 0);
}

static void
test_race_redis (void)
{
  TestRedis *redis = test_redis_start ();
  g_autofree char *uri = test_redis_unix_uri (redis, 0);

  race (uri);
  test_redis_stop (redis);
}

/* The threads of one process (a server's HTTP workers) share one store:
 * each consumes every token, from a place of its own, all at once. */
typedef struct
{
  TgStore *store;
  char **ids;
  int index;
  GMutex *lock; /* start */
  GCond *go;
  gboolean *started;
  int wins[N_TOKENS]; /* this thread's */
  int faults;
} Racer;

static gpointer
thread_race (gpointer data)
{
  Racer *racer = data;

  g_mutex_lock (racer->lock);
  while (!*racer->started)
    g_cond_wait (racer->go, racer->lock);
  g_mutex_unlock (racer->lock);
  for (int k = 0; k < N_TOKENS; k++)
    {
      int i = (k + racer->index * (N_TOKENS / N_PROCS)) % N_TOKENS;
      TgVerdict verdict
          = tg_store_consume (racer->store, "LiveApp", racer->ids[i], "s",
                              TG_TOKEN_TYPE_PLAY, NULL, NULL);

      if (verdict == TG_VERDICT_OK)
        racer->wins[i] = 1;
      else if (verdict != TG_VERDICT_UNKNOWN)
        racer->faults++;
    }
  return NULL;
}

static void
test_race_redis_threads (void)
{
  TestRedis *redis = test_redis_start ();
  g_autofree char *uri = test_redis_tcp_uri (redis, 1);
  g_autoptr (GError) error = NULL;
  g_autoptr (TgStore) store = tg_store_open (uri, &error);
  g_autofree Racer *racers = g_new0 (Racer, N_PROCS);
  GThread *threads[N_PROCS];
  char *ids[N_TOKENS];
  GMutex lock;
  GCond go;
  gboolean started = FALSE;

  g_assert_no_error (error);
  g_mutex_init (&lock);
  g_cond_init (&go);
  for (int i = 0; i < N_TOKENS; i++)
    {
      g_autoptr (TgToken) token = tg_store_mint (
          store, "LiveApp", "s", TG_TOKEN_TYPE_PLAY,
          g_get_real_time () / G_USEC_PER_SEC + 600, NULL, &error);

      g_assert_no_error (error);
      ids[i] = g_strdup (token->token_id);
    }
  for (int p = 0; p < N_PROCS; p++)
    {
      racers[p] = (Racer){ store, ids, p, &lock, &go, &started };
      threads[p] = g_thread_new ("racer", thread_race, &racers[p]);
    }
  g_mutex_lock (&lock);
  started = TRUE;
  g_cond_broadcast (&go);
  g_mutex_unlock (&lock);
  for (int p = 0; p < N_PROCS; p++)
    {
      g_thread_join (threads[p]);
      g_assert_cmpint (racers[p].faults, ==, 0);
    }
  for (int i = 0; i < N_TOKENS; i++)
    {
      int wins = 0;

      for (int p = 0; p < N_PROCS; p++)
        wins += racers[p].wins[i];
      g_assert_cmpint (wins, ==, 1);
      g_free (ids[i]);
    }
  g_cond_clear (&go);
  g_mutex_clear (&lock);
  g_clear_pointer (&store, tg_store_unref);
  test_redis_stop (redis);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/store/race/processes", test_race_sqlite);
  g_test_add_func ("/store/race/redis", test_race_redis);
  g_test_add_func ("/store/race/redis-threads", test_race_redis_threads);
  return g_test_run ();
}
