/* What fuzz-stream-flv.c and fuzz-stream-ts.c share: one real per-stream
 * pipeline (pipelines/tg-stream.c: tokencheck, demuxer, parsers, then
 * tg-ts-mux ! hlssink and mp4mux ! filesink) per input, built, fed and
 * ended through tg-stream.h as the server does it, with a freshly minted
 * publish token in a memory:// store, HLS and MP4 on, into a temporary
 * folder that is emptied after each input. Included once by each.
 *
 * Threads, as in the server: the default main context runs on a thread of
 * its own for the process's life (the stream's bus watch, its watchdog and
 * its drain timeout are there, and ended is called there); the fuzzer's
 * thread is the publisher's: it pushes, finishes, then waits for ended. A
 * push may block while a muxer is full (one track far ahead of the other),
 * and only the watchdog, on the main context, ends that: the pushing thread
 * cannot be the one that iterates the main context.
 *
 * Speed: nothing waits for a clock (the stream is not paced). A stream
 * whose outputs cannot drain (a muxer waits for a track that never came, a
 * flow error that no element reported) ends by its drain timeout, 10 s
 * after finish: when its elements have logged nothing for QUIET_MS since
 * finish, that timeout is brought forward (its own GSource, made to fire
 * now), and the stream ends as it would have, with "did not drain". A push
 * blocked until the watchdog (10 to 15 s) cannot be brought forward: the
 * structured inputs keep their timestamps within FUZZ_SPAN_MS so that it
 * does not happen; raw inputs can still make it (-timeout=30 covers it).
 *
 * Coverage: the elements are GStreamer's, which libFuzzer cannot see (the
 * system libraries have no coverage instrumentation): the only edges it
 * counts are Tollgate's (the pipelines and the tollgate plugin are built
 * again with coverage) and this harness's. To let it see inside the
 * elements too, each debug log site (file and line) of the demuxers and
 * parsers, logged on the pushing thread, is a counter of its own, in
 * libFuzzer's extra counters: an input that makes flvdemux, tsdemux or
 * h264parse log from a line no input has reached yet is new coverage. No
 * message is formatted, so it costs little. Only what does not depend on
 * the scheduler is counted (not the muxers' threads, not the harness's
 * waits, not tg-stream.c's latency answers: stream-coverage.ignore), so
 * that the same input counts the same, or nearly. TG_FUZZ_LOG_SITES=0
 * turns the log sites off; so does GST_DEBUG (then GStreamer logs as it
 * always does). TG_FUZZ_VERBOSE=1 tells how each stream ended;
 * TG_FUZZ_DUMP=FILE writes the bytes pushed (the FLV or the MPEG-TS made
 * from the records) to FILE, to play an input with other tools. */
#pragma once

#include "fuzz-common.h"
#include "tg-stream.h"
#include "tollgate.h"

#include <glib/gstdio.h>
#include <gst/gst.h>
#include <sanitizer/lsan_interface.h>
#include <stdint.h>
#include <stdlib.h>

int LLVMFuzzerInitialize (int *argc, char ***argv);
int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);
size_t LLVMFuzzerCustomMutator (uint8_t *data, size_t size, size_t max_size,
                                unsigned int seed);
size_t LLVMFuzzerMutate (uint8_t *data, size_t size, size_t max_size);

/* The tollgate plugin, linked in (GST_PLUGIN_BUILD_STATIC). */
void gst_plugin_tollgate_register (void);

/* Timestamps that the structured inputs choose stay below this, under the
 * muxers' window (MUX_WINDOW, 3 s, in tg-stream.c), so that no track can
 * run so far ahead of the other that a push blocks until the watchdog. */
#define FUZZ_SPAN_MS 2500

/* Silence after finish, in ms, after which the stream is taken to be
 * stuck and its drain timeout brought forward: a few-KiB stream drains in
 * well under that. Without log sites there is nothing to hear: then it is
 * QUIET_BLIND_MS after finish. */
#define QUIET_MS 50
#define QUIET_BLIND_MS 2000

#define FUZZ_LOG_SITES 16384

/* For the harness's own code whose path depends on timing (waits, log
 * messages from streaming threads): not counted as coverage, or libFuzzer
 * would take the same input twice as new. */
#define NOT_COVERAGE __attribute__ ((no_sanitize ("coverage")))

