/* The HLS muxer (tg-ts-mux.c) and its packets (tg-ts-packets.c): every
 * packet well formed, PES payloads intact at every stuffing boundary, and
 * what the muxer writes from ffmpeg's own FLV (H.264 High with B-frames,
 * AAC at 48 kHz) read back by GStreamer's tsdemux, segment by segment,
 * as hlssink cuts it. */
#include "ffmpeg-media.h"
#include "tg-ts-mux.h"
#include "tg-ts-packets.h"

#include <gst/app/gstappsrc.h>
#include <gst/gst.h>
#include <string.h>

/* --- packets --- */

static guint16
pid_of (const guint8 *packet)
{
  return (packet[1] & 0x1f) << 8 | packet[2];
}

/* A PSI packet's section, CRC checked (a whole section's CRC is 0). */
static void
check_section (const guint8 *packet, guint8 table)
{
  const guint8 *section = packet + 5;
  gsize length = ((section[1] & 0x0f) << 8 | section[2]) + 3;

  g_assert_cmpuint (packet[0], ==, 0x47);
  g_assert_true (packet[1] & 0x40);
  g_assert_cmpuint (packet[4], ==, 0);
  g_assert_cmpuint (section[0], ==, table);
  g_assert_cmpuint (length, <=, TG_TS_PACKET - 5);
  g_assert_cmpuint (tg_ts_crc32 (section, length), ==, 0);
}

static void
test_psi (void)
{
  TgTsProgram program = {
    .tracks = { { .pid = 0x100, .codec = TG_TS_H264 },
                { .pid = 0x101, .codec = TG_TS_AAC } },
    .n_tracks = 2,
    .pcr_pid = 0x100,
  };
  guint8 out[TG_TS_PSI_SIZE];
  const guint8 *pmt = out + TG_TS_PACKET + 5;

  for (guint round = 0; round < 20; round++)
    {
      tg_ts_write_psi (&program, out);
      check_section (out, 0x00);
      check_section (out + TG_TS_PACKET, 0x02);
      g_assert_cmpuint (pid_of (out), ==, 0);
      /* the PAT names the PMT's PID */
      g_assert_cmpuint ((out[15] & 0x1f) << 8 | out[16], ==,
                        pid_of (out + TG_TS_PACKET));
      g_assert_cmpuint (out[3] & 0x0f, ==, round % 16);
    }
  g_assert_cmpuint ((pmt[8] & 0x1f) << 8 | pmt[9], ==, 0x100);
  g_assert_cmpuint (pmt[12], ==, 0x1b);
  g_assert_cmpuint ((pmt[13] & 0x1f) << 8 | pmt[14], ==, 0x100);
  g_assert_cmpuint (pmt[17], ==, 0x0f);
  g_assert_cmpuint ((pmt[18] & 0x1f) << 8 | pmt[19], ==, 0x101);
}

static gint64
read_timestamp (const guint8 *p)
{
  return (gint64) (p[0] >> 1 & 0x07) << 30 | p[1] << 22 | (p[2] >> 1) << 15
         | p[3] << 7 | p[4] >> 1;
}

/* Reads back what tg_ts_write_pes wrote: checks every packet and returns
 * the PES payload; *pcr gets the PCR (27 MHz) or TG_TS_NONE. */
