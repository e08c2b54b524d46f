// Ant Media's WebSocket signalling (PROTOCOL.md 5), for the pages of
// /{app}/: one RTCPeerConnection per session, JSON messages over one
// WebSocket to /{app}/websocket on the page's own host.
"use strict";

function tgSession(streamId, token, onStatus) {
  const app = location.pathname.split("/")[1];
  const scheme = location.protocol === "https:" ? "wss:" : "ws:";
  const ws = new WebSocket(`${scheme}//${location.host}/${app}/websocket`);
  const pc = new RTCPeerConnection({ iceServers: [] });
  const session = { ws, pc, streamId, onMessage: null };

  session.send = (message) =>
    ws.send(JSON.stringify(Object.assign({ streamId }, message)));
  pc.onicecandidate = (e) => {
    if (e.candidate && e.candidate.candidate)
      session.send({
        command: "takeCandidate",
        label: e.candidate.sdpMLineIndex,
        id: e.candidate.sdpMid,
        candidate: e.candidate.candidate,
      });
  };
  ws.onmessage = async (e) => {
    const m = JSON.parse(e.data);
    try {
      if (m.command === "takeCandidate")
        await pc.addIceCandidate({
          candidate: m.candidate,
          sdpMLineIndex: m.label,
          sdpMid: m.id,
        });
      else if (m.command === "error")
        onStatus(`error: ${m.definition}`, m);
      else if (m.command === "notification")
        onStatus(m.definition, m);
      if (session.onMessage) await session.onMessage(m);
    } catch (err) {
      onStatus(`error: ${err}`, m);
    }
  };
  ws.onclose = () => onStatus("disconnected", {});
  const ping = setInterval(() => {
    if (ws.readyState === WebSocket.OPEN) ws.send('{"command":"ping"}');
  }, 3000);
  ws.addEventListener("close", () => clearInterval(ping));
  session.opened = new Promise((resolve) => (ws.onopen = resolve));
  session.withToken = (message) =>
    token ? Object.assign({ token }, message) : message;
  return session;
}

function tgStatus(element) {
  return (text) => {
    element.textContent = text;
    console.log("tollgate:", text);
  };
}