static guint8 log_sites[FUZZ_LOG_SITES]
    __attribute__ ((section ("__libfuzzer_extra_counters"), used));

static struct
{
  TgStore *store;
  char *dir;
  GMainLoop *loop;
  GThread *thread;
  gboolean log_sites;
  gint logged;     /* atomic: log messages since start */
  GThread *pusher; /* the fuzzer's */
  GMutex lock;
  GCond cond;
  gboolean ended;   /* with lock */
  gint media_ready; /* atomic */
  gboolean verbose;
  const char *dump; /* TG_FUZZ_DUMP: where the stream's bytes go */
  gint64 start;
} fuzz;

/* The elements that read the publisher's data, on the pushing thread
 * (demuxers, parsers, the codec utilities they call): each of their log
 * sites is a counter. Not the core's (pads, scheduling, refcounts), which
 * say little and say it often; not the muxers', whose threads log as the
 * scheduler lets them, so that the same input would not log the same. */
static const char *const counted_categories[] = { "flvdemux",
                                                  "tsdemux",
                                                  "mpegtsbase",
                                                  "mpegtspacketizer",
                                                  "h264parse",
                                                  "aacparse",
                                                  "baseparse",
                                                  "codecparsers_h264",
                                                  "codecparsers_h264sei",
                                                  "codec-utils",
                                                  "mpegts",
                                                  "tokencheck",
                                                  NULL };

/* The muxers and sinks are only heard, to know when a stream has gone
 * quiet (wait_ended). */
static const char *const log_thresholds
    = "flvdemux:7,tsdemux:7,mpegtsbase:7,mpegtspacketizer:7,h264parse:7,"
      "aacparse:7,baseparse:7,codecparsers_h264:7,codecparsers_h264sei:7,"
      "codec-utils:7,mpegts:7,tokencheck:7,tgtsmux:6,qtmux:6,"
      "hlssink:6,multifilesink:6,filesink:6";

/* Spreads (file, line) over the counters: file is a string constant of
 * the element's library, at the same address for the process's life. */
NOT_COVERAGE static void
count_log_site (GstDebugCategory *category, GstDebugLevel level,
                const gchar *file, const gchar *function, gint line,
                GObject *object, GstDebugMessage *message, gpointer data)
{
  const char *name = gst_debug_category_get_name (category);
  guint hash = (guint) (GPOINTER_TO_SIZE (file) * 2654435761u) ^ (guint) line;

  g_atomic_int_inc (&fuzz.logged);
  if (g_thread_self () != fuzz.pusher)
    return;
  for (guint i = 0; counted_categories[i]; i++)
    if (strcmp (name, counted_categories[i]) == 0)
      {
        log_sites[(hash ^ hash >> 15) % FUZZ_LOG_SITES] = 1;
        return;
      }
}

/* Tollgate's own g_message/g_info (a stream's end and its error) would
 * fill the fuzzer's output; warnings and criticals stay fatal (G_DEBUG). */
NOT_COVERAGE static void
quiet (const gchar *domain, GLogLevelFlags level, const gchar *message,
       gpointer data)
{
}

NOT_COVERAGE static gpointer
run_main_context (gpointer data)
{
  g_main_loop_run (fuzz.loop);
  return NULL;
}

static void
empty_dir (void)
{
  g_autoptr (GDir) dir = g_dir_open (fuzz.dir, 0, NULL);
  const char *name;

  while (dir && (name = g_dir_read_name (dir)))
    {
      g_autofree char *path = g_build_filename (fuzz.dir, name, NULL);

      g_remove (path);
    }
}

static void
at_exit (void)
{
  empty_dir ();
  g_rmdir (fuzz.dir);
}

