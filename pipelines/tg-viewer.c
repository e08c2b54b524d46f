#include "tg-viewer.h"

#include <gst/app/gstappsrc.h>
#include <gst/rtp/rtp.h>
#include <gst/video/video.h>
#define GST_USE_UNSTABLE_API
#include <gst/webrtc/webrtc.h>

#include "tg-debug.h"
#include "tg-rtp-splice.h"
#include "tg-webrtc-net.h"
#include "tg-webrtc-peer.h"

/* RTP payload types the server offers. */
#define PT_H264 96
#define PT_H264_BASELINE 97
#define PT_OPUS 111
#define HEX_DIGITS "0123456789abcdefABCDEF"
/* What a viewer that falls behind may have queued, per track. */
#define MAX_QUEUED (2 * 1024 * 1024)

struct _TgViewer
{
  gint refs;
  char *name; /* app/stream, for logs */
  char *app, *stream_id, *token;
  TgStore *store;
  char *profile_level_id;
  char *baseline; /* offered beside it, or NULL */
  gint variant;   /* atomic: TgViewerVariant, from the answer */
  gint feed;      /* atomic: what it is fed (TG_VIEWER_FEEDS) */
  gint rung;      /* atomic: the rung it is to be fed, or -1 */
  guint tracks;
  guint64 sent; /* atomic: RTP bytes given to its peer */
  TgViewerCallbacks callbacks;
  gpointer data;
  GstElement *pipeline, *webrtc;
  GstPad *sinks[TG_VIEWER_TRACKS];       /* webrtcbin's, one per transceiver */
  GObject *channel;                      /* the data channel */
  TgWebrtcPeer *peer;                    /* its lock guards what follows */
  GstElement *sources[TG_VIEWER_TRACKS]; /* appsrc, once started */
  gint key_frame_wanted;                 /* atomic */
  gboolean fresh;                        /* started, and fed no video yet */
  TgRtpSplice splice;                    /* its video, from every feed */
  /* Answering a client's offer: the RTP caps of each track as the offer
   * numbered them (else NULL: ours), and its Opus payload type. */
  GstCaps *answer_caps[TG_VIEWER_TRACKS];
  guint8 audio_pt;
};

static GstStructure *
h264 (int pt, const char *profile_level_id)
{
  return gst_structure_new (
      "application/x-rtp", "media", G_TYPE_STRING, "video", "encoding-name",
      G_TYPE_STRING, "H264", "payload", G_TYPE_INT, pt, "clock-rate",
      G_TYPE_INT, 90000, "packetization-mode", G_TYPE_STRING, "1",
      "profile-level-id", G_TYPE_STRING, profile_level_id, NULL);
}

/* The caps of the RTP offered for a track: for video the stream's own
 * H.264 and, with baseline, that beside it. */
static GstCaps *
offered_caps (TgViewerTrack track, const char *profile_level_id,
              const char *baseline)
{
  if (track == TG_VIEWER_VIDEO)
    {
      GstCaps *caps
          = gst_caps_new_full (h264 (PT_H264, profile_level_id), NULL);

      if (baseline)
        gst_caps_append_structure (caps, h264 (PT_H264_BASELINE, baseline));
      return caps;
    }
  return gst_caps_new_simple (
      "application/x-rtp", "media", G_TYPE_STRING, "audio", "encoding-name",
      G_TYPE_STRING, "OPUS", "payload", G_TYPE_INT, PT_OPUS, "clock-rate",
      G_TYPE_INT, 48000, "encoding-params", G_TYPE_STRING, "2", NULL);
}

TgViewer *
tg_viewer_ref (TgViewer *viewer)
{
  g_atomic_int_inc (&viewer->refs);
  return viewer;
}

void
tg_viewer_unref (TgViewer *viewer)
{
  if (viewer == NULL || !g_atomic_int_dec_and_test (&viewer->refs))
    return;
  gst_element_set_state (viewer->pipeline, GST_STATE_NULL);
  for (guint t = 0; t < TG_VIEWER_TRACKS; t++)
    {
      g_clear_object (&viewer->sinks[t]);
      gst_clear_caps (&viewer->answer_caps[t]);
    }
  g_clear_object (&viewer->channel);
  gst_object_unref (viewer->pipeline);
  g_clear_pointer (&viewer->peer, tg_webrtc_peer_free);
  g_free (viewer->name);
  g_free (viewer->app);
  g_free (viewer->stream_id);
  g_free (viewer->token);
  g_free (viewer->profile_level_id);
  g_free (viewer->baseline);
  g_free (viewer);
}

/* --- what the peer reports --- */

static void
offer_made (const char *sdp, gpointer data)
{
  TgViewer *viewer = data;

  viewer->callbacks.offer (viewer, sdp, viewer->data);
}