static GByteArray *
read_pes (const guint8 *out, gsize size, guint16 pid, guint8 *cc,
          const TgTsFrame *frame, gint64 *pcr)
{
  GByteArray *pes = g_byte_array_new ();
  gsize header;

  *pcr = TG_TS_NONE;
  g_assert_cmpuint (size % TG_TS_PACKET, ==, 0);
  for (gsize off = 0; off < size; off += TG_TS_PACKET)
    {
      const guint8 *p = out + off;
      gsize start = 4;

      g_assert_cmpuint (p[0], ==, 0x47);
      g_assert_cmpuint (pid_of (p), ==, pid);
      g_assert_cmpuint (!!(p[1] & 0x40), ==, off == 0);
      g_assert_cmpuint (p[3] & 0x0f, ==, *cc);
      *cc = (*cc + 1) & 0x0f;
      g_assert_true (p[3] & 0x10); /* payload in every packet */
      if (p[3] & 0x20)
        {
          start = 5 + p[4];
          g_assert_cmpuint (start, <, TG_TS_PACKET);
          if (p[4] > 0)
            {
              g_assert_cmpuint (!!(p[5] & 0x40), ==, off == 0 && frame->key);
              if (p[5] & 0x10)
                *pcr = ((gint64) p[6] << 25 | p[7] << 17 | p[8] << 9 | p[9] << 1
                        | p[10] >> 7)
                           * 300
                       + ((p[10] & 1) << 8 | p[11]);
            }
        }
      g_byte_array_append (pes, p + start, TG_TS_PACKET - start);
    }
  g_assert_cmpuint (pes->len, >=, 9);
  g_assert_cmpmem (pes->data, 3, "\0\0\1", 3);
  header = 9 + pes->data[8];
  if (frame->pts != TG_TS_NONE)
    g_assert_cmpint (read_timestamp (pes->data + 9), ==, frame->pts);
  if (frame->dts != TG_TS_NONE && frame->dts != frame->pts)
    g_assert_cmpint (read_timestamp (pes->data + 14), ==, frame->dts);
  if (pes->data[4] || pes->data[5])
    g_assert_cmpuint (pes->data[4] << 8 | pes->data[5], ==, pes->len - 6);
  g_byte_array_remove_range (pes, 0, header);
  return pes;
}

/* Every payload size around the packet boundaries, with and without a
 * PCR, key flag, DTS and prefix: the payload comes back byte for byte. */
static void
test_pes_sizes (void)
{
  guint8 data[1200], prefix[7] = { 1, 2, 3, 4, 5, 6, 7 };
  TgTsTrack track = { .pid = 0x101, .codec = TG_TS_AAC };
  guint8 cc = 0;

  for (gsize i = 0; i < sizeof data; i++)
    data[i] = i * 7 + 3;
  for (guint variant = 0; variant < 8; variant++)
    for (gsize size = 0; size < sizeof data; size++)
      {
        TgTsFrame frame = {
          .prefix = variant & 4 ? prefix : NULL,
          .prefix_size = variant & 4 ? sizeof prefix : 0,
          .data = data,
          .size = size,
          .pts = 8589934592 - 5 + size, /* past 2^33: wraps */
          .dts = variant & 2 ? (gint64) size : TG_TS_NONE,
          .pcr = variant & 1 ? (gint64) size * 300 + 17 : TG_TS_NONE,
          .key = variant & 1,
        };
        gsize bytes = tg_ts_pes_size (&track, &frame);
        g_autofree guint8 *out = g_malloc (bytes);
        g_autoptr (GByteArray) pes = NULL;
        gint64 pcr;

        frame.pts &= (G_GINT64_CONSTANT (1) << 33) - 1;
        tg_ts_write_pes (&track, &frame, out);
        pes = read_pes (out, bytes, 0x101, &cc, &frame, &pcr);
        g_assert_cmpint (pcr, ==, frame.pcr);
        g_assert_cmpuint (pes->len, ==, frame.prefix_size + size);
        g_assert_cmpmem (pes->data, frame.prefix_size, prefix,
                         frame.prefix_size);
        g_assert_cmpmem (pes->data + frame.prefix_size, size, data, size);
        /* not a packet more than needed: the PES header (PTS, maybe a
         * DTS) and the first packet's adaptation field (PCR, or flags) */
        gsize need = 14 + (variant & 2 ? 5 : 0) + frame.prefix_size + size
                     + (variant & 1 ? 8 : 0);
        g_assert_cmpuint (bytes, ==, TG_TS_PACKET * ((need + 183) / 184));
      }
}

