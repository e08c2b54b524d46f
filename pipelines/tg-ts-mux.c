#include "tg-ts-mux.h"

#include "tg-ts-packets.h"

#include <gst/video/video-event.h>

GST_DEBUG_CATEGORY_STATIC (tg_ts_mux_debug);
#define GST_CAT_DEFAULT tg_ts_mux_debug

/* As mpegtsmux: timestamps start an hour in, so a DTS before the first
 * PTS stays positive, and the PCR runs 1/8 s ahead of the DTS. */
#define CLOCK_BASE (G_GINT64_CONSTANT (90000) * 3600)
#define PCR_AHEAD (90000 / 8)
#define FIRST_PID 0x100

/* --- a sink pad: one track --- */

#define TG_TYPE_TS_MUX_PAD (tg_ts_mux_pad_get_type ())
G_DECLARE_FINAL_TYPE (TgTsMuxPad, tg_ts_mux_pad, TG, TS_MUX_PAD,
                      GstAggregatorPad)

struct _TgTsMuxPad
{
  GstAggregatorPad parent;
  TgTsTrack track;
  gboolean known;   /* caps taken */
  gboolean raw_aac; /* frames need an ADTS header: */
  guint8 config[2]; /* the AudioSpecificConfig's first bytes */
  gint64 last_dts;  /* running time, signed; G_MININT64 before any */
};

G_DEFINE_TYPE (TgTsMuxPad, tg_ts_mux_pad, GST_TYPE_AGGREGATOR_PAD)

static void
tg_ts_mux_pad_init (TgTsMuxPad *pad)
{
  pad->last_dts = G_MININT64;
}

static void
tg_ts_mux_pad_class_init (TgTsMuxPadClass *klass)
{
}

/* --- the muxer --- */

struct _TgTsMux
{
  GstAggregator parent;
  TgTsProgram program;     /* rebuilt from the pads when they change */
  gboolean tracks_changed; /* object lock */
  gboolean psi_due;
  GstClockTime last_ts; /* of the PCR track: the output's timestamps */
  GstEvent *key_unit;   /* what downstream asked for, or NULL; object lock */
  GstClockTime key_unit_at;
  guint16 next_pid; /* of the next pad; object lock */
};

G_DEFINE_TYPE (TgTsMux, tg_ts_mux, GST_TYPE_AGGREGATOR)

static GstStaticPadTemplate sink_template = GST_STATIC_PAD_TEMPLATE (
    "sink_%d", GST_PAD_SINK, GST_PAD_REQUEST,
    GST_STATIC_CAPS ("video/x-h264, stream-format=byte-stream, alignment=au; "
                     "audio/mpeg, mpegversion=(int)4, "
                     "stream-format={ raw, adts }"));

static GstStaticPadTemplate src_template = GST_STATIC_PAD_TEMPLATE (
    "src", GST_PAD_SRC, GST_PAD_ALWAYS,
    GST_STATIC_CAPS ("video/mpegts, systemstream=true, packetsize=188"));

GstElement *
tg_ts_mux_new (void)
{
  return g_object_new (TG_TYPE_TS_MUX, NULL);
}

static GstAggregatorPad *
create_new_pad (GstAggregator *agg, GstPadTemplate *templ,
                const gchar *req_name, const GstCaps *caps)
{
  TgTsMux *mux = TG_TS_MUX (agg);
  g_autofree char *name = NULL;
  TgTsMuxPad *pad;
  guint16 pid;

  GST_OBJECT_LOCK (mux);
  pid = mux->next_pid++;
  GST_OBJECT_UNLOCK (mux);
  if (pid >= FIRST_PID + 0x1000)
    return NULL; /* a stream is never that many tracks */
  name = g_strdup_printf ("sink_%u", pid);
  pad = g_object_new (TG_TYPE_TS_MUX_PAD, "name", name, "direction",
                      GST_PAD_SINK, "template", templ, NULL);
  pad->track.pid = pid;
  return GST_AGGREGATOR_PAD (pad);
}

