/* Group commit for the REST routes that write to the store (mint,
 * validate-token): a request's store write waits, its message paused, until
 * the HTTP worker thread has dispatched what its poll found ready; then the
 * writes of all those requests run in one store transaction
 * (tg_store_batch) and each request is answered. One commit then costs
 * what one write did: a commit's page writes, locks and system calls are
 * most of a mint's cost. Nothing crosses threads: a worker batches only its
 * own requests, on its own thread. */
#pragma once

#include <libsoup/soup.h>

#include "tg-server.h"

/* In the batch's transaction, on the worker's thread. */
typedef void (*TgRestBatchRun) (TgStore *store, gpointer data);
/* After the commit: sets msg's reply. batch_error: the commit failed, and
 * what run did is void. Not called when the client went away. */
typedef void (*TgRestBatchReply) (SoupServerMessage *msg, gpointer data,
                                  const GError *batch_error);

/* Pauses msg until its batch has run; data is freed with free_data. */
void tg_rest_batch_add (TgServer *server, SoupServerMessage *msg,
                        TgRestBatchRun run, TgRestBatchReply reply,
                        gpointer data, GDestroyNotify free_data);
