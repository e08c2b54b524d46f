/* The live registry (tg-live.h) with fake doors: claims, abandons, stops on
 * the main context, shutdown, watchers. The test plays tg-publish.c's part
 * (going live, media ready, ending) on publications that have no TgStream,
 * so what needs a running stream (tg_live_get_info of a live one) is left to
 * the integration tests. */
#include "tg-live.h"

/* What one publisher's door saw. */
typedef struct
{
  TgLive *live;
  guint stops;
  guint stops_off_main; /* stops that ran elsewhere than the main context */
  guint ends;
  /* A stop makes the stream end later, on the main context, as a real
   * stream does once it has drained. */
  gboolean ends_when_stopped;
} Fake;

static GThread *main_thread;

/* tg-publish.c's end sequence: the registry lets the stream id go, then the
 * door is told. */
static void
end (TgPublication *publication)
{
  tg_live_ended (publication->live, publication);
  if (publication->door->ended)
    publication->door->ended (publication, publication->door_data);
}

static gboolean
end_later (gpointer publication)
{
  end (publication);
  return G_SOURCE_REMOVE;
}

static void
fake_stop (TgPublication *publication, gpointer data)
{
  Fake *fake = data;

  fake->stops++;
  if (g_thread_self () != main_thread
      || !g_main_context_is_owner (g_main_context_default ()))
    fake->stops_off_main++;
  if (fake->ends_when_stopped && fake->stops == 1)
    g_idle_add (end_later, publication);
}

static void
fake_ended (TgPublication *publication, gpointer data)
{
  Fake *fake = data;

  fake->ends++;
}

static const TgDoor doors[] = {
  { "RTMP", fake_stop, fake_ended },
  { "SRT", fake_stop, fake_ended },
  { "WebRTC", fake_stop, NULL },
};

/* Runs what is ready on the main context, until nothing is. */
static void
drain (void)
{
  while (g_main_context_pending (NULL))
    g_main_context_iteration (NULL, FALSE);
}

static gboolean
is_free (TgLive *live, const char *app, const char *stream_id)
{
  TgLiveWanted wanted = { live, app, stream_id };

  return tg_live_is_free (&wanted);
}

/* Claimed, and the two questions agree. */
static gboolean
claimed (TgLive *live, const char *app, const char *stream_id)
{
  gboolean yes = tg_live_is_claimed (live, app, stream_id);

  g_assert_true (yes == !is_free (live, app, stream_id));
  return yes;
}

static TgPublication *
claim (TgLive *live, const TgDoor *door, Fake *fake, const char *app,
       const char *stream_id)
{
  fake->live = live;
  return tg_live_claim (live, door, fake, app, stream_id, "127.0.0.1");
}

static void
test_second_claim_refused_whatever_the_door (void)
{
  for (guint first = 0; first < G_N_ELEMENTS (doors); first++)
    {
      g_autoptr (TgLive) live = tg_live_new ();
      Fake fake = { 0 }, other = { 0 };
      g_autoptr (TgPublication) publication
          = claim (live, &doors[first], &fake, "LiveApp", "s1");

      g_test_message ("first claim over %s", doors[first].name);
      g_assert_nonnull (publication);
      g_assert_true (publication->door == &doors[first]);
      g_assert_cmpstr (publication->key, ==, "LiveApp/s1");
      g_assert_cmpstr (publication->peer, ==, "127.0.0.1");
      g_assert_false (publication->running);
      for (guint second = 0; second < G_N_ELEMENTS (doors); second++)
        g_assert_null (claim (live, &doors[second], &other, "LiveApp", "s1"));
      /* Still refused once it is live. */
      tg_live_went_live (live, publication);
      g_assert_true (publication->running);
      g_assert_cmpint (publication->start_time, >, 0);
      for (guint second = 0; second < G_N_ELEMENTS (doors); second++)
        g_assert_null (claim (live, &doors[second], &other, "LiveApp", "s1"));
      /* Another stream, or the same id in another app, is its own. */
      {
        g_autoptr (TgPublication) s2
            = claim (live, &doors[first], &other, "LiveApp", "s2");
        g_autoptr (TgPublication) elsewhere
            = claim (live, &doors[first], &other, "live", "s1");

        g_assert_nonnull (s2);
        g_assert_nonnull (elsewhere);
        tg_live_abandon (live, s2);
        tg_live_abandon (live, elsewhere);
      }
      end (publication);
      drain ();
      g_assert_false (claimed (live, "LiveApp", "s1"));
      g_assert_cmpuint (fake.stops + other.stops, ==, 0);
      g_assert_cmpuint (other.ends, ==, 0);
    }
}

