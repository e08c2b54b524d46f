/* The cluster (tg-cluster.h) on one memory:// store shared by two nodes:
 * link keys (what an origin lets play without a token), origin records,
 * and who is asked to pull what. The heartbeat's lapse, and pulls over
 * real links, are the integration test's (test_cluster.py). */
#include "tg-cluster.h"

#include "tg-secret.h"

#define SECRET "a secret of the cluster's"

typedef struct
{
  TgConfig config;
  TgStore *store;
  TgServer servers[2];
  TgCluster *nodes[2];
  /* what the puller was asked */
  char *host;
  guint port, pulls;
} Fixture;

static char *apps[] = { "LiveApp", NULL };

static gboolean
puller (TgServer *server, const char *app, const char *stream_id,
        const char *host, guint port, gpointer data)
{
  Fixture *f = data;

  g_free (f->host);
  f->host = g_strdup (host);
  f->port = port;
  f->pulls++;
  return TRUE;
}

static void
setup (Fixture *f, gconstpointer unused)
{
  f->config.apps = apps;
  f->store = tg_store_open ("memory://", NULL);
  g_assert_nonnull (f->store);
  for (guint i = 0; i < 2; i++)
    {
      g_autoptr (GError) error = NULL;

      f->nodes[i] = tg_cluster_new (f->store, SECRET, "127.0.0.1", &error);
      g_assert_no_error (error);
      f->servers[i] = (TgServer){ .config = &f->config,
                                  .store = f->store,
                                  .cluster = f->nodes[i] };
      tg_cluster_join (f->nodes[i], &f->servers[i], 4200 + i);
      tg_cluster_set_puller (f->nodes[i], puller, f);
    }
}

static void
teardown (Fixture *f, gconstpointer unused)
{
  for (guint i = 0; i < 2; i++)
    tg_cluster_free (f->nodes[i]);
  tg_store_unref (f->store);
  g_free (f->host);
}

static void
test_link_keys (Fixture *f, gconstpointer unused)
{
  g_autofree char *key = tg_cluster_link_key (f->nodes[0], "LiveApp", "s1");
  g_autoptr (TgStore) store = tg_store_open ("memory://", NULL);
  g_autoptr (TgCluster) stranger
      = tg_cluster_new (store, "another cluster's secret", "127.0.0.1", NULL);
  g_autoptr (GBytes) secret = tg_secret_derive (SECRET);
  g_autofree char *old_mac
      = tg_secret_mac (secret, "tollgate-link-v1|LiveApp|s1|100");
  g_autofree char *expired = g_strconcat ("tgl1.100.", old_mac, NULL);
  g_autofree char *tampered = g_strdup (key);

  g_assert_true (g_str_has_prefix (key, "tgl1."));
  /* any node of the cluster takes it, for that stream only */
  g_assert_true (tg_cluster_link_admits (f->nodes[1], "LiveApp", "s1", key));
  g_assert_true (tg_cluster_link_admits (f->nodes[0], "LiveApp", "s1", key));
  g_assert_false (tg_cluster_link_admits (f->nodes[1], "LiveApp", "s2", key));
  g_assert_false (tg_cluster_link_admits (f->nodes[1], "live", "s1", key));
  g_assert_false (tg_cluster_link_admits (stranger, "LiveApp", "s1", key));
  g_assert_false (tg_cluster_link_admits (NULL, "LiveApp", "s1", key));
  /* one that has expired, or was changed */
  g_assert_false (
      tg_cluster_link_admits (f->nodes[1], "LiveApp", "s1", expired));
  tampered[strlen (tampered) - 1] ^= 1;
  g_assert_false (
      tg_cluster_link_admits (f->nodes[1], "LiveApp", "s1", tampered));
  for (const char *const *bad
       = (const char *const[]){ "", "tgl1.", "tgl1..", "tgl1.x.y",
                                "tgl1.99999999999999999.abc", "tgl1.1.2.3",
                                "token", NULL };
       *bad; bad++)
    g_assert_false (
        tg_cluster_link_admits (f->nodes[1], "LiveApp", "s1", *bad));
  g_assert_false (tg_cluster_link_admits (f->nodes[1], "LiveApp", "s1", NULL));
}

static void
test_origins (Fixture *f, gconstpointer unused)
{
  /* live on node 0: elsewhere for node 1, not for node 0 */
  tg_cluster_hold (f->nodes[0], "LiveApp", "s1");
  g_assert_true (tg_cluster_is_live_elsewhere (f->nodes[1], "LiveApp", "s1"));
  g_assert_false (tg_cluster_is_live_elsewhere (f->nodes[0], "LiveApp", "s1"));
  g_assert_false (tg_cluster_is_live_elsewhere (f->nodes[1], "LiveApp", "s2"));
  g_assert_false (tg_cluster_is_live_elsewhere (NULL, "LiveApp", "s1"));

  /* node 1 pulls it from node 0's SRT door; node 0 pulls nothing */
  g_assert_true (tg_cluster_pull (&f->servers[1], "LiveApp", "s1"));
  g_assert_cmpstr (f->host, ==, "127.0.0.1");
  g_assert_cmpuint (f->port, ==, 4200);
  g_assert_false (tg_cluster_pull (&f->servers[0], "LiveApp", "s1"));
  g_assert_false (tg_cluster_pull (&f->servers[1], "LiveApp", "s2"));
  g_assert_cmpuint (f->pulls, ==, 1);

  /* its publisher goes live on node 1: node 0's end leaves node 1's
   * record */
  tg_cluster_hold (f->nodes[1], "LiveApp", "s1");
  tg_cluster_release (f->nodes[0], "LiveApp", "s1");
  g_assert_true (tg_cluster_is_live_elsewhere (f->nodes[0], "LiveApp", "s1"));
  tg_cluster_release (f->nodes[1], "LiveApp", "s1");
  g_assert_false (tg_cluster_is_live_elsewhere (f->nodes[0], "LiveApp", "s1"));
}

static void
test_node_that_left (Fixture *f, gconstpointer unused)
{
  /* a node that leaves takes its record: its origins count no more */
  tg_cluster_hold (f->nodes[0], "LiveApp", "s1");
  g_assert_true (tg_cluster_is_live_elsewhere (f->nodes[1], "LiveApp", "s1"));
  g_clear_pointer (&f->nodes[0], tg_cluster_free);
  g_assert_false (tg_cluster_is_live_elsewhere (f->nodes[1], "LiveApp", "s1"));
  g_assert_false (tg_cluster_pull (&f->servers[1], "LiveApp", "s1"));
}

static void
test_no_cluster (void)
{
  g_autoptr (TgStore) store = tg_store_open ("memory://", NULL);
  TgServer server = { .store = store };

  g_assert_null (tg_cluster_new (store, NULL, NULL, NULL));
  g_assert_null (tg_cluster_link_key (NULL, "LiveApp", "s1"));
  g_assert_null (tg_cluster_get_secret (NULL));
  g_assert_false (tg_cluster_pull (&server, "LiveApp", "s1"));
  tg_cluster_hold (NULL, "LiveApp", "s1");
  tg_cluster_release (NULL, "LiveApp", "s1");
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add ("/cluster/link-keys", Fixture, NULL, setup, test_link_keys,
              teardown);
  g_test_add ("/cluster/origins", Fixture, NULL, setup, test_origins, teardown);
  g_test_add ("/cluster/node-that-left", Fixture, NULL, setup,
              test_node_that_left, teardown);
  g_test_add_func ("/cluster/none", test_no_cluster);
  return g_test_run ();
}