static void
test_adts (void)
{
  const guint8 lc_48k_stereo[2] = { 0x11, 0x90 };
  const guint8 he_explicit[2] = { 0x2b, 0x10 }; /* object 5, 24 kHz core */
  const guint8 rate_escape[2] = { 0x17, 0x80 };
  const guint8 object_31[2] = { 0xf9, 0x90 };
  guint8 h[7];

  g_assert_true (tg_ts_adts_header (lc_48k_stereo, 371, h));
  g_assert_cmpuint (h[0], ==, 0xff);
  g_assert_cmpuint (h[1], ==, 0xf1);
  g_assert_cmpuint (h[2] >> 6, ==, 1);        /* LC */
  g_assert_cmpuint (h[2] >> 2 & 0x0f, ==, 3); /* 48 kHz */
  g_assert_cmpuint ((h[2] & 1) << 2 | h[3] >> 6, ==, 2);
  g_assert_cmpuint ((h[3] & 3) << 11 | h[4] << 3 | h[5] >> 5, ==, 378);
  g_assert_true (tg_ts_adts_header (he_explicit, 10, h));
  g_assert_cmpuint (h[2] >> 6, ==, 1);
  g_assert_false (tg_ts_adts_header (rate_escape, 10, h));
  g_assert_false (tg_ts_adts_header (object_31, 10, h));
  g_assert_true (tg_ts_adts_header (lc_48k_stereo, 8184, h));
  g_assert_false (tg_ts_adts_header (lc_48k_stereo, 8185, h));
}

/* --- the element --- */

typedef struct
{
  guint video, audio, key;
  gboolean starts_on_key;
} Count;

static GstPadProbeReturn
count_buffer (GstPad *pad, GstPadProbeInfo *info, gpointer data)
{
  Count *count = data;
  GstBuffer *buffer = GST_PAD_PROBE_INFO_BUFFER (info);
  GstCaps *caps = gst_pad_get_current_caps (pad);
  gboolean video = gst_structure_has_name (gst_caps_get_structure (caps, 0),
                                           "video/x-h264");

  gst_caps_unref (caps);
  if (video && count->video == 0)
    count->starts_on_key
        = !GST_BUFFER_FLAG_IS_SET (buffer, GST_BUFFER_FLAG_DELTA_UNIT);
  if (video)
    count->key += !GST_BUFFER_FLAG_IS_SET (buffer, GST_BUFFER_FLAG_DELTA_UNIT);
  *(video ? &count->video : &count->audio) += 1;
  return GST_PAD_PROBE_OK;
}

/* Each track tsdemux finds into a fakesink, video through h264parse
 * (which marks the key frames). */
static void
demux_pad (GstElement *demux, GstPad *pad, gpointer data)
{
  GstElement *pipeline = GST_ELEMENT (gst_element_get_parent (demux));
  g_autoptr (GstCaps) caps = gst_pad_get_current_caps (pad);
  gboolean video = gst_structure_has_name (gst_caps_get_structure (caps, 0),
                                           "video/x-h264");
  GstElement *bin = gst_parse_bin_from_description (
      video ? "h264parse ! fakesink name=sink sync=false async=false"
            : "fakesink name=sink sync=false async=false",
      TRUE, NULL);
  g_autoptr (GstElement) sink = gst_bin_get_by_name (GST_BIN (bin), "sink");
  g_autoptr (GstPad) probed = gst_element_get_static_pad (sink, "sink");
  g_autoptr (GstPad) sinkpad = gst_element_get_static_pad (bin, "sink");

  gst_bin_add (GST_BIN (pipeline), bin);
  gst_pad_add_probe (probed, GST_PAD_PROBE_TYPE_BUFFER, count_buffer, data,
                     NULL);
  g_assert_cmpint (gst_pad_link (pad, sinkpad), ==, GST_PAD_LINK_OK);
  gst_element_sync_state_with_parent (bin);
  gst_object_unref (pipeline);
}

static void
run_to_eos (GstElement *pipeline)
{
  g_autoptr (GstBus) bus = gst_element_get_bus (pipeline);
  g_autoptr (GstMessage) msg = NULL;

  g_assert_cmpint (gst_element_set_state (pipeline, GST_STATE_PLAYING), !=,
                   GST_STATE_CHANGE_FAILURE);
  msg = gst_bus_timed_pop_filtered (bus, 30 * GST_SECOND,
                                    GST_MESSAGE_EOS | GST_MESSAGE_ERROR);
  g_assert_nonnull (msg);
  if (GST_MESSAGE_TYPE (msg) == GST_MESSAGE_ERROR)
    {
      g_autoptr (GError) error = NULL;

      gst_message_parse_error (msg, &error, NULL);
      g_error ("%s", error->message);
    }
  gst_element_set_state (pipeline, GST_STATE_NULL);
}