static void
candidate_made (guint mline, const char *mid, const char *candidate,
                gpointer data)
{
  TgViewer *viewer = data;

  viewer->callbacks.candidate (viewer, mline, mid, candidate, viewer->data);
}

static void
failed (const char *definition, const char *reason, gpointer data)
{
  TgViewer *viewer = data;

  viewer->callbacks.failed (viewer, definition, reason, viewer->data);
}

/* --- media, once ICE has connected (on the main context) --- */

/* webrtcbin asks for a key frame (the client sent a PLI or FIR): it is
 * asked of the publisher through the stream (tg_viewer_take_key_frame). */
static GstPadProbeReturn
key_frame_asked (GstPad *pad, GstPadProbeInfo *info, gpointer data)
{
  TgViewer *viewer = data;

  if (gst_video_event_is_force_key_unit (gst_pad_probe_info_get_event (info)))
    g_atomic_int_set (&viewer->key_frame_wanted, TRUE);
  return GST_PAD_PROBE_OK;
}

static GstElement *
add_source (TgViewer *viewer, TgViewerTrack track)
{
  GstElement *source = gst_element_factory_make ("appsrc", NULL);
  gboolean baseline = track == TG_VIEWER_VIDEO
                      && tg_viewer_get_variant (viewer) == TG_VIEWER_BASELINE;
  g_autoptr (GstCaps) caps
      = viewer->answer_caps[track] ? gst_caps_ref (viewer->answer_caps[track])
        : baseline                 ? gst_caps_new_full (
                              h264 (PT_H264_BASELINE, viewer->baseline), NULL)
                   : offered_caps (track, viewer->profile_level_id, NULL);

  if (source == NULL)
    return NULL;
  g_object_set (source, "is-live", TRUE, "do-timestamp", TRUE, "format",
                GST_FORMAT_TIME, "caps", caps, "max-bytes",
                (guint64) MAX_QUEUED, "leaky-type", 2 /* downstream */, NULL);
  gst_bin_add (GST_BIN (viewer->pipeline), source);
  if (track == TG_VIEWER_VIDEO)
    {
      g_autoptr (GstPad) pad = gst_element_get_static_pad (source, "src");

      gst_pad_add_probe (pad, GST_PAD_PROBE_TYPE_EVENT_UPSTREAM,
                         key_frame_asked, viewer, NULL);
    }
  return source;
}

/* ICE and DTLS are done (the peer's connected). The token is spent here:
 * tokencheck goes to READY before the viewer's media is linked to
 * webrtcbin. */
static void
start_media (gpointer data)
{
  TgViewer *viewer = data;
  GstElement *sources[TG_VIEWER_TRACKS] = { NULL };
  GstElement *gate = NULL;

  if (viewer->token)
    {
      gate = gst_element_factory_make ("tokencheck", NULL);
      if (gate == NULL)
        {
          tg_webrtc_peer_fail (viewer->peer, "highResourceUsage",
                               "tokencheck is missing");
          return;
        }
      g_object_set (gate, "app", viewer->app, "stream-id", viewer->stream_id,
                    "type", 1 /* play */, "token", viewer->token, NULL);
      gst_bin_add (GST_BIN (viewer->pipeline), gate);
      if (gst_element_set_state (gate, GST_STATE_READY)
          == GST_STATE_CHANGE_FAILURE)
        {
          tg_webrtc_peer_fail (viewer->peer, "unauthorized_access",
                               "play token refused");
          return;
        }
    }
  for (guint t = 0; t < viewer->tracks; t++)
    {
      g_autoptr (GstPad) out = NULL;
      GstElement *last = sources[t] = add_source (viewer, t);

      if (last == NULL)
        {
          tg_webrtc_peer_fail (viewer->peer, "highResourceUsage",
                               "appsrc is missing");
          return;
        }
      if (t == TG_VIEWER_VIDEO && gate)
        {
          if (!gst_element_link (last, gate))
            {
              tg_webrtc_peer_fail (viewer->peer, "notSetRemoteDescription",
                                   "could not link media");
              return;
            }
          last = gate;
        }
      out = gst_element_get_static_pad (last, "src");
      if (gst_pad_link (out, viewer->sinks[t]) != GST_PAD_LINK_OK)
        {
          tg_webrtc_peer_fail (viewer->peer, "notSetRemoteDescription",
                               "could not link media");
          return;
        }
    }
  if (gate)
    gst_element_sync_state_with_parent (gate);
  for (guint t = 0; t < viewer->tracks; t++)
    gst_element_sync_state_with_parent (sources[t]);
  if (!tg_webrtc_peer_lock_open (viewer->peer))
    return;
  for (guint t = 0; t < viewer->tracks; t++)
    viewer->sources[t] = sources[t];
  /* Its picture starts at a key frame: the stream's last one and what
   * came after it (tg_viewer_push's gop), or the next one, asked for now. */
  viewer->fresh = TRUE;
  g_atomic_int_set (&viewer->key_frame_wanted, TRUE);
  viewer->callbacks.started (viewer, viewer->data);
  tg_webrtc_peer_unlock (viewer->peer);
}

