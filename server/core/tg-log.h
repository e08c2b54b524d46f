/* The server's log lines (GLib's g_message, g_info, g_debug of every
 * Tollgate domain) go to GStreamer's debug log too, each domain as a debug
 * category of its own name: GST_DEBUG=tollgate*:5 shows a stream's
 * decisions next to its elements' logs, in one timeline. They still go to
 * GLib's default writer (stdout/stderr, G_MESSAGES_DEBUG) as before. */
#pragma once

#include <gst/gst.h>

/* After gst_init, before anything logs. */
void tg_log_init (void);