static void
release_pad (GstElement *element, GstPad *pad)
{
  TgTsMux *mux = TG_TS_MUX (element);

  GST_ELEMENT_CLASS (tg_ts_mux_parent_class)->release_pad (element, pad);
  GST_OBJECT_LOCK (mux);
  mux->tracks_changed = TRUE;
  GST_OBJECT_UNLOCK (mux);
}

/* The track a pad's caps describe; FALSE (and the element's error) when
 * they describe none this muxer writes. */
static gboolean
take_caps (TgTsMux *mux, TgTsMuxPad *pad, GstCaps *caps)
{
  GstStructure *s = gst_caps_get_structure (caps, 0);
  const GValue *value = gst_structure_get_value (s, "codec_data");
  const char *format = gst_structure_get_string (s, "stream-format");
  GstBuffer *config;
  guint8 header[7];

  pad->track.codec
      = gst_structure_has_name (s, "video/x-h264") ? TG_TS_H264 : TG_TS_AAC;
  pad->raw_aac
      = pad->track.codec == TG_TS_AAC && g_strcmp0 (format, "adts") != 0;
  if (pad->raw_aac)
    {
      config = value && G_VALUE_HOLDS (value, GST_TYPE_BUFFER)
                   ? gst_value_get_buffer (value)
                   : NULL;
      if (config == NULL || gst_buffer_extract (config, 0, pad->config, 2) != 2
          || !tg_ts_adts_header (pad->config, 0, header))
        {
          GST_ELEMENT_ERROR (mux, STREAM, FORMAT, (NULL),
                             ("AAC without a configuration ADTS can carry"));
          return FALSE;
        }
    }
  GST_OBJECT_LOCK (mux);
  pad->known = TRUE;
  mux->tracks_changed = TRUE;
  GST_OBJECT_UNLOCK (mux);
  return TRUE;
}

static gboolean
sink_event (GstAggregator *agg, GstAggregatorPad *pad, GstEvent *event)
{
  TgTsMux *mux = TG_TS_MUX (agg);

  if (GST_EVENT_TYPE (event) == GST_EVENT_CAPS)
    {
      GstCaps *caps;

      gst_event_parse_caps (event, &caps);
      if (!take_caps (mux, TG_TS_MUX_PAD (pad), caps))
        {
          gst_event_unref (event);
          return FALSE;
        }
    }
  /* key units are cut here, on what hlssink asks (src_event) */
  if (gst_video_event_is_force_key_unit (event))
    {
      gst_event_unref (event);
      return TRUE;
    }
  return GST_AGGREGATOR_CLASS (tg_ts_mux_parent_class)
      ->sink_event (agg, pad, event);
}

static gboolean
src_event (GstAggregator *agg, GstEvent *event)
{
  TgTsMux *mux = TG_TS_MUX (agg);
  GstClockTime at;

  if (GST_EVENT_TYPE (event) != GST_EVENT_CUSTOM_UPSTREAM
      || !gst_video_event_is_force_key_unit (event))
    return GST_AGGREGATOR_CLASS (tg_ts_mux_parent_class)
        ->src_event (agg, event);
  gst_video_event_parse_upstream_force_key_unit (event, &at, NULL, NULL);
  GST_OBJECT_LOCK (mux);
  gst_event_replace (&mux->key_unit, event);
  mux->key_unit_at = at;
  GST_OBJECT_UNLOCK (mux);
  gst_event_unref (event);
  return TRUE;
}

/* The PMT's tracks, from the pads that have caps: the PCR on the first
 * video track, else on the first. Continuity counters stay on the pads. */
