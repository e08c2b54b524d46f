/* Checks of the codec configuration a publisher sends, before it reaches a
 * GStreamer element: GStreamer 1.22.0 trusts some of these records (an
 * empty AAC AudioSpecificConfig crashes mpegtsmux; a PPS with slice group
 * map type 6 makes the H.264 parser allocate up to 4 GiB), so whatever
 * comes from RTMP (FLV), SRT (MPEG-TS) or WebRTC (RTP) is checked here and
 * the stream refused when it is malformed or something the server's
 * pipelines cannot carry.
 *
 * Each check reads only the bytes it is given (no allocation but a copy of
 * an SPS or PPS without its emulation prevention bytes) and returns TRUE
 * for a well-formed record the pipelines support; else FALSE with *reason
 * set to a static string for the log line, such as "AAC
 * AudioSpecificConfig: reserved sampling frequency index 13". reason may
 * be NULL; on success *reason is set to NULL. data may be NULL when size
 * is 0. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* An AAC AudioSpecificConfig (ISO 14496-3 1.6.2.1), as in the AAC sequence
 * header of FLV (after AF 00) and in the codec_data of flvdemux's
 * audio/mpeg caps: AAC Main, LC, SSR or LTP, or those under SBR or PS
 * (HE-AAC v1/v2, explicit signalling); sampling frequency index 0..12 (an
 * explicit rate, index 15, is refused: mpegtsmux cannot write it in ADTS);
 * channel configuration 1..7. Bytes after the GASpecificConfig (the SBR
 * sync extension) are checked when they hold one, else ignored. */
gboolean tg_codec_check_aac_config (const guint8 *data, gsize size,
                                    const char **reason);

/* One buffer of ADTS frames (tsdemux's audio/mpeg stream-format=adts, a
 * PES payload): every header checked (syncword, layer 0, sampling
 * frequency index 0..12, channel configuration 1..7, one raw data block),
 * each frame longer than its header, all of one configuration, the frames
 * following one another from the start; the last may be cut short (a PES
 * cut by a lost packet, or by the publisher's end: aacparse drops it), and
 * its header is checked as far as it goes. */
gboolean tg_codec_check_adts (const guint8 *data, gsize size,
                              const char **reason);

/* An AVCDecoderConfigurationRecord (ISO 14496-15 5.2.4.1; FLV's AVC
 * sequence header after 17 00 00 00 00, the codec_data of video/x-h264
 * stream-format=avc): version 1, NAL length size 1, 2 or 4, 1..31 SPS and
 * 1..255 PPS each checked as below (every PPS naming one of the SPS), the
 * profile and level bytes those of the first SPS, and the extension of
 * High profiles (chroma format, bit depths, SPS extensions) absent or
 * well-formed and agreeing with the SPS. Once it is accepted, the NAL
 * length size for tg_codec_check_h264_frame is (data[4] & 3) + 1. */
gboolean tg_codec_check_avcc (const guint8 *data, gsize size,
                              const char **reason);

/* An H.264 sequence parameter set NAL unit (H.264 7.3.2.1.1), with its
 * header byte and its emulation prevention bytes: a known profile, fields
 * in range, picture 16..8192 pixels each way with the cropping inside it.
 * Of the VUI, only what GStreamer's parser refuses is refused (truncation,
 * chroma sample location type above 5, more than 32 HRD CPB, MV length or
 * bits per MB denominator above 16): h264parse drops such an SPS. */
gboolean tg_codec_check_h264_sps (const guint8 *nal, gsize size,
                                  const char **reason);

/* An H.264 picture parameter set NAL unit (H.264 7.3.2.2). Alone, its SPS
 * is unknown: the QP range allowed is the widest (14-bit video) and the
 * scaling lists are read for 4:2:0 and, failing that, 4:4:4 video. Slice
 * groups (FMO) are refused. */
gboolean tg_codec_check_h264_pps (const guint8 *nal, gsize size,
                                  const char **reason);

/* An access unit: NAL units each behind a big-endian length of
 * nal_length_size (1, 2 or 4) bytes, as in FLV and avc caps, or with
 * nal_length_size 0 an Annex B byte stream (tsdemux, rtph264depay), with
 * start codes. The lengths fill the buffer exactly (Annex B: it starts
 * with a start code), no NAL unit is empty, every forbidden_zero_bit is 0
 * and every SPS and PPS inside is checked as above (a PPS against an SPS
 * earlier in the same buffer). */
gboolean tg_codec_check_h264_frame (const guint8 *data, gsize size,
                                    guint nal_length_size, const char **reason);

G_END_DECLS
