// node publish-page.mjs URL: opens Tollgate's publish page (/{app}/?id=&token=)
// in headless Chromium with a fake camera and microphone, and waits until
// its status line shows `publish_started` or an error (or TIMEOUT_MS,
// default 30000, passes). Prints one JSON line then (status, console); if
// it is publishing, it goes on until its standard input closes, then
// closes the page and prints a second line with the status seen last.
// Exits 0 when it published, 1 otherwise.
import { openPage, start, statusOf } from "./browser.mjs";

const { url, timeout, browser, result } = await start();
let code = 1;
try {
  const page = await openPage(browser, url, result);
  await page.waitForFunction(
    () => {
      const s = document.getElementById("status").textContent;
      return s === "publish_started" || s.startsWith("error");
    },
    null,
    { timeout },
  );
  result.status = await statusOf(browser);
  console.log(JSON.stringify(result));
  if (result.status === "publish_started") {
    code = 0;
    process.stdin.resume();
    await new Promise((resolve) => process.stdin.on("end", resolve));
    result.status = await statusOf(browser);
    console.log(JSON.stringify({ url, status: result.status }));
  }
} catch (err) {
  result.error = String(err);
  result.status = await statusOf(browser);
  console.log(JSON.stringify(result));
} finally {
  await browser.close();
}
process.exit(code);
