/* The DASH manifest of a CMAF-packaged stream: {id}.mpd, one
 * AdaptationSet per track, SegmentTemplate with a SegmentTimeline (the
 * segments last from key frame to key frame, so no two need be equal);
 * dynamic while live, static once the stream has ended. */
#include "tg-cmaf-private.h"

static void
append_duration (GString *out, const char *name, double seconds)
{
  g_string_append_printf (out, " %s=\"PT%.3fS\"", name, seconds);
}

static void
append_time (GString *out, const char *name, gint64 real_time)
{
  g_autofree char *text = tg_cmaf_format_time (real_time);

  g_string_append_printf (out, " %s=\"%s\"", name, text);
}

/* The segments listed: the newest list_size. */
static GList *
listed (TgCmaf *cmaf, const CmafTrack *track)
{
  GList *first = track->segments.tail;

  for (guint n = 1; first && first->prev && n < cmaf->list_size; n++)
    first = first->prev;
  return first;
}

static void
append_timeline (GString *out, TgCmaf *cmaf, const CmafTrack *track)
{
  GList *first = listed (cmaf, track);
  const CmafSegment *head = first->data;
  g_autofree char *init = tg_cmaf_init_name (track);

  g_string_append_printf (
      out,
      "      <SegmentTemplate timescale=\"%u\" initialization=\"%s\" "
      "media=\"chunk-stream%u-$Number%%09d$.m4s\" startNumber=\"%u\">\n"
      "        <SegmentTimeline>\n",
      track->box.timescale, init, track->index, head->number);
  for (GList *l = first; l; l = l->next)
    {
      const CmafSegment *segment = l->data;

      g_string_append_printf (out,
                              "          <S t=\"%" G_GUINT64_FORMAT
                              "\" d=\"%" G_GUINT64_FORMAT "\"/>\n",
                              segment->start, segment->duration);
    }
  g_string_append (out, "        </SegmentTimeline>\n"
                        "      </SegmentTemplate>\n");
}

static void
append_track (GString *out, TgCmaf *cmaf, const CmafTrack *track)
{
  gboolean video = track->index == 0;

  g_string_append_printf (
      out,
      "    <AdaptationSet id=\"%u\" contentType=\"%s\" mimeType=\"%s\" "
      "segmentAlignment=\"true\" startWithSAP=\"1\">\n"
      "      <Representation id=\"%u\" codecs=\"%s\" "
      "bandwidth=\"%" G_GUINT64_FORMAT "\"",
      track->index, video ? "video" : "audio",
      video ? "video/mp4" : "audio/mp4", track->index,
      track->codecs ? track->codecs : (video ? "avc1" : "mp4a.40.2"),
      MAX (track->bandwidth, 1));
  if (video && track->width > 0 && track->height > 0)
    g_string_append_printf (out, " width=\"%d\" height=\"%d\"", track->width,
                            track->height);
  if (!video && track->rate > 0)
    g_string_append_printf (out, " audioSamplingRate=\"%d\"", track->rate);
  g_string_append (out, ">\n");
  if (!video && track->channels > 0)
    g_string_append_printf (
        out,
        "      <AudioChannelConfiguration schemeIdUri=\"urn:mpeg:dash:23003:"
        "3:audio_channel_configuration:2011\" value=\"%d\"/>\n",
        track->channels);
  append_timeline (out, cmaf, track);
  g_string_append (out, "      </Representation>\n"
                        "    </AdaptationSet>\n");
}

/* The newest end of a segment on the timeline, and the longest segment,
 * in seconds. */
static void
measure (TgCmaf *cmaf, double *end, double *longest)
{
  *end = *longest = 0;
  for (guint t = 0; t < CMAF_TRACKS; t++)
    {
      const CmafTrack *track = &cmaf->tracks[t];

      if (!track->used)
        continue;
      for (GList *l = track->segments.head; l; l = l->next)
        {
          const CmafSegment *segment = l->data;
          double scale = track->box.timescale;

          *end = MAX (*end, (segment->start + segment->duration) / scale);
          *longest = MAX (*longest, segment->duration / scale);
        }
    }
}

char *
tg_cmaf_mpd (TgCmaf *cmaf)
{
  GString *out = g_string_new ("<?xml version=\"1.0\" encoding=\"utf-8\"?>\n"
                               "<MPD xmlns=\"urn:mpeg:dash:schema:mpd:2011\" "
                               "profiles=\"urn:mpeg:dash:profile:isoff-live:"
                               "2011,urn:mpeg:dash:profile:cmaf:2019\"");
  double end, longest;

  measure (cmaf, &end, &longest);
  if (cmaf->ended)
    {
      g_string_append (out, " type=\"static\"");
      append_duration (out, "mediaPresentationDuration", end);
    }
  else
    {
      g_string_append (out, " type=\"dynamic\"");
      append_time (out, "availabilityStartTime", cmaf->availability_start);
      append_time (out, "publishTime", g_get_real_time ());
      append_duration (out, "minimumUpdatePeriod", cmaf->segment_time);
      append_duration (out, "timeShiftBufferDepth",
                       cmaf->segment_time * cmaf->list_size);
      append_duration (out, "suggestedPresentationDelay",
                       2 * cmaf->segment_time);
    }
  append_duration (out, "maxSegmentDuration", longest);
  append_duration (out, "minBufferTime", cmaf->segment_time);
  g_string_append (out, ">\n  <Period id=\"0\" start=\"PT0S\">\n");
  for (guint t = 0; t < CMAF_TRACKS; t++)
    if (cmaf->tracks[t].used)
      append_track (out, cmaf, &cmaf->tracks[t]);
  g_string_append (out, "  </Period>\n");
  if (!cmaf->ended)
    {
      /* players set their clocks by ours, not by a time server */
      g_autofree char *text = tg_cmaf_format_time (g_get_real_time ());

      g_string_append_printf (out,
                              "  <UTCTiming schemeIdUri=\"urn:mpeg:dash:utc:"
                              "direct:2014\" value=\"%s\"/>\n",
                              text);
    }
  g_string_append (out, "</MPD>\n");
  return g_string_free (out, FALSE);
}
