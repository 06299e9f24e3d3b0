/* The includes cmocka needs, in its order. */
#ifndef CABUT_TEST_CMOCKA_H
#define CABUT_TEST_CMOCKA_H
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#endif
