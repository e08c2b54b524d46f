/* The MPEG-TS muxer of a stream's HLS: H.264 and AAC in, one buffer of
 * whole TS packets out per frame (tg-ts-packets.c writes them), for
 * hlssink. GStreamer 1.22's mpegtsmux makes a GstBuffer of every 188-byte
 * packet, which was most of a stream's cost.
 *
 * A GstAggregator (the "latency" property is its own) with request pads
 * "sink_%d", as mpegtsmux: frames go out in decoding-time order. The
 * key units hlssink asks for are cut here, at the first video key frame
 * at or past the time asked (any audio frame when there is no video), and
 * not passed upstream: the parsers are not asked for anything (h264parse
 * 1.22 reads such a request on its streaming thread while another thread
 * replaces it). The PAT and PMT go before every video key frame and every
 * cut. */
#pragma once

#include <gst/base/gstaggregator.h>

G_DECLARE_FINAL_TYPE (TgTsMux, tg_ts_mux, TG, TS_MUX, GstAggregator)
#define TG_TYPE_TS_MUX (tg_ts_mux_get_type ())

GstElement *tg_ts_mux_new (void);
