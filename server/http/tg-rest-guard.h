/* What speaks of every app (/metrics, the console, /rest/v2/applications,
 * /rest/v2/server, /rest/v2/token-decisions) is closed tighter than one
 * app's REST API: only to an address that every app's settings allow. */
#pragma once

#include <libsoup/soup.h>

#include "tg-server.h"

/* GET or HEAD only (else 405 with Allow), from an address that every app's
 * settings allow to call the REST API (else 403 with refusal). On FALSE
 * the reply is set. */
gboolean tg_rest_open_to_all (TgServer *server, SoupServerMessage *msg,
                              const char *refusal);
