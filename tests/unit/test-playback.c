/* Playback sessions: stream ids from file names, session keys, playlist and
 * manifest rewriting, byte ranges and the server secret. */
#include "tg-http-streams.h"
#include "tg-playback.h"
#include "tg-secret.h"

#include <glib/gstdio.h>
#include <sys/stat.h>

static void
test_stream_id (void)
{
  const char *table[][3] = {
    /* folder, file, stream id (NULL: none) */
    { NULL, "s1.m3u8", "s1" },
    { NULL, "s1000000007.ts", "s1" },
    { NULL, "s1_adaptive.m3u8", "s1" },
    { NULL, "s1_480p1000kbps.m3u8", "s1" },
    { NULL, "s1_480p1000kbps000000003.ts", "s1" },
    { NULL, "s1_480p.m3u8", "s1" },
    { NULL, "s1_480p000000012.ts", "s1" },
    { NULL, "s1.mp4", "s1" },
    { NULL, "s1_1.mp4", "s1" },
    { NULL, "s1_12.mp4", "s1" },
    { NULL, "s1_480p.mp4", "s1" },
    { NULL, "s1_480p_2.mp4", "s1" },
    { "s1", "s1.mpd", "s1" },
    { "s1", "chunk-stream0-00001.m4s", "s1" },
    { "s1", "init-stream0.m4s", "s1" },
    /* ids with '_' and digits */
    { NULL, "my_stream_7.m3u8", "my_stream_7" },
    { NULL, "my_stream_7000000001.ts", "my_stream_7" },
    { NULL, "cam_2_720p2500kbps000000042.ts", "cam_2" },
    { NULL, "cam_2_adaptive.m3u8", "cam_2" },
    { NULL, "cam_2_1.mp4", "cam_2" },
    { NULL, "123.m3u8", "123" },
    { NULL, "123000000001.ts", "123" },
    { NULL, "s1000000007.m3u8", "s1000000007" },
    { NULL, "a.b.m3u8", "a.b" },
    { NULL, "x_p.m3u8", "x_p" },
    { NULL, "x_kbps.m3u8", "x_kbps" },
    { NULL, "x_480kbps.m3u8", "x_480kbps" },
    { NULL, "_480p.m3u8", "_480p" },
    { NULL, "_1.mp4", "_1" },
    { "cam_9", "cam_9.mpd", "cam_9" },
    /* no stream at all */
    { NULL, ".m3u8", NULL },
    { NULL, "000000001.ts", "000000001" },
    { "", "x.mpd", NULL },
  };

  for (guint i = 0; i < G_N_ELEMENTS (table); i++)
    {
      g_autofree char *id = tg_playback_stream_id (table[i][0], table[i][1]);

      g_test_message ("%s/%s -> %s", table[i][0] ? table[i][0] : "",
                      table[i][1], id ? id : "(none)");
      g_assert_cmpstr (id, ==, table[i][2]);
    }
}

