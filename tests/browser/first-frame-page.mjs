// node first-frame-page.mjs URL COUNT: opens URL (play.html with
// playOrder=webrtc) COUNT + 1 times in headless Chromium, one page after
// another, each after a random part of a second (so that viewers join
// anywhere in a 1 s GOP). Each is timed on the page's clock from the moment
// it sends its play message to the first video frame Chromium presents
// (requestVideoFrameCallback). The first page is not counted: it pays the
// browser's one-time set-up costs. Prints one JSON line: {times: [ms, ...],
// first: ms, failed: N, console}; exits 1 if no counted page got a frame
// (bench/webrtc reads it).
import { start } from "./browser.mjs";

const { url, timeout, browser, result } = await start();
const count = Number(process.argv[3] || 10);
let code = 1;
result.times = [];
result.failed = 0;
try {
  const context = await browser.newContext();
  await context.addInitScript(() => {
    const send = WebSocket.prototype.send;
    WebSocket.prototype.send = function (data) {
      if (
        window.tgPlaySent === undefined &&
        typeof data === "string" &&
        /"command"\s*:\s*"play"/.test(data)
      )
        window.tgPlaySent = performance.now();
      return send.call(this, data);
    };
    document.addEventListener("DOMContentLoaded", () => {
      const video = document.querySelector("video");
      video.requestVideoFrameCallback((now) => {
        window.tgFirstFrame = now;
      });
    });
  });
  for (let i = 0; i <= count; i++) {
    await new Promise((resolve) => setTimeout(resolve, Math.random() * 1000));
    const page = await context.newPage();
    page.on("pageerror", (e) => result.console.push(`pageerror: ${e}`));
    try {
      await page.goto(url);
      await page.waitForFunction(
        () =>
          window.tgFirstFrame !== undefined && window.tgPlaySent !== undefined,
        null,
        { timeout },
      );
      const ms = await page.evaluate(
        () => window.tgFirstFrame - window.tgPlaySent,
      );
      if (i === 0) result.first = ms;
      else result.times.push(ms);
    } catch (err) {
      result.failed++;
      result.console.push(String(err));
    }
    await page.close();
  }
  if (result.times.length > 0) code = 0;
} catch (err) {
  result.error = String(err);
} finally {
  await browser.close();
}
console.log(JSON.stringify(result));
process.exit(code);
