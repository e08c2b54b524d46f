#include "tg-cmaf-private.h"

#include "tg-mp4mux.h"

#include <errno.h>
#include <glib/gstdio.h>
#include <gst/app/gstappsink.h>
#include <gst/pbutils/pbutils.h>
#include <tollgate.h>

/* Segments kept on disk past the manifests' window, for players a little
 * behind. */
#define EXTRA_SEGMENTS 2
/* How near a fragment's end must be to a key frame's time to be taken
 * for it (timescales round). */
#define KEY_TOLERANCE (5 * GST_MSECOND)

/* --- files --- */

char *
tg_cmaf_init_name (const CmafTrack *track)
{
  return g_strdup_printf ("init-stream%u.m4s", track->index);
}

char *
tg_cmaf_segment_name (const CmafTrack *track, guint number)
{
  return g_strdup_printf ("chunk-stream%u-%09u.m4s", track->index, number);
}

char *
tg_cmaf_part_name (const CmafTrack *track, guint number, guint part)
{
  return g_strdup_printf ("part-stream%u-%09u-%u.m4s", track->index, number,
                          part);
}

/* Writes path whole (under a hidden name, then renamed). A failure (a
 * full disk) is logged once per stream, and counted (tg_cmaf_end). */
static gboolean
write_file (TgCmaf *cmaf, const char *path, const void *data, gsize length)
{
  g_autofree char *dir = g_path_get_dirname (path);
  g_autofree char *base = g_path_get_basename (path);
  g_autofree char *hidden = g_strdup_printf ("%s/.%s.tmp", dir, base);
  g_autoptr (GError) error = NULL;

  if (g_file_set_contents_full (hidden, data, length, G_FILE_SET_CONTENTS_NONE,
                                0644, &error)
      && g_rename (hidden, path) == 0)
    return TRUE;
  if (cmaf->write_failures++ == 0)
    g_message ("%s: could not write %s: %s (said once; DASH and LL-HLS "
               "miss what is not written)",
               cmaf->stream_id, path,
               error ? error->message : g_strerror (errno));
  g_remove (hidden);
  return FALSE;
}

static void
remove_file (const char *dir, const char *name)
{
  g_autofree char *path = g_build_filename (dir, name, NULL);

  g_remove (path);
}

static void
segment_free (CmafSegment *segment)
{
  g_array_unref (segment->parts);
  g_free (segment);
}

/* Removes a segment's files (itself and its parts). */
static void
remove_segment (TgCmaf *cmaf, const CmafTrack *track,
                const CmafSegment *segment)
{
  g_autofree char *name = tg_cmaf_segment_name (track, segment->number);

  remove_file (cmaf->media_dir, name);
  for (guint p = 0; p < segment->parts->len; p++)
    {
      g_autofree char *part = tg_cmaf_part_name (track, segment->number, p);

      remove_file (cmaf->media_dir, part);
    }
}

/* --- manifests --- */

char *
tg_cmaf_format_time (gint64 real_time)
{
  g_autoptr (GDateTime) time
      = g_date_time_new_from_unix_utc (real_time / G_USEC_PER_SEC);
  g_autofree char *text = g_date_time_format (time, "%Y-%m-%dT%H:%M:%S");

  return g_strdup_printf ("%s.%03dZ", text,
                          (int) (real_time % G_USEC_PER_SEC / 1000));
}

gboolean
tg_cmaf_track_ready (const CmafTrack *track, gboolean segments)
{
  gboolean parts = track->open && track->open->parts->len > 0;

  return track->init_written
         && (track->segments.length > 0 || (!segments && parts));
}

gboolean
tg_cmaf_ready (TgCmaf *cmaf, gboolean segments, gboolean adaptive)
{
  gboolean any = FALSE;

  for (guint t = 0; t < CMAF_TRACKS; t++)
    {
      const CmafTrack *track = &cmaf->tracks[t];

      if (!track->used || (track->rung_height && !adaptive))
        continue;
      if (!tg_cmaf_track_ready (track, segments))
        return FALSE;
      any = TRUE;
    }
  return any;
}

/* Whether the stream has rungs (an adaptive MPD). */
static gboolean
has_rungs (TgCmaf *cmaf)
{
  for (guint t = 2; t < CMAF_TRACKS; t++)
    if (cmaf->tracks[t].used)
      return TRUE;
  return FALSE;
}

