#include "tg-rtmp-chunk.h"

#include "tollgate.h"

#include <string.h>

/* The header state of one chunk stream, kept between messages because
 * headers of types 1-3 leave out what did not change. */
typedef struct
{
  guint32 timestamp; /* of the current or last message */
  guint32 delta;     /* added by a type 3 header that starts a message */
  guint32 length;
  guint8 type;
  guint32 stream_id;
  gboolean extended;      /* the last type 0-2 header had one */
  guint32 extended_value; /* and this was it */
  GByteArray *payload;    /* non-NULL while a message is unfinished */
} ChunkStream;

struct _TgRtmpChunkReader
{
  TgRtmpMessageFunc func;
  gpointer user_data;
  guint32 chunk_size;
  GHashTable *streams; /* chunk stream id -> ChunkStream */
  GByteArray *pending; /* input not parsed yet: part of one chunk */
  gsize buffered;      /* bytes in unfinished messages */
  gboolean failed;
};

/* What the header of the next chunk says, before anything is changed. */
typedef struct
{
  guint fmt;
  guint32 csid;
  guint32 field; /* the 24-bit timestamp or delta, or the extended one */
  gboolean extended;
  guint32 length;
  guint8 type;
  guint32 stream_id;
  gsize header_size;
} ChunkHeader;

typedef enum
{
  PARSE_OK,
  PARSE_MORE,
  PARSE_ERROR,
} ParseResult;

static void
chunk_stream_free (gpointer data)
{
  ChunkStream *stream = data;

  if (stream->payload)
    g_byte_array_unref (stream->payload);
  g_free (stream);
}

TgRtmpChunkReader *
tg_rtmp_chunk_reader_new (TgRtmpMessageFunc func, gpointer user_data)
{
  TgRtmpChunkReader *reader;

  g_return_val_if_fail (func != NULL, NULL);
  reader = g_new0 (TgRtmpChunkReader, 1);
  reader->func = func;
  reader->user_data = user_data;
  reader->chunk_size = TG_RTMP_DEFAULT_CHUNK_SIZE;
  reader->streams = g_hash_table_new_full (NULL, NULL, NULL, chunk_stream_free);
  reader->pending = g_byte_array_new ();
  return reader;
}

void
tg_rtmp_chunk_reader_free (TgRtmpChunkReader *reader)
{
  if (reader == NULL)
    return;
  g_hash_table_unref (reader->streams);
  g_byte_array_unref (reader->pending);
  g_free (reader);
}

guint32
tg_rtmp_chunk_reader_get_chunk_size (TgRtmpChunkReader *reader)
{
  return reader->chunk_size;
}

static guint32
read_be (const guint8 *p, guint count)
{
  guint32 number = 0;

  for (guint i = 0; i < count; i++)
    number = (number << 8) | p[i];
  return number;
}

static ChunkStream *
lookup (TgRtmpChunkReader *reader, guint32 csid)
{
  return g_hash_table_lookup (reader->streams, GUINT_TO_POINTER (csid));
}

/* Reads the basic and message headers at p; checks them against the chunk
 * stream's state without changing it. */
static ParseResult
parse_header (TgRtmpChunkReader *reader, const guint8 *p, gsize size,
              ChunkHeader *h, GError **error)
{
  static const gsize message_header_sizes[] = { 11, 7, 3, 0 };
  ChunkStream *stream;
  gsize pos = 1;

  if (size < 1)
    return PARSE_MORE;
  h->fmt = p[0] >> 6;
  h->csid = p[0] & 0x3f;
  if (h->csid < 2)
    {
      gsize extra = h->csid == 0 ? 1 : 2;

      if (size < 1 + extra)
        return PARSE_MORE;
      h->csid = 64 + p[1] + (extra == 2 ? p[2] * 256 : 0);
      pos += extra;
    }
  if (size < pos + message_header_sizes[h->fmt])
    return PARSE_MORE;

  stream = lookup (reader, h->csid);
  if (stream == NULL && h->fmt != 0)
    {
      g_set_error (error, TG_ERROR, TG_ERROR_INVALID,
                   "RTMP: chunk header type %u on unknown chunk stream %u",
                   h->fmt, h->csid);
      return PARSE_ERROR;
    }
  if (stream == NULL
      && g_hash_table_size (reader->streams) >= TG_RTMP_MAX_CHUNK_STREAMS)
    {
      g_set_error (error, TG_ERROR, TG_ERROR_INVALID,
                   "RTMP: more than %d chunk streams",
                   TG_RTMP_MAX_CHUNK_STREAMS);
      return PARSE_ERROR;
    }
  if (stream && stream->payload && h->fmt != 3)
    {
      g_set_error (error, TG_ERROR, TG_ERROR_INVALID,
                   "RTMP: chunk header type %u in the middle of a message on "
                   "chunk stream %u",
                   h->fmt, h->csid);
      return PARSE_ERROR;
    }

  if (h->fmt <= 2)
    {
      h->field = read_be (p + pos, 3);
      h->extended = h->field == 0xffffff;
    }
  else
    h->extended = stream->extended;
  if (h->fmt <= 1)
    {
      h->length = read_be (p + pos + 3, 3);
      h->type = p[pos + 6];
    }
  else
    {
      h->length = stream->length;
      h->type = stream->type;
    }
  if (h->fmt == 0)
    h->stream_id = p[pos + 7] | p[pos + 8] << 8 | p[pos + 9] << 16
                   | (guint32) p[pos + 10] << 24;
  else
    h->stream_id = stream->stream_id;
  pos += message_header_sizes[h->fmt];

  if (h->extended)
    {
      if (size < pos + 4)
        return PARSE_MORE;
      h->field = read_be (p + pos, 4);
      pos += 4;
      if (h->fmt == 3 && h->field != stream->extended_value)
        {
          g_set_error (error, TG_ERROR, TG_ERROR_INVALID,
                       "RTMP: extended timestamp %u of a type 3 chunk on "
                       "chunk stream %u differs from its header's (%u)",
                       h->field, h->csid, stream->extended_value);
          return PARSE_ERROR;
        }
    }
  if (h->length > TG_RTMP_MAX_MESSAGE_SIZE)
    {
      g_set_error (error, TG_ERROR, TG_ERROR_INVALID,
                   "RTMP: message of %u bytes on chunk stream %u (at most %d)",
                   h->length, h->csid, TG_RTMP_MAX_MESSAGE_SIZE);
      return PARSE_ERROR;
    }
  h->header_size = pos;
  return PARSE_OK;
}

