// A minimal ustar writer for tests that need archives GNU tar would refuse to create (members with
// "..", links pointing out, device nodes, whiteouts), written byte by byte as POSIX specifies.

export interface TarMember {
  name: string;
  type?: 'file' | 'dir' | 'symlink' | 'hardlink' | 'char' | 'block';
  data?: string | Uint8Array;
  linkname?: string;
  mode?: number;
  major?: number;
  minor?: number;
}

const TYPEFLAG = { file: '0', hardlink: '1', symlink: '2', char: '3', block: '4', dir: '5' } as const;

function octal(n: number, width: number): string {
  return n.toString(8).padStart(width - 1, '0') + '\0';
}

export function tarArchive(members: TarMember[]): Buffer {
  const blocks: Buffer[] = [];
  for (const m of members) {
    const type = m.type ?? 'file';
    const data = type === 'file' ? Buffer.from(m.data ?? '') : Buffer.alloc(0);
    const h = Buffer.alloc(512);
    h.write(m.name, 0, 100, 'utf8');
    h.write(octal(m.mode ?? (type === 'dir' ? 0o755 : 0o644), 8), 100, 'ascii');
    h.write(octal(0, 8), 108, 'ascii');
    h.write(octal(0, 8), 116, 'ascii');
    h.write(octal(data.length, 12), 124, 'ascii');
    h.write(octal(0, 12), 136, 'ascii');
    h.write('        ', 148, 'ascii');
    h.write(TYPEFLAG[type], 156, 'ascii');
    if (m.linkname) h.write(m.linkname, 157, 100, 'utf8');
    h.write('ustar\0', 257, 'ascii');
    h.write('00', 263, 'ascii');
    h.write(octal(m.major ?? 0, 8), 329, 'ascii');
    h.write(octal(m.minor ?? 0, 8), 337, 'ascii');
    let sum = 0;
    for (const b of h) sum += b;
    h.write(octal(sum, 7) + ' ', 148, 'ascii');
    blocks.push(h, data, Buffer.alloc((512 - (data.length % 512)) % 512));
  }
  blocks.push(Buffer.alloc(1024));
  return Buffer.concat(blocks);
}