static void
test_idle_timeout (void)
{
  const char *table[][3] = {
    /* hlsTime, hlsListSize, seconds */
    { "2", "15", "90" },  { "1", "5", "30" },   { "0.5", "3", "30" },
    { "10", "5", "150" }, { "2", "0", "90" },   { "10", "1000", "3600" },
    { "6", "2", "36" },   { "4.5", "3", "41" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (table); i++)
    {
      g_autoptr (TgSettings) settings = tg_settings_new_default ();

      g_free (settings->hls_time);
      g_free (settings->hls_list_size);
      settings->hls_time = g_strdup (table[i][0]);
      settings->hls_list_size = g_strdup (table[i][1]);
      g_assert_cmpint (tg_playback_idle_timeout (settings), ==,
                       g_ascii_strtoll (table[i][2], NULL, 10));
    }
}

static GBytes *
secret_of (guint8 fill)
{
  guint8 data[TG_SECRET_SIZE];

  memset (data, fill, sizeof data);
  return tg_secret_new (data, sizeof data, NULL);
}

#define NOW G_GINT64_CONSTANT (1800000000)

static void
test_key (void)
{
  g_autoptr (GBytes) secret = secret_of (7);
  g_autoptr (GBytes) other_secret = secret_of (8);
  g_autofree char *sid = tg_playback_session_id_new (NULL);
  g_autofree char *sid2 = tg_playback_session_id_new (NULL);
  g_autofree char *key
      = tg_playback_key_issue (secret, "LiveApp", "s1", sid, NOW + 90, 0);
  g_autofree char *got = NULL;
  gsize length = strlen (key);

  g_assert_cmpstr (sid, !=, sid2);
  g_assert_cmpuint (strlen (sid), ==, 16);
  g_assert_true (g_str_has_prefix (key, sid));
  for (const char *c = key; *c; c++)
    g_assert_true (g_ascii_isalnum (*c) || strchr ("-_.", *c));

  g_assert_true (
      tg_playback_key_verify (secret, "LiveApp", "s1", key, NOW, 0, &got));
  g_assert_cmpstr (got, ==, sid);
  g_assert_true (
      tg_playback_key_verify (secret, "LiveApp", "s1", key, NOW + 89, 0, NULL));

  /* expired */
  g_assert_false (
      tg_playback_key_verify (secret, "LiveApp", "s1", key, NOW + 90, 0, NULL));
  /* another stream, app, epoch or secret */
  g_assert_false (
      tg_playback_key_verify (secret, "LiveApp", "s2", key, NOW, 0, NULL));
  g_assert_false (
      tg_playback_key_verify (secret, "LiveApp", "s", key, NOW, 0, NULL));
  g_assert_false (
      tg_playback_key_verify (secret, "WebRTCAppEE", "s1", key, NOW, 0, NULL));
  g_assert_false (
      tg_playback_key_verify (secret, "LiveApp", "s1", key, NOW, 1, NULL));
  g_assert_false (tg_playback_key_verify (other_secret, "LiveApp", "s1", key,
                                          NOW, 0, NULL));

  /* tampering with any character */
  for (gsize i = 0; i < length; i++)
    {
      const char *replacements = "A0-._";

      for (const char *r = replacements; *r; r++)
        {
          g_autofree char *bad = g_strdup (key);

          if (bad[i] == *r)
            continue;
          bad[i] = *r;
          g_assert_false (tg_playback_key_verify (secret, "LiveApp", "s1", bad,
                                                  NOW, 0, NULL));
        }
    }
  /* truncated, extended, malformed */
  for (gsize i = 0; i < length; i++)
    {
      g_autofree char *cut = g_strndup (key, i);

      g_assert_false (
          tg_playback_key_verify (secret, "LiveApp", "s1", cut, NOW, 0, NULL));
    }
  {
    g_autofree char *longer = g_strconcat (key, "A", NULL);
    g_autofree char *dotted = g_strconcat (key, ".", NULL);
    g_autofree char *later = NULL;
    g_auto (GStrv) parts = g_strsplit (key, ".", -1);

    g_assert_false (
        tg_playback_key_verify (secret, "LiveApp", "s1", longer, NOW, 0, NULL));
    g_assert_false (
        tg_playback_key_verify (secret, "LiveApp", "s1", dotted, NOW, 0, NULL));
    /* a later expiry with the old MAC */
    later = g_strdup_printf ("%s.%" G_GINT64_FORMAT ".%s", parts[0],
                             NOW + 100000, parts[2]);
    g_assert_false (
        tg_playback_key_verify (secret, "LiveApp", "s1", later, NOW, 0, NULL));
  }
  g_assert_false (
      tg_playback_key_verify (secret, "LiveApp", "s1", NULL, NOW, 0, NULL));
  g_assert_false (
      tg_playback_key_verify (secret, "LiveApp", "s1", "", NOW, 0, NULL));
  g_assert_false (
      tg_playback_key_verify (secret, "LiveApp", "s1", "..", NOW, 0, NULL));
}

static void
test_revoke (void)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (TgStore) store = tg_store_open ("memory://", &error);
  g_autoptr (GBytes) secret = secret_of (1);
  TgServer server = { .store = store, .secret = secret };
  g_autofree char *key = NULL;
  gint64 epoch = -1;

  g_assert_no_error (error);
  g_assert_true (
      tg_playback_get_epoch (store, "LiveApp", "s1", &epoch, &error));
  g_assert_cmpint (epoch, ==, 0);
  key = tg_playback_key_issue (secret, "LiveApp", "s1", "sid", NOW + 60, epoch);
  g_assert_true (
      tg_playback_key_verify (secret, "LiveApp", "s1", key, NOW, epoch, NULL));

  g_assert_true (tg_playback_revoke (&server, "LiveApp", "s1", &error));
  g_assert_true (
      tg_playback_get_epoch (store, "LiveApp", "s1", &epoch, &error));
  g_assert_cmpint (epoch, ==, 1);
  g_assert_false (
      tg_playback_key_verify (secret, "LiveApp", "s1", key, NOW, epoch, NULL));
  g_assert_true (tg_playback_revoke (&server, "LiveApp", "s1", &error));
  g_assert_true (
      tg_playback_get_epoch (store, "LiveApp", "s1", &epoch, &error));
  g_assert_cmpint (epoch, ==, 2);

  /* other streams and apps keep theirs */
  g_assert_true (
      tg_playback_get_epoch (store, "LiveApp", "s2", &epoch, &error));
  g_assert_cmpint (epoch, ==, 0);
  g_assert_true (
      tg_playback_get_epoch (store, "WebRTCAppEE", "s1", &epoch, &error));
  g_assert_cmpint (epoch, ==, 0);
  g_assert_no_error (error);
}

