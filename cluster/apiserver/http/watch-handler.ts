// Watch: newline-delimited JSON events (ADDED, MODIFIED, DELETED, BOOKMARK, ERROR) over one long
// response. A selector-filtered watch turns an object leaving the selection into DELETED and one
// entering it into ADDED, as the watch cache does. A start revision that compaction removed is
// answered with an ERROR event carrying a 410 Expired Status.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { KObject, ObjectEvent } from '../registry/object-store.js';
import { apiVersionOf } from '../resources.js';
import { ApiError, badRequest } from '../status.js';
import { printerOf } from '../table/resource-printer.js';
import { parseIncludeObject, partialObjectMetadata, toTable } from '../table/table.js';
import type { ApiContext, RequestScope } from './context.js';
import type { ResponseForm } from './negotiation.js';
import { filterFor } from './rest-handler.js';
import { queryBool, queryOptionalBool, queryOptionalInt64 } from './query-params.js';
import { goEncode, goJsonText } from '../encoding/go-json.js';

const MAX_UNREAD_BYTES = 16 * 1024 * 1024;

export async function serveWatch(
  ctx: ApiContext,
  req: IncomingMessage,
  res: ServerResponse,
  s: RequestScope,
  form: ResponseForm,
): Promise<void> {
  const r = s.resource;
  const q = s.url.searchParams;
  const selector = filterFor(r, s.url);
  const filter = selector ?? (() => true);
  // A GET of one object with ?watch=1 watches that object only.
  const matches = s.name ? (o: KObject) => o.metadata?.name === s.name && filter(o) : filter;
  // Without a selector every object matches, before and after: no need to look at the old one.
  const everything = !selector && !s.name;
  const rv = q.get('resourceVersion') ?? '';
  if (rv !== '' && !/^\d+$/.test(rv)) throw badRequest(`invalid resource version "${rv}"`);
  const bookmarks = queryBool(q, 'allowWatchBookmarks');
  // *int64 as apimachinery parses it: a bad value is a 400 before the stream starts.
  const timeoutSeconds = queryOptionalInt64(q, 'timeoutSeconds');
  const include = form === 'table' ? parseIncludeObject(q.get('includeObject')) : 'Object';
  const sendInitialEvents = queryOptionalBool(q, 'sendInitialEvents') === true;

  res.writeHead(200, {
    'Content-Type': 'application/json',
    'Transfer-Encoding': 'chunked',
    'Cache-Control': 'no-cache, private',
  });
  res.flushHeaders();

  let closed = false;
  let lastRevision = 0;
  const disposers: (() => void)[] = [];
  const finish = () => {
    if (closed) return;
    closed = true;
    disposers.forEach((d) => d());
    res.end();
  };
  req.on('close', finish);
  res.on('close', finish);

  let first = true;
  const render = (o: KObject): KObject => {
    if (form === 'table') {
      const t = toTable(
        printerOf(r),
        [o],
        { resourceVersion: o.metadata?.resourceVersion },
        include,
        ctx.clock.now(),
        first,
      );
      first = false;
      return t;
    }
    if (form === 'metadata') return partialObjectMetadata(o);
    return o;
  };
  const write = (type: string, object: KObject) => {
    if (closed) return;
    // json.Encoder's output: the event's object in Go's encoding, one event a line.
    res.write(goJsonText({ type, object: goEncode(object) }));
    // A watcher that does not read is cut off, as kube-apiserver drops a watcher whose buffer is
    // full; its client watches again from the last resourceVersion it saw.
    if (res.writableLength > MAX_UNREAD_BYTES) {
      closed = true;
      disposers.forEach((d) => d());
      res.destroy();
    }
  };
  const fail = (err: ApiError) => {
    write('ERROR', err.toStatus());
    finish();
  };
  let delivered: () => number | undefined = () => undefined;
  const bookmark = (annotations?: Record<string, string>) => {
    // The store may know that later revisions (of other resources) hold nothing for this watch.
    lastRevision = Math.max(lastRevision, delivered() ?? 0);
    write('BOOKMARK', {
      kind: r.kind,
      apiVersion: apiVersionOf(r),
      metadata: { resourceVersion: String(lastRevision), ...(annotations ? { annotations } : {}) },
    });
  };

  // A HEAD response has no body, and a client takes the headers as the whole answer and reuses the
  // connection: a watch kept open behind it would stall every later request on that connection.
  if (req.method === 'HEAD') return finish();
  // A negative timeout is a timer that has already fired (kube-apiserver's time.NewTimer): the
  // stream ends at once, with no event.
  if (timeoutSeconds !== undefined && timeoutSeconds < 0) return finish();

  let startRevision: number;
  if (rv === '' || rv === '0' || sendInitialEvents) {
    // Start with the current state as ADDED events, then follow from the list's revision.
    const list = ctx.store.list(r, s.namespace, rv && rv !== '0' ? { resourceVersion: rv } : {});
    startRevision = Number(list.resourceVersion);
    lastRevision = startRevision;
    for (const o of list.items) if (matches(o)) write('ADDED', render(o));
    if (sendInitialEvents && bookmarks) bookmark({ 'k8s.io/initial-events-end': 'true' });
  } else {
    startRevision = Number(rv);
    lastRevision = startRevision;
  }

  const onEvents = (events: ObjectEvent[]) => {
    for (const e of events) {
      lastRevision = e.revision;
      const now = matches(e.object);
      const before = e.type !== 'ADDED' && (everything || (e.previous ? matches(e.previous) : false));
      if (e.type === 'ADDED') {
        if (now) write('ADDED', render(e.object));
      } else if (e.type === 'MODIFIED') {
        if (now && before) write('MODIFIED', render(e.object));
        else if (now) write('ADDED', render(e.object));
        else if (before) write('DELETED', render(e.object));
      } else if (now || before) {
        write('DELETED', render(e.object));
      }
    }
  };
  try {
    const w = ctx.store.watch(r, s.namespace, startRevision, onEvents, fail);
    delivered = () => w.deliveredRevision();
    disposers.push(() => w.stop());
  } catch (err) {
    if (err instanceof ApiError) return fail(err);
    throw err;
  }
  if (bookmarks) {
    const t = setInterval(() => bookmark(), ctx.bookmarkIntervalMs);
    disposers.push(() => clearInterval(t));
  }
  if (timeoutSeconds !== undefined && timeoutSeconds > 0) {
    // setTimeout holds at most 2^31-1 ms; a longer timeout is the same as none for a lab.
    const t = setTimeout(finish, Math.min(timeoutSeconds * 1000, 2 ** 31 - 1));
    disposers.push(() => clearTimeout(t));
  }
  // Resolve only when the stream ends, so the caller does not treat the request as finished.
  await new Promise<void>((resolve) => {
    if (closed) resolve();
    else res.on('close', () => resolve());
  });
}
