/* store-bench: how fast a token store mints and consumes one-time tokens.
 *
 *   store-bench --store URI [--count N] [--procs 1-8]
 *     Mints N play tokens (app "bench", 16 streams, expiring in an hour),
 *     then consumes every one, timing each consume. With --procs P > 1, P
 *     worker processes forked after minting open their own store from the
 *     URI and consume disjoint shares at the same time.
 *
 *   store-bench --store URI --mint-only N --out FILE [--app A] [--stream S]
 *     Mints N play tokens for (A, S), LiveApp/s1 by default, and writes their
 *     ids to FILE, one a line: the supply for an HTTP consume benchmark.
 *
 * A benchmark, not a test: it prints figures and fails only if the store
 * fails or refuses a token it has just minted.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <glib.h>

#include "tollgate.h"

#define BENCH_APP "bench"
#define BENCH_STREAMS 16
#define BENCH_TTL_SECONDS 3600
#define BENCH_MAX_PROCS 8

/* What a worker process sends back through its pipe, followed by n gint64
 * latencies in microseconds. Times are CLOCK_MONOTONIC, shared by every
 * process of the machine. */
typedef struct
{
  gint64 start;
  gint64 end;
  guint64 n;
  guint64 failed;
} WorkerReport;

static char *opt_store;
static gint opt_count = 20000;
static gint opt_procs = 1;
static gint opt_mint_only;
static char *opt_out;
static char *opt_app;
static char *opt_stream;

static GOptionEntry entries[] = {
  { "store", 's', 0, G_OPTION_ARG_STRING, &opt_store,
    "Store URI (sqlite:///abs/path.db, memory://)", "URI" },
  { "count", 'n', 0, G_OPTION_ARG_INT, &opt_count,
    "Tokens to mint and consume (default 20000)", "N" },
  { "procs", 'p', 0, G_OPTION_ARG_INT, &opt_procs,
    "Consuming processes: 1 (in this process) or up to 8 (forked)", "P" },
  { "mint-only", 0, 0, G_OPTION_ARG_INT, &opt_mint_only,
    "Only mint N tokens and write their ids to --out", "N" },
  { "out", 'o', 0, G_OPTION_ARG_FILENAME, &opt_out,
    "With --mint-only: file of token ids, one a line", "FILE" },
  { "app", 0, 0, G_OPTION_ARG_STRING, &opt_app,
    "With --mint-only: app of the tokens (default LiveApp)", "APP" },
  { "stream", 0, 0, G_OPTION_ARG_STRING, &opt_stream,
    "With --mint-only: stream of the tokens (default s1)", "STREAM" },
  { NULL },
};

static double
per_second (guint64 n, gint64 usec)
{
  return usec > 0 ? (double) n * G_USEC_PER_SEC / (double) usec : 0.0;
}

static int
compare_gint64 (const void *a, const void *b)
{
  gint64 x = *(const gint64 *) a;
  gint64 y = *(const gint64 *) b;

  return (x > y) - (x < y);
}

/* Nearest-rank percentile of a sorted array. */
static gint64
percentile (const gint64 *sorted, gsize n, double p)
{
  gsize rank;

  if (n == 0)
    return 0;
  rank = (gsize) (p / 100.0 * (double) n + 0.999999);
  if (rank < 1)
    rank = 1;
  if (rank > n)
    rank = n;
  return sorted[rank - 1];
}

static void
print_latencies (gint64 *lat, gsize n)
{
  qsort (lat, n, sizeof (gint64), compare_gint64);
  g_print ("consume p50    %" G_GINT64_FORMAT " us\n", percentile (lat, n, 50));
  g_print ("consume p99    %" G_GINT64_FORMAT " us\n", percentile (lat, n, 99));
  g_print ("consume max    %" G_GINT64_FORMAT " us\n",
           n ? lat[n - 1] : (gint64) 0);
}