static void
write_text (TgCmaf *cmaf, const char *dir, const char *name, char *text)
{
  g_autofree char *path = g_build_filename (dir, name, NULL);

  write_file (cmaf, path, text, strlen (text));
  g_free (text);
}

/* The manifests a fragment of track changes (NULL: every track's, at the
 * end): the MPDs (their times move on), the track's LL-HLS playlist (every
 * track's the first time they can all be written), and the master when it
 * says something new. With the lock held. */
static void
write_manifests (TgCmaf *cmaf, const CmafTrack *changed)
{
  g_autofree char *mpd = NULL;
  g_autofree char *master = NULL;
  char *text;

  if (tg_cmaf_ready (cmaf, TRUE, FALSE))
    {
      mpd = g_strdup_printf ("%s.mpd", cmaf->stream_id);
      write_text (cmaf, cmaf->media_dir, mpd, tg_cmaf_mpd (cmaf, FALSE));
    }
  if (has_rungs (cmaf) && tg_cmaf_ready (cmaf, TRUE, TRUE))
    {
      g_autofree char *adaptive
          = g_strdup_printf ("%s_adaptive.mpd", cmaf->stream_id);

      write_text (cmaf, cmaf->media_dir, adaptive, tg_cmaf_mpd (cmaf, TRUE));
    }
  if (!tg_cmaf_ready (cmaf, FALSE, FALSE))
    return;
  if (!cmaf->playlists_ready)
    changed = NULL;
  cmaf->playlists_ready = TRUE;
  for (guint t = 0; t < CMAF_TRACKS; t++)
    if (cmaf->tracks[t].used && tg_cmaf_track_ready (&cmaf->tracks[t], FALSE)
        && (changed == NULL || changed == &cmaf->tracks[t]))
      {
        g_autofree char *name = tg_cmaf_hls_name (cmaf, &cmaf->tracks[t]);

        write_text (cmaf, cmaf->ll_dir, name,
                    tg_cmaf_hls_media (cmaf, &cmaf->tracks[t]));
      }
  text = tg_cmaf_hls_master (cmaf);
  if (g_strcmp0 (text, cmaf->master) == 0)
    {
      g_free (text);
      return;
    }
  g_free (cmaf->master);
  cmaf->master = g_strdup (text);
  master = tg_cmaf_hls_name (cmaf, NULL);
  write_text (cmaf, cmaf->ll_dir, master, text);
}

/* --- segments --- */

/* The open segment is complete: written whole, recorded, and the oldest
 * beyond the window removed. */
static void
close_segment (TgCmaf *cmaf, CmafTrack *track)
{
  CmafSegment *segment = g_steal_pointer (&track->open);
  g_autofree char *name = NULL;
  g_autofree char *path = NULL;

  if (segment == NULL)
    return;
  name = tg_cmaf_segment_name (track, segment->number);
  path = g_build_filename (cmaf->media_dir, name, NULL);
  write_file (cmaf, path, track->current->data, track->current->len);
  if (segment->duration > 0)
    track->bandwidth = MAX (track->bandwidth, (guint64) track->current->len * 8
                                                  * track->box.timescale
                                                  / segment->duration);
  g_byte_array_set_size (track->current, 0);
  g_queue_push_tail (&track->segments, segment);
  while (g_queue_get_length (&track->segments)
         > cmaf->list_size + EXTRA_SEGMENTS)
    {
      CmafSegment *old = g_queue_pop_head (&track->segments);

      remove_segment (cmaf, track, old);
      segment_free (old);
    }
}

/* Whether the open segment lasts the segment time (audio: where the
 * boundary is nearest, fragment being as long as the next one). */
static gboolean
long_enough (TgCmaf *cmaf, CmafTrack *track, const TgBoxFragment *fragment)
{
  return track->open
         && track->open->duration + (track->video ? 0 : fragment->duration / 2)
                >= cmaf->segment_time * track->box.timescale * 0.999;
}

/* One fragment (moof and mdat) has come: a part, and perhaps the start of
 * a segment. */
