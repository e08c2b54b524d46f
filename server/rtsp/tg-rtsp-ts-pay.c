#include "tg-rtsp-ts-pay.h"

#include <gst/rtp/gstrtpbuffer.h>

#define TS_PACKET 188

struct _TgRtspTsPay
{
  GstRTPBasePayload parent;
};

G_DEFINE_TYPE (TgRtspTsPay, tg_rtsp_ts_pay, GST_TYPE_RTP_BASE_PAYLOAD)

static GstStaticPadTemplate sink_template = GST_STATIC_PAD_TEMPLATE (
    "sink", GST_PAD_SINK, GST_PAD_ALWAYS,
    GST_STATIC_CAPS ("video/mpegts, packetsize = (int) 188, "
                     "systemstream = (boolean) true"));

static GstStaticPadTemplate src_template = GST_STATIC_PAD_TEMPLATE (
    "src", GST_PAD_SRC, GST_PAD_ALWAYS,
    GST_STATIC_CAPS ("application/x-rtp, media = (string) video, "
                     "payload = (int) [ 0, 127 ], clock-rate = (int) 90000, "
                     "encoding-name = (string) MP2T"));

static gboolean
set_caps (GstRTPBasePayload *payload, GstCaps *caps)
{
  (void) caps;
  gst_rtp_base_payload_set_options (
      payload, "video", payload->pt != GST_RTP_PAYLOAD_MP2T, "MP2T", 90000);
  return gst_rtp_base_payload_set_outcaps (payload, NULL);
}

/* The buffer's whole packets, as many as the MTU holds a packet, pushed
 * as one list; each RTP packet has the buffer's time. */
static GstFlowReturn
handle_buffer (GstRTPBasePayload *payload, GstBuffer *buffer)
{
  gsize size = gst_buffer_get_size (buffer);
  guint room = gst_rtp_buffer_calc_payload_len (
      GST_RTP_BASE_PAYLOAD_MTU (payload), 0, 0);
  gsize per = MAX (room / TS_PACKET, 1) * TS_PACKET;
  GstBufferList *list = gst_buffer_list_new_sized (size / per + 1);

  for (gsize at = 0; at + TS_PACKET <= size; at += per)
    {
      gsize length = MIN (per, (size - at) / TS_PACKET * TS_PACKET);
      GstBuffer *packet
          = gst_rtp_base_payload_allocate_output_buffer (payload, 0, 0, 0);

      packet = gst_buffer_append (
          packet,
          gst_buffer_copy_region (buffer, GST_BUFFER_COPY_MEMORY, at, length));
      GST_BUFFER_PTS (packet) = GST_BUFFER_PTS (buffer);
      gst_buffer_list_add (list, packet);
    }
  gst_buffer_unref (buffer);
  if (gst_buffer_list_length (list) == 0)
    {
      gst_buffer_list_unref (list);
      return GST_FLOW_OK;
    }
  return gst_rtp_base_payload_push_list (payload, list);
}

static void
tg_rtsp_ts_pay_class_init (TgRtspTsPayClass *klass)
{
  GstElementClass *element_class = GST_ELEMENT_CLASS (klass);
  GstRTPBasePayloadClass *payload_class = GST_RTP_BASE_PAYLOAD_CLASS (klass);

  payload_class->set_caps = set_caps;
  payload_class->handle_buffer = handle_buffer;
  gst_element_class_add_static_pad_template (element_class, &sink_template);
  gst_element_class_add_static_pad_template (element_class, &src_template);
  gst_element_class_set_static_metadata (
      element_class, "Tollgate RTSP MPEG-TS payloader",
      "Codec/Payloader/Network/RTP",
      "MPEG-TS into RTP (RFC 2250), a buffer's packets as one list",
      "Tollgate");
}

static void
tg_rtsp_ts_pay_init (TgRtspTsPay *pay)
{
  (void) pay;
}

void
tg_rtsp_ts_pay_register (void)
{
  static gsize once = 0;

  if (g_once_init_enter (&once))
    {
      gst_element_register (NULL, "tgrtsptspay", GST_RANK_NONE,
                            TG_TYPE_RTSP_TS_PAY);
      g_once_init_leave (&once, 1);
    }
}
