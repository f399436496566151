"""N HTTP clients with a 4 KiB receive buffer that each read one answer at RATE bytes/s for SECS seconds.

usage: slow_clients.py PORT N PATH RATE SECS
Prints one line, "ready", once every request is sent, then the median bytes read per client when done.
A rate of 0 means the clients never read.
"""
import socket
import sys
import time

port, n, path, rate, secs = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3], int(sys.argv[4]), float(sys.argv[5])
socks = []
for _ in range(n):
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    s.connect(('127.0.0.1', port))
    s.sendall(f'GET {path} HTTP/1.1\r\nHost: x\r\n\r\n'.encode())
    s.setblocking(False)
    socks.append(s)
print('ready', flush=True)
got = [0] * n
start = time.time()
while time.time() - start < secs:
    tick = time.time()
    if rate > 0:
        for i, s in enumerate(socks):
            try:
                got[i] += len(s.recv(max(1, rate // 10)))
            except (BlockingIOError, OSError):
                pass
    time.sleep(max(0.0, 0.1 - (time.time() - tick)))
print(sorted(got)[n // 2], flush=True)
for s in socks:
    s.close()
