/* RTMP chunk streams: a reader that reassembles messages from the chunks of
 * untrusted input, and a writer that splits messages into chunks.
 *
 * The reader takes bytes as they come (any split), keeps the header state
 * of each chunk stream, applies Set Chunk Size and Abort Message itself and
 * hands every complete message (those two included) to a callback. It
 * refuses, with a
 * TG_ERROR_INVALID error: chunk sizes outside 1..65536, messages longer
 * than TG_RTMP_MAX_MESSAGE_SIZE, more than TG_RTMP_MAX_CHUNK_STREAMS chunk
 * streams, more than TG_RTMP_MAX_BUFFERED bytes of unfinished messages, a
 * compressed header (types 1-3) on a chunk stream it has not seen, a new
 * message header (types 0-2) in the middle of a message, and an extended
 * timestamp on a continuation chunk that differs from its header's. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define TG_RTMP_DEFAULT_CHUNK_SIZE 128
#define TG_RTMP_MAX_CHUNK_SIZE 65536
#define TG_RTMP_MAX_MESSAGE_SIZE (4 * 1024 * 1024)
#define TG_RTMP_MAX_CHUNK_STREAMS 64
#define TG_RTMP_MAX_BUFFERED (16 * 1024 * 1024)
/* Chunk stream ids: 2 for protocol control; 3..65599 for the rest. */
#define TG_RTMP_MAX_CHUNK_STREAM_ID 65599

typedef enum
{
  TG_RTMP_SET_CHUNK_SIZE = 1,
  TG_RTMP_ABORT = 2,
  TG_RTMP_ACKNOWLEDGEMENT = 3,
  TG_RTMP_USER_CONTROL = 4,
  TG_RTMP_WINDOW_ACK_SIZE = 5,
  TG_RTMP_SET_PEER_BANDWIDTH = 6,
  TG_RTMP_AUDIO = 8,
  TG_RTMP_VIDEO = 9,
  TG_RTMP_DATA_AMF3 = 15,
  TG_RTMP_COMMAND_AMF3 = 17,
  TG_RTMP_DATA_AMF0 = 18,
  TG_RTMP_COMMAND_AMF0 = 20,
  TG_RTMP_AGGREGATE = 22,
} TgRtmpMessageType;

typedef struct
{
  guint32 chunk_stream; /* the chunk stream id it came or goes on */
  guint8 type;          /* TgRtmpMessageType */
  guint32 timestamp;    /* milliseconds, absolute, wrapping at 2^32 */
  guint32 stream_id;    /* the message stream id */
  const guint8 *data;
  gsize size;
} TgRtmpMessage;

/* Gets each complete message; message->data is valid during the call only.
 * Return FALSE with an error to stop the reader. */
typedef gboolean (*TgRtmpMessageFunc) (const TgRtmpMessage *message,
                                       gpointer user_data, GError **error);

typedef struct _TgRtmpChunkReader TgRtmpChunkReader;

TgRtmpChunkReader *tg_rtmp_chunk_reader_new (TgRtmpMessageFunc func,
                                             gpointer user_data);
void tg_rtmp_chunk_reader_free (TgRtmpChunkReader *reader);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (TgRtmpChunkReader, tg_rtmp_chunk_reader_free)

/* Parses data, calling func for each message completed. FALSE with an
 * error on bad input or when func fails; the reader is then dead and every
 * later call fails too. */
gboolean tg_rtmp_chunk_reader_feed (TgRtmpChunkReader *reader,
                                    const guint8 *data, gsize size,
                                    GError **error);

/* The peer's chunk size, as last set by Set Chunk Size. */
guint32 tg_rtmp_chunk_reader_get_chunk_size (TgRtmpChunkReader *reader);

/* Appends message as chunks of at most chunk_size payload bytes: a type 0
 * header, then type 3 headers (with the extended timestamp repeated when
 * there is one). message->size must be below 2^24. */
void tg_rtmp_chunk_write (GByteArray *out, guint32 chunk_size,
                          const TgRtmpMessage *message);

G_END_DECLS