static void
rebuild_program (TgTsMux *mux)
{
  TgTsProgram *program = &mux->program;

  program->n_tracks = 0;
  for (GList *l = GST_ELEMENT (mux)->sinkpads; l; l = l->next)
    {
      TgTsMuxPad *pad = l->data;

      if (pad->known && program->n_tracks < TG_TS_TRACKS)
        program->tracks[program->n_tracks++] = pad->track;
    }
  program->pcr_pid = program->n_tracks ? program->tracks[0].pid : 0x1fff;
  for (guint i = program->n_tracks; i-- > 0;)
    if (program->tracks[i].codec == TG_TS_H264)
      program->pcr_pid = program->tracks[i].pid;
  mux->psi_due = TRUE;
}

static gboolean
has_video (TgTsMux *mux)
{
  for (guint i = 0; i < mux->program.n_tracks; i++)
    if (mux->program.tracks[i].codec == TG_TS_H264)
      return TRUE;
  return FALSE;
}

/* Running time of ts on pad's segment, signed; G_MININT64 if none. */
static gint64
running_time (GstAggregatorPad *pad, GstClockTime ts)
{
  GstClockTime t;
  int sign;

  if (!GST_CLOCK_TIME_IS_VALID (ts))
    return G_MININT64;
  sign = gst_segment_to_running_time_full (&pad->segment, GST_FORMAT_TIME, ts,
                                           &t);
  if (sign == 0)
    return G_MININT64;
  return sign > 0 ? (gint64) t : -(gint64) t;
}

/* The pad whose next frame decodes first (mpegtsmux's choice). */
static TgTsMuxPad *
next_pad (GstAggregator *agg)
{
  TgTsMuxPad *best = NULL;
  gint64 best_ts = G_MAXINT64;

  GST_OBJECT_LOCK (agg);
  for (GList *l = GST_ELEMENT (agg)->sinkpads; l; l = l->next)
    {
      GstAggregatorPad *pad = l->data;
      GstBuffer *buffer = gst_aggregator_pad_peek_buffer (pad);
      gint64 ts;

      if (buffer == NULL)
        continue;
      ts = running_time (pad, GST_BUFFER_DTS_OR_PTS (buffer));
      if (best == NULL || (ts != G_MININT64 && ts < best_ts))
        {
          best = l->data;
          best_ts = ts == G_MININT64 ? G_MAXINT64 : ts;
        }
      gst_buffer_unref (buffer);
    }
  if (best)
    gst_object_ref (best);
  GST_OBJECT_UNLOCK (agg);
  return best;
}

static gint64
to_90khz (gint64 running)
{
  if (running == G_MININT64)
    return TG_TS_NONE;
  return CLOCK_BASE
         + gst_util_uint64_scale_int_round (ABS (running), 9, 100000)
               * (running < 0 ? -1 : 1);
}

/* The downstream key unit event for a frame at pts, when it starts the
 * key unit asked for; NULL if it does not. */
static GstEvent *
take_key_unit (TgTsMux *mux, TgTsMuxPad *pad, GstBuffer *buffer,
               GstClockTime pts)
{
  GstEvent *event = NULL;
  guint count = 0;

  if (GST_BUFFER_FLAG_IS_SET (buffer, GST_BUFFER_FLAG_DELTA_UNIT)
      || !GST_CLOCK_TIME_IS_VALID (pts)
      || (pad->track.codec != TG_TS_H264 && has_video (mux)))
    return NULL;
  GST_OBJECT_LOCK (mux);
  if (mux->key_unit
      && (!GST_CLOCK_TIME_IS_VALID (mux->key_unit_at)
          || pts >= mux->key_unit_at))
    {
      gst_video_event_parse_upstream_force_key_unit (mux->key_unit, NULL, NULL,
                                                     &count);
      event = gst_video_event_new_downstream_force_key_unit (pts, pts, pts,
                                                             TRUE, count);
      gst_event_set_seqnum (event, gst_event_get_seqnum (mux->key_unit));
      gst_clear_event (&mux->key_unit);
    }
  GST_OBJECT_UNLOCK (mux);
  return event;
}