/* Set Chunk Size and Abort Message act on the reader itself. */
static gboolean
control (TgRtmpChunkReader *reader, const TgRtmpMessage *message,
         GError **error)
{
  guint32 value;

  if (message->size < 4)
    {
      g_set_error (error, TG_ERROR, TG_ERROR_INVALID,
                   "RTMP: control message of type %u with %" G_GSIZE_FORMAT
                   " bytes",
                   message->type, message->size);
      return FALSE;
    }
  value = read_be (message->data, 4);
  if (message->type == TG_RTMP_SET_CHUNK_SIZE)
    {
      if (value < 1 || value > TG_RTMP_MAX_CHUNK_SIZE)
        {
          g_set_error (error, TG_ERROR, TG_ERROR_INVALID,
                       "RTMP: chunk size %u (must be 1 to %d)", value,
                       TG_RTMP_MAX_CHUNK_SIZE);
          return FALSE;
        }
      reader->chunk_size = value;
    }
  else
    {
      ChunkStream *stream = lookup (reader, value);

      if (stream && stream->payload)
        {
          reader->buffered -= stream->payload->len;
          g_clear_pointer (&stream->payload, g_byte_array_unref);
        }
    }
  return TRUE;
}

static gboolean
deliver (TgRtmpChunkReader *reader, ChunkStream *stream, guint32 csid,
         const guint8 *data, gsize size, GError **error)
{
  TgRtmpMessage message = {
    csid, stream->type, stream->timestamp, stream->stream_id, data, size
  };

  if ((stream->type == TG_RTMP_SET_CHUNK_SIZE || stream->type == TG_RTMP_ABORT)
      && !control (reader, &message, error))
    return FALSE;
  return reader->func (&message, reader->user_data, error);
}

/* Parses and applies the one chunk at p, if complete; *used gets its size. */
static ParseResult
parse_chunk (TgRtmpChunkReader *reader, const guint8 *p, gsize size,
             gsize *used, GError **error)
{
  ChunkHeader h = { 0 };
  ChunkStream *stream;
  ParseResult result = parse_header (reader, p, size, &h, error);
  guint32 received, count;
  const guint8 *body;
  gboolean ok;

  if (result != PARSE_OK)
    return result;
  stream = lookup (reader, h.csid);
  received = stream && stream->payload ? stream->payload->len : 0;
  count = MIN (reader->chunk_size, h.length - received);
  if (size - h.header_size < count)
    return PARSE_MORE;
  if (received + count < h.length
      && reader->buffered + count > TG_RTMP_MAX_BUFFERED)
    {
      g_set_error (error, TG_ERROR, TG_ERROR_INVALID,
                   "RTMP: more than %d bytes of unfinished messages",
                   TG_RTMP_MAX_BUFFERED);
      return PARSE_ERROR;
    }
  *used = h.header_size + count;
  body = p + h.header_size;

  /* The chunk is whole: commit its header. */
  if (stream == NULL)
    {
      stream = g_new0 (ChunkStream, 1);
      g_hash_table_insert (reader->streams, GUINT_TO_POINTER (h.csid), stream);
    }
  if (h.fmt <= 2)
    {
      stream->extended = h.extended;
      stream->extended_value = h.extended ? h.field : 0;
    }
  if (h.fmt == 0)
    {
      stream->timestamp = h.field;
      stream->delta = 0;
    }
  else if (h.fmt <= 2)
    {
      stream->delta = h.field;
      stream->timestamp += stream->delta;
    }
  else if (stream->payload == NULL)
    stream->timestamp += stream->delta;
  stream->length = h.length;
  stream->type = h.type;
  stream->stream_id = h.stream_id;

  /* A message in one chunk needs no copy. */
  if (stream->payload == NULL && count == h.length)
    return deliver (reader, stream, h.csid, body, count, error) ? PARSE_OK
                                                                : PARSE_ERROR;
  if (stream->payload == NULL)
    stream->payload = g_byte_array_new ();
  g_byte_array_append (stream->payload, body, count);
  reader->buffered += count;
  if (stream->payload->len < h.length)
    return PARSE_OK;

  {
    g_autoptr (GByteArray) payload = g_steal_pointer (&stream->payload);

    reader->buffered -= payload->len;
    ok = deliver (reader, stream, h.csid, payload->data, payload->len, error);
  }
  return ok ? PARSE_OK : PARSE_ERROR;
}

