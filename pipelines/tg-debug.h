/* Seeing inside Tollgate's pipelines: a DOT graph of a pipeline that
 * failed, written when GST_DEBUG_DUMP_DOT_DIR is set (as gst-launch-1.0
 * does), and a watch that reports the errors of pipelines no one else
 * watches (WebRTC viewers and publishers). */
#pragma once

#include <gst/gst.h>

/* Writes {GST_DEBUG_DUMP_DOT_DIR}/<timestamp>-tollgate-<name>.dot. */
void tg_debug_dump (GstElement *pipeline, const char *name);

/* Logs each error the pipeline posts, naming it, and dumps its graph; the
 * message still reaches the bus. */
void tg_debug_watch_errors (GstElement *pipeline, const char *name);