/* frame's PES (after the PAT and PMT when due) as one buffer. */
static GstBuffer *
write_frame (TgTsMux *mux, TgTsMuxPad *pad, TgTsFrame *frame)
{
  gsize psi = mux->psi_due ? TG_TS_PSI_SIZE : 0;
  gsize size = psi + tg_ts_pes_size (&pad->track, frame);
  GstBuffer *out = gst_buffer_new_allocate (NULL, size, NULL);
  GstMapInfo map;

  gst_buffer_map (out, &map, GST_MAP_WRITE);
  if (psi)
    tg_ts_write_psi (&mux->program, map.data);
  tg_ts_write_pes (&pad->track, frame, map.data + psi);
  gst_buffer_unmap (out, &map);
  mux->psi_due = FALSE;
  return out;
}

static GstFlowReturn
mux_buffer (TgTsMux *mux, TgTsMuxPad *pad, GstBuffer *buffer)
{
  GstAggregatorPad *apad = GST_AGGREGATOR_PAD (pad);
  gint64 pts = running_time (apad, GST_BUFFER_PTS (buffer));
  gint64 dts = running_time (apad, GST_BUFFER_DTS (buffer));
  gboolean key = !GST_BUFFER_FLAG_IS_SET (buffer, GST_BUFFER_FLAG_DELTA_UNIT);
  gboolean clock; /* the PCR's track, with a time */
  TgTsFrame frame;
  guint8 adts[7];
  GstEvent *cut;
  GstBuffer *out;
  GstMapInfo map;

  if (pts != G_MININT64 && pts < 0)
    return GST_FLOW_OK; /* before the segment */
  if (dts != G_MININT64 && pad->last_dts != G_MININT64 && dts < pad->last_dts)
    dts = pad->last_dts; /* a DTS going back is not written back */
  if (dts != G_MININT64)
    pad->last_dts = dts;
  if (pts == G_MININT64)
    pts = dts;
  cut = take_key_unit (mux, pad, buffer,
                       pts >= 0 ? (GstClockTime) pts : GST_CLOCK_TIME_NONE);
  clock = pad->track.pid == mux->program.pcr_pid && pts != G_MININT64;
  if (clock)
    mux->last_ts = (GstClockTime) MAX (0, dts != G_MININT64 ? dts : pts);
  if (cut)
    {
      gst_pad_push_event (GST_AGGREGATOR_SRC_PAD (mux), cut);
      mux->psi_due = TRUE;
    }
  if (pad->track.codec == TG_TS_H264 && key)
    mux->psi_due = TRUE;
  gst_buffer_map (buffer, &map, GST_MAP_READ);
  if (pad->raw_aac && !tg_ts_adts_header (pad->config, map.size, adts))
    {
      GST_DEBUG_OBJECT (pad, "an AAC frame too large for ADTS: dropped");
      gst_buffer_unmap (buffer, &map);
      return GST_FLOW_OK;
    }
  frame = (TgTsFrame){
    .prefix = pad->raw_aac ? adts : NULL,
    .prefix_size = pad->raw_aac ? sizeof adts : 0,
    .data = map.data,
    .size = map.size,
    .pts = to_90khz (pts),
    .dts = to_90khz (dts),
    .pcr = TG_TS_NONE,
    .key = key,
  };
  if (clock)
    frame.pcr
        = ((frame.dts != TG_TS_NONE ? frame.dts : frame.pts) - PCR_AHEAD) * 300;
  out = write_frame (mux, pad, &frame);
  gst_buffer_unmap (buffer, &map);
  GST_LOG_OBJECT (pad, "%" G_GSIZE_FORMAT " bytes, pts %" G_GINT64_FORMAT,
                  gst_buffer_get_size (out), frame.pts);
  GST_BUFFER_PTS (out) = mux->last_ts;
  if (!(pad->track.codec == TG_TS_H264 && key))
    GST_BUFFER_FLAG_SET (out, GST_BUFFER_FLAG_DELTA_UNIT);
  return gst_aggregator_finish_buffer (GST_AGGREGATOR (mux), out);
}

