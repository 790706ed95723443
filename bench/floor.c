/*
 * The bench's floor: the cheapest way the kernel allows to load and read an
 * IPVS table. Raw generic netlink (no libnl), requests packed into 64 KiB
 * sendmsg calls with NLM_F_ACK, ACKs and dump replies read with recvmmsg.
 *
 *   floor add  < table.txt   sends every line's operation, prints the seconds
 *                            spent, the operations and the kernel's refusals
 *   floor dump               reads every service and destination, prints
 *                            the seconds and the object count
 *
 * table.txt, one operation per line (written by bench/tables.mjs):
 *   S af proto addr port fwmark sched flags timeout netmask   new service
 *   U (as S)                                                  update service
 *   K (as S)                                                  names the service of the lines after it, sends nothing
 *   D weight fwd addr-af addr port upper lower                new destination
 *   E (as D)                                                  update destination
 *   R (as D)                                                  delete destination
 * where D, E and R belong to the S, U or K before them. Timing starts after the
 * input is read.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <linux/genetlink.h>
#include <linux/ip_vs.h>
#include <linux/netlink.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define CHUNK (64 * 1024)
#define SLOTS 256
#define SLOT_BYTES (64 * 1024)

static int fd;
static uint16_t family;
static uint32_t seq = 1;
static char *rx;
static struct mmsghdr hdrs[SLOTS];
static struct iovec iovs[SLOTS];

static void die(const char *what) {
  fprintf(stderr, "floor: %s: %s\n", what, strerror(errno));
  exit(1);
}

static double now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* Appends an attribute at *p; returns a pointer to its header. */
static struct nlattr *put(char **p, uint16_t type, const void *data, uint16_t len) {
  struct nlattr *a = (struct nlattr *)*p;
  a->nla_type = type;
  a->nla_len = NLA_HDRLEN + len;
  if (len) memcpy(*p + NLA_HDRLEN, data, len);
  memset(*p + NLA_HDRLEN + len, 0, NLA_ALIGN(a->nla_len) - a->nla_len);
  *p += NLA_ALIGN(a->nla_len);
  return a;
}
static void end_nest(char *p, struct nlattr *nest) { nest->nla_len = p - (char *)nest; }

static char *msg_start(char *p, uint16_t type, uint16_t flags, uint8_t cmd) {
  struct nlmsghdr *h = (struct nlmsghdr *)p;
  h->nlmsg_type = type;
  h->nlmsg_flags = NLM_F_REQUEST | flags;
  h->nlmsg_seq = seq++;
  h->nlmsg_pid = 0;
  struct genlmsghdr *g = (struct genlmsghdr *)NLMSG_DATA(h);
  g->cmd = cmd;
  g->version = IPVS_GENL_VERSION;
  g->reserved = 0;
  return p + NLMSG_HDRLEN + GENL_HDRLEN;
}
static char *msg_end(char *start, char *p) {
  ((struct nlmsghdr *)start)->nlmsg_len = p - start;
  return start + NLMSG_ALIGN(p - start);
}

/* Reads up to `slots` datagrams. A dump reads into two (a part and its
 * NLMSG_DONE), so its parts land on the same warm pages; ACKs need many. */
static int recv_batch(int slots) {
  for (int i = 0; i < slots; i++) {
    iovs[i].iov_base = rx + (size_t)i * SLOT_BYTES;
    iovs[i].iov_len = SLOT_BYTES;
    memset(&hdrs[i], 0, sizeof(hdrs[i]));
    hdrs[i].msg_hdr.msg_iov = &iovs[i];
    hdrs[i].msg_hdr.msg_iovlen = 1;
  }
  int n = recvmmsg(fd, hdrs, slots, MSG_WAITFORONE, NULL);
  if (n < 0) die("recvmmsg");
  return n;
}

/* Service key (and, for add, settings) as written by bench/table.mjs. */
struct svc {
  int af, proto, port, fwmark, flags, timeout;
  unsigned netmask;
  char addr[64], sched[16];
};
struct dst {
  int weight, fwd, af, port, upper, lower;
  char addr[64];
};

static void put_addr(char **p, uint16_t type, int af, const char *text) {
  unsigned char buf[16] = {0};
  if (inet_pton(af, text, buf) != 1) { errno = EINVAL; die(text); }
  put(p, type, buf, 16);
}

static char *put_service(char *p, const struct svc *s, int full) {
  struct nlattr *nest = put(&p, IPVS_CMD_ATTR_SERVICE | NLA_F_NESTED, NULL, 0);
  uint16_t af = s->af;
  put(&p, IPVS_SVC_ATTR_AF, &af, 2);
  if (s->fwmark) {
    uint32_t m = s->fwmark;
    put(&p, IPVS_SVC_ATTR_FWMARK, &m, 4);
  } else {
    uint16_t proto = s->proto, port = htons(s->port);
    put(&p, IPVS_SVC_ATTR_PROTOCOL, &proto, 2);
    put_addr(&p, IPVS_SVC_ATTR_ADDR, s->af, s->addr);
    put(&p, IPVS_SVC_ATTR_PORT, &port, 2);
  }
  if (full) {
    struct ip_vs_flags f = {(uint32_t)s->flags, 0xffffffff};
    uint32_t t = s->timeout, m = s->netmask;
    put(&p, IPVS_SVC_ATTR_SCHED_NAME, s->sched, strlen(s->sched) + 1);
    put(&p, IPVS_SVC_ATTR_FLAGS, &f, sizeof(f));
    put(&p, IPVS_SVC_ATTR_TIMEOUT, &t, 4);
    put(&p, IPVS_SVC_ATTR_NETMASK, &m, 4);
  }
  end_nest(p, nest);
  return p;
}

