#include "tg-ingest-check.h"

#include <string.h>

#include "tg-flv-script.h"

#define FLV "FLV: "
#define TS "MPEG-TS: "

#define TS_PACKET 188
/* The first bytes of a tag's body that the rules read. */
#define FLV_BODY_PREFIX 2
/* The largest script data tag (onMetaData) held to be read: encoders send
 * a few hundred bytes. */
#define FLV_SCRIPT_MAX (64 * 1024)

typedef enum
{
  FLV_HEADER,     /* the 9-byte file header */
  FLV_SKIP,       /* the rest of the header, a body, or a tag size */
  FLV_TAG_HEADER, /* 11 bytes */
  FLV_BODY_START, /* the first bytes of a body */
  FLV_SCRIPT,     /* a script data tag's body, all of it */
} FlvState;

struct _TgIngestCheck
{
  gboolean mpegts;
  const char *refused; /* once a rule is broken */
  /* Bytes held until a whole unit is there: a TS packet, an FLV header or
   * tag header, the start of a tag body. */
  guint8 held[TS_PACKET];
  gsize have;
  /* FLV */
  FlvState state;
  gsize need;      /* bytes of the current unit (FLV_SKIP: still to skip) */
  guint8 tag_type; /* of the tag whose body comes */
  gsize body;      /* its size */
  gboolean aac_config, avc_config; /* a sequence header came */
  GByteArray *script;              /* FLV_SCRIPT: its body so far */
  /* MPEG-TS */
  gint pmt_pid;     /* -1 until the PAT names it */
  gint pmt_version; /* -1 until the first PMT */
  guint8 es[8192];  /* PIDs (bit 0: audio or video) of the program */
};

TgIngestCheck *
tg_ingest_check_new (gboolean mpegts)
{
  TgIngestCheck *check = g_new0 (TgIngestCheck, 1);

  check->mpegts = mpegts;
  check->state = FLV_HEADER;
  check->need = mpegts ? TS_PACKET : 9;
  check->pmt_pid = check->pmt_version = -1;
  return check;
}

void
tg_ingest_check_free (TgIngestCheck *check)
{
  if (check->script)
    g_byte_array_unref (check->script);
  g_free (check);
}

/* --- FLV --- */

/* A tag header (11 bytes) is here: what comes next. */
static const char *
flv_tag_header (TgIngestCheck *check, const guint8 *header)
{
  guint8 type = header[0] & 0x1f;

  if (header[0] & 0x20)
    return FLV "an encrypted tag";
  if (type != 8 && type != 9 && type != 18)
    return FLV "a tag that is neither audio, video nor script data";
  check->tag_type = type;
  check->body = (gsize) header[1] << 16 | header[2] << 8 | header[3];
  if (check->body == 0)
    {
      /* Nothing of it to read: skip its PreviousTagSize. */
      check->state = FLV_SKIP;
      check->need = 4;
      return NULL;
    }
  if (type == 18)
    {
      if (check->body > FLV_SCRIPT_MAX)
        return FLV "a script data tag larger than 64 KiB";
      check->state = FLV_SCRIPT;
      if (check->script == NULL)
        check->script = g_byte_array_new ();
      g_byte_array_set_size (check->script, 0);
      return NULL;
    }
  check->state = FLV_BODY_START;
  check->need = MIN (check->body, FLV_BODY_PREFIX);
  return NULL;
}

