// node ant-sdk-play.mjs WS_URL PLAYS: plays streams with Ant Media's own
// JavaScript SDK (@antmedia/webrtc_adaptor from node_modules: its ES
// modules, which Ant Media's own pages import) in headless Chromium.
// PLAYS is a JSON array of {"streamId", "token"} with, optionally, "wait",
// "tracks" or "end" true, or "qualities"; each is played in turn, in a
// page of its own (ant-sdk-play.html, served here on 127.0.0.1 with the
// SDK as js/), until it has played (the SDK's play_started, then a second
// of decoded video) or been refused (the SDK's callbackError), or
// TIMEOUT_MS (default 30000) has passed.
// - "wait": the page waits through no_stream_exist (?wait=1); the first
//   time it hears it, {"waiting": streamId} is printed (the caller may
//   start the stream then).
// - "tracks": the page attaches newTrackAvailable's streams (?tracks=1).
// - "qualities": heights, [H1, H2, ...] (0: the source); once it plays,
//   the page forces each ABR rung in turn with the SDK's
//   forceStreamQuality (?qualities=H1,H2,...) and waits for half a second
//   of video that high; its outcome's "qualities" has a step each.
// - "end": once it plays, {"playing": streamId} is printed (the caller
//   may end the stream then), and the page is watched until the SDK has
//   heard play_finished and then an error (its own retry), then stopped.
// Other pages that played stay open; once all have been tried, each is
// checked to be still playing (its video advancing by another second) and
// to have had a pong for the SDK's pings, then stopped (the SDK's stop,
// answered by play_finished).
// Prints one JSON line last, {"plays": [outcome...], "notServed":
// [path...]}: each play's outcome as ant-sdk-play.html reports it, with
// its console and, for those that played, "stillPlaying", "received"
// (packets, frames decoded; also for those that timed out) and
// "finished"; the paths the pages asked for that are not here. Exits 0
// unless the browser itself failed.
import { createServer } from "node:http";
import { readdir, readFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { launch } from "./browser.mjs";

const here = dirname(fileURLToPath(import.meta.url));
const esDir = join(here, "node_modules/@antmedia/webrtc_adaptor/dist/es");
const files = {
  "/play.html": [join(here, "ant-sdk-play.html"), "text/html"],
};
for (const name of await readdir(esDir))
  if (name.endsWith(".js"))
    files[`/js/${name}`] = [join(esDir, name), "text/javascript"];

const [wsUrl, playsJson] = process.argv.slice(2);
const plays = JSON.parse(playsJson);
const timeout = Number(process.env.TIMEOUT_MS || 30000);

const notServed = [];
const server = createServer(async (req, res) => {
  const path = new URL(req.url, "http://x").pathname;
  const file = files[path];
  if (!file) {
    notServed.push(path);
    res.writeHead(404).end();
    return;
  }
  res.writeHead(200, { "Content-Type": file[1] });
  res.end(await readFile(file[0]));
});
await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
const base = `http://127.0.0.1:${server.address().port}/play.html`;

const browser = await launch();
// wss:// to the server's own self-signed certificate, as ws://.
const context = await browser.newContext({ ignoreHTTPSErrors: true });
const results = [];
const playing = [];
let code = 0;
try {
  for (const { streamId, token, wait, tracks, end, qualities } of plays) {
    const page = await context.newPage();
    const lines = [];
    page.on("console", (m) => lines.push(m.text()));
    page.on("pageerror", (e) => lines.push(`pageerror: ${e}`));
    const query = new URLSearchParams({ ws: wsUrl, id: streamId, token });
    if (wait) query.set("wait", "1");
    if (tracks) query.set("tracks", "1");
    if (qualities) {
      query.set("qualities", qualities.join(","));
      query.set("timeout", String(timeout));
    }
    await page.goto(`${base}?${query}`);
    let result;
    try {
      if (wait) {
        await page.waitForFunction(
          () => window.outcome?.errors.includes("no_stream_exist"),
          null,
          { timeout },
        );
        console.log(JSON.stringify({ waiting: streamId }));
      }
      await page.waitForFunction(() => window.outcome?.done, null, {
        timeout,
      });
      const done = await page.evaluate(() => window.outcome.done);
      if (qualities && done === "played")
        // The page times each step out itself (and the stream information
        // it waits for first).
        await page.waitForFunction(() => window.outcome.qualitiesDone, null, {
          timeout: timeout * (qualities.length + 2),
        });
      if (end && done === "played") {
        console.log(JSON.stringify({ playing: streamId }));
        await page.waitForFunction(
          () =>
            window.outcome.callbacks.includes("play_finished") &&
            window.outcome.errors.length > 0,
          null,
          { timeout },
        );
        await page.evaluate(() => window.stopPlay());
      }
      result = await page.evaluate(() => window.outcome);
    } catch (err) {
      result = (await page.evaluate(() => window.outcome)) || {};
      result.done = `timeout: ${err.message.split("\n")[0]}`;
      result.received = await page.evaluate(() => window.received());
    }
    result.token = token;
    result.console = lines;
    results.push(result);
    if (result.done === "played" && !end) playing.push([page, result]);
  }
  for (const [page, result] of playing) {
    const start = await page.evaluate(() => window.outcome.mediaSeconds);
    try {
      await page.waitForFunction(
        (t) => window.outcome.mediaSeconds > t + 1,
        start,
        { timeout },
      );
      result.stillPlaying = true;
      // The SDK pings every 3 s.
      await page.waitForFunction(() => window.outcome.pongs > 0, null, {
        timeout,
      });
    } catch {
      result.stillPlaying ??= false;
    }
    const late = await page.evaluate(() => window.outcome);
    result.streamInfo = late.streamInfo;
    result.callbacks = late.callbacks;
    result.errors = late.errors;
    result.pongs = late.pongs;
    result.received = await page.evaluate(() => window.received());
  }
  for (const [page, result] of playing) {
    await page.evaluate(() => window.stopPlay());
    try {
      await page.waitForFunction(
        () => window.outcome.callbacks.includes("play_finished"),
        null,
        { timeout },
      );
      result.finished = true;
    } catch {
      result.finished = false;
    }
  }
} catch (err) {
  results.push({ error: String(err) });
  code = 1;
} finally {
  await browser.close();
  server.close();
}
console.log(JSON.stringify({ plays: results, notServed }));
process.exit(code);
