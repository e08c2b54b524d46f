/* A real redis-server for the store's tests, on a unix socket and a TCP
 * port of its own in a temporary folder, without persistence. */
#pragma once

#include <glib.h>

typedef struct _TestRedis TestRedis;

/* Starts redis-server (from PATH) and waits until it answers; fails the
 * test if it cannot (Debian: the package redis-server). */
TestRedis *test_redis_start (void);
/* Stops it (SIGTERM, then waits) and removes its folder. */
void test_redis_stop (TestRedis *redis);
/* Stops the server only (test_redis_relaunch starts it again, empty, on the
 * same socket and port). */
void test_redis_halt (TestRedis *redis);
void test_redis_relaunch (TestRedis *redis);
/* One inline command sent on a connection of its own ("SCRIPT FLUSH"): the
 * first line of the reply ("+OK"), or NULL if the server did not answer.
 * Free it. */
char *test_redis_ask (TestRedis *redis, const char *line);
/* Store URIs of database db: unix:///…/redis.sock?db=N and
 * redis://127.0.0.1:PORT/N. Free them. */
char *test_redis_unix_uri (TestRedis *redis, int db);
char *test_redis_tcp_uri (TestRedis *redis, int db);