int
LLVMFuzzerInitialize (int *argc, char ***argv)
{
  g_autoptr (GError) error = NULL;
  const char *sites = g_getenv ("TG_FUZZ_LOG_SITES");

  /* GStreamer as the tests have it (tests/meson.build), unless the caller
   * says otherwise: only the system plugins the server uses, a registry of
   * its own. The tollgate plugin is the one linked in (with coverage): the
   * build's copy of it must not be found as well. */
  g_setenv ("GST_PLUGIN_SYSTEM_PATH_1_0", FUZZ_SYSTEM_PLUGINS, FALSE);
  g_setenv ("GST_REGISTRY_1_0", FUZZ_REGISTRY, FALSE);
  g_unsetenv ("GST_PLUGIN_PATH_1_0");
  g_unsetenv ("GST_PLUGIN_PATH");
  fuzz.log_sites = g_getenv ("GST_DEBUG") == NULL
                   && (sites == NULL || !g_str_equal (sites, "0"));

  /* gst_init's allocations are kept for the process's life, but one: the
   * list of log functions it makes, which gst_debug_remove_log_function
   * drops without freeing it (GStreamer 1.22 gstinfo.c, on purpose: "FIXME:
   * we leak the old list here - other threads might access it right now in
   * gst_debug_logv"). So LeakSanitizer does not watch this setup; every
   * input's allocations are watched. */
  __lsan_disable ();
  gst_init (argc, argv);
  if (fuzz.log_sites)
    {
      gst_debug_remove_log_function (gst_debug_log_default);
      gst_debug_add_log_function (count_log_site, NULL, NULL);
      gst_debug_set_threshold_from_string (log_thresholds, TRUE);
      gst_debug_set_active (TRUE);
    }
  __lsan_enable ();
  gst_plugin_tollgate_register ();
  g_log_set_handler ("tollgate-pipelines",
                     G_LOG_LEVEL_MESSAGE | G_LOG_LEVEL_INFO | G_LOG_LEVEL_DEBUG,
                     quiet, NULL);

  fuzz.verbose = g_getenv ("TG_FUZZ_VERBOSE") != NULL;
  fuzz.dump = g_getenv ("TG_FUZZ_DUMP");
  fuzz.store = tg_store_open ("memory://", &error);
  g_assert_no_error (error);
  fuzz.dir = g_dir_make_tmp ("tg-fuzz-stream-XXXXXX", &error);
  g_assert_no_error (error);
  atexit (at_exit);
  g_mutex_init (&fuzz.lock);
  g_cond_init (&fuzz.cond);
  fuzz.loop = g_main_loop_new (NULL, FALSE);
  fuzz.pusher = g_thread_self ();
  fuzz.thread = g_thread_new ("main-context", run_main_context, NULL);
  return 0;
}

/* On the main context. */
NOT_COVERAGE static void
ended (TgStream *stream, const GError *error, gpointer data)
{
  if (fuzz.verbose)
    {
      guint sites = 0, sum = 0;

      for (guint i = 0; i < FUZZ_LOG_SITES; i++)
        if (log_sites[i])
          {
            sites++;
            sum = sum * 31 + i;
          }
      g_printerr ("ended after %" G_GINT64_FORMAT " ms: %s (%u log sites, "
                  "%08x)\n",
                  (g_get_monotonic_time () - fuzz.start) / 1000,
                  error ? error->message : "no error", sites, sum);
    }
  g_mutex_lock (&fuzz.lock);
  g_assert_false (fuzz.ended);
  fuzz.ended = TRUE;
  g_cond_signal (&fuzz.cond);
  g_mutex_unlock (&fuzz.lock);
}

/* On a streaming thread, maybe with the stream's viewer lock held (so not
 * tg_stream_describe here: it takes that lock). */
NOT_COVERAGE static void
media_ready (TgStream *stream, const char *app, const char *stream_id,
             gpointer data)
{
  g_assert_false (g_atomic_int_exchange (&fuzz.media_ready, TRUE));
}

NOT_COVERAGE static gboolean
nothing (gpointer data)
{
  return G_SOURCE_REMOVE;
}

/* The last source ID given out on the default main context. */
static guint
last_source_id (void)
{
  GSource *probe = g_idle_source_new ();
  guint id;

  g_source_set_callback (probe, nothing, NULL, NULL);
  id = g_source_attach (probe, NULL);

  g_source_destroy (probe);
  g_source_unref (probe);
  return id;
}

/* On the main context, where the stream removes its sources: the drain
 * timeout fires now, if it is still there. */
NOT_COVERAGE static gboolean
bring_forward (gpointer data)
{
  GSource *source
      = g_main_context_find_source_by_id (NULL, GPOINTER_TO_UINT (data));

  if (source && source->source_funcs == &g_timeout_funcs)
    g_source_set_ready_time (source, 0);
  return G_SOURCE_REMOVE;
}