static char *put_dest(char *p, const struct dst *d) {
  struct nlattr *nest = put(&p, IPVS_CMD_ATTR_DEST | NLA_F_NESTED, NULL, 0);
  uint16_t af = d->af, port = htons(d->port);
  uint32_t fwd = d->fwd, w = d->weight, u = d->upper, l = d->lower;
  put_addr(&p, IPVS_DEST_ATTR_ADDR, d->af, d->addr);
  put(&p, IPVS_DEST_ATTR_PORT, &port, 2);
  put(&p, IPVS_DEST_ATTR_FWD_METHOD, &fwd, 4);
  put(&p, IPVS_DEST_ATTR_WEIGHT, &w, 4);
  put(&p, IPVS_DEST_ATTR_U_THRESH, &u, 4);
  put(&p, IPVS_DEST_ATTR_L_THRESH, &l, 4);
  put(&p, IPVS_DEST_ATTR_ADDR_FAMILY, &af, 2);
  end_nest(p, nest);
  return p;
}

/* Sends buf and reads one ACK per message in it; counts kernel errors. */
static int flush_chunk(char *buf, size_t len, int msgs) {
  if (len == 0) return 0;
  if (send(fd, buf, len, 0) != (ssize_t)len) die("send");
  int errors = 0;
  while (msgs > 0) {
    int n = recv_batch(SLOTS);
    for (int i = 0; i < n; i++) {
      struct nlmsghdr *h = (struct nlmsghdr *)iovs[i].iov_base;
      int left = hdrs[i].msg_len;
      for (; NLMSG_OK(h, left); h = NLMSG_NEXT(h, left)) {
        if (h->nlmsg_type != NLMSG_ERROR) continue;
        if (((struct nlmsgerr *)NLMSG_DATA(h))->error) errors++;
        msgs--;
      }
    }
  }
  return errors;
}

static void resolve_family(void) {
  char buf[256], *start = buf;
  char *p = msg_start(buf, GENL_ID_CTRL, 0, CTRL_CMD_GETFAMILY);
  ((struct genlmsghdr *)NLMSG_DATA((struct nlmsghdr *)buf))->version = 1;
  put(&p, CTRL_ATTR_FAMILY_NAME, IPVS_GENL_NAME, strlen(IPVS_GENL_NAME) + 1);
  msg_end(start, p);
  if (send(fd, buf, ((struct nlmsghdr *)buf)->nlmsg_len, 0) < 0) die("send");
  int n = recv(fd, rx, SLOT_BYTES, 0);
  if (n < 0) die("recv");
  struct nlmsghdr *h = (struct nlmsghdr *)rx;
  if (h->nlmsg_type == NLMSG_ERROR) { errno = -((struct nlmsgerr *)NLMSG_DATA(h))->error; die("IPVS family"); }
  struct nlattr *a = (struct nlattr *)((char *)NLMSG_DATA(h) + GENL_HDRLEN);
  int left = h->nlmsg_len - NLMSG_HDRLEN - GENL_HDRLEN;
  for (; left >= NLA_HDRLEN; left -= NLA_ALIGN(a->nla_len), a = (struct nlattr *)((char *)a + NLA_ALIGN(a->nla_len)))
    if (a->nla_type == CTRL_ATTR_FAMILY_ID) family = *(uint16_t *)((char *)a + NLA_HDRLEN);
  if (!family) { errno = ENOENT; die("IPVS family"); }
}

