/* What a WebRTC viewer (tg-viewer) and a WebRTC publisher (tg-webrtc-in)
 * share around their webrtcbin: our offer or answer from webrtcbin's
 * promise, our candidates as the client is to hear them, ICE failure, the
 * connection state, and a lock with a closed flag. Callbacks other than
 * connected are made only while the peer is open, with its lock held, so
 * that close and free wait for them; the owner guards its own state with
 * the same lock (tg_webrtc_peer_lock_open). */
#pragma once

#include <gst/gst.h>
#include <gst/sdp/sdp.h>

G_BEGIN_DECLS

typedef struct _TgWebrtcPeer TgWebrtcPeer;

typedef struct
{
  /* Our offer or answer, set as the local description, as SDP text. */
  void (*description) (const char *sdp, gpointer data);
  /* One of our candidates as the client is to hear it (tg_webrtc_announce);
   * mid: its m-line's in our description, or "". */
  void (*candidate) (guint mline, const char *mid, const char *candidate,
                     gpointer data);
  /* Once, and the peer is closed: definition is the client's error
   * (ice_connection_failed, ...), or NULL; reason is for the log. */
  void (*failed) (const char *definition, const char *reason, gpointer data);
  /* NULL, or: ICE and DTLS are done (the connection state is CONNECTED).
   * Called once, on the main context and without the lock, if the peer is
   * still open then: 1.22.0's webrtcbin may never send media pushed in
   * before that, or from inside its own signal. */
  void (*connected) (gpointer data);
  /* NULL, or: ICE gathering is complete (every candidate of ours has been
   * given to candidate before). Once, while the peer is open, with its
   * lock held. */
  void (*gathered) (gpointer data);
  /* NULL, or what keeps data alive while webrtcbin's promise or the call to
   * connected is pending. */
  GBoxedCopyFunc ref;
  GDestroyNotify unref;
} TgWebrtcPeerCallbacks;

/* Watches webrtc (taking a reference of its own). */
TgWebrtcPeer *tg_webrtc_peer_new (GstElement *webrtc,
                                  const TgWebrtcPeerCallbacks *callbacks,
                                  gpointer data);
/* Asks webrtcbin for our offer, or (once the client's offer is set) our
 * answer; description or failed (notSetLocalDescription) follows. */
void tg_webrtc_peer_create_offer (TgWebrtcPeer *peer);
void tg_webrtc_peer_create_answer (TgWebrtcPeer *peer);
/* Sets the client's offer (taking it), then asks for our answer. */
void tg_webrtc_peer_answer (TgWebrtcPeer *peer, GstSDPMessage *offer);

/* Whether the peer is open; if so, the caller holds the lock until
 * tg_webrtc_peer_unlock and may make its own callbacks meanwhile. */
gboolean tg_webrtc_peer_lock_open (TgWebrtcPeer *peer);
void tg_webrtc_peer_unlock (TgWebrtcPeer *peer);
/* Closes the peer and calls failed, unless it was closed. Not with the
 * lock held. */
void tg_webrtc_peer_fail (TgWebrtcPeer *peer, const char *definition,
                          const char *reason);
/* No callback comes (nor does connected start) after this returns. Not
 * from inside a callback. */
void tg_webrtc_peer_close (TgWebrtcPeer *peer);
/* Closes it and lets webrtc go: only once webrtcbin is stopped (NULL). */
void tg_webrtc_peer_free (TgWebrtcPeer *peer);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (TgWebrtcPeer, tg_webrtc_peer_free)

/* An SDP a client sent (an offer or an answer), parsed, or NULL if it is
 * none. Neither empty text nor text that is not UTF-8 (RFC 8866 5) is one:
 * GStreamer takes the first for a programmer's error (a critical), and
 * warns of the second when it makes caps of an fmtp value. */
GstSDPMessage *tg_webrtc_parse_sdp (const char *text);

struct _GstWebRTCSessionDescription;

/* Emits webrtcbin's set-local-description or set-remote-description
 * with a promise of ours, never NULL: webrtcbin 1.22, closed, replies to a
 * NULL promise with an error structure that nobody frees. */
void
tg_webrtc_set_description (GstElement *webrtc, const char *signal,
                           struct _GstWebRTCSessionDescription *description);

G_END_DECLS
