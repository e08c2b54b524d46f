#include "tg-rest-batch.h"

typedef struct
{
  SoupServerMessage *msg;
  gulong disconnected;
  gboolean gone; /* the client went away */
  TgRestBatchRun run;
  TgRestBatchReply reply;
  gpointer data;
  GDestroyNotify free_data;
} Job;

/* The requests a worker has gathered since its last flush. */
typedef struct
{
  TgStore *store;
  GPtrArray *jobs; /* Job * */
} Batch;

/* This thread's batch, until its flush runs. */
static GPrivate gathering;

static void
job_free (gpointer pointer)
{
  Job *job = pointer;

  g_signal_handler_disconnect (job->msg, job->disconnected);
  g_object_unref (job->msg);
  if (job->free_data)
    job->free_data (job->data);
  g_free (job);
}

static void
batch_free (gpointer pointer)
{
  Batch *batch = pointer;

  /* Also when the worker's context goes first: nothing is answered. */
  if (g_private_get (&gathering) == batch)
    g_private_set (&gathering, NULL);
  g_ptr_array_unref (batch->jobs);
  tg_store_unref (batch->store);
  g_free (batch);
}

static void
client_gone (SoupServerMessage *msg, gpointer data)
{
  ((Job *) data)->gone = TRUE;
}

static void
run_jobs (TgStore *store, gpointer data)
{
  GPtrArray *jobs = data;

  for (guint i = 0; i < jobs->len; i++)
    {
      Job *job = jobs->pdata[i];

      if (!job->gone)
        job->run (store, job->data);
    }
}

static gboolean
flush (gpointer data)
{
  Batch *batch = data;
  g_autoptr (GError) error = NULL;
  gboolean committed;

  /* Requests from here on start the next batch. */
  g_private_set (&gathering, NULL);
  committed = tg_store_batch (batch->store, run_jobs, batch->jobs, &error);
  if (!committed)
    g_info ("REST: %u store writes failed together: %s", batch->jobs->len,
            error->message);
  for (guint i = 0; i < batch->jobs->len; i++)
    {
      Job *job = batch->jobs->pdata[i];

      if (job->gone)
        continue;
      job->reply (job->msg, job->data, committed ? NULL : error);
      soup_server_message_unpause (job->msg);
    }
  return G_SOURCE_REMOVE;
}

void
tg_rest_batch_add (TgServer *server, SoupServerMessage *msg, TgRestBatchRun run,
                   TgRestBatchReply reply, gpointer data,
                   GDestroyNotify free_data)
{
  Batch *batch = g_private_get (&gathering);
  Job *job = g_new0 (Job, 1);

  if (batch == NULL)
    {
      /* At the priority of the sockets: it runs in the next round of
       * dispatch, after what the poll found ready, even under a load that
       * never lets the worker idle. */
      GSource *source = g_idle_source_new ();

      batch = g_new0 (Batch, 1);
      batch->store = tg_store_ref (server->store);
      batch->jobs = g_ptr_array_new_with_free_func (job_free);
      g_source_set_priority (source, G_PRIORITY_DEFAULT);
      g_source_set_callback (source, flush, batch, batch_free);
      g_source_attach (source, g_main_context_get_thread_default ());
      g_source_unref (source);
      g_private_set (&gathering, batch);
    }
  job->msg = g_object_ref (msg);
  job->run = run;
  job->reply = reply;
  job->data = data;
  job->free_data = free_data;
  job->disconnected
      = g_signal_connect (msg, "disconnected", G_CALLBACK (client_gone), job);
  g_ptr_array_add (batch->jobs, job);
  /* A status now: libsoup takes a request its handler left without one
   * for a WebSocket handshake. reply sets the real one. */
  soup_server_message_set_status (msg, SOUP_STATUS_OK, NULL);
  soup_server_message_pause (msg);
}
