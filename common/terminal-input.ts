// Splits terminal input (a paste can be megabytes) into pieces whose WebSocket frames stay under
// the server's frame limit: a frame over it closes the socket (1009). Pure, shared by renderer and
// tests.
import { MAX_FRAME_BYTES, MAX_INPUT_CHARS } from './ui-contract.js';

/**
 * Characters per `terminal.input` frame: JSON may spend 6 bytes on one UTF-16 unit (`\u001b`), so
 * 16 Ki units are at most 96 KiB of payload, well under MAX_FRAME_BYTES with the envelope.
 */
export const INPUT_CHUNK_CHARS = Math.min(MAX_INPUT_CHARS, Math.floor((MAX_FRAME_BYTES - 1024) / 6 / 1024) * 1024);

export function splitTerminalInput(data: string, max = INPUT_CHUNK_CHARS): string[] {
  if (data.length <= max) return [data];
  const out: string[] = [];
  let i = 0;
  while (i < data.length) {
    let end = Math.min(i + max, data.length);
    // Never cut a surrogate pair in two: each half alone is not valid UTF-8.
    const last = data.charCodeAt(end - 1);
    if (end < data.length && last >= 0xd800 && last <= 0xdbff) end -= 1;
    out.push(data.slice(i, end));
    i = end;
  }
  return out;
}