/* Waits for ended. drain is the stream's drain timeout (0: none). */
NOT_COVERAGE static void
wait_ended (guint drain)
{
  gint heard = g_atomic_int_get (&fuzz.logged);
  gint64 quiet_since = g_get_monotonic_time ();
  gint64 quiet = (fuzz.log_sites ? QUIET_MS : QUIET_BLIND_MS) * 1000;

  g_mutex_lock (&fuzz.lock);
  while (!fuzz.ended)
    {
      gint64 now = g_get_monotonic_time ();
      gint logged = g_atomic_int_get (&fuzz.logged);

      if (logged != heard)
        {
          heard = logged;
          quiet_since = now;
        }
      else if (drain && now - quiet_since >= quiet)
        {
          g_main_context_invoke (NULL, bring_forward, GUINT_TO_POINTER (drain));
          drain = 0;
        }
      g_cond_wait_until (&fuzz.cond, &fuzz.lock, now + 10 * 1000);
    }
  g_mutex_unlock (&fuzz.lock);
}

/* The bytes pushed, as one file: to play an input with other tools. */
static void
dump (GPtrArray *pushes)
{
  g_autoptr (GByteArray) all = g_byte_array_new ();
  g_autoptr (GError) error = NULL;

  for (guint i = 0; i < pushes->len; i++)
    {
      gsize size = 0;
      const guint8 *data = g_bytes_get_data (pushes->pdata[i], &size);

      g_byte_array_append (all, data, size);
    }
  g_file_set_contents (fuzz.dump, (const char *) all->data, all->len, &error);
  g_assert_no_error (error);
}

/* One stream, from a freshly minted publish token to its end: each GBytes
 * of pushes is pushed in turn, as a publisher's connection gives them; the
 * files are gone once it returns. */
static void
fuzz_stream (TgStreamInput input, GPtrArray *pushes)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (TgToken) token
      = tg_store_mint (fuzz.store, "LiveApp", "s1", TG_TOKEN_TYPE_PUBLISH,
                       g_get_real_time () / G_USEC_PER_SEC + 60, NULL, &error);
  TgStreamSpec spec = { .input = input,
                        .app = "LiveApp",
                        .stream_id = "s1",
                        .store = fuzz.store,
                        .dir = fuzz.dir,
                        .hls = TRUE,
                        .hls_time = 1,
                        .hls_list_size = 3,
                        .hls_delete = TRUE,
                        .mp4 = TRUE,
                        .media_ready = media_ready };
  TgStream *stream;
  gboolean taken = TRUE, audio = FALSE, ready = FALSE, baseline = FALSE;
  g_autofree char *profile = NULL;
  guint before, drain;

  g_assert_no_error (error);
  if (fuzz.dump)
    dump (pushes);
  spec.token = token->token_id;
  fuzz.ended = FALSE;
  g_atomic_int_set (&fuzz.media_ready, FALSE);
  fuzz.start = g_get_monotonic_time ();
  stream = tg_stream_new (&spec, ended, NULL, &error);
  g_assert_no_error (error);
  g_assert_true (tg_stream_start (stream, &error));

  for (guint i = 0; i < pushes->len && taken; i++)
    taken = tg_stream_push (stream, g_bytes_ref (pushes->pdata[i]));
  if (fuzz.verbose)
    g_printerr ("pushed in %" G_GINT64_FORMAT " ms%s\n",
                (g_get_monotonic_time () - fuzz.start) / 1000,
                taken ? "" : ", then refused");
  /* The drain timeout is the one source that finish adds. */
  before = last_source_id ();
  tg_stream_finish (stream);
  drain = last_source_id () == before + 2 ? before + 1 : 0;
  if (fuzz.verbose)
    g_printerr ("finished in %" G_GINT64_FORMAT " ms\n",
                (g_get_monotonic_time () - fuzz.start) / 1000);
  /* Once finished, nothing more is taken. */
  g_assert_false (tg_stream_push (stream, g_bytes_new_static ("", 0)));
  wait_ended (drain);

  /* What a WebRTC viewer's offer would be made of. */
  profile = tg_stream_describe (stream, &audio, &ready, &baseline);
  g_assert_cmpint (ready, ==, g_atomic_int_get (&fuzz.media_ready));
  g_assert_true (profile == NULL || strlen (profile) == 6);
  g_assert_true (!baseline || ready);
  tg_stream_free (stream);
  empty_dir ();
}