/* --- the viewer --- */

/* A transceiver that sends the track with caps, and its pad; kind: caps
 * that say its kind (answering: webrtcbin gives an m-line of the offer the
 * first transceiver of that kind), or NULL. */
static gboolean
add_sender (TgViewer *viewer, TgViewerTrack t, GstCaps *caps, GstCaps *kind,
            GError **error)
{
  g_autoptr (GstWebRTCRTPTransceiver) transceiver = NULL;

  viewer->sinks[t] = gst_element_request_pad (
      viewer->webrtc, gst_element_get_pad_template (viewer->webrtc, "sink_%u"),
      NULL, kind);
  if (viewer->sinks[t] == NULL)
    {
      g_set_error (error, TG_ERROR, TG_ERROR_FAILED, "webrtcbin gave no pad");
      return FALSE;
    }
  g_object_get (viewer->sinks[t], "transceiver", &transceiver, NULL);
  g_object_set (transceiver, "direction",
                GST_WEBRTC_RTP_TRANSCEIVER_DIRECTION_SENDONLY,
                "codec-preferences", caps, NULL);
  return TRUE;
}

static gboolean
add_transceivers (TgViewer *viewer, GError **error)
{
  for (guint t = 0; t < viewer->tracks; t++)
    {
      g_autoptr (GstCaps) caps
          = offered_caps (t, viewer->profile_level_id, viewer->baseline);

      if (!add_sender (viewer, t, caps, NULL, error))
        return FALSE;
    }
  return TRUE;
}

/* --- answering a client's offer (WHEP) --- */

/* What an offer is answered with: the caps of each track taken (as the
 * offer numbers them), in the offer's order, and which video that is. */
typedef struct
{
  GstCaps *caps[TG_VIEWER_TRACKS];
  TgViewerTrack order[TG_VIEWER_TRACKS];
  guint n_tracks;
  TgViewerVariant variant;
} Answering;

static void
answering_clear (Answering *answering)
{
  for (guint t = 0; t < TG_VIEWER_TRACKS; t++)
    gst_clear_caps (&answering->caps[t]);
}

/* The profile_idc of a profile-level-id ("64001f": 0x64), or -1. */
static gint
profile_idc (const char *profile_level_id)
{
  char hex[3] = { 0 };
  guint64 idc;

  if (profile_level_id == NULL || strlen (profile_level_id) != 6)
    return -1;
  memcpy (hex, profile_level_id, 2);
  if (!g_ascii_string_to_unsigned (hex, 16, 0, 255, &idc, NULL))
    return -1;
  return (gint) idc;
}

/* The profile-level-id (six hex digits) in the fmtp of payload type pt,
 * or NULL. */
static char *
fmtp_profile_level_id (const GstSDPMedia *media, gint pt)
{
  g_autofree char *prefix = g_strdup_printf ("%d ", pt);
  const char *fmtp;

  for (guint n = 0;
       (fmtp = gst_sdp_media_get_attribute_val_n (media, "fmtp", n)); n++)
    {
      g_auto (GStrv) params = NULL;

      if (!g_str_has_prefix (fmtp, prefix))
        continue;
      params = g_strsplit (fmtp + strlen (prefix), ";", -1);
      for (guint i = 0; params[i]; i++)
        {
          const char *param = g_strstrip (params[i]);
          const char *value;

          if (g_ascii_strncasecmp (param, "profile-level-id=", 17) != 0)
            continue;
          value = param + 17;
          if (strlen (value) == 6 && strspn (value, HEX_DIGITS) == 6)
            return g_strdup (value);
        }
    }
  return NULL;
}

/* The RTP caps of the nth format of an offer's m-line, or NULL (not a
 * payload type, or no rtpmap). */
static GstStructure *
format_caps (const GstSDPMedia *media, guint n, gint *pt)
{
  const char *format = gst_sdp_media_get_format (media, n);
  g_autoptr (GstCaps) caps = NULL;
  g_autofree char *profile_level_id = NULL;
  GstStructure *s;
  guint64 value;

  if (format == NULL
      || !g_ascii_string_to_unsigned (format, 10, 0, 127, &value, NULL))
    return NULL;
  *pt = (gint) value;
  caps = gst_sdp_media_get_caps_from_media (media, *pt);
  if (caps == NULL || gst_caps_get_size (caps) != 1)
    return NULL;
  s = gst_structure_copy (gst_caps_get_structure (caps, 0));
  /* With level-asymmetry-allowed=1 (every browser's H.264), GStreamer
   * 1.22 gives the profile's name for profile-level-id, and drops it. */
  if (!gst_structure_has_field (s, "profile-level-id")
      && (profile_level_id = fmtp_profile_level_id (media, *pt)))
    gst_structure_set (s, "profile-level-id", G_TYPE_STRING, profile_level_id,
                       NULL);
  return s;
}

