/* The files of an ABR ladder that are not a muxer's (tg-abr-files.c): the
 * master playlist, and the end of a ladder's files. */
#pragma once

#include <glib.h>

/* A variant the master playlist lists. */
typedef struct
{
  gint64 bandwidth; /* bits per second */
  gint width, height;
  const char *codec; /* the H.264 profile-level-id: "64001f" */
  gboolean audio;    /* it has AAC too */
  char *uri;         /* the variant's playlist, relative */
} TgAbrVariant;

/* Writes the master playlist to path, highest bandwidth first: whole or
 * not at all (a temporary file in the same folder, renamed). Sorts
 * variants. */
gboolean tg_abr_write_master (const char *path, TgAbrVariant *variants,
                              guint n_variants, GError **error);

/* Removes from dir each name's playlist and segments: {name}.m3u8,
 * {name}%09d.ts. */
void tg_abr_delete_files (const char *dir, const char *const *names);
