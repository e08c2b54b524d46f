// node watch-page.mjs URL: opens a Tollgate page in headless Chromium
// (Debian's, with a fake camera) and waits until its <video> decodes
// (videoWidth > 0, then currentTime advancing by a second) or its status
// line shows an error. Prints one JSON line (what the page showed, its
// status text, its console) and exits 0 when it played, 1 otherwise
// (an error shown, or nothing within TIMEOUT_MS, default 30000).
import { openPage, start, statusOf } from "./browser.mjs";

const { url, timeout, browser, result } = await start();
let code = 1;
try {
  const page = await openPage(browser, url, result);
  await page.waitForFunction(
    () =>
      document.querySelector("video").videoWidth > 0 ||
      document.getElementById("status").textContent.startsWith("error"),
    null,
    { timeout },
  );
  if (await page.evaluate(() => document.querySelector("video").videoWidth == 0))
    throw new Error("the page shows an error");
  // the page's own word that it plays (a live player's first seek moves
  // currentTime before anything plays)
  await page.waitForFunction(
    () => /^(playing|error)/.test(document.getElementById("status").textContent),
    null,
    { timeout },
  );
  const start = await page.evaluate(
    () => document.querySelector("video").currentTime,
  );
  await page.waitForFunction(
    (t) => document.querySelector("video").currentTime > t + 1,
    start,
    { timeout },
  );
  Object.assign(
    result,
    await page.evaluate(() => {
      const v = document.querySelector("video");
      return {
        videoWidth: v.videoWidth,
        videoHeight: v.videoHeight,
        currentTime: v.currentTime,
      };
    }),
  );
  result.start = start;
  code = 0;
} catch (err) {
  result.error = String(err);
} finally {
  result.status = await statusOf(browser);
  await browser.close();
}
console.log(JSON.stringify(result));
process.exit(code);