/* Mints count play tokens; returns them (TgToken) or NULL. */
static GPtrArray *
mint_tokens (TgStore *store, const char *app, const char *stream, guint count,
             gint64 *elapsed, GError **error)
{
  g_autoptr (GPtrArray) tokens
      = g_ptr_array_new_full (count, (GDestroyNotify) tg_token_free);
  gint64 expire = g_get_real_time () / G_USEC_PER_SEC + BENCH_TTL_SECONDS;
  gint64 start = g_get_monotonic_time ();

  for (guint i = 0; i < count; i++)
    {
      g_autofree char *name = NULL;
      TgToken *token;

      if (stream == NULL)
        name = g_strdup_printf ("bench-%u", i % BENCH_STREAMS);
      token = tg_store_mint (store, app, stream ? stream : name,
                             TG_TOKEN_TYPE_PLAY, expire, NULL, error);
      if (token == NULL)
        return NULL;
      g_ptr_array_add (tokens, token);
    }
  *elapsed = g_get_monotonic_time () - start;
  return g_steal_pointer (&tokens);
}

/* Consumes tokens[from, to), writing each consume's duration to lat[].
 * Returns how many were refused; a store error is reported once. */
static guint64
consume_range (TgStore *store, GPtrArray *tokens, guint from, guint to,
               gint64 *lat)
{
  guint64 failed = 0;

  for (guint i = from; i < to; i++)
    {
      const TgToken *token = g_ptr_array_index (tokens, i);
      g_autoptr (GError) error = NULL;
      gint64 t0 = g_get_monotonic_time ();
      TgVerdict verdict
          = tg_store_consume (store, token->app, token->token_id,
                              token->stream_id, token->type, NULL, &error);

      lat[i - from] = g_get_monotonic_time () - t0;
      if (verdict != TG_VERDICT_OK)
        {
          if (failed == 0)
            g_printerr ("store-bench: consume refused: %s%s%s\n",
                        tg_verdict_to_string (verdict), error ? ": " : "",
                        error ? error->message : "");
          failed++;
        }
    }
  return failed;
}

static gboolean
write_all (int fd, const void *buf, gsize len)
{
  const char *p = buf;

  while (len > 0)
    {
      ssize_t w = write (fd, p, len);

      if (w < 0 && errno == EINTR)
        continue;
      if (w <= 0)
        return FALSE;
      p += w;
      len -= (gsize) w;
    }
  return TRUE;
}

static gboolean
read_all (int fd, void *buf, gsize len)
{
  char *p = buf;

  while (len > 0)
    {
      ssize_t r = read (fd, p, len);

      if (r < 0 && errno == EINTR)
        continue;
      if (r <= 0)
        return FALSE;
      p += r;
      len -= (gsize) r;
    }
  return TRUE;
}

/* The body of a forked worker: never returns. */
G_GNUC_NORETURN static void
worker_run (GPtrArray *tokens, guint from, guint to, int ready_fd, int go_fd,
            int result_fd)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (TgStore) store = tg_store_open (opt_store, &error);
  g_autofree gint64 *lat = g_new0 (gint64, to - from + 1);
  WorkerReport report = { 0 };
  char byte = 'r';

  if (store == NULL)
    {
      g_printerr ("store-bench: worker cannot open %s: %s\n", opt_store,
                  error->message);
      _exit (1);
    }
  if (!write_all (ready_fd, &byte, 1))
    _exit (1);
  close (ready_fd);
  if (!read_all (go_fd, &byte, 1))
    _exit (1); /* the parent gave up */

  report.start = g_get_monotonic_time ();
  report.failed = consume_range (store, tokens, from, to, lat);
  report.end = g_get_monotonic_time ();
  report.n = to - from;

  if (!write_all (result_fd, &report, sizeof report)
      || !write_all (result_fd, lat, report.n * sizeof (gint64)))
    _exit (1);
  _exit (0);
}

/* Forks nprocs workers that consume disjoint slices of tokens at once and
 * prints the aggregate figures. */