static void
test_abandon_frees_the_id (void)
{
  g_autoptr (TgLive) live = tg_live_new ();
  Fake fake = { 0 }, next = { 0 };
  g_autoptr (TgPublication) publication
      = claim (live, &doors[0], &fake, "LiveApp", "s1");
  g_autoptr (TgPublication) again = NULL;

  g_assert_true (claimed (live, "LiveApp", "s1"));
  tg_live_abandon (live, publication);
  g_assert_false (claimed (live, "LiveApp", "s1"));
  /* The caller's reference outlives the registry's. */
  g_assert_cmpstr (publication->stream_id, ==, "s1");
  again = claim (live, &doors[2], &next, "LiveApp", "s1");
  g_assert_nonnull (again);
  g_assert_true (again != publication);
  g_assert_true (claimed (live, "LiveApp", "s1"));
  tg_live_abandon (live, again);
  g_assert_false (claimed (live, "LiveApp", "s1"));
  /* Nothing was queued for them, and their doors heard nothing. */
  g_assert_false (g_main_context_pending (NULL));
  g_assert_cmpuint (fake.stops + fake.ends + next.stops + next.ends, ==, 0);
}

static gpointer
stop_from_a_thread (gpointer live)
{
  return GINT_TO_POINTER (tg_live_stop (live, "LiveApp", "s1"));
}

static void
test_stop_runs_once_on_the_main_context (void)
{
  g_autoptr (TgLive) live = tg_live_new ();
  Fake fake = { 0 };
  g_autoptr (TgPublication) publication
      = claim (live, &doors[1], &fake, "LiveApp", "s1");
  GThread *thread;

  tg_live_went_live (live, publication);
  /* From a streaming thread: the stop is queued for the main context. */
  thread = g_thread_new ("stopper", stop_from_a_thread, live);
  g_assert_true (GPOINTER_TO_INT (g_thread_join (thread)));
  g_assert_cmpuint (fake.stops, ==, 0);
  /* From the main thread too: queued, never run from inside tg_live_stop,
   * and requests before it has run make one stop. */
  g_assert_true (tg_live_stop (live, "LiveApp", "s1"));
  g_assert_true (tg_live_stop (live, "LiveApp", "s1"));
  g_assert_cmpuint (fake.stops, ==, 0);
  drain ();
  g_assert_cmpuint (fake.stops, ==, 1);
  g_assert_cmpuint (fake.stops_off_main, ==, 0);
  /* It may be stopped again while its stream drains. */
  g_assert_true (tg_live_stop (live, "LiveApp", "s1"));
  drain ();
  g_assert_cmpuint (fake.stops, ==, 2);
  g_assert_cmpuint (fake.stops_off_main, ==, 0);
  end (publication);
  drain ();
  g_assert_cmpuint (fake.ends, ==, 1);
  /* Over: nothing to stop. */
  g_assert_false (tg_live_stop (live, "LiveApp", "s1"));
  g_assert_false (g_main_context_pending (NULL));
  g_assert_cmpuint (fake.stops, ==, 2);
}

static void
test_stop_of_an_unknown_stream (void)
{
  g_autoptr (TgLive) live = tg_live_new ();
  Fake fake = { 0 };
  g_autoptr (TgPublication) publication
      = claim (live, &doors[0], &fake, "LiveApp", "s1");

  tg_live_went_live (live, publication);
  g_assert_false (tg_live_stop (live, "LiveApp", "s2"));
  g_assert_false (tg_live_stop (live, "live", "s1"));
  g_assert_false (tg_live_stop (live, "LiveApp", "LiveApp/s1"));
  g_assert_false (g_main_context_pending (NULL));
  g_assert_cmpuint (fake.stops, ==, 0);
  end (publication);
  drain ();
}

static void
test_stop_before_it_goes_live (void)
{
  g_autoptr (TgLive) live = tg_live_new ();
  Fake fake = { 0 };
  g_autoptr (TgPublication) publication
      = claim (live, &doors[2], &fake, "LiveApp", "s1");

  g_autoptr (TgPublication) later
      = claim (live, &doors[0], &fake, "LiveApp", "s2");

  /* Claimed (so TRUE, as tg-live.h says): the door's stop waits until the
   * publication has gone live, and then comes. */
  g_assert_true (tg_live_stop (live, "LiveApp", "s1"));
  g_assert_true (tg_live_stop (live, "LiveApp", "s2"));
  drain ();
  g_assert_cmpuint (fake.stops, ==, 0);
  tg_live_abandon (live, publication);
  tg_live_went_live (live, later);
  drain ();
  g_assert_cmpuint (fake.stops, ==, 1);
  end (later);
  drain ();
}

