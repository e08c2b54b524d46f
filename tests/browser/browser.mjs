// Debian's Chromium, headless, with a fake camera and microphone: what the
// page scripts here open Tollgate's pages in.
import { chromium } from "playwright-core";

export function launch() {
  return chromium.launch({
    executablePath: "/usr/bin/chromium",
    args: [
      "--use-fake-device-for-media-stream",
      "--use-fake-ui-for-media-stream",
      "--autoplay-policy=no-user-gesture-required",
      "--no-sandbox",
      "--disable-background-networking",
    ],
  });
}

// The page's status line (signalling.js's tgStatus), or why it could not
// be read.
export async function statusOf(browser) {
  try {
    const pages = browser.contexts().flatMap((c) => c.pages());
    if (pages.length)
      return await pages[0].evaluate(
        () => document.getElementById("status").textContent,
      );
  } catch (err) {
    return `unreadable: ${err}`;
  }
  return "no page";
}

// A new page of the browser at url, its console (and uncaught errors)
// gathered into result.console.
export async function openPage(browser, url, result) {
  const page = await browser.newPage();
  page.on("console", (m) => result.console.push(m.text()));
  page.on("pageerror", (e) => result.console.push(`pageerror: ${e}`));
  await page.goto(url);
  return page;
}

// What each page script starts with: its URL (argv), its timeout
// (TIMEOUT_MS, default 30000), a browser, and the result it prints.
export async function start() {
  const url = process.argv[2];
  return {
    url,
    timeout: Number(process.env.TIMEOUT_MS || 30000),
    browser: await launch(),
    result: { url, console: [] },
  };
}