/* The first bytes of an audio or video tag's body are here. */
static const char *
flv_body_start (TgIngestCheck *check, const guint8 *body)
{
  if (check->tag_type == 8 && body[0] >> 4 == 10) /* AAC */
    {
      if (check->body < 2 || body[1] > 1)
        return FLV "an AAC tag that is neither a sequence header nor a frame";
      if (body[1] == 1 && !check->aac_config)
        return FLV "an AAC frame before the AAC sequence header";
      check->aac_config |= body[1] == 0;
    }
  else if (check->tag_type == 9 && (body[0] & 0x80))
    /* enhanced RTMP: a FourCC follows, of codecs flvdemux cannot read */
    return FLV "a video track of enhanced RTMP (HEVC, AV1, VP9): publish "
               "H.264";
  else if (check->tag_type == 9 && (body[0] & 0x0f) == 12)
    return FLV "a video track in HEVC (codec id 12): publish H.264";
  else if (check->tag_type == 9 && (body[0] & 0x0f) == 7) /* AVC */
    {
      if (check->body < 5 || body[1] > 2)
        return FLV "an AVC tag that is neither a sequence header, NAL "
                   "units nor an end of sequence";
      if (body[1] != 0 && !check->avc_config)
        return FLV "AVC data before the AVC sequence header";
      check->avc_config |= body[1] == 0;
    }
  check->state = FLV_SKIP;
  check->need = check->body - check->need + 4;
  return NULL;
}

/* A whole unit is held (not FLV_SKIP). */
static const char *
flv_unit (TgIngestCheck *check)
{
  const guint8 *unit = check->held;

  switch (check->state)
    {
    case FLV_HEADER:
      if (memcmp (unit, "FLV", 3) != 0)
        return FLV "not an FLV header";
      /* The rest of the header (its size counts these 9), and the first
       * PreviousTagSize. */
      check->state = FLV_SKIP;
      check->need
          = (gsize) unit[5] << 24 | unit[6] << 16 | unit[7] << 8 | unit[8];
      if (check->need < 9)
        return FLV "a header shorter than 9 bytes";
      check->need = check->need - 9 + 4;
      return NULL;
    case FLV_TAG_HEADER:
      return flv_tag_header (check, unit);
    case FLV_BODY_START:
      return flv_body_start (check, unit);
    default:
      g_assert_not_reached ();
    }
}

static const char *
flv_feed (TgIngestCheck *check, const guint8 *data, gsize size)
{
  while (size > 0)
    {
      gsize n;

      if (check->state == FLV_SCRIPT)
        {
          n = MIN (size, check->body - check->script->len);
          g_byte_array_append (check->script, data, (guint) n);
          data += n, size -= n;
          if (check->script->len == check->body)
            {
              const char *refused = tg_flv_script_check (check->script->data,
                                                         check->script->len);

              if (refused)
                return refused;
              check->state = FLV_SKIP;
              check->need = 4;
            }
          continue;
        }
      if (check->state == FLV_SKIP)
        {
          n = MIN (size, check->need);
          data += n, size -= n, check->need -= n;
          if (check->need == 0)
            {
              check->state = FLV_TAG_HEADER;
              check->need = 11;
            }
          continue;
        }
      n = MIN (size, check->need - check->have);
      memcpy (check->held + check->have, data, n);
      check->have += n;
      data += n, size -= n;
      if (check->have == check->need)
        {
          const char *refused = flv_unit (check);

          check->have = 0;
          if (refused)
            return refused;
        }
    }
  return NULL;
}

/* --- MPEG-TS --- */

/* A PSI section's start in a packet's payload (after its pointer field),
 * or NULL. */
static const guint8 *
section (const guint8 *payload, gsize size, gsize *length)
{
  gsize pointer;

  if (size < 1)
    return NULL;
  pointer = payload[0];
  if (1 + pointer + 3 > size)
    return NULL;
  payload += 1 + pointer;
  size -= 1 + pointer;
  *length = MIN (size, 3 + ((gsize) (payload[1] & 0x0f) << 8 | payload[2]));
  return payload;
}

static const char *
ts_pat (TgIngestCheck *check, const guint8 *payload, gsize size)
{
  gsize length;
  const guint8 *pat = section (payload, size, &length);

  if (pat == NULL || pat[0] != 0x00)
    return NULL;
  /* Programs: 4 bytes each after the 8-byte header, before the CRC. */
  for (gsize at = 8; at + 4 + 4 <= length; at += 4)
    {
      guint program = pat[at] << 8 | pat[at + 1];
      gint pid = (pat[at + 2] & 0x1f) << 8 | pat[at + 3];

      if (program == 0)
        continue; /* the network PID */
      if (check->pmt_pid >= 0 && pid != check->pmt_pid)
        return TS "the program changed (another PMT)";
      check->pmt_pid = pid;
      break;
    }
  return NULL;
}

