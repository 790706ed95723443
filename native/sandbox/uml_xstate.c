// LD_PRELOAD shim for Debian's user-mode Linux 6.1 (the test sandbox's kernel), not part of the addon.
//
// UML keeps each guest task's FPU state in a fixed XSAVE buffer (2,696 bytes: x87/SSE, AVX, AVX-512,
// PKRU) and writes it back with PTRACE_SETREGSET(NT_X86_XSTATE). The host kernel accepts that write
// only with a buffer of its full XSAVE size, which is larger on CPUs with AMX (11 KB): the write
// fails with EFAULT and the guest panics at its first context switch ("ptrace set fp regs failed,
// errno = 14"). Here a short write becomes a full one: the process's current state is read whole and
// UML's bytes are laid over its start. What lies beyond them (AMX tiles) no guest task can use: UML
// does not grant the permission AMX needs. Every other ptrace request passes through untouched.
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/types.h>
#include <sys/uio.h>

#ifndef NT_X86_XSTATE
#define NT_X86_XSTATE 0x202
#endif

typedef long (*ptrace_fn)(int, pid_t, void *, void *);

enum { PROBE = 64 * 1024 };  // larger than any XSAVE area

static ptrace_fn real_ptrace;
static unsigned char *whole;  // UML is single-threaded where it calls ptrace: one buffer will do
static size_t whole_size;

static long pass(int request, pid_t pid, void *addr, void *data) {
  if (!real_ptrace) real_ptrace = (ptrace_fn)dlsym(RTLD_NEXT, "ptrace");
  return real_ptrace(request, pid, addr, data);
}

static long get_whole(pid_t pid) {
  if (!whole && !(whole = malloc(PROBE))) { errno = ENOMEM; return -1; }
  struct iovec iov = {whole, whole_size ? whole_size : PROBE};
  if (pass(PTRACE_GETREGSET, pid, (void *)NT_X86_XSTATE, &iov) < 0) return -1;
  whole_size = iov.iov_len;  // a read reports how much it filled: the host's full size
  return 0;
}

static long set_xstate(pid_t pid, struct iovec *uml) {
  if (whole_size && uml->iov_len >= whole_size) return pass(PTRACE_SETREGSET, pid, (void *)NT_X86_XSTATE, uml);
  if (get_whole(pid) < 0) return -1;
  if (uml->iov_len >= whole_size) return pass(PTRACE_SETREGSET, pid, (void *)NT_X86_XSTATE, uml);
  memcpy(whole, uml->iov_base, uml->iov_len);
  struct iovec iov = {whole, whole_size};
  return pass(PTRACE_SETREGSET, pid, (void *)NT_X86_XSTATE, &iov);
}

long ptrace(enum __ptrace_request request, ...) {
  va_list ap;
  va_start(ap, request);
  pid_t pid = va_arg(ap, pid_t);
  void *addr = va_arg(ap, void *);
  void *data = va_arg(ap, void *);
  va_end(ap);
  if (request == PTRACE_SETREGSET && (uintptr_t)addr == NT_X86_XSTATE && data)
    return set_xstate(pid, (struct iovec *)data);
  return pass(request, pid, addr, data);
}