/* What GStreamer's tsdemux reads in a segment file. */
static Count
read_segment (const char *path)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *text
      = g_strdup_printf ("filesrc location=\"%s\" ! tsdemux name=demux", path);
  g_autoptr (GstElement) pipeline = gst_parse_launch (text, &error);
  g_autoptr (GstElement) demux = NULL;
  Count count = { 0 };

  g_assert_no_error (error);
  demux = gst_bin_get_by_name (GST_BIN (pipeline), "demux");
  g_signal_connect (demux, "pad-added", G_CALLBACK (demux_pad), &count);
  run_to_eos (pipeline);
  return count;
}

/* ffmpeg's defaults for a publisher (H.264 High with B-frames, AAC at
 * 48 kHz), a key frame a second, for seconds s. */
static GBytes *
ffmpeg_flv (const char *seconds)
{
  const char *args[]
      = { "-f",         "lavfi", "-i",   "testsrc2=size=320x240:rate=30",
          "-f",         "lavfi", "-i",   "sine=frequency=440:sample_rate=48000",
          "-t",         seconds, "-c:v", "libx264",
          "-profile:v", "high",  "-bf",  "2",
          "-g",         "30",    "-c:a", "aac",
          "-f",         "flv",   NULL };

  return tg_test_ffmpeg (args);
}

/* Pushes flv into "appsrc name=src format=time ! flvdemux name=d" and
 * tracks, the rest of the description (the % of a printf format: dir
 * twice), and runs it to its end. */
static void
mux_flv (GBytes *flv, const char *tracks, const char *dir)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *rest = g_strdup_printf (tracks, dir, dir);
  g_autofree char *text = g_strconcat (
      "appsrc name=src format=time ! flvdemux name=d ", rest, NULL);
  g_autoptr (GstElement) pipeline = gst_parse_launch (text, &error);
  g_autoptr (GstElement) src = NULL;

  g_assert_no_error (error);
  src = gst_bin_get_by_name (GST_BIN (pipeline), "src");
  gst_app_src_push_buffer (GST_APP_SRC (src),
                           gst_buffer_new_wrapped_bytes (flv));
  gst_app_src_end_of_stream (GST_APP_SRC (src));
  run_to_eos (pipeline);
}

static void
test_hls_segments (void)
{
  g_autoptr (GBytes) flv = ffmpeg_flv ("5");
  g_autoptr (GError) error = NULL;
  g_autofree char *dir = g_dir_make_tmp ("tg-ts-mux-XXXXXX", &error);
  g_autofree char *playlist = NULL;
  g_autofree char *playlist_path = g_build_filename (dir, "p.m3u8", NULL);
  Count total = { 0 };
  guint segments = 0;

  g_assert_no_error (error);
  mux_flv (flv,
           "d.video ! queue ! h264parse config-interval=-1 ! mux. "
           "d.audio ! queue ! mux. "
           "tgtsmux name=mux ! hlssink target-duration=1 playlist-length=0 "
           "max-files=0 location=%s/s%%05d.ts playlist-location=%s/p.m3u8",
           dir);
  g_assert_true (g_file_get_contents (playlist_path, &playlist, NULL, NULL));
  g_assert_nonnull (strstr (playlist, "#EXT-X-ENDLIST"));
  for (guint i = 0;; i++)
    {
      g_autofree char *name = g_strdup_printf ("s%05u.ts", i);
      g_autofree char *path = g_build_filename (dir, name, NULL);
      g_autofree char *bytes = NULL;
      gsize size;
      Count count;

      if (!g_file_get_contents (path, &bytes, &size, NULL))
        break;
      g_assert_nonnull (strstr (playlist, name));
      /* whole packets, the PAT and PMT first */
      g_assert_cmpuint (size % TG_TS_PACKET, ==, 0);
      g_assert_cmpuint (pid_of ((guint8 *) bytes), ==, 0);
      g_assert_cmpuint (pid_of ((guint8 *) bytes + TG_TS_PACKET), ==, 0x1000);
      count = read_segment (path);
      /* each segment starts on a key frame */
      g_assert_true (count.starts_on_key);
      total.video += count.video;
      total.audio += count.audio;
      total.key += count.key;
      g_remove (path);
      segments++;
    }
  /* every frame: 5 s at 30 frames and 48000 / 1024 AAC frames a second */
  g_assert_cmpuint (total.video, ==, 150);
  g_assert_cmpuint (total.audio, >=, 234);
  g_assert_cmpuint (total.audio, <=, 236);
  g_assert_cmpuint (total.key, ==, 5);
  g_assert_cmpuint (segments, >=, 4);
  g_remove (playlist_path);
  g_rmdir (dir);
}