static int cmd_add(void) {
  /* Read everything first: the floor times netlink, not parsing. */
  size_t cap = 1024, count = 0;
  /* cmd: the IPVS command; is_svc: a service operation (else a destination's). */
  struct { int cmd, is_svc; struct svc s; struct dst d; } *items = malloc(cap * sizeof(*items));
  char line[512];
  struct svc cur = {0};
  while (fgets(line, sizeof(line), stdin)) {
    if (count == cap) items = realloc(items, (cap *= 2) * sizeof(*items));
    char c = line[0];
    if (c == 'S' || c == 'U' || c == 'K') {
      sscanf(line + 1, " %d %d %63s %d %d %15s %d %d %u", &cur.af, &cur.proto, cur.addr, &cur.port, &cur.fwmark, cur.sched,
             &cur.flags, &cur.timeout, &cur.netmask);
      if (c == 'K') continue;
      items[count].cmd = c == 'S' ? IPVS_CMD_NEW_SERVICE : IPVS_CMD_SET_SERVICE;
      items[count].is_svc = 1;
      items[count++].s = cur;
    } else if (c == 'D' || c == 'E' || c == 'R') {
      struct dst d;
      sscanf(line + 1, " %d %d %d %63s %d %d %d", &d.weight, &d.fwd, &d.af, d.addr, &d.port, &d.upper, &d.lower);
      items[count].cmd = c == 'D' ? IPVS_CMD_NEW_DEST : c == 'E' ? IPVS_CMD_SET_DEST : IPVS_CMD_DEL_DEST;
      items[count].is_svc = 0;
      items[count].s = cur;
      items[count++].d = d;
    }
  }
  char *buf = malloc(CHUNK + 4096);
  double t0 = now();
  size_t len = 0;
  int msgs = 0, errors = 0;
  for (size_t i = 0; i < count; i++) {
    char *start = buf + len;
    char *p = msg_start(start, family, NLM_F_ACK, items[i].cmd);
    p = put_service(p, &items[i].s, items[i].is_svc);
    if (!items[i].is_svc) p = put_dest(p, &items[i].d);
    len = msg_end(start, p) - buf;
    msgs++;
    /* Keep under 64 KiB and under the ACKs that fit in the receive buffer. */
    if (len > CHUNK - 1024 || msgs == SLOTS) {
      errors += flush_chunk(buf, len, msgs);
      len = 0;
      msgs = 0;
    }
  }
  errors += flush_chunk(buf, len, msgs);
  printf("%.6f %zu %d\n", now() - t0, count, errors);
  return errors ? 1 : 0;
}

/* One dump: sends the request and reads to NLMSG_DONE; calls on_msg for data. */
static long dump(char *req, size_t len, void (*on_msg)(struct nlmsghdr *)) {
  if (send(fd, req, len, 0) != (ssize_t)len) die("send");
  long records = 0;
  for (;;) {
    int n = recv_batch(2);
    for (int i = 0; i < n; i++) {
      struct nlmsghdr *h = (struct nlmsghdr *)iovs[i].iov_base;
      int left = hdrs[i].msg_len;
      for (; NLMSG_OK(h, left); h = NLMSG_NEXT(h, left)) {
        if (h->nlmsg_type == NLMSG_DONE) return records;
        if (h->nlmsg_type == NLMSG_ERROR) { errno = -((struct nlmsgerr *)NLMSG_DATA(h))->error; die("dump"); }
        records++;
        if (on_msg) on_msg(h);
      }
    }
  }
}

/* Each service's nested key attribute, to ask for its destinations: kept end to
 * end in one buffer (a key is ~60 bytes; fresh memory is dear in the sandbox). */
static char *keys;
static size_t keys_len, keys_cap;

static void keep_service(struct nlmsghdr *h) {
  struct nlattr *a = (struct nlattr *)((char *)NLMSG_DATA(h) + GENL_HDRLEN);
  size_t len = NLA_ALIGN(a->nla_len);
  if (keys_len + len > keys_cap) {
    keys_cap = keys_cap ? keys_cap * 2 : 64 * 1024;
    if (keys_cap < keys_len + len) keys_cap = keys_len + len;
    if (!(keys = realloc(keys, keys_cap))) die("realloc");
  }
  memcpy(keys + keys_len, a, a->nla_len);
  keys_len += len;
}

static int cmd_dump(void) {
  char req[512];
  double t0 = now();
  char *p = msg_start(req, family, NLM_F_DUMP, IPVS_CMD_GET_SERVICE);
  size_t len = msg_end(req, p) - req;
  long services = dump(req, len, keep_service), dests = 0;
  for (size_t off = 0; off < keys_len;) {
    /* The dumped service nest carries stats too; the kernel reads only the key. */
    struct nlattr *k = (struct nlattr *)(keys + off);
    off += NLA_ALIGN(k->nla_len);
    char *buf = k->nla_len > sizeof(req) - 64 ? malloc(k->nla_len + 64) : req;
    if (!buf) die("malloc");
    char *q = msg_start(buf, family, NLM_F_DUMP, IPVS_CMD_GET_DEST);
    memcpy(q, k, k->nla_len);
    q += NLA_ALIGN(k->nla_len);
    dests += dump(buf, msg_end(buf, q) - buf, NULL);
    if (buf != req) free(buf);
  }
  printf("%.6f %ld %ld\n", now() - t0, services, dests);
  return 0;
}

int main(int argc, char **argv) {
  if (argc != 2) {
    fprintf(stderr, "usage: floor add < table.txt | floor dump\n");
    return 2;
  }
  rx = malloc((size_t)SLOTS * SLOT_BYTES);
  fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_GENERIC);
  if (fd < 0) die("socket");
  int big = 8 << 20;
  setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &big, sizeof(big));
  setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &big, sizeof(big));
  int one = 1;
  setsockopt(fd, SOL_NETLINK, NETLINK_CAP_ACK, &one, sizeof(one));
  resolve_family();
  if (!strcmp(argv[1], "add")) return cmd_add();
  if (!strcmp(argv[1], "dump")) return cmd_dump();
  fprintf(stderr, "floor: unknown command %s\n", argv[1]);
  return 2;
}