static void
add_fragment (TgCmaf *cmaf, CmafTrack *track, GByteArray *fragment)
{
  TgBoxFragment info;
  CmafPart part;
  guint64 shift;
  g_autofree char *name = NULL;
  g_autofree char *path = NULL;

  if (!tg_box_read_moof (fragment->data, fragment->len, &track->box, &info))
    {
      g_message ("%s: stream%u: a fragment mp4mux wrote could not be read",
                 cmaf->stream_id, track->index);
      return;
    }
  shift
      = gst_util_uint64_scale (track->start, track->box.timescale, GST_SECOND);
  if (shift && !tg_box_shift_moof (fragment->data, fragment->len, shift))
    shift = 0; /* past what a 32-bit time holds: left as it is */
  info.decode_time += shift;
  if (track->open && info.independent && long_enough (cmaf, track, &info))
    close_segment (cmaf, track);
  if (track->open == NULL && (info.independent || !track->video))
    {
      track->open = g_new0 (CmafSegment, 1);
      track->open->number = ++track->next_number;
      track->open->start = info.decode_time;
      track->open->wall_start = g_get_real_time ();
      track->open->parts = g_array_new (FALSE, FALSE, sizeof (CmafPart));
    }
  if (track->open == NULL)
    return; /* before the first key frame */
  part.start = info.decode_time;
  part.duration = info.duration;
  part.independent = info.independent;
  name
      = tg_cmaf_part_name (track, track->open->number, track->open->parts->len);
  path = g_build_filename (cmaf->media_dir, name, NULL);
  write_file (cmaf, path, fragment->data, fragment->len);
  g_array_append_val (track->open->parts, part);
  track->open->duration = info.decode_time + info.duration - track->open->start;
  if (cmaf->availability_start == 0)
    /* timeline 0 is when the first part would have begun */
    cmaf->availability_start
        = g_get_real_time ()
          - (gint64) ((info.decode_time + info.duration) * G_USEC_PER_SEC
                      / track->box.timescale);
  g_byte_array_append (track->current, fragment->data, fragment->len);
  /* Ended now rather than when the next fragment comes, if that one is
   * known to start with a key frame: it has entered mp4mux (whose coming
   * ended this fragment). Audio: every frame is one. */
  if (long_enough (cmaf, track, &info)
      && (!track->video
          || (GST_CLOCK_TIME_IS_VALID (track->key_time)
              && ABS ((gint64) gst_util_uint64_scale (
                          info.decode_time + info.duration, GST_SECOND,
                          track->box.timescale)
                      - (gint64) track->key_time)
                     < KEY_TOLERANCE)))
    close_segment (cmaf, track);
}

/* A whole top-level box from mp4mux. */
static void
take_box (TgCmaf *cmaf, CmafTrack *track, guint32 type, const guint8 *data,
          gsize size)
{
  if (type == TG_BOX ('f', 't', 'y', 'p'))
    g_byte_array_set_size (track->init, 0);
  if (type == TG_BOX ('f', 't', 'y', 'p')
      || type == TG_BOX ('m', 'o', 'o', 'v'))
    g_byte_array_append (track->init, data, size);
  if (type == TG_BOX ('m', 'o', 'o', 'v') && !track->init_written)
    {
      g_autofree char *name = tg_cmaf_init_name (track);
      g_autofree char *path = g_build_filename (cmaf->media_dir, name, NULL);

      if (!tg_box_read_moov (data, size, &track->box))
        {
          g_message ("%s: stream%u: mp4mux's moov could not be read",
                     cmaf->stream_id, track->index);
          return;
        }
      track->init_written
          = write_file (cmaf, path, track->init->data, track->init->len);
    }
  else if (type == TG_BOX ('m', 'o', 'o', 'f'))
    {
      g_byte_array_set_size (track->moof, 0);
      g_byte_array_append (track->moof, data, size);
    }
  else if (type == TG_BOX ('m', 'd', 'a', 't') && track->moof->len > 0
           && track->box.timescale > 0)
    {
      g_byte_array_append (track->moof, data, size);
      add_fragment (cmaf, track, track->moof);
      g_byte_array_set_size (track->moof, 0);
      write_manifests (cmaf, track);
    }
}