static void
test_add_key (void)
{
  const char *table[][2] = {
    { "s1000000001.ts", "s1000000001.ts?session=K" },
    { "a.ts?x=1", "a.ts?x=1&session=K" },
    { "a.ts#t=3", "a.ts?session=K#t=3" },
    { "a.ts?x=1#f", "a.ts?x=1&session=K#f" },
    { "/LiveApp/streams/a.ts", "/LiveApp/streams/a.ts?session=K" },
    { "../a.ts", "../a.ts?session=K" },
    { "http://cdn.example/a.ts", NULL },
    { "https://cdn.example/a.ts", NULL },
    { "//cdn.example/a.ts", NULL },
    { "skd://key", NULL },
    { "data:text/plain,x", NULL },
    { "", NULL },
  };

  for (guint i = 0; i < G_N_ELEMENTS (table); i++)
    {
      g_autofree char *got = tg_playback_add_key (table[i][0], "K");

      g_assert_cmpstr (got, ==, table[i][1]);
    }
}

static void
test_rewrite_m3u8 (void)
{
  static const char media[]
      = "#EXTM3U\n"
        "#EXT-X-VERSION:3\n"
        "#EXT-X-TARGETDURATION:2\n"
        "#EXT-X-MEDIA-SEQUENCE:0\n"
        "#EXT-X-KEY:METHOD=AES-128,URI=\"key.bin\",IV=0x1\n"
        "#EXT-X-MAP:URI=\"init.mp4\",BYTERANGE=\"100@0\"\n"
        "#EXTINF:2.000000,\n"
        "s1000000000.ts\n"
        "#EXTINF:2.000000,\n"
        "s1000000001.ts?x=1\r\n"
        "\n"
        "#EXTINF:1.5,\n"
        "http://cdn.example/s1000000002.ts\n"
        "#EXT-X-ENDLIST\n";
  static const char media_out[]
      = "#EXTM3U\n"
        "#EXT-X-VERSION:3\n"
        "#EXT-X-TARGETDURATION:2\n"
        "#EXT-X-MEDIA-SEQUENCE:0\n"
        "#EXT-X-KEY:METHOD=AES-128,URI=\"key.bin?session=K\",IV=0x1\n"
        "#EXT-X-MAP:URI=\"init.mp4?session=K\",BYTERANGE=\"100@0\"\n"
        "#EXTINF:2.000000,\n"
        "s1000000000.ts?session=K\n"
        "#EXTINF:2.000000,\n"
        "s1000000001.ts?x=1&session=K\r\n"
        "\n"
        "#EXTINF:1.5,\n"
        "http://cdn.example/s1000000002.ts\n"
        "#EXT-X-ENDLIST\n";
  static const char master[]
      = "#EXTM3U\n"
        "#EXT-X-MEDIA:TYPE=AUDIO,GROUP-ID=\"a\",NAME=\"x,URI=\",URI=\"a."
        "m3u8\"\n"
        "#EXT-X-STREAM-INF:BANDWIDTH=1000000,RESOLUTION=854x480\n"
        "s1_480p1000kbps.m3u8\n"
        "#EXT-X-I-FRAME-STREAM-INF:BANDWIDTH=1,URI=\"s1_iframe.m3u8?a=b\"\n"
        "#EXT-X-STREAM-INF:BANDWIDTH=2000000\n"
        "s1_720p2000kbps.m3u8";
  static const char master_out[]
      = "#EXTM3U\n"
        "#EXT-X-MEDIA:TYPE=AUDIO,GROUP-ID=\"a\",NAME=\"x,URI=\",URI=\"a."
        "m3u8?session=N\"\n"
        "#EXT-X-STREAM-INF:BANDWIDTH=1000000,RESOLUTION=854x480\n"
        "s1_480p1000kbps.m3u8?session=N\n"
        "#EXT-X-I-FRAME-STREAM-INF:BANDWIDTH=1,URI=\"s1_iframe.m3u8?a=b&"
        "session=N\"\n"
        "#EXT-X-STREAM-INF:BANDWIDTH=2000000\n"
        "s1_720p2000kbps.m3u8?session=N";
  g_autofree char *got_media = tg_playback_rewrite_m3u8 (media, "K", "N");
  g_autofree char *got_master = tg_playback_rewrite_m3u8 (master, "K", "N");
  g_autofree char *empty = tg_playback_rewrite_m3u8 ("", "K", "N");

  g_assert_cmpstr (got_media, ==, media_out);
  g_assert_cmpstr (got_master, ==, master_out);
  g_assert_cmpstr (empty, ==, "");
  g_assert_cmpint (tg_playback_m3u8_vod_duration (media), ==, 6);
  g_assert_cmpint (tg_playback_m3u8_vod_duration (master), ==, 0);
}