/* The structured inputs' records: prefix bytes, then records of a header
 * (whose big-endian 16-bit body length is at length_at) and a body. */
typedef struct
{
  gsize prefix;
  gsize header;
  gsize length_at;
} RecordFormat;

typedef struct
{
  gsize at;   /* of the header */
  gsize size; /* of the body, as far as the input goes */
} Record;

static GArray *
split_records (const RecordFormat *format, const uint8_t *data, size_t size)
{
  GArray *records = g_array_new (FALSE, FALSE, sizeof (Record));

  for (gsize at = format->prefix; at + format->header <= size;)
    {
      gsize length = data[at + format->length_at] << 8
                     | data[at + format->length_at + 1];
      Record record = { at, MIN (length, size - at - format->header) };

      g_array_append_val (records, record);
      at += format->header + record.size;
    }
  return records;
}

/* Appends a record with its header's length set to size. */
static void
put_record (const RecordFormat *format, GByteArray *out, const guint8 *header,
            const guint8 *body, gsize size)
{
  gsize at = out->len;

  g_byte_array_append (out, header, format->header);
  out->data[at + format->length_at] = size >> 8;
  out->data[at + format->length_at + 1] = size & 0xff;
  g_byte_array_append (out, body, size);
}

/* Mutates whole records, so that the framing stays right and the bytes
 * that change are codec data: a body mutated (its length following), cut
 * short (an empty or truncated configuration record), a header's kind or
 * time changed, a record repeated, dropped or moved; else, one time in
 * eight, the bytes as libFuzzer mutates any input. raw: the input is not
 * records, only bytes. */
static size_t
mutate_records (const RecordFormat *format, gboolean raw, uint8_t *data,
                size_t size, size_t max_size, unsigned int seed)
{
  g_autoptr (GArray) records = NULL;
  g_autoptr (GArray) order = g_array_new (FALSE, FALSE, sizeof (guint));
  g_autoptr (GByteArray) out = NULL;
  g_autoptr (GRand) rand = NULL;
  g_autofree guint8 *body = NULL;
  guint8 header[16];
  gsize body_size = 0;
  guint pick, op, cut;

  if (raw || seed % 8 == 0)
    return LLVMFuzzerMutate (data, size, max_size);
  records = split_records (format, data, size);
  if (records->len == 0)
    return LLVMFuzzerMutate (data, size, max_size);
  rand = g_rand_new_with_seed (seed);
  pick = g_rand_int_range (rand, 0, records->len);
  op = g_rand_int_range (rand, 0, 6);
  cut = g_rand_int_range (rand, 0, 9);
  for (guint i = 0; i < records->len; i++)
    if (i != pick || op == 0 || op == 1 || op == 2)
      g_array_append_val (order, i);
    else if (op == 3) /* repeated */
      {
        g_array_append_val (order, i);
        g_array_append_val (order, i);
      }
  if (op == 5) /* moved */
    g_array_insert_val (order, g_rand_int_range (rand, 0, order->len + 1),
                        pick);

  {
    const Record *r = &g_array_index (records, Record, pick);

    memcpy (header, data + r->at, format->header);
    body_size = op == 0 ? MIN (r->size * 2 + 16, 0xffff) : r->size;
    body = g_malloc (MAX (body_size, 1));
    memcpy (body, data + r->at + format->header, r->size);
    if (op == 0) /* the body mutated */
      body_size = LLVMFuzzerMutate (body, r->size, body_size);
    else if (op == 1) /* cut short */
      body_size = MIN (r->size, cut);
    else if (op == 2) /* its kind or time changed, not its length */
      LLVMFuzzerMutate (header, format->length_at, format->length_at);
  }

  out = g_byte_array_sized_new (max_size);
  g_byte_array_append (out, data, format->prefix);
  for (guint i = 0; i < order->len; i++)
    {
      guint index = g_array_index (order, guint, i);
      const Record *r = &g_array_index (records, Record, index);

      if (index == pick && op <= 2)
        put_record (format, out, header, body, body_size);
      else
        put_record (format, out, data + r->at, data + r->at + format->header,
                    r->size);
    }
  if (out->len > max_size)
    return LLVMFuzzerMutate (data, size, max_size);
  memcpy (data, out->data, out->len);
  return out->len;
}