static gboolean
consume_forked (GPtrArray *tokens, guint nprocs)
{
  int ready[2], go[2], result[BENCH_MAX_PROCS][2];
  pid_t pids[BENCH_MAX_PROCS];
  WorkerReport reports[BENCH_MAX_PROCS];
  g_autofree gint64 *lat = g_new0 (gint64, tokens->len + 1);
  gsize nlat = 0;
  guint64 failed = 0;
  gint64 start = G_MAXINT64, end = 0;
  gboolean ok = TRUE;
  char byte;

  if (pipe (ready) < 0 || pipe (go) < 0)
    {
      g_printerr ("store-bench: pipe: %s\n", g_strerror (errno));
      return FALSE;
    }
  fflush (stdout);
  fflush (stderr);
  for (guint w = 0; w < nprocs; w++)
    {
      guint from = tokens->len * w / nprocs;
      guint to = tokens->len * (w + 1) / nprocs;

      if (pipe (result[w]) < 0)
        {
          g_printerr ("store-bench: pipe: %s\n", g_strerror (errno));
          return FALSE;
        }
      pids[w] = fork ();
      if (pids[w] < 0)
        {
          g_printerr ("store-bench: fork: %s\n", g_strerror (errno));
          return FALSE;
        }
      if (pids[w] == 0)
        {
          close (ready[0]);
          close (go[1]);
          close (result[w][0]);
          for (guint v = 0; v < w; v++)
            close (result[v][0]);
          worker_run (tokens, from, to, ready[1], go[0], result[w][1]);
        }
      close (result[w][1]);
    }
  close (ready[1]);
  close (go[0]);

  /* Start every worker at once, when all have opened the store. */
  for (guint w = 0; w < nprocs; w++)
    if (!read_all (ready[0], &byte, 1))
      {
        g_printerr ("store-bench: a worker failed before starting\n");
        ok = FALSE;
        break;
      }
  close (ready[0]);
  for (guint w = 0; ok && w < nprocs; w++)
    ok = write_all (go[1], "g", 1);
  close (go[1]); /* on failure, the waiting workers read EOF and quit */

  for (guint w = 0; w < nprocs; w++)
    {
      if (ok)
        {
          if (!read_all (result[w][0], &reports[w], sizeof reports[w])
              || reports[w].n > tokens->len - nlat
              || !read_all (result[w][0], lat + nlat,
                            reports[w].n * sizeof (gint64)))
            {
              g_printerr ("store-bench: worker %u sent no result\n", w + 1);
              ok = FALSE;
            }
          else
            {
              nlat += reports[w].n;
              failed += reports[w].failed;
              start = MIN (start, reports[w].start);
              end = MAX (end, reports[w].end);
            }
        }
      close (result[w][0]);
    }
  for (guint w = 0; w < nprocs; w++)
    {
      int status = -1;

      while (waitpid (pids[w], &status, 0) < 0 && errno == EINTR)
        ;
      if (!WIFEXITED (status) || WEXITSTATUS (status) != 0)
        ok = FALSE;
    }
  if (!ok)
    return FALSE;

  g_print ("consumes/s     %.0f   (%u processes, %" G_GSIZE_FORMAT
           " tokens in %.3f s)\n",
           per_second (nlat, end - start), nprocs, nlat,
           (double) (end - start) / G_USEC_PER_SEC);
  for (guint w = 0; w < nprocs; w++)
    g_print ("  worker %u     %.0f consumes/s\n", w + 1,
             per_second (reports[w].n, reports[w].end - reports[w].start));
  print_latencies (lat, nlat);
  if (failed > 0)
    {
      g_printerr ("store-bench: %" G_GUINT64_FORMAT " consumes refused\n",
                  failed);
      return FALSE;
    }
  return TRUE;
}