static void
test_rewrite_mpd (void)
{
  static const char mpd[]
      = "<?xml version=\"1.0\"?>\n"
        "<MPD type=\"static\" mediaPresentationDuration=\"PT1M5.5S\">\n"
        " <BaseURL> seg/ </BaseURL>\n"
        " <Period>\n"
        "  <AdaptationSet>\n"
        "   <SegmentTemplate timescale=\"1000\" "
        "initialization=\"init-stream$RepresentationID$.m4s\"\n"
        "     media='chunk-stream$RepresentationID$-$Number%05d$.m4s?a=1' />\n"
        "   <SegmentList><Initialization sourceURL=\"i.mp4\"/>"
        "<SegmentURL media=\"http://cdn.example/x.m4s\"/></SegmentList>\n"
        "   <BaseURL serviceLocation=\"b\">https://cdn.example/</BaseURL>\n"
        "   <Representation id=\"0\" mimeType=\"video/mp4\" "
        "xmedia=\"no.m4s\"/>\n"
        "  </AdaptationSet>\n"
        " </Period>\n"
        "</MPD>\n";
  static const char mpd_out[]
      = "<?xml version=\"1.0\"?>\n"
        "<MPD type=\"static\" mediaPresentationDuration=\"PT1M5.5S\">\n"
        " <BaseURL> seg/?session=K </BaseURL>\n"
        " <Period>\n"
        "  <AdaptationSet>\n"
        "   <SegmentTemplate timescale=\"1000\" "
        "initialization=\"init-stream$RepresentationID$.m4s?session=K\"\n"
        "     media='chunk-stream$RepresentationID$-$Number%05d$.m4s?a=1&amp;"
        "session=K' />\n"
        "   <SegmentList><Initialization sourceURL=\"i.mp4?session=K\"/>"
        "<SegmentURL media=\"http://cdn.example/x.m4s\"/></SegmentList>\n"
        "   <BaseURL serviceLocation=\"b\">https://cdn.example/</BaseURL>\n"
        "   <Representation id=\"0\" mimeType=\"video/mp4\" "
        "xmedia=\"no.m4s\"/>\n"
        "  </AdaptationSet>\n"
        " </Period>\n"
        "</MPD>\n";
  g_autofree char *got = tg_playback_rewrite_mpd (mpd, "K");

  g_assert_cmpstr (got, ==, mpd_out);
  g_assert_cmpint (tg_playback_mpd_vod_duration (mpd), ==, 66);
  g_assert_cmpint (
      tg_playback_mpd_vod_duration ("<MPD type=\"dynamic\" "
                                    "mediaPresentationDuration=\"PT5S\">"),
      ==, 0);
  g_assert_cmpint (
      tg_playback_mpd_vod_duration ("<MPD type=\"static\" "
                                    "mediaPresentationDuration=\"P1DT1H\">"),
      ==, 90000);
  g_assert_cmpint (
      tg_playback_mpd_vod_duration ("<MPD type=\"static\" "
                                    "mediaPresentationDuration=\"PTxS\">"),
      ==, 0);
  /* Cut after the '=': nothing is read past the text (found by fuzz-mpd). */
  g_assert_cmpint (tg_playback_mpd_vod_duration (
                       "<MPD type=\"static\" mediaPresentationDuration="),
                   ==, 0);
  g_assert_cmpint (
      tg_playback_mpd_vod_duration ("<MPD type=\"static\" "
                                    "mediaPresentationDuration=PT5S>"),
      ==, 0);
}