static gboolean
is_encoding (const GstStructure *s, const char *name)
{
  const char *encoding = gst_structure_get_string (s, "encoding-name");

  return encoding && g_ascii_strcasecmp (encoding, name) == 0;
}

/* The offer's H.264 (packetization-mode 1) of the stream's own profile,
 * else a (constrained) baseline one, 42e0.. first, if the stream can be
 * sent so; NULL if none. */
static GstCaps *
answer_video (const GstSDPMedia *media, const char *own, const char *baseline,
              TgViewerVariant *variant)
{
  gint own_idc = profile_idc (own);
  gint pt, base_pt = -1;
  g_autofree char *base_pli = NULL;

  for (guint n = 0; n < gst_sdp_media_formats_len (media); n++)
    {
      g_autoptr (GstStructure) s = format_caps (media, n, &pt);
      const char *pli;

      if (s == NULL || !is_encoding (s, "H264")
          || g_strcmp0 (gst_structure_get_string (s, "packetization-mode"), "1")
                 != 0)
        continue;
      pli = gst_structure_get_string (s, "profile-level-id");
      if (profile_idc (pli) == own_idc)
        {
          *variant = TG_VIEWER_OWN;
          return gst_caps_new_full (h264 (pt, pli), NULL);
        }
      if (baseline && profile_idc (pli) == 0x42
          && (base_pt < 0
              || (g_ascii_strncasecmp (pli, "42e0", 4) == 0
                  && g_ascii_strncasecmp (base_pli, "42e0", 4) != 0)))
        {
          base_pt = pt;
          g_free (base_pli);
          base_pli = g_strdup (pli);
        }
    }
  if (base_pt < 0)
    return NULL;
  *variant = TG_VIEWER_BASELINE;
  return gst_caps_new_full (h264 (base_pt, base_pli), NULL);
}

/* The offer's Opus, or NULL. */
static GstCaps *
answer_audio (const GstSDPMedia *media)
{
  gint pt;

  for (guint n = 0; n < gst_sdp_media_formats_len (media); n++)
    {
      g_autoptr (GstStructure) s = format_caps (media, n, &pt);
      gint rate = 0;

      if (s && is_encoding (s, "OPUS")
          && gst_structure_get_int (s, "clock-rate", &rate) && rate == 48000)
        {
          GstCaps *caps = offered_caps (TG_VIEWER_AUDIO, NULL, NULL);

          gst_caps_set_simple (caps, "payload", G_TYPE_INT, pt, NULL);
          return caps;
        }
    }
  return NULL;
}

/* What the viewer of spec answers offer with: FALSE when the offer takes
 * none of the videos it can send. */
static gboolean
read_offer (const TgViewerSpec *spec, const GstSDPMessage *offer,
            Answering *answering, GError **error)
{
  for (guint i = 0; i < gst_sdp_message_medias_len (offer); i++)
    {
      const GstSDPMedia *media = gst_sdp_message_get_media (offer, i);
      const char *kind = gst_sdp_media_get_media (media);
      TgViewerTrack track;

      if (g_strcmp0 (kind, "video") == 0)
        track = TG_VIEWER_VIDEO;
      else if (g_strcmp0 (kind, "audio") == 0 && spec->audio)
        track = TG_VIEWER_AUDIO;
      else
        continue;
      if (answering->caps[track])
        continue; /* one of each: a second is answered recvonly */
      answering->caps[track]
          = track == TG_VIEWER_VIDEO
                ? answer_video (media, spec->profile_level_id, spec->baseline,
                                &answering->variant)
                : answer_audio (media);
      if (answering->caps[track])
        answering->order[answering->n_tracks++] = track;
    }
  if (answering->caps[TG_VIEWER_VIDEO] == NULL)
    {
      g_set_error (error, TG_ERROR, TG_ERROR_INVALID,
                   "the offer takes none of the stream's H.264 (profile %s%s%s,"
                   " packetization-mode 1)",
                   spec->profile_level_id, spec->baseline ? " or " : "",
                   spec->baseline ? spec->baseline : "");
      return FALSE;
    }
  return TRUE;
}

static GstSDPMessage *
parse_offer (const char *sdp, GError **error)
{
  GstSDPMessage *message = tg_webrtc_parse_sdp (sdp);

  if (message == NULL)
    g_set_error (error, TG_ERROR, TG_ERROR_INVALID, "unreadable offer");
  return message;
}

gboolean
tg_viewer_check_offer (const TgViewerSpec *spec, GError **error)
{
  GstSDPMessage *offer = parse_offer (spec->offer, error);
  Answering answering = { { NULL } };
  gboolean ok = offer && read_offer (spec, offer, &answering, error);

  answering_clear (&answering);
  if (offer)
    gst_sdp_message_free (offer);
  return ok;
}