/* Splits what mp4mux wrote into whole boxes. */
static void
take_bytes (TgCmaf *cmaf, CmafTrack *track, const guint8 *data, gsize size)
{
  g_byte_array_append (track->pending, data, size);
  for (;;)
    {
      guint32 type = 0;
      gssize box
          = tg_box_size (track->pending->data, track->pending->len, &type);

      if (box < 0)
        {
          g_message ("%s: stream%u: mp4mux wrote no box: packaging stops",
                     cmaf->stream_id, track->index);
          track->ended = TRUE;
          g_byte_array_set_size (track->pending, 0);
          return;
        }
      if (box == 0 || (gsize) box > track->pending->len)
        return;
      take_box (cmaf, track, type, track->pending->data, box);
      g_byte_array_remove_range (track->pending, 0, box);
    }
}

/* --- the branch --- */

typedef struct
{
  TgCmaf *cmaf;
  CmafTrack *track;
} Sink;

static GstFlowReturn
new_sample (GstAppSink *appsink, gpointer data)
{
  Sink *sink = data;
  g_autoptr (GstSample) sample = gst_app_sink_pull_sample (appsink);
  GstBuffer *buffer = sample ? gst_sample_get_buffer (sample) : NULL;
  GstMapInfo map;

  if (buffer == NULL || !gst_buffer_map (buffer, &map, GST_MAP_READ))
    return GST_FLOW_OK;
  g_mutex_lock (&sink->cmaf->lock);
  if (!sink->track->ended)
    take_bytes (sink->cmaf, sink->track, map.data, map.size);
  g_mutex_unlock (&sink->cmaf->lock);
  gst_buffer_unmap (buffer, &map);
  return GST_FLOW_OK;
}

/* The track's end: its last segment is complete. */
static void
eos (GstAppSink *appsink, gpointer data)
{
  Sink *sink = data;

  g_mutex_lock (&sink->cmaf->lock);
  close_segment (sink->cmaf, sink->track);
  sink->track->ended = TRUE;
  write_manifests (sink->cmaf, sink->track);
  g_mutex_unlock (&sink->cmaf->lock);
}

/* What the track is, for the manifests: from the caps mp4mux is given. */
static void
describe (CmafTrack *track, GstCaps *caps)
{
  GstStructure *s = gst_caps_get_structure (caps, 0);

  g_free (track->codecs);
  track->codecs = gst_codec_utils_caps_get_mime_codec (caps);
  gst_structure_get_int (s, "width", &track->width);
  gst_structure_get_int (s, "height", &track->height);
  gst_structure_get_int (s, "rate", &track->rate);
  gst_structure_get_int (s, "channels", &track->channels);
}

/* What the track is, from the caps mp4mux is given. */
static GstPadProbeReturn
watch_caps (GstPad *pad, GstPadProbeInfo *info, gpointer data)
{
  Sink *sink = data;
  GstEvent *event = GST_PAD_PROBE_INFO_EVENT (info);
  GstCaps *caps = NULL;

  if (GST_EVENT_TYPE (event) != GST_EVENT_CAPS)
    return GST_PAD_PROBE_OK;
  gst_event_parse_caps (event, &caps);
  g_mutex_lock (&sink->cmaf->lock);
  describe (sink->track, caps);
  g_mutex_unlock (&sink->cmaf->lock);
  return GST_PAD_PROBE_OK;
}

/* A buffer's running time (its decoding time's); NONE if unknown. */
static GstClockTime
running_time (GstPad *pad, GstBuffer *buffer)
{
  GstClockTime time = GST_BUFFER_DTS_IS_VALID (buffer)
                          ? GST_BUFFER_DTS (buffer)
                          : GST_BUFFER_PTS (buffer);
  g_autoptr (GstEvent) event
      = gst_pad_get_sticky_event (pad, GST_EVENT_SEGMENT, 0);
  const GstSegment *segment = NULL;

  if (event)
    gst_event_parse_segment (event, &segment);
  if (segment == NULL || segment->format != GST_FORMAT_TIME
      || !GST_CLOCK_TIME_IS_VALID (time))
    return GST_CLOCK_TIME_NONE;
  return gst_segment_to_running_time (segment, GST_FORMAT_TIME, time);
}

/* What enters mp4mux: the first buffer's running time, where the track
 * starts on the stream's timeline (mp4mux starts each track's decode
 * times at 0); and the latest key frame's, which ends the fragment before
 * it (add_fragment). */
