/* The LL-HLS playlists of a CMAF-packaged stream, in ll-hls/{id}/: a
 * master naming one media playlist per track (the audio as a rendition of
 * the video), each listing segments and, for the newest, their parts
 * (EXT-X-PART), the part being made (EXT-X-PRELOAD-HINT), and the server's
 * promise to hold a reload until a part exists (CAN-BLOCK-RELOAD). The
 * media files are the DASH ones: ../../{id}/. */
#include "tg-cmaf-private.h"

#include <math.h>

/* Segments at the end whose parts are listed (the spec asks for those
 * within three target durations of the end). */
#define PARTS_LISTED 3

char *
tg_cmaf_hls_name (TgCmaf *cmaf, const CmafTrack *track)
{
  if (track == NULL)
    return g_strdup_printf ("%s__master.m3u8", cmaf->stream_id);
  return g_strdup_printf ("%s__%s.m3u8", cmaf->stream_id,
                          track->index == 0 ? "video" : "audio");
}

static const CmafTrack *
used (TgCmaf *cmaf, guint index)
{
  return cmaf->tracks[index].used ? &cmaf->tracks[index] : NULL;
}

char *
tg_cmaf_hls_master (TgCmaf *cmaf)
{
  const CmafTrack *video = used (cmaf, 0), *audio = used (cmaf, 1);
  const CmafTrack *main = video ? video : audio;
  GString *out = g_string_new ("#EXTM3U\n#EXT-X-VERSION:9\n"
                               "#EXT-X-INDEPENDENT-SEGMENTS\n");
  g_autofree char *main_name = tg_cmaf_hls_name (cmaf, main);
  guint64 bandwidth = main->bandwidth;
  g_autofree char *codecs = g_strdup (main->codecs ? main->codecs : "");

  if (video && audio)
    {
      g_autofree char *audio_name = tg_cmaf_hls_name (cmaf, audio);
      char *both = g_strdup_printf ("%s,%s", codecs,
                                    audio->codecs ? audio->codecs : "");

      g_free (codecs);
      codecs = both;
      bandwidth += audio->bandwidth;
      g_string_append_printf (out,
                              "#EXT-X-MEDIA:TYPE=AUDIO,GROUP-ID=\"audio\","
                              "NAME=\"audio\",DEFAULT=YES,AUTOSELECT=YES,"
                              "URI=\"%s\"\n",
                              audio_name);
    }
  g_string_append_printf (
      out, "#EXT-X-STREAM-INF:BANDWIDTH=%" G_GUINT64_FORMAT ",CODECS=\"%s\"",
      MAX (bandwidth, 1), codecs);
  if (video && video->width > 0 && video->height > 0)
    g_string_append_printf (out, ",RESOLUTION=%dx%d", video->width,
                            video->height);
  if (video && audio)
    g_string_append (out, ",AUDIO=\"audio\"");
  g_string_append_printf (out, "\n%s\n", main_name);
  return g_string_free (out, FALSE);
}

/* A media file's URI from ll-hls/{id}/. */
static char *
uri_of (TgCmaf *cmaf, char *name)
{
  char *uri = g_strdup_printf ("../../%s/%s", cmaf->stream_id, name);

  g_free (name);
  return uri;
}

static void
append_parts (GString *out, TgCmaf *cmaf, const CmafTrack *track,
              const CmafSegment *segment)
{
  for (guint p = 0; p < segment->parts->len; p++)
    {
      const CmafPart *part = &g_array_index (segment->parts, CmafPart, p);
      g_autofree char *uri
          = uri_of (cmaf, tg_cmaf_part_name (track, segment->number, p));

      g_string_append_printf (out, "#EXT-X-PART:DURATION=%.5f,URI=\"%s\"%s\n",
                              (double) part->duration / track->box.timescale,
                              uri, part->independent ? ",INDEPENDENT=YES" : "");
    }
}

static void
append_date (GString *out, TgCmaf *cmaf, const CmafTrack *track,
             const CmafSegment *segment)
{
  gint64 at
      = cmaf->availability_start
        + (gint64) (segment->start * G_USEC_PER_SEC / track->box.timescale);
  g_autofree char *text = tg_cmaf_format_time (at);

  g_string_append_printf (out, "#EXT-X-PROGRAM-DATE-TIME:%s\n", text);
}

/* Seconds of the longest segment, at least the segment time, rounded
 * (what the spec compares segment durations with, rounded too). */
static guint
target_duration (TgCmaf *cmaf, const CmafTrack *track)
{
  double longest = cmaf->segment_time;

  for (GList *l = track->segments.head; l; l = l->next)
    longest = MAX (longest, (double) ((CmafSegment *) l->data)->duration
                                / track->box.timescale);
  return (guint) MAX (1, lround (longest));
}

char *
tg_cmaf_hls_media (TgCmaf *cmaf, const CmafTrack *track)
{
  GString *out = g_string_new ("#EXTM3U\n#EXT-X-VERSION:9\n");
  GList *first = track->segments.tail;
  guint listed = 1, next_part = 0, next_number, sequence;
  g_autofree char *init = uri_of (cmaf, tg_cmaf_init_name (track));
  g_autofree char *hint = NULL;

  for (; first && first->prev && listed < cmaf->list_size; listed++)
    first = first->prev;
  /* the first segment listed, or the one being made */
  sequence = first         ? ((CmafSegment *) first->data)->number
             : track->open ? track->open->number
                           : track->next_number + 1;
  g_string_append_printf (out,
                          "#EXT-X-TARGETDURATION:%u\n"
                          "#EXT-X-PART-INF:PART-TARGET=%.3f\n",
                          target_duration (cmaf, track),
                          TG_CMAF_PART_MS / 1000.0);
  if (!cmaf->ended)
    g_string_append_printf (out,
                            "#EXT-X-SERVER-CONTROL:CAN-BLOCK-RELOAD=YES,"
                            "PART-HOLD-BACK=%.3f\n",
                            3 * TG_CMAF_PART_MS / 1000.0);
  g_string_append_printf (out,
                          "#EXT-X-MEDIA-SEQUENCE:%u\n"
                          "#EXT-X-MAP:URI=\"%s\"\n",
                          sequence, init);
  for (GList *l = first; l; l = l->next, listed--)
    {
      const CmafSegment *segment = l->data;
      g_autofree char *uri
          = uri_of (cmaf, tg_cmaf_segment_name (track, segment->number));

      append_date (out, cmaf, track, segment);
      if (!cmaf->ended && listed <= PARTS_LISTED)
        append_parts (out, cmaf, track, segment);
      g_string_append_printf (out, "#EXTINF:%.5f,\n%s\n",
                              (double) segment->duration / track->box.timescale,
                              uri);
    }
  if (cmaf->ended)
    {
      g_string_append (out, "#EXT-X-ENDLIST\n");
      return g_string_free (out, FALSE);
    }
  next_number = track->next_number + 1;
  if (track->open)
    {
      append_date (out, cmaf, track, track->open);
      append_parts (out, cmaf, track, track->open);
      next_number = track->open->number;
      next_part = track->open->parts->len;
    }
  hint = uri_of (cmaf, tg_cmaf_part_name (track, next_number, next_part));
  g_string_append_printf (out, "#EXT-X-PRELOAD-HINT:TYPE=PART,URI=\"%s\"\n",
                          hint);
  return g_string_free (out, FALSE);
}
