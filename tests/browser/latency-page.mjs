// node latency-page.mjs URL SECONDS: opens play.html (ll-hls or hls) in
// headless Chromium, waits until it plays, lets it settle 5 s, then for
// SECONDS samples twice a second, on the page's clock (Date.now(), ms
// since the epoch): the video's currentTime (the stream's media time) and,
// where the playlist has EXT-X-PROGRAM-DATE-TIME, how far the picture
// shown is behind the wall clock by it (hls.js's playingDate). Prints one
// JSON line: {samples: [{wall, currentTime, pdtLatency}], status}; exits
// 1 if it did not play (bench/playback-latency reads it).
import { openPage, start, statusOf } from "./browser.mjs";

const { url, browser, result } = await start();
const seconds = Number(process.argv[3] || 10);
let code = 1;
try {
  const page = await openPage(browser, url, result);
  await page.waitForFunction(
    () => document.querySelector("video").currentTime > 0.5,
    null,
    { timeout: 30000 },
  );
  await page.waitForTimeout(5000);
  result.samples = [];
  for (let i = 0; i < seconds * 2; i++) {
    result.samples.push(
      await page.evaluate(() => {
        const v = document.querySelector("video");
        const date = window.tgPlayer && window.tgPlayer.playingDate;
        return {
          wall: Date.now(),
          currentTime: v.currentTime,
          pdtLatency: date ? (Date.now() - date.getTime()) / 1000 : null,
        };
      }),
    );
    await page.waitForTimeout(500);
  }
  code = 0;
} catch (err) {
  result.error = String(err);
} finally {
  result.status = await statusOf(browser);
  await browser.close();
}
console.log(JSON.stringify(result));
process.exit(code);
