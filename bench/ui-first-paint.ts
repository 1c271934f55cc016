// The topology's first paint in a fresh page, traced through the Chrome DevTools Protocol: wall
// time from navigation to the frame that shows the graph, and the renderer main thread's CPU up to
// that frame (the tasks' thread time until the page's 'kubewire:first-topology-paint' mark). On a
// shared 2-core machine the wall time follows the load; the CPU figure much less so.
import type { Browser } from 'playwright-core';

export interface FirstPaint {
  /** navigation start → graph painted (two animation frames after the draw). */
  navToPaintedMs: number;
  /** topology frame received → painted. */
  receivedToPaintedMs: number;
  /** renderer main thread CPU (thread time of its tasks) from navigation to the paint. */
  mainCpuMs: number;
}

interface TraceEvent {
  name: string;
  ph: string;
  pid: number;
  tid: number;
  ts: number;
  dur?: number;
  tdur?: number;
  args?: { name?: string };
}

declare const window: { kubewireDebug?: { paints: { received: number; painted: number }[] } };

export async function tracedFirstPaint(browser: Browser, url: string): Promise<FirstPaint> {
  const ctx = await browser.newContext({ viewport: { width: 1600, height: 1000 } });
  const cdp = await browser.newBrowserCDPSession();
  try {
    const page = await ctx.newPage();
    const events: TraceEvent[] = [];
    cdp.on('Tracing.dataCollected', (d) => events.push(...(d.value as unknown as TraceEvent[])));
    const complete = new Promise((r) => cdp.once('Tracing.tracingComplete', r));
    await cdp.send('Tracing.start', {
      categories: 'toplevel,blink.user_timing,__metadata',
      transferMode: 'ReportEvents',
    });
    await page.goto(url);
    await page.waitForFunction(() => (window.kubewireDebug?.paints.length ?? 0) >= 1, undefined, {
      timeout: 30_000,
      polling: 20,
    });
    const first = await page.evaluate(() => window.kubewireDebug!.paints[0]!);
    await cdp.send('Tracing.end');
    await complete;
    const mark = events.find((e) => e.name === 'kubewire:first-topology-paint');
    if (!mark) throw new Error('the trace has no kubewire:first-topology-paint mark');
    const main = events.find(
      (e) => e.ph === 'M' && e.name === 'thread_name' && e.args?.name === 'CrRendererMain' && e.pid === mark.pid,
    );
    // The outermost task event (its name depends on Chromium's version); nested ones not counted.
    const task = events.some((e) => e.name === 'ThreadControllerImpl::RunTask')
      ? 'ThreadControllerImpl::RunTask'
      : 'RunTask';
    let mainCpuMs = 0;
    for (const e of events)
      if (e.ph === 'X' && e.pid === mark.pid && e.tid === (main?.tid ?? mark.tid) && e.name === task && e.ts <= mark.ts)
        mainCpuMs += (e.tdur ?? e.dur ?? 0) / 1000;
    return { navToPaintedMs: first.painted, receivedToPaintedMs: first.painted - first.received, mainCpuMs };
  } finally {
    await cdp.detach().catch(() => undefined);
    await ctx.close();
  }
}