static void
test_no_stop_once_it_has_ended (void)
{
  g_autoptr (TgLive) live = tg_live_new ();
  Fake fake = { 0 };
  g_autoptr (TgPublication) publication
      = claim (live, &doors[0], &fake, "LiveApp", "s1");

  tg_live_went_live (live, publication);
  g_assert_true (tg_live_stop (live, "LiveApp", "s1"));
  /* It ends before the queued stop runs: its door's data may be gone, so
   * the door is not called. */
  end (publication);
  drain ();
  g_assert_cmpuint (fake.stops, ==, 0);
  g_assert_cmpuint (fake.ends, ==, 1);
}

static gboolean
watchdog (gpointer data)
{
  g_error ("tg_live_close still waits after 10 s");
  return G_SOURCE_REMOVE;
}

typedef struct
{
  TgLive *live;
  TgPublication *late, *given_up;
  TgPublication *refused; /* a claim tried while closing */
  Fake other;
} Closing;

/* While tg_live_close runs the main context: one publication being built
 * goes live, one fails to build, and a new publisher comes. */
static gboolean
meanwhile (gpointer data)
{
  Closing *c = data;

  tg_live_went_live (c->live, c->late);
  tg_live_abandon (c->live, c->given_up);
  c->refused = claim (c->live, &doors[0], &c->other, "LiveApp", "new");
  return G_SOURCE_REMOVE;
}

static void
test_close_stops_every_live_publication (void)
{
  g_autoptr (TgLive) live = tg_live_new ();
  Fake a = { .ends_when_stopped = TRUE }, b = { .ends_when_stopped = TRUE },
       late = { .ends_when_stopped = TRUE }, given_up = { 0 }, after = { 0 };
  g_autoptr (TgPublication) pa = claim (live, &doors[0], &a, "LiveApp", "a");
  g_autoptr (TgPublication) pb = claim (live, &doors[1], &b, "live", "b");
  g_autoptr (TgPublication) plate
      = claim (live, &doors[2], &late, "LiveApp", "late");
  g_autoptr (TgPublication) pgiven
      = claim (live, &doors[0], &given_up, "LiveApp", "given-up");
  Closing c = { live, plate, pgiven, NULL, { 0 } };
  guint timeout;

  tg_live_went_live (live, pa);
  tg_live_went_live (live, pb);
  g_idle_add (meanwhile, &c);
  timeout = g_timeout_add_seconds (10, watchdog, NULL);
  tg_live_close (live);
  g_source_remove (timeout);
  /* Each live one (and the one that went live meanwhile) stopped once, on
   * the main context, and ended; the one never live was not stopped. */
  g_assert_cmpuint (a.stops, ==, 1);
  g_assert_cmpuint (b.stops, ==, 1);
  g_assert_cmpuint (late.stops, ==, 1);
  g_assert_cmpuint (a.stops_off_main + b.stops_off_main + late.stops_off_main,
                    ==, 0);
  g_assert_cmpuint (a.ends, ==, 1);
  g_assert_cmpuint (b.ends, ==, 1);
  g_assert_cmpuint (late.ends, ==, 0); /* its door has no ended */
  g_assert_cmpuint (given_up.stops + given_up.ends, ==, 0);
  g_assert_false (claimed (live, "LiveApp", "a"));
  g_assert_false (claimed (live, "live", "b"));
  g_assert_false (claimed (live, "LiveApp", "late"));
  /* Claims are refused while it closes and after. */
  g_assert_null (c.refused);
  for (guint i = 0; i < G_N_ELEMENTS (doors); i++)
    g_assert_null (claim (live, &doors[i], &after, "LiveApp", "after"));
  g_assert_true (is_free (live, "LiveApp", "after"));
  g_assert_false (tg_live_stop (live, "LiveApp", "a"));
  drain ();
  g_assert_cmpuint (a.stops + b.stops + late.stops, ==, 3);
}

static void
test_close_with_nothing_live (void)
{
  g_autoptr (TgLive) live = tg_live_new ();
  Fake fake = { 0 };

  tg_live_close (live);
  g_assert_null (claim (live, &doors[0], &fake, "LiveApp", "s1"));
}

typedef struct
{
  TgPublication *publication;
  guint calls;
} Heard;

static void
hear (TgPublication *publication, gpointer data)
{
  Heard *heard = data;

  heard->publication = publication;
  heard->calls++;
}