/* Our transceivers, in the offer's order (webrtcbin gives each m-line the
 * first one of its kind), each sending what the offer numbered. */
static gboolean
prepare_answer (TgViewer *viewer, const TgViewerSpec *spec,
                const GstSDPMessage *offer, GError **error)
{
  Answering answering = { { NULL } };
  gint pt = PT_OPUS;

  if (!read_offer (spec, offer, &answering, error))
    {
      answering_clear (&answering);
      return FALSE;
    }
  for (guint t = 0; t < TG_VIEWER_TRACKS; t++)
    viewer->answer_caps[t] = g_steal_pointer (&answering.caps[t]);
  viewer->tracks = viewer->answer_caps[TG_VIEWER_AUDIO] ? 2 : 1;
  if (viewer->answer_caps[TG_VIEWER_AUDIO])
    gst_structure_get_int (
        gst_caps_get_structure (viewer->answer_caps[TG_VIEWER_AUDIO], 0),
        "payload", &pt);
  viewer->audio_pt = pt;
  for (guint k = 0; k < answering.n_tracks; k++)
    {
      TgViewerTrack t = answering.order[k];

      if (!add_sender (viewer, t, viewer->answer_caps[t],
                       viewer->answer_caps[t], error))
        return FALSE;
    }
  gst_structure_get_int (
      gst_caps_get_structure (viewer->answer_caps[TG_VIEWER_VIDEO], 0),
      "payload", &pt);
  g_atomic_int_set (&viewer->variant, answering.variant);
  g_atomic_int_set (&viewer->feed, answering.variant);
  tg_rtp_splice_init (&viewer->splice, pt);
  return TRUE;
}

static void
gathered (gpointer data)
{
  TgViewer *viewer = data;

  viewer->callbacks.gathered (viewer, viewer->data);
}

/* libnice would also look for a UPnP gateway to open ports on, binding
 * random local ports for it (and warning when one is taken): not for a
 * server, whose addresses are its own. */
TgViewer *
tg_viewer_new (const TgViewerSpec *spec, const TgViewerCallbacks *callbacks,
               gpointer data, GError **error)
{
  TgWebrtcPeerCallbacks peer_callbacks = {
    .description = offer_made,
    .candidate = candidate_made,
    .failed = failed,
    .connected = start_media,
    .gathered = callbacks->gathered ? gathered : NULL,
    .ref = (GBoxedCopyFunc) tg_viewer_ref,
    .unref = (GDestroyNotify) tg_viewer_unref,
  };
  TgViewer *viewer = g_new0 (TgViewer, 1);
  g_autoptr (GstContext) context = NULL;
  GstSDPMessage *offer = NULL;
  gboolean ready;

  viewer->refs = 1;
  viewer->rung = -1;
  viewer->name = g_strdup_printf ("%s/%s", spec->app, spec->stream_id);
  viewer->app = g_strdup (spec->app);
  viewer->stream_id = g_strdup (spec->stream_id);
  viewer->token = g_strdup (spec->token);
  viewer->store = spec->store;
  viewer->profile_level_id = g_strdup (spec->profile_level_id);
  viewer->baseline = g_strdup (spec->baseline);
  viewer->tracks = spec->audio ? 2 : 1;
  viewer->audio_pt = PT_OPUS;
  viewer->callbacks = *callbacks;
  viewer->data = data;
  viewer->pipeline = gst_pipeline_new (NULL);
  viewer->webrtc = gst_element_factory_make ("webrtcbin", NULL);
  if (viewer->webrtc == NULL)
    {
      g_set_error (error, TG_ERROR, TG_ERROR_FAILED,
                   "GStreamer element webrtcbin is missing");
      tg_viewer_unref (viewer);
      return NULL;
    }
  tg_webrtc_configure (viewer->webrtc);
  gst_bin_add (GST_BIN (viewer->pipeline), viewer->webrtc);
  tg_debug_watch_errors (viewer->pipeline, viewer->name);
  context = gst_context_new (TG_STORE_CONTEXT_TYPE, TRUE);
  gst_structure_set (gst_context_writable_structure (context), "store",
                     TG_TYPE_STORE, spec->store, NULL);
  gst_element_set_context (viewer->pipeline, context);
  if (spec->offer)
    {
      offer = parse_offer (spec->offer, error);
      ready = offer && prepare_answer (viewer, spec, offer, error);
    }
  else
    ready = add_transceivers (viewer, error);
  if (!ready)
    {
      if (offer)
        gst_sdp_message_free (offer);
      tg_viewer_unref (viewer);
      return NULL;
    }
  viewer->peer = tg_webrtc_peer_new (viewer->webrtc, &peer_callbacks, viewer);
  gst_element_set_state (viewer->pipeline, GST_STATE_PLAYING);
  if (offer)
    {
      tg_webrtc_peer_answer (viewer->peer, offer);
      return viewer;
    }
  g_signal_emit_by_name (viewer->webrtc, "create-data-channel", "data", NULL,
                         &viewer->channel);
  tg_webrtc_peer_create_offer (viewer->peer);
  return viewer;
}

