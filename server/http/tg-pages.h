/* The pages every app serves (PROTOCOL.md 6), built into the binary from
 * data/pages/: /{app}/ publishes the camera over WebRTC, /{app}/play.html
 * plays; both use /{app}/signalling.js. */
#pragma once

#include <libsoup/soup.h>

/* Answers the request if name ("" for the app's root) is a page: FALSE
 * (nothing sent) when it is not. */
gboolean tg_pages_handle (SoupServerMessage *msg, const char *name);

/* Answers GET or HEAD with the built-in resource (under data/pages/ or
 * data/: openapi.json) as type; another method with 405. */
void tg_pages_serve (SoupServerMessage *msg, const char *resource,
                     const char *type);
