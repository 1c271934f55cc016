// Counts the packets of a classic pcap file (what tcpdump -w writes): a 24-byte global header,
// then per packet a 16-byte record header whose third field is the captured length.

export function countPcapPackets(buf: Buffer): number {
  if (buf.length < 24) return 0;
  const magic = buf.readUInt32LE(0);
  const le = magic === 0xa1b2c3d4 || magic === 0xa1b23c4d;
  if (!le && buf.readUInt32BE(0) !== 0xa1b2c3d4 && buf.readUInt32BE(0) !== 0xa1b23c4d) return 0;
  let off = 24;
  let n = 0;
  while (off + 16 <= buf.length) {
    const incl = le ? buf.readUInt32LE(off + 8) : buf.readUInt32BE(off + 8);
    if (off + 16 + incl > buf.length) break; // a record cut short by the stop
    off += 16 + incl;
    n++;
  }
  return n;
}