gboolean
tg_viewer_answer_takes_video (const GstSDPMessage *answer,
                              TgViewerVariant *variant)
{
  g_autofree char *own = g_strdup_printf ("%d", PT_H264);
  g_autofree char *baseline = g_strdup_printf ("%d", PT_H264_BASELINE);

  for (guint i = 0; i < gst_sdp_message_medias_len (answer); i++)
    {
      const GstSDPMedia *media = gst_sdp_message_get_media (answer, i);
      gboolean has_baseline = FALSE;

      if (g_strcmp0 (gst_sdp_media_get_media (media), "video") != 0)
        continue;
      if (gst_sdp_media_get_port (media) == 0)
        return FALSE;
      for (guint f = 0; f < gst_sdp_media_formats_len (media); f++)
        {
          const char *format = gst_sdp_media_get_format (media, f);

          if (g_strcmp0 (format, own) == 0)
            {
              *variant = TG_VIEWER_OWN;
              return TRUE;
            }
          has_baseline |= g_strcmp0 (format, baseline) == 0;
        }
      *variant = TG_VIEWER_BASELINE;
      return has_baseline;
    }
  *variant = TG_VIEWER_OWN;
  return TRUE; /* no video asked for, none answered */
}

TgViewerVariant
tg_viewer_get_variant (TgViewer *viewer)
{
  return g_atomic_int_get (&viewer->variant);
}

/* webrtcbin's statistics: the receiver's RTCP reports on what it is sent
 * (remote-inbound-rtp), the worst of their losses to the report callback.
 * (In 1.22, with the tracks bundled, webrtcbin gives every source the same
 * kind, and a receiver may report on one of them only.) */
static void
stats_ready (GstPromise *promise, gpointer data)
{
  TgViewer *viewer = data;
  const GstStructure *reply;
  double lost = -1;

  if (gst_promise_wait (promise) != GST_PROMISE_RESULT_REPLIED)
    return;
  reply = gst_promise_get_reply (promise);
  for (gint i = 0; reply && i < gst_structure_n_fields (reply); i++)
    {
      const GValue *value = gst_structure_get_value (
          reply, gst_structure_nth_field_name (reply, i));
      const GstStructure *stats;
      GstWebRTCStatsType type;
      double fraction;

      if (!GST_VALUE_HOLDS_STRUCTURE (value))
        continue;
      stats = gst_value_get_structure (value);
      if (gst_structure_get_enum (stats, "type", GST_TYPE_WEBRTC_STATS_TYPE,
                                  (gint *) &type)
          && type == GST_WEBRTC_STATS_REMOTE_INBOUND_RTP
          && gst_structure_get_double (stats, "fraction-lost", &fraction))
        lost = MAX (lost, fraction);
    }
  if (lost < 0 || viewer->callbacks.report == NULL
      || !tg_webrtc_peer_lock_open (viewer->peer))
    return;
  viewer->callbacks.report (viewer, lost, viewer->data);
  tg_webrtc_peer_unlock (viewer->peer);
}

void
tg_viewer_ask_report (TgViewer *viewer)
{
  GstPromise *promise = gst_promise_new_with_change_func (
      stats_ready, tg_viewer_ref (viewer), (GDestroyNotify) tg_viewer_unref);

  g_signal_emit_by_name (viewer->webrtc, "get-stats", NULL, promise);
  gst_promise_unref (promise);
}

guint
tg_viewer_get_feed (TgViewer *viewer)
{
  return g_atomic_int_get (&viewer->feed);
}

void
tg_viewer_want_rung (TgViewer *viewer, gint rung)
{
  g_atomic_int_set (&viewer->rung,
                    rung >= 0 && rung < TG_VIEWER_MAX_RUNGS ? rung : -1);
}

guint
tg_viewer_get_wanted_feed (TgViewer *viewer)
{
  gint rung = g_atomic_int_get (&viewer->rung);

  return rung < 0 ? tg_viewer_get_variant (viewer)
                  : (guint) (TG_VIEWER_RUNG + rung);
}

void
tg_viewer_set_feed (TgViewer *viewer, guint feed)
{
  g_atomic_int_set (&viewer->feed, feed);
}

