#!/usr/bin/env python3
# Lab observation tool: sends one ARP request "who has TARGET" out of DEV and
# prints the MAC of every host that answered within WAIT seconds, one per line.
# (The client's neighbour table keeps only one answer; this shows them all.)
import fcntl, socket, struct, sys, time

dev, target = sys.argv[1], sys.argv[2]
wait = float(sys.argv[3]) if len(sys.argv) > 3 else 1.5  # generous: the sandbox may be busy
ETH_P_ARP, SIOCGIFADDR = 0x0806, 0x8915

s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(ETH_P_ARP))
s.bind((dev, 0))
mac = s.getsockname()[4]
ifreq = struct.pack('256s', dev.encode()[:15])
inet = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)  # kept: the ioctl needs its descriptor open
own_ip = fcntl.ioctl(inet.fileno(), SIOCGIFADDR, ifreq)[20:24]
target_ip = socket.inet_aton(target)
request = (b'\xff' * 6 + mac + struct.pack('!H', ETH_P_ARP)
           + struct.pack('!HHBBH', 1, 0x0800, 6, 4, 1) + mac + own_ip + b'\x00' * 6 + target_ip)
s.send(request)

s.settimeout(0.05)
seen = []
end = time.time() + wait
while time.time() < end:
    try:
        frame = s.recv(128)
    except socket.timeout:
        continue
    is_reply = len(frame) >= 42 and frame[12:14] == b'\x08\x06' and struct.unpack('!H', frame[20:22])[0] == 2
    if is_reply and frame[28:32] == target_ip:
        sender = frame[22:28].hex(':')
        if sender not in seen:
            seen.append(sender)
print('\n'.join(seen))
