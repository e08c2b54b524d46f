/* The publisher's media, checked on a pad before any parser or muxer sees
 * it (tg-codec-check.h): the configuration records in its caps (AAC
 * AudioSpecificConfig, AVCDecoderConfigurationRecord) and what each buffer
 * carries (ADTS headers, H.264 NAL framing with its SPS and PPS). The first
 * malformed one refuses the track: refused is called once, and from then on
 * nothing passes. Used after the demuxers (FLV from RTMP, MPEG-TS from SRT)
 * and after the WebRTC depayloaders. */
#pragma once

#include <gst/gst.h>

/* Called once, on a streaming thread; what says what was refused ("AAC
 * AudioSpecificConfig: empty"). */
typedef void (*TgMediaRefused) (GstPad *pad, const char *what, gpointer data);

void tg_media_check_pad (GstPad *pad, TgMediaRefused refused, gpointer data);