static void
test_range (void)
{
  const struct
  {
    const char *header;
    goffset size;
    TgRange verdict;
    goffset start, end;
  } table[] = {
    { "bytes=0-99", 1000, TG_RANGE_OK, 0, 99 },
    { "bytes=100-", 1000, TG_RANGE_OK, 100, 999 },
    { "bytes=-100", 1000, TG_RANGE_OK, 900, 999 },
    { "bytes=-5000", 1000, TG_RANGE_OK, 0, 999 },
    { "bytes=0-100000", 1000, TG_RANGE_OK, 0, 999 },
    { "bytes = 5 - 9", 1000, TG_RANGE_OK, 5, 9 },
    { "BYTES=999-999", 1000, TG_RANGE_OK, 999, 999 },
    { "bytes=1000-", 1000, TG_RANGE_UNSATISFIABLE, 0, 0 },
    { "bytes=1000-2000", 1000, TG_RANGE_UNSATISFIABLE, 0, 0 },
    { "bytes=-0", 1000, TG_RANGE_UNSATISFIABLE, 0, 0 },
    { "bytes=0-", 0, TG_RANGE_UNSATISFIABLE, 0, 0 },
    { "bytes=9-5", 1000, TG_RANGE_NONE, 0, 0 },
    { "bytes=0-1,5-6", 1000, TG_RANGE_NONE, 0, 0 },
    { "bytes=a-b", 1000, TG_RANGE_NONE, 0, 0 },
    { "bytes=+1-2", 1000, TG_RANGE_NONE, 0, 0 },
    { "bytes=-", 1000, TG_RANGE_NONE, 0, 0 },
    { "bytes=1-2-3", 1000, TG_RANGE_NONE, 0, 0 },
    { "bytes 0-1", 1000, TG_RANGE_NONE, 0, 0 },
    { "items=0-1", 1000, TG_RANGE_NONE, 0, 0 },
    { "bytes=99999999999999999999-", 1000, TG_RANGE_NONE, 0, 0 },
    { "", 1000, TG_RANGE_NONE, 0, 0 },
  };

  for (guint i = 0; i < G_N_ELEMENTS (table); i++)
    {
      goffset start = 0, end = 0;
      TgRange verdict
          = tg_http_parse_range (table[i].header, table[i].size, &start, &end);

      g_test_message ("%s", table[i].header);
      g_assert_cmpint (verdict, ==, table[i].verdict);
      if (verdict == TG_RANGE_OK)
        {
          g_assert_cmpint (start, ==, table[i].start);
          g_assert_cmpint (end, ==, table[i].end);
        }
    }
}

static void
test_secret (void)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *dir = g_dir_make_tmp ("tg-secret-XXXXXX", &error);
  g_autofree char *path = g_build_filename (dir, "secret", NULL);
  g_autoptr (GBytes) first = tg_secret_load_or_create (dir, &error);
  g_autoptr (GBytes) second = NULL;
  g_autoptr (GBytes) bad = NULL;
  GStatBuf st;

  g_assert_no_error (error);
  g_assert_nonnull (first);
  g_assert_cmpuint (g_bytes_get_size (first), ==, TG_SECRET_SIZE);
  g_assert_cmpint (g_stat (path, &st), ==, 0);
  g_assert_cmpint (st.st_mode & 0777, ==, 0600);
  g_assert_cmpint (st.st_size, ==, TG_SECRET_SIZE);
  second = tg_secret_load_or_create (dir, &error);
  g_assert_no_error (error);
  g_assert_true (g_bytes_equal (first, second));

  g_assert_true (g_file_set_contents (path, "short", -1, &error));
  bad = tg_secret_load_or_create (dir, &error);
  g_assert_null (bad);
  g_assert_error (error, TG_ERROR, TG_ERROR_INVALID);
  g_assert_null (tg_secret_new ((const guint8 *) "x", 1, NULL));

  g_unlink (path);
  g_rmdir (dir);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/playback/stream-id", test_stream_id);
  g_test_add_func ("/playback/idle-timeout", test_idle_timeout);
  g_test_add_func ("/playback/key", test_key);
  g_test_add_func ("/playback/revoke", test_revoke);
  g_test_add_func ("/playback/add-key", test_add_key);
  g_test_add_func ("/playback/rewrite-m3u8", test_rewrite_m3u8);
  g_test_add_func ("/playback/rewrite-mpd", test_rewrite_mpd);
  g_test_add_func ("/playback/range", test_range);
  g_test_add_func ("/playback/secret", test_secret);
  return g_test_run ();
}
