/* A stream muxed once for the viewers of a door that plays a container
 * (SRT: MPEG-TS; RTMP: FLV), and its bytes handed to each of them.
 *
 * The muxer branch (tee ! leaky queue ! parser ! muxer ! appsink, per
 * track) is built from the stream's tees when its first viewer comes
 * (tg_stream_add_mux_viewer) and lasts as long as the stream. Each viewer
 * has a bounded queue of the muxer's buffers, which its door's thread
 * takes, all that is queued at once, at most every TG_MUX_VIEWER_BATCH_MS
 * (tg_mux_viewer_take), and writes out: a thread that woke for each of
 * the muxer's buffers (an FLV tag, 7 TS packets) cost more in the
 * kernel's scheduler than the bytes it wrote. A viewer that does not keep up
 * (its queue holds more than TG_MUX_VIEWER_MAX_BYTES, or its oldest buffer
 * is older than TG_MUX_VIEWER_MAX_AGE_S) is dropped, with a log line: the
 * publisher and the other viewers never wait for it.
 *
 * A viewer starts at a key frame: it is given the muxer's headers (the
 * caps' streamheader: FLV header, onMetaData and the codec configurations;
 * or the PAT and PMT) and the buffers since the last key frame, or, when
 * there are none, waits for the next one. When the stream ends, each
 * viewer's queue is left to drain, then tg_mux_viewer_take says so. */
#pragma once

#include <gst/gst.h>

G_BEGIN_DECLS

typedef enum
{
  TG_MUX_OUT_MPEGTS, /* mpegtsmux: 188-byte packets */
  TG_MUX_OUT_FLV,    /* flvmux streamable: one FLV tag per buffer */
  TG_MUX_OUT_FORMATS
} TgMuxOutFormat;

#define TG_MUX_VIEWER_MAX_BYTES (8 * 1024 * 1024)
#define TG_MUX_VIEWER_MAX_AGE_S 5
/* The least time between two takes of a viewer's queue: what a viewer's
 * bytes may wait on top of the stream's. */
#define TG_MUX_VIEWER_BATCH_MS 100

typedef enum
{
  TG_MUX_VIEWER_RUNNING,
  TG_MUX_VIEWER_ENDED,   /* the stream ended: the queue is drained */
  TG_MUX_VIEWER_DROPPED, /* it did not keep up, or it was closed */
} TgMuxViewerState;

/* The door a viewer plays through, for the broadcast's viewer counts. */
typedef enum
{
  TG_MUX_DOOR_RTMP,
  TG_MUX_DOOR_SRT,
  TG_MUX_DOOR_RTSP, /* one viewer per media, standing for its clients */
  TG_MUX_DOORS
} TgMuxDoor;

typedef struct _TgMuxViewer TgMuxViewer;

/* Told, once, on a streaming thread, that the viewer is dropped or its
 * stream has ended (state): a door whose writer may be blocked on a peer
 * that does not read unblocks it (shutdown of its socket). Not after
 * tg_mux_viewer_close has returned. */
typedef void (*TgMuxViewerWake) (TgMuxViewerState state, gpointer data);

/* name: who it is, for the log ("RTMP 10.0.0.1"). */
TgMuxViewer *tg_mux_viewer_new (TgMuxDoor door, const char *name,
                                TgMuxViewerWake wake, gpointer wake_data);
/* How many of its door's viewers it is counted as (1 when made): the
 * RTSP media, as many as the clients it serves. Any thread. */
void tg_mux_viewer_set_count (TgMuxViewer *viewer, guint count);
TgMuxViewer *tg_mux_viewer_ref (TgMuxViewer *viewer);
void tg_mux_viewer_unref (TgMuxViewer *viewer);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (TgMuxViewer, tg_mux_viewer_unref)

/* Every buffer of the muxer's output queued for the viewer, oldest first
 * (a new list, the caller's), once TG_MUX_VIEWER_BATCH_MS have passed
 * since the last take, waiting up to timeout_us in all; NULL when none
 * came, with *state saying whether the viewer still runs. */
GPtrArray *tg_mux_viewer_take (TgMuxViewer *viewer, gint64 timeout_us,
                               TgMuxViewerState *state);
/* How many bytes a batch taken holds. */
gsize tg_mux_batch_size (GPtrArray *batch);
/* Whether it still runs (dropped, ended), without taking anything. */
TgMuxViewerState tg_mux_viewer_state (TgMuxViewer *viewer);
/* Drops it, as if it had not kept up: its door's writer is woken and sees
 * it dropped (an operator ended its session). Any thread. */
void tg_mux_viewer_drop (TgMuxViewer *viewer);
/* The door is done with it: no more wakes, its queue is emptied. */
void tg_mux_viewer_close (TgMuxViewer *viewer);

G_END_DECLS