static void
test_watchers_hear_of_media_ready (void)
{
  g_autoptr (TgLive) live = tg_live_new ();
  Fake fake = { 0 };
  Heard one = { 0 }, two = { 0 };
  g_autoptr (TgPublication) publication = NULL;

  tg_live_watch (live, hear, &one);
  tg_live_watch (live, hear, &two);
  publication = claim (live, &doors[2], &fake, "LiveApp", "s1");
  tg_live_went_live (live, publication);
  g_assert_cmpuint (one.calls + two.calls, ==, 0);
  tg_live_media_ready (live, publication);
  g_assert_cmpuint (one.calls, ==, 1);
  g_assert_cmpuint (two.calls, ==, 1);
  g_assert_true (one.publication == publication);
  g_assert_true (two.publication == publication);
  /* One stops watching; the other still hears. */
  tg_live_unwatch (live, hear, &one);
  tg_live_unwatch (live, hear, &fake); /* never watched: nothing happens */
  tg_live_media_ready (live, publication);
  g_assert_cmpuint (one.calls, ==, 1);
  g_assert_cmpuint (two.calls, ==, 2);
  tg_live_unwatch (live, hear, &two);
  tg_live_media_ready (live, publication);
  g_assert_cmpuint (two.calls, ==, 2);
  end (publication);
  drain ();
}

static void
watched_stream (TgStream *stream, gpointer data)
{
  *(guint *) data += 1;
}

static void
test_free_and_claimed_agree (void)
{
  g_autoptr (TgLive) live = tg_live_new ();
  Fake fake = { 0 };
  g_autoptr (TgPublication) publication = NULL;
  TgStreamInfo info;
  guint calls = 0;

  g_assert_false (claimed (live, "LiveApp", "s1"));
  publication = claim (live, &doors[0], &fake, "LiveApp", "s1");
  g_assert_true (claimed (live, "LiveApp", "s1"));
  g_assert_false (claimed (live, "LiveApp", "s2"));
  g_assert_false (claimed (live, "live", "s1"));
  /* Claimed but not live: no stream to reach yet. */
  g_assert_false (
      tg_live_with_stream (live, "LiveApp", "s1", watched_stream, &calls));
  g_assert_false (tg_live_get_info (live, "LiveApp", "s1", &info));
  tg_live_went_live (live, publication);
  g_assert_true (claimed (live, "LiveApp", "s1"));
  g_assert_true (
      tg_live_with_stream (live, "LiveApp", "s1", watched_stream, &calls));
  g_assert_cmpuint (calls, ==, 1);
  g_assert_false (
      tg_live_with_stream (live, "LiveApp", "s2", watched_stream, &calls));
  g_assert_false (tg_live_get_info (live, "LiveApp", "s2", &info));
  /* Ended: free at once, though the registry lets go of it later. */
  tg_live_ended (live, publication);
  g_assert_false (claimed (live, "LiveApp", "s1"));
  g_assert_false (
      tg_live_with_stream (live, "LiveApp", "s1", watched_stream, &calls));
  g_assert_cmpuint (calls, ==, 1);
  drain ();
  g_assert_false (claimed (live, "LiveApp", "s1"));
}

/* A registry freed while it holds a publication says so (a bug in the
 * caller: tg_live_close comes first). */
static void
test_free_with_a_publication_warns (void)
{
  if (g_test_subprocess ())
    {
      TgLive *live = tg_live_new ();
      Fake fake = { 0 };
      TgPublication *publication
          = claim (live, &doors[0], &fake, "LiveApp", "s1");

      tg_live_free (live);
      tg_publication_unref (publication);
      return;
    }
  g_test_trap_subprocess (NULL, 0, G_TEST_SUBPROCESS_DEFAULT);
  g_test_trap_assert_failed ();
  g_test_trap_assert_stderr ("*1 publications outlive the live registry*");
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  main_thread = g_thread_self ();
  g_test_add_func ("/live/claim/second-refused-whatever-the-door",
                   test_second_claim_refused_whatever_the_door);
  g_test_add_func ("/live/claim/abandon-frees-the-id",
                   test_abandon_frees_the_id);
  g_test_add_func ("/live/claim/free-and-claimed-agree",
                   test_free_and_claimed_agree);
  g_test_add_func ("/live/stop/once-on-the-main-context",
                   test_stop_runs_once_on_the_main_context);
  g_test_add_func ("/live/stop/unknown-stream", test_stop_of_an_unknown_stream);
  g_test_add_func ("/live/stop/before-it-goes-live",
                   test_stop_before_it_goes_live);
  g_test_add_func ("/live/stop/none-once-it-has-ended",
                   test_no_stop_once_it_has_ended);
  g_test_add_func ("/live/close/stops-every-live-publication",
                   test_close_stops_every_live_publication);
  g_test_add_func ("/live/close/with-nothing-live",
                   test_close_with_nothing_live);
  g_test_add_func ("/live/watch/media-ready",
                   test_watchers_hear_of_media_ready);
  g_test_add_func ("/live/free-with-a-publication-warns",
                   test_free_with_a_publication_warns);
  return g_test_run ();
}
