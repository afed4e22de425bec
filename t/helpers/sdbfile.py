#!/usr/bin/python3
"""sdbfile.py - crafts database bytes for the wal tests (t/5002, t/5004).

  sdbfile.py walrec FILE TYPE [PAYLOAD]   append one WAL record of TYPE with
                                          valid checksums to FILE
  sdbfile.py tablever FILE VERSION        set a table's footer version and
                                          fix the footer checksum
  sdbfile.py lockmark FILE LSN            a valid synced mark in LOCK
"""
import struct, sys

def crc32c(data, crc=0):
    crc ^= 0xffffffff
    for x in data:
        crc ^= x
        for _ in range(8):
            crc = (crc >> 1) ^ (0x82F63B78 if crc & 1 else 0)
    return crc ^ 0xffffffff

def walrec(path, typ, payload=b''):
    trailer = struct.pack('<I', len(payload) + 20)
    pcrc = crc32c(payload + trailer)
    rest = struct.pack('<IBBHI', len(payload), typ, 0, 0, pcrc)
    rec = struct.pack('<I', crc32c(rest)) + rest + payload + trailer
    with open(path, 'ab') as f:
        f.write(rec)

def tablever(path, ver):
    b = bytearray(open(path, 'rb').read())
    f = len(b) - 64
    b[f + 48:f + 52] = struct.pack('<I', ver)
    b[f + 52:f + 56] = struct.pack('<I', crc32c(bytes(b[f:f + 52])))
    open(path, 'wb').write(b)

def lockmark(path, lsn):
    with open(path, 'r+b') as f:
        m = struct.pack('<Q', lsn)
        f.seek(8)
        f.write(m + struct.pack('<I', crc32c(m)))

cmd = sys.argv[1]
if cmd == 'walrec':
    walrec(sys.argv[2], int(sys.argv[3]), sys.argv[4].encode() if len(sys.argv) > 4 else b'')
elif cmd == 'tablever':
    tablever(sys.argv[2], int(sys.argv[3]))
elif cmd == 'lockmark':
    lockmark(sys.argv[2], int(sys.argv[3]))
else:
    sys.exit('sdbfile.py: unknown command ' + cmd)