static GstPadProbeReturn
watch_buffers (GstPad *pad, GstPadProbeInfo *info, gpointer data)
{
  Sink *sink = data;
  GstBuffer *buffer = GST_PAD_PROBE_INFO_BUFFER (info);
  gboolean key = !GST_BUFFER_FLAG_IS_SET (buffer, GST_BUFFER_FLAG_DELTA_UNIT);
  GstClockTime time;

  if (!key && sink->track->started)
    return GST_PAD_PROBE_OK;
  time = running_time (pad, buffer);
  g_mutex_lock (&sink->cmaf->lock);
  if (!sink->track->started)
    {
      sink->track->started = TRUE;
      sink->track->start = GST_CLOCK_TIME_IS_VALID (time) ? time : 0;
    }
  if (key)
    sink->track->key_time = time;
  g_mutex_unlock (&sink->cmaf->lock);
  return GST_PAD_PROBE_OK;
}

static GstElement *
make (GstBin *bin, const char *factory, GError **error)
{
  GstElement *element = gst_element_factory_make (factory, NULL);

  if (element == NULL)
    {
      g_set_error (error, TG_ERROR, TG_ERROR_FAILED,
                   "GStreamer element %s is missing (install its plugin)",
                   factory);
      return NULL;
    }
  gst_bin_add (bin, element);
  return element;
}

/* Adds the branch of t to bin, fed from a new pad of tee: its parser,
 * mp4mux and appsink, in the bin's state. */
static gboolean
add_branch (TgCmaf *cmaf, GstBin *bin, GstElement *tee, CmafTrack *t,
            GError **error)
{
  GstElement *parser, *mux, *sink;
  GstAppSinkCallbacks callbacks = { .eos = eos, .new_sample = new_sample };
  Sink *data;
  g_autoptr (GstPad) from = NULL;
  g_autoptr (GstPad) in = NULL;
  g_autoptr (GstPad) mux_in = NULL;

  /* made with the first track: a publisher refused before its media
   * leaves none. Without them the stream goes on without DASH. */
  if (g_mkdir_with_parents (cmaf->media_dir, 0755) != 0
      || g_mkdir_with_parents (cmaf->ll_dir, 0755) != 0)
    {
      int saved = errno;

      g_mutex_lock (&cmaf->lock);
      if (cmaf->write_failures++ == 0)
        g_message ("%s: no DASH or LL-HLS: could not make %s: %s",
                   cmaf->stream_id, cmaf->media_dir, g_strerror (saved));
      g_mutex_unlock (&cmaf->lock);
      return TRUE;
    }
  parser = make (bin, t->video ? "h264parse" : "aacparse", error);
  mux = parser ? make (bin, "mp4mux", error) : NULL;
  sink = mux ? make (bin, "appsink", error) : NULL;
  if (sink == NULL)
    return FALSE;
  g_object_set (mux, "fragment-duration", (guint) TG_CMAF_PART_MS, "streamable",
                TRUE, NULL);
  g_object_set (sink, "sync", FALSE, "async", FALSE, NULL);
  if (!gst_element_link_many (parser, mux, sink, NULL))
    {
      g_set_error (error, TG_ERROR, TG_ERROR_FAILED,
                   "cannot link the CMAF branch");
      return FALSE;
    }
  data = g_new0 (Sink, 1);
  data->cmaf = cmaf;
  data->track = t;
  gst_app_sink_set_callbacks (GST_APP_SINK (sink), &callbacks, data, g_free);
  in = gst_element_get_static_pad (parser, "src");
  mux_in = gst_pad_get_peer (in);
  gst_clear_object (&in);
  gst_pad_add_probe (mux_in, GST_PAD_PROBE_TYPE_EVENT_DOWNSTREAM, watch_caps,
                     data, NULL);
  gst_pad_add_probe (mux_in, GST_PAD_PROBE_TYPE_BUFFER, watch_buffers, data,
                     NULL);
  g_mutex_lock (&cmaf->lock);
  t->used = TRUE;
  g_mutex_unlock (&cmaf->lock);
  in = gst_element_get_static_pad (parser, "sink");
  from = gst_element_request_pad_simple (tee, "src_%u");
  if (gst_pad_link (from, in) != GST_PAD_LINK_OK)
    {
      g_set_error (error, TG_ERROR, TG_ERROR_FAILED,
                   "cannot link a track to its CMAF branch");
      return FALSE;
    }
  gst_element_sync_state_with_parent (sink);
  gst_element_sync_state_with_parent (mux);
  gst_element_sync_state_with_parent (parser);
  tg_mp4mux_pin_caps (mux, cmaf->stream_id);
  return TRUE;
}