static gboolean
all_eos (GstAggregator *agg)
{
  gboolean eos = TRUE;

  GST_OBJECT_LOCK (agg);
  for (GList *l = GST_ELEMENT (agg)->sinkpads; l && eos; l = l->next)
    eos = gst_aggregator_pad_is_eos (l->data);
  GST_OBJECT_UNLOCK (agg);
  return eos;
}

static GstFlowReturn
aggregate (GstAggregator *agg, gboolean timeout)
{
  TgTsMux *mux = TG_TS_MUX (agg);
  g_autoptr (GstCaps) caps = gst_pad_get_current_caps (agg->srcpad);
  TgTsMuxPad *pad;
  GstFlowReturn ret = GST_FLOW_OK;
  gboolean changed;

  if (caps == NULL)
    {
      caps = gst_pad_get_pad_template_caps (agg->srcpad);
      gst_aggregator_set_src_caps (agg, caps);
    }
  GST_OBJECT_LOCK (mux);
  changed = mux->tracks_changed;
  mux->tracks_changed = FALSE;
  if (changed)
    rebuild_program (mux);
  GST_OBJECT_UNLOCK (mux);
  pad = next_pad (agg);
  if (pad)
    {
      GstBuffer *buffer
          = gst_aggregator_pad_pop_buffer (GST_AGGREGATOR_PAD (pad));

      /* a flush may have come meanwhile */
      if (buffer && pad->known && gst_buffer_get_size (buffer) > 0)
        ret = mux_buffer (mux, pad, buffer);
      if (buffer)
        gst_buffer_unref (buffer);
      gst_object_unref (pad);
    }
  if (ret == GST_FLOW_OK && all_eos (agg))
    ret = GST_FLOW_EOS;
  return ret;
}

static void
reset (TgTsMux *mux)
{
  GST_OBJECT_LOCK (mux);
  memset (&mux->program, 0, sizeof mux->program);
  mux->program.pcr_pid = 0x1fff;
  mux->tracks_changed = TRUE;
  mux->psi_due = TRUE;
  mux->last_ts = GST_CLOCK_TIME_NONE;
  gst_clear_event (&mux->key_unit);
  GST_OBJECT_UNLOCK (mux);
}

static gboolean
start (GstAggregator *agg)
{
  reset (TG_TS_MUX (agg));
  return TRUE;
}

static gboolean
stop (GstAggregator *agg)
{
  reset (TG_TS_MUX (agg));
  return TRUE;
}

static void
finalize (GObject *object)
{
  gst_clear_event (&TG_TS_MUX (object)->key_unit);
  G_OBJECT_CLASS (tg_ts_mux_parent_class)->finalize (object);
}

static void
tg_ts_mux_init (TgTsMux *mux)
{
  mux->next_pid = FIRST_PID;
  reset (mux);
}

static void
tg_ts_mux_class_init (TgTsMuxClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GstElementClass *element_class = GST_ELEMENT_CLASS (klass);
  GstAggregatorClass *agg_class = GST_AGGREGATOR_CLASS (klass);

  GST_DEBUG_CATEGORY_INIT (tg_ts_mux_debug, "tgtsmux", 0,
                           "Tollgate's MPEG-TS muxer for HLS");
  object_class->finalize = finalize;
  element_class->release_pad = release_pad;
  gst_element_class_add_static_pad_template_with_gtype (
      element_class, &sink_template, TG_TYPE_TS_MUX_PAD);
  gst_element_class_add_static_pad_template (element_class, &src_template);
  gst_element_class_set_static_metadata (
      element_class, "Tollgate MPEG-TS muxer", "Codec/Muxer",
      "H.264 and AAC into MPEG-TS, a buffer per frame, cut where hlssink "
      "asks",
      "Tollgate");
  agg_class->create_new_pad = create_new_pad;
  agg_class->sink_event = sink_event;
  agg_class->src_event = src_event;
  agg_class->aggregate = aggregate;
  agg_class->start = start;
  agg_class->stop = stop;
}
