// node console-page.mjs URL: opens URL (the console, /console/) in headless
// Chromium and takes commands, one JSON object a line on its standard
// input, answering each with one JSON line: {"ok":true,"value":...} or
// {"ok":false,"error":"..."}. It ends when its input closes. Every request
// the page makes is recorded (for "requests"), and its console and
// uncaught errors (for "console").
//   {"op":"goto","url":U}                 -> the response's status
//   {"op":"wait","expr":E,"timeout":MS}   -> E's value once truthy (E is
//                                            a JavaScript expression)
//   {"op":"eval","expr":E}                -> E's value
//   {"op":"click"|"check"|"uncheck","selector":S}
//   {"op":"fill"|"select","selector":S,"value":V}
//   {"op":"screenshot","selector":S,"path":P} (no selector: the page)
//   {"op":"requests"}, {"op":"console"}
import readline from "node:readline";

import { start } from "./browser.mjs";

const { url, timeout, browser, result } = await start();
// The Copy buttons write to the clipboard, which the tests read back.
const context = await browser.newContext({
  permissions: ["clipboard-read", "clipboard-write"],
});
const page = await context.newPage();
const requests = [];
page.on("request", (r) => requests.push(r.url()));
page.on("console", (m) => result.console.push(`${m.type()}: ${m.text()}`));
page.on("pageerror", (e) => result.console.push(`pageerror: ${e}`));
page.setDefaultTimeout(timeout);

// Polls expr in the page (evaluated as the debugger does: the console's
// Content-Security-Policy forbids the eval waitForFunction would need).
async function waitFor(expr, ms) {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await page.evaluate(expr);
    if (value) return value;
    if (Date.now() > deadline)
      throw new Error(`timed out after ${ms} ms waiting for ${expr}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

async function run(c) {
  switch (c.op) {
    case "goto": {
      const response = await page.goto(c.url || url);
      return response ? response.status() : null;
    }
    case "wait":
      return await waitFor(c.expr, c.timeout || timeout);
    case "eval":
      return await page.evaluate(c.expr);
    case "click":
      return await page.click(c.selector);
    case "check":
      return await page.check(c.selector);
    case "uncheck":
      return await page.uncheck(c.selector);
    case "fill":
      return await page.fill(c.selector, c.value);
    case "select":
      return await page.selectOption(c.selector, c.value);
    case "screenshot":
      if (c.selector)
        await page.locator(c.selector).screenshot({ path: c.path });
      else await page.screenshot({ path: c.path, fullPage: true });
      return c.path;
    case "requests":
      return requests;
    case "console":
      return result.console;
    default:
      throw new Error(`unknown op ${c.op}`);
  }
}

const lines = readline.createInterface({ input: process.stdin });
try {
  for await (const line of lines) {
    if (!line.trim()) continue;
    let answer;
    try {
      answer = { ok: true, value: (await run(JSON.parse(line))) ?? null };
    } catch (err) {
      answer = { ok: false, error: String(err) };
    }
    console.log(JSON.stringify(answer));
  }
} finally {
  await browser.close();
}