static gboolean
is_media (guint8 stream_type)
{
  switch (stream_type)
    {
    case 0x03: /* MPEG audio */
    case 0x04:
    case 0x0f: /* AAC, ADTS */
    case 0x11: /* AAC, LATM */
    case 0x1b: /* H.264 */
    case 0x24: /* H.265 */
    case 0x02: /* MPEG-2 video */
    case 0x10: /* MPEG-4 video */
      return TRUE;
    default:
      return FALSE;
    }
}

static const char *
ts_pmt (TgIngestCheck *check, const guint8 *payload, gsize size)
{
  gsize length, at;
  const guint8 *pmt = section (payload, size, &length);
  gint version;

  if (pmt == NULL || pmt[0] != 0x02 || length < 12)
    return NULL;
  version = (pmt[5] >> 1) & 0x1f;
  if (check->pmt_version >= 0)
    return version == check->pmt_version ? NULL
                                         : TS
               "the program changed (a new PMT version)";
  check->pmt_version = version;
  /* The streams, after the program info, before the CRC. */
  at = 12 + ((gsize) (pmt[10] & 0x0f) << 8 | pmt[11]);
  while (at + 5 + 4 <= length)
    {
      guint pid = (pmt[at + 1] & 0x1f) << 8 | pmt[at + 2];

      if (is_media (pmt[at]))
        check->es[pid] = 1;
      at += 5 + ((gsize) (pmt[at + 3] & 0x0f) << 8 | pmt[at + 4]);
    }
  return NULL;
}

/* The start of a PES of the program's audio or video. */
static const char *
ts_pes (const guint8 *payload, gsize size)
{
  guint8 id;

  if (size < 9 || payload[0] || payload[1] || payload[2] != 1)
    return NULL; /* not a PES start: the demuxer's business */
  id = payload[3];
  if ((id < 0xc0 || id > 0xef) && id != 0xbd)
    return NULL; /* a stream without the optional header */
  if ((payload[7] >> 6) < 2)
    return TS "an audio or video PES without a PTS";
  return NULL;
}

static const char *
ts_packet (TgIngestCheck *check, const guint8 *packet)
{
  guint pid = (packet[1] & 0x1f) << 8 | packet[2];
  gboolean start = packet[1] & 0x40;
  guint control = (packet[3] >> 4) & 3;
  gsize offset = 4;

  if (packet[0] != 0x47)
    return TS "a packet without its sync byte";
  if (control == 0 || control == 2)
    return NULL; /* no payload */
  if (control == 3)
    {
      offset += 1 + packet[4];
      if (offset > TS_PACKET)
        return TS "an adaptation field longer than its packet";
    }
  if (!start)
    return NULL;
  if (pid == 0)
    return ts_pat (check, packet + offset, TS_PACKET - offset);
  if ((gint) pid == check->pmt_pid)
    return ts_pmt (check, packet + offset, TS_PACKET - offset);
  if (check->es[pid])
    return ts_pes (packet + offset, TS_PACKET - offset);
  return NULL;
}

static const char *
ts_feed (TgIngestCheck *check, const guint8 *data, gsize size)
{
  while (size > 0)
    {
      const guint8 *packet = data;
      const char *refused;

      if (check->have > 0 || size < TS_PACKET)
        {
          gsize n = MIN (size, TS_PACKET - check->have);

          memcpy (check->held + check->have, data, n);
          check->have += n;
          data += n, size -= n;
          if (check->have < TS_PACKET)
            return NULL;
          packet = check->held;
          check->have = 0;
        }
      else
        data += TS_PACKET, size -= TS_PACKET;
      refused = ts_packet (check, packet);
      if (refused)
        return refused;
    }
  return NULL;
}

gboolean
tg_ingest_check_feed (TgIngestCheck *check, const guint8 *data, gsize size,
                      const char **reason)
{
  if (check->refused == NULL)
    check->refused = check->mpegts ? ts_feed (check, data, size)
                                   : flv_feed (check, data, size);
  *reason = check->refused;
  return check->refused == NULL;
}
