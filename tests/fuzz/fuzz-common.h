/* Included once by each fuzzer. */
#pragma once

#include <glib.h>
#include <string.h>

/* Under G_DEBUG=fatal-warnings (as in every test run) a GLib warning or
 * critical raises SIGTRAP, which libFuzzer does not catch: have ASan report
 * it, so the input is saved like any other crash. */
const char *__asan_default_options (void);

const char *
__asan_default_options (void)
{
  return "handle_sigtrap=1";
}
