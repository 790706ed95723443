// The CHECK of the native check programs (core_check.cc, vrrp_check.cc): a failed condition is
// printed with its line and counted; the program reports the count and exits non-zero.
#pragma once

#include <cstdio>

static int failures = 0;
#define CHECK(cond)                                                        \
  do {                                                                     \
    if (!(cond)) {                                                         \
      fprintf(stderr, "CHECK failed at line %d: %s\n", __LINE__, #cond); \
      failures++;                                                          \
    }                                                                      \
  } while (0)
