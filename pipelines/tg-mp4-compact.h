/* A finished recording made with its index reserved at the start (mp4mux's
 * reserved-max-duration, so that a crash leaves a playable file) is mostly
 * padding: ftyp, free (megabytes), moov, free (megabytes), ..., mdat. It is
 * compacted in place, its index still first: the block-aligned inside of
 * each free box before mdat is cut out of the file (fallocate's
 * COLLAPSE_RANGE: no byte of media is copied, whatever the recording's
 * length), then the free boxes' sizes and the index's chunk offsets (stco,
 * co64) are rewritten. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* Compacts the file at path; *saved: the bytes cut. FALSE with error (the
 * file as it was) when it is not laid out so (no moov before its one mdat,
 * an index it cannot read) or the file system cannot cut ranges out of a
 * file (it must be ext4 or XFS). */
gboolean tg_mp4_compact (const char *path, guint64 *saved, GError **error);

G_END_DECLS