void
tg_viewer_take_answer (TgViewer *viewer, const char *sdp)
{
  GstSDPMessage *message = tg_webrtc_parse_sdp (sdp);
  GstWebRTCSessionDescription *answer;
  TgViewerVariant variant = TG_VIEWER_OWN;

  if (message == NULL)
    {
      tg_webrtc_peer_fail (viewer->peer, "notSetRemoteDescription",
                           "unreadable answer");
      return;
    }
  if (!tg_viewer_answer_takes_video (message, &variant))
    {
      /* Not a silent audio-only session: the player is told, and moves on
       * (to HLS); nothing was spent. */
      gst_sdp_message_free (message);
      tg_webrtc_peer_fail (viewer->peer, "notSetRemoteDescription",
                           "the answer refuses the video (its H.264)");
      return;
    }
  g_atomic_int_set (&viewer->variant, variant);
  g_atomic_int_set (&viewer->feed, variant);
  tg_rtp_splice_init (&viewer->splice, variant == TG_VIEWER_BASELINE
                                           ? PT_H264_BASELINE
                                           : PT_H264);
  answer = gst_webrtc_session_description_new (GST_WEBRTC_SDP_TYPE_ANSWER,
                                               message);
  tg_webrtc_set_description (viewer->webrtc, "set-remote-description", answer);
  gst_webrtc_session_description_free (answer);
}

void
tg_viewer_take_candidate (TgViewer *viewer, guint mline, const char *candidate)
{
  if (mline < viewer->tracks)
    g_signal_emit_by_name (viewer->webrtc, "add-ice-candidate", mline,
                           candidate);
}

void
tg_push_restamped (GstElement *appsrc, GstBuffer *buffer)
{
  GstBuffer *copy = gst_buffer_copy (buffer);

  GST_BUFFER_PTS (copy) = GST_BUFFER_DTS (copy) = GST_CLOCK_TIME_NONE;
  gst_app_src_push_buffer (GST_APP_SRC (appsrc), copy);
}

/* A packet of the viewer's video, made part of its one RTP stream (its
 * bytes, 0 if it is not the viewer's). With the peer's lock. */
static gsize
push_video (TgViewer *viewer, GstElement *source, guint feed, GstBuffer *rtp)
{
  g_autoptr (GstBuffer) spliced
      = tg_rtp_splice (&viewer->splice, feed, rtp, g_get_monotonic_time ());

  if (spliced == NULL)
    return 0;
  tg_push_restamped (source, spliced);
  return gst_buffer_get_size (spliced);
}

/* A packet of the stream's Opus, with the payload type the viewer's
 * client gave it (when it offered): its bytes. With the peer's lock. */
static gsize
push_audio (TgViewer *viewer, GstElement *source, GstBuffer *rtp)
{
  g_autoptr (GstBuffer) copy = NULL;
  GstRTPBuffer packet = GST_RTP_BUFFER_INIT;

  if (viewer->audio_pt == PT_OPUS)
    {
      tg_push_restamped (source, rtp);
      return gst_buffer_get_size (rtp);
    }
  copy = gst_buffer_copy_deep (rtp);
  if (!gst_rtp_buffer_map (copy, GST_MAP_WRITE, &packet))
    return 0;
  gst_rtp_buffer_set_payload_type (&packet, viewer->audio_pt);
  gst_rtp_buffer_unmap (&packet);
  tg_push_restamped (source, copy);
  return gst_buffer_get_size (copy);
}

void
tg_viewer_push (TgViewer *viewer, TgViewerTrack track, guint feed,
                GstBuffer *rtp, GPtrArray *gop)
{
  GstElement *source = NULL;
  gsize size = 0;

  if (!tg_webrtc_peer_lock_open (viewer->peer))
    return;
  if (track < viewer->tracks)
    source = viewer->sources[track];
  if (source && track == TG_VIEWER_VIDEO && viewer->fresh && gop)
    for (guint i = 0; i < gop->len; i++)
      size += push_video (viewer, source, feed, gop->pdata[i]);
  else if (source && track == TG_VIEWER_VIDEO && rtp)
    size = push_video (viewer, source, feed, rtp);
  else if (source && rtp)
    size = push_audio (viewer, source, rtp);
  __atomic_fetch_add (&viewer->sent, size, __ATOMIC_RELAXED);
  if (source && track == TG_VIEWER_VIDEO)
    viewer->fresh = FALSE;
  tg_webrtc_peer_unlock (viewer->peer);
}

guint64
tg_viewer_get_bytes_sent (TgViewer *viewer)
{
  return __atomic_load_n (&viewer->sent, __ATOMIC_RELAXED);
}

gboolean
tg_viewer_take_key_frame (TgViewer *viewer)
{
  return g_atomic_int_exchange (&viewer->key_frame_wanted, FALSE);
}

/* Viewers' pipelines are taken down on a thread of their own: webrtcbin's
 * way to NULL can take its time (and in 1.22 now and then stalls), and
 * the caller is an HTTP worker that serves other clients meanwhile. */
static GMutex reaper_lock;
static GCond reaped;
static GThreadPool *reaper;
static GPtrArray *reaping; /* TgViewer given to the reaper, not yet down */

/* A viewer not down this long after its change to NULL began is taken to
 * be stuck (unblock); how long the server, stopping, waits for them. */