/* The packets ffprobe reads in a file (GStreamer's tsdemux does not take
 * a segment of a single frame, as an audio-only stream's last can be). */
static guint
ffprobe_packets (const char *path)
{
  const char *argv[] = { FFPROBE,
                         "-v",
                         "error",
                         "-count_packets",
                         "-show_entries",
                         "stream=nb_read_packets",
                         "-of",
                         "csv=p=0",
                         path,
                         NULL };
  g_autofree char *out = NULL;
  g_autoptr (GError) error = NULL;
  int status = 0;

  g_spawn_sync (NULL, (char **) argv, NULL, G_SPAWN_STDERR_TO_DEV_NULL, NULL,
                NULL, &out, NULL, &status, &error);
  g_assert_no_error (error);
  g_assert_cmpint (status, ==, 0);
  return (guint) g_ascii_strtoull (out, NULL, 10);
}

/* With no video, hlssink's requests are answered at the next audio frame:
 * an audio-only stream is cut into segments too. */
static void
test_audio_only_segments (void)
{
  const char *args[]
      = { "-f", "lavfi", "-i",   "sine=frequency=440:sample_rate=48000",
          "-t", "4",     "-c:a", "aac",
          "-f", "flv",   NULL };
  g_autoptr (GBytes) flv = tg_test_ffmpeg (args);
  g_autoptr (GError) error = NULL;
  g_autofree char *dir = g_dir_make_tmp ("tg-ts-mux-XXXXXX", &error);
  g_autoptr (GDir) files = NULL;
  const char *name;
  guint audio = 0, segments = 0;

  g_assert_no_error (error);
  mux_flv (flv,
           "d.audio ! queue ! tgtsmux ! hlssink target-duration=1 "
           "playlist-length=0 max-files=0 location=%s/a%%05d.ts "
           "playlist-location=%s/a.m3u8",
           dir);
  files = g_dir_open (dir, 0, &error);
  g_assert_no_error (error);
  while ((name = g_dir_read_name (files)))
    {
      g_autofree char *path = g_build_filename (dir, name, NULL);

      if (g_str_has_suffix (name, ".ts"))
        {
          audio += ffprobe_packets (path);
          segments++;
        }
      g_remove (path);
    }
  g_rmdir (dir);
  /* 4 s of 48000 / 1024 AAC frames a second, in a segment a second */
  g_assert_cmpuint (audio, >=, 186);
  g_assert_cmpuint (audio, <=, 189);
  g_assert_cmpuint (segments, >=, 3);
}

int
main (int argc, char **argv)
{
  gst_init (&argc, &argv);
  g_test_init (&argc, &argv, NULL);
  /* by name, for gst_parse_launch; the server makes it with tg_ts_mux_new */
  gst_element_register (NULL, "tgtsmux", GST_RANK_NONE, TG_TYPE_TS_MUX);
  g_test_add_func ("/ts/psi", test_psi);
  g_test_add_func ("/ts/pes-sizes", test_pes_sizes);
  g_test_add_func ("/ts/adts", test_adts);
  g_test_add_func ("/ts/hls-segments", test_hls_segments);
  g_test_add_func ("/ts/audio-only-segments", test_audio_only_segments);
  return g_test_run ();
}