static int
mint_only (TgStore *store)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GPtrArray) tokens = NULL;
  g_autoptr (GString) ids = NULL;
  gint64 elapsed;

  tokens = mint_tokens (store, opt_app ? opt_app : "LiveApp",
                        opt_stream ? opt_stream : "s1", (guint) opt_mint_only,
                        &elapsed, &error);
  if (tokens == NULL)
    {
      g_printerr ("store-bench: mint failed: %s\n", error->message);
      return 1;
    }
  ids = g_string_sized_new (tokens->len * 40);
  for (guint i = 0; i < tokens->len; i++)
    {
      const TgToken *token = g_ptr_array_index (tokens, i);

      g_string_append (ids, token->token_id);
      g_string_append_c (ids, '\n');
    }
  if (!g_file_set_contents (opt_out, ids->str, (gssize) ids->len, &error))
    {
      g_printerr ("store-bench: %s\n", error->message);
      return 1;
    }
  g_print ("mints/s        %.0f   (%u tokens in %.3f s, ids in %s)\n",
           per_second (tokens->len, elapsed), tokens->len,
           (double) elapsed / G_USEC_PER_SEC, opt_out);
  return 0;
}

int
main (int argc, char **argv)
{
  g_autoptr (GOptionContext) context = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (TgStore) store = NULL;
  g_autoptr (GPtrArray) tokens = NULL;
  g_autofree gint64 *lat = NULL;
  gint64 elapsed, start, end;
  guint64 failed;

  context = g_option_context_new ("- benchmark a Tollgate token store");
  g_option_context_add_main_entries (context, entries, NULL);
  if (!g_option_context_parse (context, &argc, &argv, &error))
    {
      g_printerr ("store-bench: %s\n", error->message);
      return 2;
    }
  if (opt_store == NULL)
    {
      g_printerr ("store-bench: --store URI is required\n");
      return 2;
    }
  if (opt_mint_only < 0 || (opt_mint_only > 0 && opt_out == NULL))
    {
      g_printerr ("store-bench: --mint-only N needs N > 0 and --out FILE\n");
      return 2;
    }
  if (opt_count <= 0 || opt_procs < 1 || opt_procs > BENCH_MAX_PROCS)
    {
      g_printerr ("store-bench: --count must be > 0, --procs 1 to %d\n",
                  BENCH_MAX_PROCS);
      return 2;
    }
  if (opt_procs > 1 && g_str_has_prefix (opt_store, "memory:"))
    {
      g_printerr ("store-bench: --procs %d needs a store shared by "
                  "processes, not %s\n",
                  opt_procs, opt_store);
      return 2;
    }

  store = tg_store_open (opt_store, &error);
  if (store == NULL)
    {
      g_printerr ("store-bench: cannot open %s: %s\n", opt_store,
                  error->message);
      return 1;
    }
  if (opt_mint_only > 0)
    return mint_only (store);

  g_print ("store-bench: %s, %d tokens, %d process%s\n", opt_store, opt_count,
           opt_procs, opt_procs > 1 ? "es" : "");
  tokens = mint_tokens (store, BENCH_APP, NULL, (guint) opt_count, &elapsed,
                        &error);
  if (tokens == NULL)
    {
      g_printerr ("store-bench: mint failed: %s\n", error->message);
      return 1;
    }
  g_print ("mints/s        %.0f   (%u tokens in %.3f s)\n",
           per_second (tokens->len, elapsed), tokens->len,
           (double) elapsed / G_USEC_PER_SEC);

  if (opt_procs > 1)
    {
      /* No SQLite connection may cross a fork: each worker opens its own. */
      g_clear_pointer (&store, tg_store_unref);
      return consume_forked (tokens, (guint) opt_procs) ? 0 : 1;
    }

  lat = g_new0 (gint64, tokens->len + 1);
  start = g_get_monotonic_time ();
  failed = consume_range (store, tokens, 0, tokens->len, lat);
  end = g_get_monotonic_time ();
  g_print ("consumes/s     %.0f   (1 process, %u tokens in %.3f s)\n",
           per_second (tokens->len, end - start), tokens->len,
           (double) (end - start) / G_USEC_PER_SEC);
  print_latencies (lat, tokens->len);
  if (failed > 0)
    {
      g_printerr ("store-bench: %" G_GUINT64_FORMAT " consumes refused\n",
                  failed);
      return 1;
    }
  return 0;
}