#define STUCK_MS 1000
#define REAP_WAIT_S 5

/* A flush from each blocked pad that feeds an element of the pipeline;
 * counts them in *flushed. */
static void
flush_blocked (const GValue *item, gpointer flushed)
{
  GstElement *element = g_value_get_object (item);
  GstIterator *pads = gst_element_iterate_sink_pads (element);
  GValue pad = G_VALUE_INIT;

  while (gst_iterator_next (pads, &pad) == GST_ITERATOR_OK)
    {
      g_autoptr (GstPad) peer = gst_pad_get_peer (g_value_get_object (&pad));

      if (peer && gst_pad_is_blocked (peer))
        {
          gst_pad_push_event (peer, gst_event_new_flush_start ());
          (*(guint *) flushed)++;
        }
      g_value_reset (&pad);
    }
  g_value_unset (&pad);
  gst_iterator_free (pads);
}

/* A packet of ours can be held in webrtcbin (1.22) at a pad blocked until
 * its DTLS is done (inside webrtcbin: the pad that feeds dtlssrtpenc), with
 * the stream locks of every pad on its way, and the change to NULL then
 * waits for one of them forever. A flush started at the blocked pad itself
 * wakes the packet and sends it back (one sent into webrtcbin's sinks stops
 * at the first pad the change has already set flushing), then one into
 * webrtcbin's sinks. Only for a change that is stuck. Returns how many
 * blocked pads it found. */
static guint
unblock (TgViewer *viewer)
{
  GstIterator *elements = gst_bin_iterate_recurse (GST_BIN (viewer->pipeline));
  guint flushed = 0;

  while (gst_iterator_foreach (elements, flush_blocked, &flushed)
         == GST_ITERATOR_RESYNC)
    gst_iterator_resync (elements);
  gst_iterator_free (elements);
  for (guint t = 0; t < TG_VIEWER_TRACKS; t++)
    if (viewer->sinks[t])
      gst_pad_send_event (viewer->sinks[t], gst_event_new_flush_start ());
  return flushed;
}

/* On the main context: the viewer is still being taken down. */
static gboolean
unblock_stuck (gpointer data)
{
  TgViewer *viewer = data;

  g_message ("%s: a WebRTC viewer's pipeline is slow to stop: flushed (%u "
             "blocked pads)",
             viewer->name, unblock (viewer));
  return G_SOURCE_REMOVE;
}

static void
reap (gpointer data, gpointer unused)
{
  TgViewer *viewer = data;
  GSource *watch = g_timeout_source_new (STUCK_MS);

  g_source_set_callback (watch, unblock_stuck, tg_viewer_ref (viewer),
                         (GDestroyNotify) tg_viewer_unref);
  g_source_attach (watch, NULL);
  gst_element_set_state (viewer->pipeline, GST_STATE_NULL);
  g_source_destroy (watch);
  g_source_unref (watch);
  g_mutex_lock (&reaper_lock);
  g_ptr_array_remove_fast (reaping, viewer);
  g_cond_broadcast (&reaped);
  g_mutex_unlock (&reaper_lock);
  tg_viewer_unref (viewer);
}

void
tg_viewer_close (TgViewer *viewer)
{
  tg_webrtc_peer_close (viewer->peer);
  g_mutex_lock (&reaper_lock);
  if (reaper == NULL)
    {
      reaper = g_thread_pool_new (reap, NULL, 4, FALSE, NULL);
      reaping = g_ptr_array_new ();
    }
  g_ptr_array_add (reaping, viewer);
  g_thread_pool_push (reaper, tg_viewer_ref (viewer), NULL);
  g_mutex_unlock (&reaper_lock);
}

/* Waits until no viewer is being taken down, or until deadline. Locked. */
static gboolean
wait_reaped (gint64 deadline)
{
  while (reaping && reaping->len > 0
         && g_cond_wait_until (&reaped, &reaper_lock, deadline))
    ;
  return reaping == NULL || reaping->len == 0;
}

void
tg_viewer_wait_closed (void)
{
  gint64 now = g_get_monotonic_time ();

  /* The main loop has stopped: those still stuck are unblocked here. */
  g_mutex_lock (&reaper_lock);
  if (!wait_reaped (now + STUCK_MS * G_TIME_SPAN_MILLISECOND))
    for (guint i = 0; i < reaping->len; i++)
      unblock (reaping->pdata[i]);
  if (!wait_reaped (now + REAP_WAIT_S * G_TIME_SPAN_SECOND))
    g_message ("%u WebRTC viewers' pipelines did not stop within %d s",
               reaping->len, REAP_WAIT_S);
  g_mutex_unlock (&reaper_lock);
}

void
tg_viewer_end (TgViewer *viewer)
{
  tg_webrtc_peer_fail (viewer->peer, NULL, "the stream ended");
}
