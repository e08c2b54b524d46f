// node abr-page.mjs URL KBPS: opens play.html on an adaptive stream in
// headless Chromium, has hls.js (the page's window.tgPlayer) play its
// highest variant, gives it back its own choice of variant, then throttles
// the page's network to KBPS through the DevTools protocol and waits until
// hls.js has switched to its lowest. Prints one JSON line ({levels: [{height, bitrate}], top,
// throttled: the level played then, status}) and exits 0 when it
// switched, 1 otherwise.
import { openPage, start, statusOf } from "./browser.mjs";

const { url, browser, result } = await start();
const kbps = Number(process.argv[3] || 300);
const level = () => window.tgPlayer && window.tgPlayer.currentLevel;
let code = 1;
try {
  const page = await openPage(browser, url, result);
  await page.waitForFunction(
    () =>
      window.tgPlayer &&
      window.tgPlayer.levels &&
      window.tgPlayer.levels.length > 1 &&
      document.querySelector("video").currentTime > 0.5,
    null,
    { timeout: 30000 },
  );
  result.levels = await page.evaluate(() =>
    window.tgPlayer.levels.map((l) => ({ height: l.height, bitrate: l.bitrate })),
  );
  const bitrates = result.levels.map((l) => l.bitrate);
  const top = bitrates.indexOf(Math.max(...bitrates));
  const bottom = bitrates.indexOf(Math.min(...bitrates));
  // the top variant first (asked for: a loaded machine may not climb to it
  // by itself), then hls.js chooses again (loadLevel -1: automatic)
  await page.evaluate((t) => {
    window.tgPlayer.nextLevel = t;
  }, top);
  await page.waitForFunction((t) => window.tgPlayer.currentLevel === t, top, {
    timeout: 30000,
  });
  result.top = await page.evaluate(level);
  await page.evaluate(() => {
    window.tgPlayer.loadLevel = -1;
  });
  const cdp = await page.context().newCDPSession(page);
  await cdp.send("Network.enable");
  await cdp.send("Network.emulateNetworkConditions", {
    offline: false,
    latency: 20,
    downloadThroughput: (kbps * 1000) / 8,
    uploadThroughput: -1,
  });
  await page.waitForFunction(
    (b) => window.tgPlayer.currentLevel === b,
    bottom,
    { timeout: 45000 },
  );
  result.throttled = await page.evaluate(level);
  code = 0;
} catch (err) {
  result.error = String(err);
  result.current = await browser
    .contexts()[0]
    .pages()[0]
    .evaluate(level)
    .catch(() => null);
} finally {
  result.status = await statusOf(browser);
  await browser.close();
}
console.log(JSON.stringify(result));
process.exit(code);
