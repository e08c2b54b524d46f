/* What every mp4mux of a stream needs (the recording's, the CMAF
 * tracks'). */
#pragma once

#include <gst/gst.h>

/* mp4mux reads its source pad's caps when it writes its final moov, and
 * GStreamer 1.22's aggregator does not stop it when that pad is being shut
 * down: a muxer that starts while its pipeline is torn down (a publish
 * refused as it ends) would find no caps there (criticals). The pad's
 * caps are known from the start: they are kept on it before any data.
 * stream_id: the stream-start's. */
void tg_mp4mux_pin_caps (GstElement *mux, const char *stream_id);