gboolean
tg_cmaf_add_track (TgCmaf *cmaf, GstBin *bin, GstElement *tee, guint track,
                   GError **error)
{
  if (track > 1 || cmaf->tracks[track].used)
    return TRUE;
  return add_branch (cmaf, bin, tee, &cmaf->tracks[track], error);
}

gboolean
tg_cmaf_add_rung (TgCmaf *cmaf, GstBin *bin, GstElement *tee, guint height,
                  guint kbps, GError **error)
{
  for (guint t = 2; t < CMAF_TRACKS; t++)
    if (!cmaf->tracks[t].used)
      {
        cmaf->tracks[t].video = TRUE;
        cmaf->tracks[t].rung_height = height;
        cmaf->tracks[t].rung_kbps = kbps;
        return add_branch (cmaf, bin, tee, &cmaf->tracks[t], error);
      }
  g_set_error (error, TG_ERROR, TG_ERROR_FAILED,
               "more rungs than CMAF packages (%d)", CMAF_TRACKS - 2);
  return FALSE;
}

/* --- the packager --- */

TgCmaf *
tg_cmaf_new (const TgCmafSpec *spec)
{
  TgCmaf *cmaf = g_new0 (TgCmaf, 1);

  cmaf->stream_id = g_strdup (spec->stream_id);
  cmaf->media_dir = g_build_filename (spec->dir, spec->stream_id, NULL);
  cmaf->ll_dir = g_build_filename (spec->dir, "ll-hls", spec->stream_id, NULL);
  cmaf->segment_time = spec->segment_time > 0 ? spec->segment_time : 2;
  cmaf->list_size = MAX (spec->list_size, 3);
  g_mutex_init (&cmaf->lock);
  for (guint t = 0; t < CMAF_TRACKS; t++)
    {
      CmafTrack *track = &cmaf->tracks[t];

      track->index = t;
      track->video = t == 0;
      track->key_time = GST_CLOCK_TIME_NONE;
      track->pending = g_byte_array_new ();
      track->init = g_byte_array_new ();
      track->moof = g_byte_array_new ();
      track->current = g_byte_array_new ();
      g_queue_init (&track->segments);
    }
  return cmaf;
}

/* Removes every file of a folder we made, then the folder. */
static void
remove_folder (const char *path)
{
  g_autoptr (GDir) dir = g_dir_open (path, 0, NULL);
  const char *name;

  while (dir && (name = g_dir_read_name (dir)))
    remove_file (path, name);
  g_rmdir (path);
}

void
tg_cmaf_end (TgCmaf *cmaf, gboolean remove)
{
  g_autofree char *ll_parent = NULL;

  g_mutex_lock (&cmaf->lock);
  cmaf->ended = TRUE;
  if (cmaf->write_failures > 1)
    g_message ("%s: %u CMAF files could not be written", cmaf->stream_id,
               cmaf->write_failures);
  if (!remove)
    write_manifests (cmaf, NULL);
  g_mutex_unlock (&cmaf->lock);
  if (!remove)
    return;
  /* LL-HLS first: the MPD's folder gone says that all is */
  remove_folder (cmaf->ll_dir);
  ll_parent = g_path_get_dirname (cmaf->ll_dir);
  g_rmdir (ll_parent); /* if no other stream uses it */
  remove_folder (cmaf->media_dir);
}

void
tg_cmaf_free (TgCmaf *cmaf)
{
  if (cmaf == NULL)
    return;
  for (guint t = 0; t < CMAF_TRACKS; t++)
    {
      CmafTrack *track = &cmaf->tracks[t];

      g_free (track->codecs);
      g_byte_array_unref (track->pending);
      g_byte_array_unref (track->init);
      g_byte_array_unref (track->moof);
      g_byte_array_unref (track->current);
      g_clear_pointer (&track->open, segment_free);
      g_queue_clear_full (&track->segments, (GDestroyNotify) segment_free);
    }
  g_mutex_clear (&cmaf->lock);
  g_free (cmaf->stream_id);
  g_free (cmaf->master);
  g_free (cmaf->media_dir);
  g_free (cmaf->ll_dir);
  g_free (cmaf);
}
