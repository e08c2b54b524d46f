// node whip-page.mjs: WHIP publishing and WHEP playing in headless
// Chromium (browser.mjs: a fake camera and microphone), with whip.html
// (fetch and RTCPeerConnection, no library) served here on 127.0.0.1, an
// origin of its own. Driven by its standard input, a JSON command a line,
// each answered by a JSON line on standard output, in turn; each page is
// named by the commands' "page":
// - {"op": "publish", "page", "endpoint", "token", "width", "height"}:
//   a new page publishes its camera and microphone (that
//   size) to the WHIP endpoint; once the POST is answered 201, waits
//   until the connection is up and video frames go out.
// - {"op": "play", "page", "endpoint", "token", "frames"}: a new page
//   plays over WHEP; once 201, waits until that many frames are decoded,
//   the <video> has a size and audio samples have come.
// - {"op": "progress", "page", "frames"}: waits until that many more
//   frames are decoded.
// - {"op": "ended", "page"}: waits until the peer connection is
//   disconnected, failed or closed.
// - {"op": "delete", "page"}: DELETE of the page's session resource.
// - {"op": "close", "page"}: closes the page.
// Answers carry what the POST got (status, contentType, location, offer,
// answer or body) and the page's stats (whip.html's window.stats:
// connection states, RTP streams by direction and kind, codecs), or
// "error" where a wait timed out (TIMEOUT_MS, default 30000) or the page
// failed; and "console", the page's console since the last answer. Exits
// when its standard input closes.
import { createServer } from "node:http";
import { readFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { launch } from "./browser.mjs";

const here = dirname(fileURLToPath(import.meta.url));
const timeout = Number(process.env.TIMEOUT_MS || 30000);

const server = createServer(async (req, res) => {
  if (new URL(req.url, "http://x").pathname !== "/whip.html") {
    res.writeHead(404).end();
    return;
  }
  res.writeHead(200, { "Content-Type": "text/html" });
  res.end(await readFile(join(here, "whip.html")));
});
await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
const pageUrl = `http://127.0.0.1:${server.address().port}/whip.html`;

const browser = await launch();
const pages = new Map(); // name -> {page, console}

async function open(name) {
  const page = await browser.newPage();
  const entry = { page, console: [] };
  page.on("console", (m) => entry.console.push(m.text()));
  page.on("pageerror", (e) => entry.console.push(`pageerror: ${e}`));
  pages.set(name, entry);
  await page.goto(pageUrl);
  await page.waitForFunction(() => window.ready);
  return page;
}

function pageOf(name) {
  const entry = pages.get(name);
  if (!entry) throw new Error(`no page ${name}`);
  return entry.page;
}

const stats = (page) => page.evaluate(() => window.stats());

// Waits until predicate(stats) holds, polling the page's stats.
async function until(page, predicate) {
  const deadline = Date.now() + timeout;
  for (;;) {
    const s = await stats(page);
    if (predicate(s)) return s;
    if (Date.now() > deadline)
      throw new Error(`timed out: ${JSON.stringify(s)}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

const decoded = (s) => s.in_video?.framesDecoded ?? 0;

async function run(cmd) {
  const out = {};
  switch (cmd.op) {
    case "publish": {
      const page = await open(cmd.page);
      Object.assign(
        out,
        await page.evaluate(
          ([endpoint, token, opts]) => window.publish(endpoint, token, opts),
          [cmd.endpoint, cmd.token, cmd],
        ),
      );
      if (out.status === 201)
        out.stats = await until(
          page,
          (s) =>
            s.connectionState === "connected" &&
            (s.out_video?.framesSent ?? 0) > 0,
        );
      break;
    }
    case "play": {
      const page = await open(cmd.page);
      Object.assign(
        out,
        await page.evaluate(
          ([endpoint, token]) => window.play(endpoint, token),
          [cmd.endpoint, cmd.token],
        ),
      );
      if (out.status === 201)
        out.stats = await until(
          page,
          (s) =>
            decoded(s) >= cmd.frames &&
            s.videoWidth > 0 &&
            (s.in_audio?.totalSamplesReceived ?? 0) > 0,
        );
      break;
    }
    case "progress": {
      const page = pageOf(cmd.page);
      const before = decoded(await stats(page));
      out.stats = await until(page, (s) => decoded(s) >= before + cmd.frames);
      out.before = before;
      break;
    }
    case "ended": {
      const page = pageOf(cmd.page);
      const start = Date.now();
      out.stats = await until(page, (s) =>
        ["disconnected", "failed", "closed"].includes(s.connectionState),
      );
      out.ms = Date.now() - start;
      break;
    }
    case "delete":
      out.status = await pageOf(cmd.page).evaluate(() => window.remove());
      break;
    case "close":
      await pageOf(cmd.page).close();
      break;
    default:
      throw new Error(`unknown op ${cmd.op}`);
  }
  return out;
}

for await (const line of createInterface({ input: process.stdin })) {
  let cmd = {};
  let out;
  try {
    cmd = JSON.parse(line);
    out = await run(cmd);
  } catch (err) {
    out = { error: String(err).split("\n")[0] };
    const page = pages.get(cmd.page)?.page;
    if (page && !page.isClosed()) out.stats = await stats(page).catch(String);
  }
  const entry = pages.get(cmd.page);
  out.console = entry ? entry.console.splice(0) : [];
  console.log(JSON.stringify({ op: cmd.op, page: cmd.page, ...out }));
}
await browser.close();
server.close();