/* Parses the chunks at data; *used gets the size of those parsed. */
static gboolean
parse_all (TgRtmpChunkReader *reader, const guint8 *data, gsize size,
           gsize *used, GError **error)
{
  *used = 0;
  for (;;)
    {
      gsize chunk = 0;

      switch (parse_chunk (reader, data + *used, size - *used, &chunk, error))
        {
        case PARSE_OK:
          *used += chunk;
          break;
        case PARSE_MORE:
          return TRUE;
        case PARSE_ERROR:
          return FALSE;
        }
    }
}

gboolean
tg_rtmp_chunk_reader_feed (TgRtmpChunkReader *reader, const guint8 *data,
                           gsize size, GError **error)
{
  gsize used;

  g_return_val_if_fail (reader != NULL, FALSE);
  g_return_val_if_fail (data != NULL || size == 0, FALSE);

  if (reader->failed)
    {
      g_set_error (error, TG_ERROR, TG_ERROR_INVALID,
                   "RTMP: the chunk stream failed earlier");
      return FALSE;
    }
  if (size == 0)
    return TRUE;
  if (reader->pending->len == 0)
    {
      /* The common case: parse the caller's bytes, keep the rest. */
      if (!parse_all (reader, data, size, &used, error))
        goto failed;
      g_byte_array_append (reader->pending, data + used, size - used);
      return TRUE;
    }
  g_byte_array_append (reader->pending, data, size);
  if (!parse_all (reader, reader->pending->data, reader->pending->len, &used,
                  error))
    goto failed;
  g_byte_array_remove_range (reader->pending, 0, used);
  return TRUE;

failed:
  reader->failed = TRUE;
  return FALSE;
}

static void
put_be (GByteArray *out, guint32 number, guint count)
{
  for (guint i = count; i > 0; i--)
    {
      guint8 byte = (number >> (8 * (i - 1))) & 0xff;

      g_byte_array_append (out, &byte, 1);
    }
}

static void
put_basic_header (GByteArray *out, guint fmt, guint32 csid)
{
  if (csid < 64)
    put_be (out, fmt << 6 | csid, 1);
  else if (csid < 320)
    {
      put_be (out, fmt << 6, 1);
      put_be (out, csid - 64, 1);
    }
  else
    {
      put_be (out, fmt << 6 | 1, 1);
      put_be (out, (csid - 64) & 0xff, 1);
      put_be (out, (csid - 64) >> 8, 1);
    }
}

void
tg_rtmp_chunk_write (GByteArray *out, guint32 chunk_size,
                     const TgRtmpMessage *message)
{
  gboolean extended;
  gsize offset = 0;

  g_return_if_fail (out != NULL && message != NULL);
  g_return_if_fail (chunk_size >= 1);
  g_return_if_fail (message->chunk_stream >= 2
                    && message->chunk_stream <= TG_RTMP_MAX_CHUNK_STREAM_ID);
  g_return_if_fail (message->size < 0x1000000);

  extended = message->timestamp >= 0xffffff;
  put_basic_header (out, 0, message->chunk_stream);
  put_be (out, extended ? 0xffffff : message->timestamp, 3);
  put_be (out, message->size, 3);
  put_be (out, message->type, 1);
  /* The one little-endian field of RTMP. */
  for (guint i = 0; i < 4; i++)
    put_be (out, (message->stream_id >> (8 * i)) & 0xff, 1);
  for (;;)
    {
      gsize count = MIN (chunk_size, message->size - offset);

      if (extended)
        put_be (out, message->timestamp, 4);
      if (count > 0)
        g_byte_array_append (out, message->data + offset, count);
      offset += count;
      if (offset >= message->size)
        break;
      put_basic_header (out, 3, message->chunk_stream);
    }
}
